"""Evidence fusion over a video's clips: STFM's α sum, reduced Dempster–Shafer, probability mean."""

import math

import pytest
import torch
import torch.nn.functional as F

from echolab.errors import ConfigError
from echolab.tasks.view.fusion import FUSIONS, combine_opinions, fuse


def test_alpha_sum_matches_the_reference_formula():
    torch.manual_seed(0)
    logits = torch.randn(2, 10, 9)
    lam = 0.8
    probs, uncertainty = fuse(logits, "alpha_sum", "re_edl", lam)
    total = (F.softplus(logits) + lam).sum(1)
    assert torch.allclose(probs, total / total.sum(-1, keepdim=True))
    assert torch.allclose(uncertainty, 9 * 10 * lam / total.sum(-1))


def test_alpha_sum_of_one_clip_is_that_clips_dirichlet():
    logits = torch.tensor([[[4.0, 0.0, -1.0]]])
    probs, uncertainty = fuse(logits, "alpha_sum", "re_edl", 0.5)
    alpha = F.softplus(logits[0, 0]) + 0.5
    assert torch.allclose(probs[0], alpha / alpha.sum())
    assert float(uncertainty) == pytest.approx(3 * 0.5 / float(alpha.sum()))


def test_dempster_shafer_with_a_vacuous_opinion_keeps_the_other():
    belief = torch.tensor([[0.6, 0.1, 0.1]])
    u = torch.tensor([0.2])
    combined, combined_u = combine_opinions(belief, u, torch.zeros(1, 3), torch.ones(1))
    assert torch.allclose(combined, belief) and torch.allclose(combined_u, u)


def test_dempster_shafer_is_symmetric_and_agreement_lowers_uncertainty():
    b1, u1 = torch.tensor([[0.5, 0.2, 0.0]]), torch.tensor([0.3])
    b2, u2 = torch.tensor([[0.6, 0.0, 0.1]]), torch.tensor([0.3])
    one = combine_opinions(b1, u1, b2, u2)
    two = combine_opinions(b2, u2, b1, u1)
    assert torch.allclose(one[0], two[0]) and torch.allclose(one[1], two[1])
    assert float(one[1]) < 0.3
    assert float(one[0].sum() + one[1]) == pytest.approx(1.0)  # beliefs and uncertainty stay a mass


def test_dempster_shafer_conflict_by_hand():
    b1, u1 = torch.tensor([[0.5, 0.3]]), torch.tensor([0.2])
    b2, u2 = torch.tensor([[0.1, 0.7]]), torch.tensor([0.2])
    conflict = 0.5 * 0.7 + 0.3 * 0.1
    belief, u = combine_opinions(b1, u1, b2, u2)
    expected = torch.tensor([0.5 * 0.1 + 0.5 * 0.2 + 0.1 * 0.2, 0.3 * 0.7 + 0.3 * 0.2 + 0.7 * 0.2]) / (
        1 - conflict
    )
    assert torch.allclose(belief[0], expected)
    assert float(u) == pytest.approx(0.04 / (1 - conflict))


def test_prob_mean_for_ce_is_the_mean_softmax_with_normalised_entropy():
    torch.manual_seed(1)
    logits = torch.randn(3, 4, 5)
    probs, uncertainty = fuse(logits, "prob_mean", "ce", 0.8)
    expected = logits.softmax(-1).mean(1)
    assert torch.allclose(probs, expected)
    entropy = -(expected * expected.log()).sum(-1) / math.log(5)
    assert torch.allclose(uncertainty, entropy)


@pytest.mark.parametrize("rule", FUSIONS)
@pytest.mark.parametrize("loss", ["ce", "re_edl", "edl_digamma"])
def test_every_rule_gives_probabilities_and_bounded_uncertainty(rule, loss):
    torch.manual_seed(2)
    logits = torch.randn(4, 6, 9) * 3
    probs, uncertainty = fuse(logits, rule, loss, 0.8)
    assert probs.shape == (4, 9) and uncertainty.shape == (4,)
    assert torch.allclose(probs.sum(-1), torch.ones(4), atol=1e-5) and (probs >= 0).all()
    assert ((uncertainty >= 0) & (uncertainty <= 1)).all()


def test_repeated_clips_average_in_alpha_sum_but_accumulate_in_dempster_shafer():
    clip = torch.tensor([5.0, 0.0, 0.0])
    _, one = fuse(clip.repeat(1, 1, 1), "alpha_sum", "re_edl", 0.8)
    _, eight = fuse(clip.repeat(1, 8, 1), "alpha_sum", "re_edl", 0.8)
    assert float(eight) == pytest.approx(float(one))  # K·M·λ2 / ΣA: the mean clip's uncertainty
    _, few = fuse(clip.repeat(1, 2, 1), "dempster_shafer", "re_edl", 0.8)
    _, many = fuse(clip.repeat(1, 8, 1), "dempster_shafer", "re_edl", 0.8)
    assert float(many) < float(few)  # each agreeing opinion multiplies the uncertainty down


def test_unknown_fusion_names_the_choices():
    with pytest.raises(ConfigError, match="task.fusion 'vote'.*alpha_sum"):
        fuse(torch.zeros(1, 2, 3), "vote", "ce", 0.8)
