"""The teacher side shared by every pretraining method: EMA copies, their momentum schedule, DINO's
teacher temperature and its centre of the teacher logits.

Each of these reads its numbers from the task config (DISCOVR.md K3: the reference ignored the momenta
it was given) and is a plain function of progress, defined however long training runs (N6: the
reference's 400-entry temperature table raised IndexError past epoch 400).
"""

from __future__ import annotations

import copy
import math

import torch
import torch.distributed as dist
from torch import nn

from echolab.errors import ConfigError


def ema_copy(module: nn.Module) -> nn.Module:
    """A frozen copy of `module` that only EMA updates change (never the optimiser)."""
    teacher = copy.deepcopy(module)
    teacher.requires_grad_(False)
    return teacher


@torch.no_grad()
def ema_update(teacher: nn.Module, student: nn.Module, momentum: float) -> None:
    """teacher ← momentum · teacher + (1 − momentum) · student, parameter by parameter."""
    for target, source in zip(teacher.parameters(), student.parameters(), strict=True):
        target.lerp_(source.detach(), 1.0 - momentum)


def ema_momentum(step: int, total_steps: int, start: float, end: float) -> float:
    """DINO's cosine ramp of the EMA momentum from `start` at step 0 to `end` at the last step (N5);
    start == end keeps it constant. Past `total_steps` it stays at `end`."""
    progress = min(1.0, step / max(1, total_steps))
    return end - (end - start) * (math.cos(math.pi * progress) + 1.0) / 2.0


def initial_share(total_steps: int, start: float, end: float) -> float:
    """The weight the teachers' initial (random) weights keep after `total_steps` EMA updates of the
    ramp from `start` to `end`: the product of the momenta. DINO's 0.996 over 125 k steps leaves
    nothing; 0.99 over a CPU run's 176 steps leaves 0.41, so a probe of the teacher reads a blend of the
    trained encoder and its random initialisation."""
    share = 1.0
    for step in range(max(0, total_steps)):
        share *= ema_momentum(step, total_steps, start, end)
    return share


def teacher_temperature(epoch: float, start: float, end: float, warmup_epochs: float) -> float:
    """DINO's teacher temperature: linear from `start` to `end` over `warmup_epochs`, then `end`."""
    if warmup_epochs <= 0 or epoch >= warmup_epochs:
        return end
    return start + (end - start) * epoch / warmup_epochs


def check_momentum(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ConfigError(f"{name} must be in [0, 1], got {value}")


class Centre(nn.Module):
    """DINO's centre: an EMA of the mean raw teacher *logits* (N4: the reference averaged softmaxed
    probabilities), subtracted from the teacher logits before its temperature softmax."""

    def __init__(self, dim: int, momentum: float):
        super().__init__()
        check_momentum("task.dino.centre_momentum", momentum)
        self.momentum = momentum
        self.register_buffer("centre", torch.zeros(1, dim))

    def probabilities(self, logits: torch.Tensor, temperature: float) -> torch.Tensor:
        return torch.softmax((logits - self.centre) / temperature, dim=-1)

    @torch.no_grad()
    def update(self, logits: torch.Tensor) -> None:
        mean = logits.float().mean(dim=0, keepdim=True)
        if dist.is_available() and dist.is_initialized():
            dist.all_reduce(mean)
            mean /= dist.get_world_size()
        self.centre.mul_(self.momentum).add_(mean, alpha=1.0 - self.momentum)
