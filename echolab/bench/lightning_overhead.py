"""What Lightning costs per training step: the experiment's own training step in a Lightning Trainer
against the same model, batch and optimizer in a plain PyTorch loop, side by side, as a ratio.

Both sides start from one copy of the freshly built model and step through the same batch (one batch of
the experiment's training loader, served again and again from memory, so data loading is not timed). The
Lightning side is everything a run pays per step: the task's `training_step` (its loss, and the accuracy
and uncertainty it logs), Lightning's hooks, optimizer closure and learning-rate schedule, and a CSV
logger at the experiment's `log_every_n_steps`. The plain side is forward, the same loss function,
backward, optimizer step and schedule step. A step's time is the time from one step's start to the
next's, in wall-clock and in CPU seconds of this process; the first `warmup` steps of each side are left
out, and sides alternate over `repeats` rounds. On a shared machine the CPU ratio is the steadier one:
other processes stretch wall-clock steps unevenly, while the CPU a step needs stays the same.
"""

from __future__ import annotations

import copy
import os
import statistics
import time
from pathlib import Path

import torch
from lightning.pytorch.callbacks import Callback
from lightning.pytorch.loggers import CSVLogger
from torch.utils.data import DataLoader, Dataset

from echolab.bench.default_experiments import training_only_trainer
from echolab.tasks.keyframe.module import masked_mse
from echolab.tasks.optim import configure_optimization
from echolab.tasks.view.losses import training_loss


def _view_loss(module, batch: dict) -> torch.Tensor:
    hp = module.hparams
    logits = module.model(batch["clip"]).float()
    return training_loss(
        hp.loss,
        logits,
        batch["label"],
        prior_weight=hp.prior_weight,
        epoch=0,
        kl_anneal_epochs=hp.kl_anneal_epochs,
        label_smoothing=hp.label_smoothing,
    )


def _keyframe_loss(module, batch: dict) -> torch.Tensor:
    return masked_mse(module.model(batch["clip"]).float().sigmoid(), batch["target"], batch["mask"])


# task name -> the loss its training_step minimises, written as a plain PyTorch loop would
PLAIN_LOSS = {"view": _view_loss, "keyframe": _keyframe_loss}


class _SameBatch(Dataset):
    def __init__(self, batch: dict, steps: int):
        self.batch, self.steps = batch, steps

    def __len__(self) -> int:
        return self.steps

    def __getitem__(self, index: int) -> dict:
        return self.batch


def _now() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


class _StepStarts(Callback):
    def __init__(self):
        self.times: list[tuple[float, float]] = []

    def on_train_batch_start(self, *args) -> None:
        self.times.append(_now())

    def on_train_end(self, *args) -> None:
        self.times.append(_now())


def bench_lightning_overhead(
    plain: dict, entry, datamodule, work: Path, *, steps: int = 10, repeats: int = 6, warmup: int = 2
) -> dict:
    """Median seconds per step on each side (wall clock and CPU), and their ratios Lightning / plain
    (1.0: no overhead)."""
    load_before = os.getloadavg()[0]
    batch = next(iter(datamodule.train_dataloader()))
    loader = DataLoader(_SameBatch(batch, steps), batch_size=None)
    built = entry.module.from_config(plain, datamodule)
    lightning_steps, plain_steps = [], []
    for round_ in range(repeats):
        sides = [("lightning", _lightning_steps), ("plain", _plain_steps)]
        for side, run in sides if round_ % 2 == 0 else reversed(sides):  # alternate who goes first
            times = run(copy.deepcopy(built), loader, plain, work, steps)[warmup:]
            (lightning_steps if side == "lightning" else plain_steps).extend(times)
    wall = [statistics.median(t[0] for t in side) for side in (lightning_steps, plain_steps)]
    cpu = [statistics.median(t[1] for t in side) for side in (lightning_steps, plain_steps)]
    return {
        "batch_size": len(batch["clip"]),
        "clip_shape": list(batch["clip"].shape[1:]),
        "steps_timed_per_side": len(plain_steps),
        "threads": torch.get_num_threads(),
        "load_1min": {"before": load_before, "after": os.getloadavg()[0]},
        "lightning_s_per_step": wall[0],
        "plain_s_per_step": wall[1],
        "ratio": wall[0] / wall[1],
        "lightning_cpu_s_per_step": cpu[0],
        "plain_cpu_s_per_step": cpu[1],
        "cpu_ratio": cpu[0] / cpu[1],
        "goal": "ratio <= 1.05 (cpu_ratio on a shared machine)",
    }


def _lightning_steps(module, loader: DataLoader, plain: dict, work: Path, steps: int) -> list[tuple]:
    clock = _StepStarts()
    trainer = training_only_trainer(
        [clock],
        max_steps=steps,
        max_epochs=1,
        logger=CSVLogger(work / "lightning-overhead"),  # logging is part of what Lightning costs
        log_every_n_steps=plain["trainer"]["log_every_n_steps"],
    )
    trainer.fit(module, train_dataloaders=loader, val_dataloaders=loader)  # (limit_val_batches=0: never run)
    return _durations(clock.times)


def _plain_steps(module, loader: DataLoader, plain: dict, work: Path, steps: int) -> list[tuple]:
    loss_of = PLAIN_LOSS[module.task_name]
    setup = configure_optimization(module.parameters(), plain["optim"], total_steps=steps, max_epochs=1)
    optimizer, schedule = setup["optimizer"], setup.get("lr_scheduler", {}).get("scheduler")
    module.train()
    times = []
    for batch in loader:
        times.append(_now())
        optimizer.zero_grad(set_to_none=True)
        loss_of(module, batch).backward()
        optimizer.step()
        if schedule is not None:
            schedule.step()
    times.append(_now())
    return _durations(times)


def _durations(times: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """(wall, cpu) seconds of each step, from consecutive step starts."""
    return [(b[0] - a[0], b[1] - a[1]) for a, b in zip(times, times[1:], strict=False)]
