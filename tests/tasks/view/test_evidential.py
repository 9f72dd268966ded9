"""Evidential losses: Re-EDL's formula, classic EDL with KL annealing, evidence and uncertainty per loss."""

import math

import pytest
import torch
import torch.nn.functional as F

from echolab.errors import ConfigError
from echolab.tasks.view.losses import (
    LOSSES,
    clip_probabilities,
    clip_uncertainty,
    edl_loss,
    kl_to_uniform_dirichlet,
    re_edl_loss,
    training_loss,
)


def test_re_edl_matches_the_reference_formula():
    logits = torch.tensor([[2.0, -1.0, 0.5], [0.0, 0.0, 0.0]])
    target = torch.tensor([0, 2])
    lam = 0.8
    alpha = F.softplus(logits) + lam
    p = alpha / alpha.sum(-1, keepdim=True)
    y = F.one_hot(target, 3).float()
    expected = ((y - p) ** 2).sum(-1).mean()
    assert re_edl_loss(logits, target, lam) == pytest.approx(float(expected))
    # Zero logits: every class gets softplus(0) = log 2 evidence, so p is uniform.
    assert torch.allclose(clip_probabilities(logits[1:], "re_edl", lam), torch.full((1, 3), 1 / 3))
    u = clip_uncertainty(logits[1:], "re_edl", lam)
    assert float(u) == pytest.approx(3 * lam / (3 * (math.log(2) + lam)))


def test_prior_weight_changes_the_uncertainty_not_the_ranking():
    logits = torch.tensor([[3.0, 1.0, -2.0]])
    low, high = (clip_uncertainty(logits, "re_edl", lam) for lam in (0.1, 2.0))
    assert low < high
    for lam in (0.1, 2.0):
        assert clip_probabilities(logits, "re_edl", lam).argmax() == 0


def test_re_edl_gradient_raises_the_true_class_evidence():
    logits = torch.zeros(1, 4, requires_grad=True)
    re_edl_loss(logits, torch.tensor([2]), 0.8).backward()
    assert logits.grad[0, 2] < 0 and (logits.grad[0, [0, 1, 3]] > 0).all()


def test_kl_to_the_uniform_dirichlet_is_zero_only_there():
    assert float(kl_to_uniform_dirichlet(torch.ones(1, 5))) == pytest.approx(0.0, abs=1e-6)
    assert float(kl_to_uniform_dirichlet(torch.tensor([[1.0, 4.0, 1.0]]))) > 0.1


@pytest.mark.parametrize("kind", ["mse", "log", "digamma"])
def test_classic_edl_anneals_its_kl_term(kind):
    logits = torch.tensor([[0.0, 5.0, 0.0]])  # strong evidence for a wrong class: KL has work to do
    target = torch.tensor([0])
    start = edl_loss(logits, target, kind, epoch=0, kl_anneal_epochs=50)
    middle = edl_loss(logits, target, kind, epoch=25, kl_anneal_epochs=50)
    full = edl_loss(logits, target, kind, epoch=50, kl_anneal_epochs=50)
    later = edl_loss(logits, target, kind, epoch=90, kl_anneal_epochs=50)
    assert start < middle < full and full == pytest.approx(float(later))
    assert float(middle - start) == pytest.approx(float(full - start) / 2, rel=1e-5)


def test_classic_edl_mse_without_kl_is_error_plus_variance():
    logits = torch.tensor([[2.0, 0.0, 1.0]])
    alpha = F.relu(logits) + 1
    s = alpha.sum()
    p = alpha / s
    y = torch.tensor([1.0, 0.0, 0.0])
    expected = ((y - p) ** 2 + p * (1 - p) / (s + 1)).sum()
    assert float(edl_loss(logits, torch.tensor([0]), "mse", 0, 50)) == pytest.approx(float(expected))


def test_classic_edl_has_full_uncertainty_without_evidence():
    assert float(clip_uncertainty(torch.full((1, 4), -3.0), "edl_log", 0.8)) == pytest.approx(1.0)


@pytest.mark.parametrize("loss", LOSSES)
def test_every_loss_trains_and_gives_bounded_uncertainty(loss):
    torch.manual_seed(0)
    logits = torch.randn(6, 9, requires_grad=True)
    target = torch.arange(6)
    value = training_loss(loss, logits, target, epoch=3)
    value.backward()
    assert torch.isfinite(value) and logits.grad.abs().sum() > 0
    u = clip_uncertainty(logits.detach(), loss, 0.8)
    assert u.shape == (6,) and ((u >= 0) & (u <= 1)).all()
    probs = clip_probabilities(logits.detach(), loss, 0.8)
    assert torch.allclose(probs.sum(-1), torch.ones(6))


def test_ce_is_plain_cross_entropy_with_label_smoothing():
    logits, target = torch.randn(4, 3), torch.tensor([0, 1, 2, 0])
    assert training_loss("ce", logits, target, label_smoothing=0.1) == pytest.approx(
        float(F.cross_entropy(logits, target, label_smoothing=0.1))
    )


def test_unknown_loss_names_the_choices():
    with pytest.raises(ConfigError, match="task.loss 'focal'.*re_edl"):
        training_loss("focal", torch.zeros(1, 2), torch.tensor([0]))
