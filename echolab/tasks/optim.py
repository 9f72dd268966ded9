"""Optimizer + learning-rate schedule shared by every task: linear warm-up, then cosine or steps, per step."""

from __future__ import annotations

import torch

from echolab.errors import ConfigError, check_choice

OPTIMIZERS = {
    "adamw": lambda params, o: torch.optim.AdamW(
        params, lr=o["lr"], weight_decay=o["weight_decay"], betas=tuple(o.get("betas", (0.9, 0.999)))
    ),
    "adam": lambda params, o: torch.optim.Adam(params, lr=o["lr"], weight_decay=o["weight_decay"]),
    "sgd": lambda params, o: torch.optim.SGD(
        params, lr=o["lr"], weight_decay=o["weight_decay"], momentum=o.get("momentum", 0.9), nesterov=True
    ),
}


def _plan(optim: dict, total_steps: int, max_epochs: int) -> tuple[int, float, int]:
    """(total steps, steps per epoch, warm-up steps) of a schedule over `max_epochs` epochs."""
    total_steps = max(1, total_steps)
    steps_per_epoch = total_steps / max(1, max_epochs)
    return (
        total_steps,
        steps_per_epoch,
        min(total_steps - 1, round(steps_per_epoch * optim.get("warmup_epochs", 0))),
    )


def configure_optimization(params, optim: dict, total_steps: int, max_epochs: int) -> dict:
    """Lightning's `configure_optimizers` answer for `optim` (the experiment's `optim:` block).

    Warm-up is given in epochs (as papers state it) and applied per step, so short CPU runs with a
    handful of epochs still get a smooth schedule.
    """
    check_choice("optim.name", optim["name"], sorted(OPTIMIZERS))
    optimizer = OPTIMIZERS[optim["name"]](params, optim)
    if optim.get("scheduler", "none") == "none":
        return {"optimizer": optimizer}
    total_steps, steps_per_epoch, warmup = _plan(optim, total_steps, max_epochs)
    if optim["scheduler"] == "cosine":
        decay = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, total_steps - warmup))
    elif optim["scheduler"] == "multistep":
        # Milestones are epochs from the start of training; SequentialLR restarts the count after warm-up.
        milestones = [
            max(1, round(steps_per_epoch * epoch) - warmup) for epoch in optim.get("milestones", [])
        ]
        if not milestones:
            raise ConfigError("optim.scheduler 'multistep' needs optim.milestones (epochs), e.g. [20, 27]")
        decay = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones, gamma=optim.get("gamma", 0.1))
    else:
        raise ConfigError(
            f"optim.scheduler '{optim['scheduler']}' is unknown; choose cosine, multistep or none"
        )
    if warmup > 0:
        linear = torch.optim.lr_scheduler.LinearLR(
            optimizer, start_factor=optim.get("warmup_start_factor", 0.1), total_iters=warmup
        )
        schedule = torch.optim.lr_scheduler.SequentialLR(optimizer, [linear, decay], milestones=[warmup])
    else:
        schedule = decay
    return {"optimizer": optimizer, "lr_scheduler": {"scheduler": schedule, "interval": "step"}}


def stretch_to_plan(schedule, optim: dict, total_steps: int, max_epochs: int) -> None:
    """Make a restored schedule's cosine decay end at this run's last step.

    A run resumed with a raised trainer.max_epochs restores the decay of its first plan, which would
    reach 0 at the old last step and then rise again. Its length is set anew and its progress kept:
    the cosine update goes on from the checkpoint's learning rate, smoothly, to 0 at the new end. A
    run that was not resumed, or kept its length, is left as it is.
    """
    if schedule is None or optim.get("scheduler") != "cosine":
        return
    total_steps, _, warmup = _plan(optim, total_steps, max_epochs)
    for part in getattr(schedule, "_schedulers", [schedule]):  # SequentialLR: warm-up, then the decay
        if isinstance(part, torch.optim.lr_scheduler.CosineAnnealingLR):
            part.T_max = max(1, total_steps - warmup)
