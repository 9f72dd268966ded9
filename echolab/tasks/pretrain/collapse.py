"""Collapse monitors: numbers that fall to a tell-tale value when self-supervision stops learning, and
the one warning a run gives when they do.

prototypes_used        distinct cluster codes the teacher's Sinkhorn assigned this epoch (DISCOVR)
*_teacher_entropy      mean entropy (nats) of a DINO teacher's distribution: near 0 every sample gets
                       the same one-hot code, near ln(out) every sample gets the uniform one
feature_std            spread of the student's L2-normalised mean-token features over a batch, times
                       sqrt(dim): about 1 for features spread over the sphere, 0 when all clips map to
                       one point (the SimSiam collapse measure; every method, JEPA included)
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def feature_spread(features: torch.Tensor) -> torch.Tensor:
    """(B, D) features -> the mean per-channel std of their L2-normalised rows, times sqrt(D)."""
    normalised = F.normalize(features.detach().float(), dim=-1)
    return normalised.std(dim=0).mean() * math.sqrt(features.shape[-1])


def collapse_problems(monitors: dict[str, float], limits: dict, prototypes: int, dino_out: int) -> list[str]:
    """What looks collapsed in one epoch's `monitors`, each with what to try; empty when all is well.

    limits: the task's `collapse:` block (min_prototype_fraction, entropy_band, min_feature_std).
    """
    problems = []
    used = monitors.get("prototypes_used")
    if used is not None and used < limits["min_prototype_fraction"] * prototypes:
        problems.append(
            f"only {used:.0f} of {prototypes} prototypes are in use (below "
            f"{limits['min_prototype_fraction']:.0%}): lower task.cluster.prototypes or raise the batch "
            "size (keep >= 8 hidden tokens per prototype per step), or lower optim.lr"
        )
    low, high = (fraction * math.log(dino_out) for fraction in limits["entropy_band"])
    for name in ("image_teacher_entropy", "video_teacher_entropy"):
        value = monitors.get(name)
        if value is None:
            continue
        if value < low:
            problems.append(
                f"{name} is {value:.3f} nats (below {low:.3f}): the teacher gives every clip the same "
                "code; centre faster (lower task.dino.centre_momentum), raise task.dino.teacher_temperature_final, "
                "or lower optim.lr"
            )
        elif value > high:
            problems.append(
                f"{name} is {value:.3f} nats (above {high:.3f} of ln({dino_out}) = {math.log(dino_out):.3f}): "
                "the teacher is uniform; sharpen it (lower task.dino.teacher_temperature and _final), centre "
                "more slowly (raise task.dino.centre_momentum), or train longer"
            )
    spread = monitors.get("feature_std")
    if spread is not None and spread < limits["min_feature_std"]:
        problems.append(
            f"feature_std is {spread:.3f} (below {limits['min_feature_std']}): every clip maps to nearly "
            "the same feature; raise task.ema.momentum, lower optim.lr, or use a harder mask "
            "(task.mask.ratio, task.mask.kind=blocks)"
        )
    return problems
