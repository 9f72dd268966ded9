"""Evidence fusion (REFERENCE §1.5): one probability vector and one uncertainty per video from its M clips.

alpha_sum:        the STFM rule. α_j = e_j + prior per clip, A = Σ_j α_j, p = A / ΣA,
                  u = K·M·prior / ΣA (1 with no evidence at all).
dempster_shafer:  the reduced Dempster–Shafer combination of Trusted Multi-view Classification
                  (Han et al. 2021), clip after clip. Per clip belief b = e / S and u = K·prior / S;
                  two opinions combine as b = (b¹b² + b¹u² + b²u¹) / (1 − C), u = u¹u² / (1 − C) with
                  conflict C = Σ_{i≠j} b¹_i b²_j; the video's probability is b + u / K.
prob_mean:        the mean of the clips' probabilities (softmax for ce, α / S otherwise);
                  u = entropy of that mean / log K.
"""

from __future__ import annotations

import math

import torch

from echolab.errors import check_choice
from echolab.tasks.view.losses import clip_probabilities, evidence_prior

FUSIONS = ("alpha_sum", "dempster_shafer", "prob_mean")


def check_fusion(name: str) -> None:
    check_choice("task.fusion", name, FUSIONS)


def fuse(
    logits: torch.Tensor, rule: str, loss: str, prior_weight: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, M, K) clip logits -> (B, K) video probabilities and (B,) uncertainties in [0, 1]."""
    check_fusion(rule)
    logits = logits.float()
    num_classes = logits.shape[-1]
    if rule == "prob_mean":
        probs = clip_probabilities(logits, loss, prior_weight).mean(1)
        entropy = -(probs * probs.clamp_min(1e-12).log()).sum(-1)
        return probs, entropy / math.log(num_classes)
    evidence, prior = evidence_prior(logits, loss, prior_weight)
    if rule == "alpha_sum":
        total = (evidence + prior).sum(1)
        strength = total.sum(-1)
        return total / strength.unsqueeze(-1), num_classes * logits.shape[1] * prior / strength
    strength = evidence.sum(-1, keepdim=True) + num_classes * prior
    beliefs, uncertainties = evidence / strength, num_classes * prior / strength.squeeze(-1)
    belief, uncertainty = beliefs[:, 0], uncertainties[:, 0]
    for j in range(1, logits.shape[1]):
        belief, uncertainty = combine_opinions(belief, uncertainty, beliefs[:, j], uncertainties[:, j])
    return belief + (uncertainty / num_classes).unsqueeze(-1), uncertainty


def combine_opinions(
    b1: torch.Tensor, u1: torch.Tensor, b2: torch.Tensor, u2: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Reduced Dempster–Shafer combination of two (B, K) beliefs with (B,) uncertainties."""
    agreement = (b1 * b2).sum(-1)
    conflict = b1.sum(-1) * b2.sum(-1) - agreement  # Σ_{i≠j} b¹_i b²_j
    scale = 1.0 / (1.0 - conflict).clamp_min(1e-12)
    belief = (b1 * b2 + b1 * u2.unsqueeze(-1) + b2 * u1.unsqueeze(-1)) * scale.unsqueeze(-1)
    return belief, u1 * u2 * scale
