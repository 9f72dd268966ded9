"""Evidential losses (REFERENCE §1.3) and how each loss turns logits into Dirichlet evidence.

A K-class evidential classifier reads its logits z as evidence e >= 0 for each class; the Dirichlet
α = e + prior has strength S = Σα, expected probability p = α / S and uncertainty u = K·prior / S
(1 with no evidence, towards 0 as evidence grows).

re_edl:      Re-EDL, the STFM default. e = softplus(z), prior λ2 (`prior_weight`, 0.8);
             loss Σ_k (y_k − p_k)², no variance and no KL term.
edl_mse/log/digamma: classic EDL (Sensoy et al. 2018). e = ReLU(z), prior 1; the MSE loss adds the
             Dirichlet variance, log and digamma are the type-II likelihood and Bayes risk; all add
             KL(Dir(α̃) ‖ Dir(1)) on the misleading evidence, weighted min(1, epoch / kl_anneal_epochs).
ce:          cross-entropy on softmax(z). For evidence fusion its logits are read the Re-EDL way
             (softplus + prior_weight), so every loss works with every fusion rule.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from echolab.errors import ConfigError, check_choice

LOSSES = ("ce", "re_edl", "edl_mse", "edl_log", "edl_digamma")


def check_loss(name: str) -> None:
    check_choice("task.loss", name, LOSSES)


def evidence_prior(logits: torch.Tensor, loss: str, prior_weight: float) -> tuple[torch.Tensor, float]:
    """Non-negative evidence of each class and the Dirichlet prior added to it, as `loss` defines them."""
    if loss.startswith("edl_"):
        return F.relu(logits), 1.0
    return F.softplus(logits), prior_weight


def dirichlet(logits: torch.Tensor, loss: str, prior_weight: float) -> tuple[torch.Tensor, float]:
    """α = evidence + prior (same shape as logits) and the prior."""
    evidence, prior = evidence_prior(logits, loss, prior_weight)
    return evidence + prior, prior


def clip_probabilities(logits: torch.Tensor, loss: str, prior_weight: float) -> torch.Tensor:
    """Each clip's class probabilities: softmax for ce, the Dirichlet mean α / S otherwise."""
    if loss == "ce":
        return logits.softmax(-1)
    alpha, _ = dirichlet(logits, loss, prior_weight)
    return alpha / alpha.sum(-1, keepdim=True)


def clip_uncertainty(logits: torch.Tensor, loss: str, prior_weight: float) -> torch.Tensor:
    """Each clip's uncertainty in [0, 1]: normalised entropy for ce, K·prior / S for evidential losses.

    This is what the uncertainty-guided sampler turns into certainty (1 − u) for its segment bank.
    """
    num_classes = logits.shape[-1]
    if loss == "ce":
        probs = logits.softmax(-1)
        entropy = -(probs * probs.clamp_min(1e-12).log()).sum(-1)
        return entropy / torch.log(torch.tensor(float(num_classes)))
    alpha, prior = dirichlet(logits, loss, prior_weight)
    return num_classes * prior / alpha.sum(-1)


def re_edl_loss(logits: torch.Tensor, target: torch.Tensor, prior_weight: float) -> torch.Tensor:
    """Mean over the batch of Σ_k (y_k − p_k)² with p = (softplus(z) + λ2) / S."""
    probs = clip_probabilities(logits, "re_edl", prior_weight)
    onehot = F.one_hot(target, logits.shape[-1]).to(probs.dtype)
    return ((onehot - probs) ** 2).sum(-1).mean()


def kl_to_uniform_dirichlet(alpha: torch.Tensor) -> torch.Tensor:
    """KL(Dir(α) ‖ Dir(1, …, 1)) per row."""
    num_classes = alpha.shape[-1]
    strength = alpha.sum(-1)
    return (
        torch.lgamma(strength)
        - torch.lgamma(torch.tensor(float(num_classes), device=alpha.device))
        - torch.lgamma(alpha).sum(-1)
        + ((alpha - 1) * (torch.digamma(alpha) - torch.digamma(strength).unsqueeze(-1))).sum(-1)
    )


def edl_loss(
    logits: torch.Tensor, target: torch.Tensor, kind: str, epoch: int, kl_anneal_epochs: int
) -> torch.Tensor:
    """Classic EDL (ReLU evidence, prior 1): `kind` mse | log | digamma, plus the annealed KL term."""
    alpha, _ = dirichlet(logits, f"edl_{kind}", 1.0)
    onehot = F.one_hot(target, logits.shape[-1]).to(alpha.dtype)
    strength = alpha.sum(-1, keepdim=True)
    if kind == "mse":
        probs = alpha / strength
        fit = ((onehot - probs) ** 2 + probs * (1 - probs) / (strength + 1)).sum(-1)
    elif kind == "log":
        fit = (onehot * (strength.log() - alpha.log())).sum(-1)
    elif kind == "digamma":
        fit = (onehot * (torch.digamma(strength) - torch.digamma(alpha))).sum(-1)
    else:
        raise ConfigError(f"classic EDL loss kind '{kind}' is unknown; choose mse, log or digamma")
    # Only evidence for the wrong classes is pulled towards the uniform Dirichlet.
    misleading = onehot + (1 - onehot) * alpha
    weight = min(1.0, epoch / kl_anneal_epochs) if kl_anneal_epochs > 0 else 1.0
    return (fit + weight * kl_to_uniform_dirichlet(misleading)).mean()


def training_loss(
    loss: str,
    logits: torch.Tensor,
    target: torch.Tensor,
    *,
    prior_weight: float = 0.8,
    epoch: int = 0,
    kl_anneal_epochs: int = 50,
    label_smoothing: float = 0.0,
) -> torch.Tensor:
    """The loss named by `task.loss` for one batch of clip logits (B, K) and labels (B,)."""
    check_loss(loss)
    if loss == "ce":
        return F.cross_entropy(logits, target, label_smoothing=label_smoothing)
    if loss == "re_edl":
        return re_edl_loss(logits, target, prior_weight)
    return edl_loss(logits, target, loss.removeprefix("edl_"), epoch, kl_anneal_epochs)
