"""Training budgets in CPU seconds, and why fitting ended.

A wall-clock budget (`trainer.max_time`, Lightning's Timer) is fair only when the machine is equally
busy for every run it compares; on a shared machine a run that trained while others were busy got less.
CPU seconds count the work a run did, however busy the machine was: `run.max_cpu_s` stops fitting once
the training process (all its threads) and the processes it started (data-loader workers) have used
that much CPU since training began, validation included, like max_time.
"""

from __future__ import annotations

import resource
import time

import lightning as L
import psutil
from lightning.pytorch.callbacks import Callback, EarlyStopping, Timer

from echolab.errors import ConfigError


def cpu_seconds() -> float:
    """CPU seconds (user + system) used so far by this process and every process it started."""
    ended = resource.getrusage(resource.RUSAGE_CHILDREN)  # children that have exited and been reaped
    running = 0.0
    for child in psutil.Process().children(recursive=True):
        try:
            times = child.cpu_times()
        except psutil.Error:  # it exited meanwhile
            continue
        running += times.user + times.system
    return time.process_time() + ended.ru_utime + ended.ru_stime + running


class CpuBudget(Callback):
    """Measures the CPU seconds of fitting; with `seconds`, stops fitting once they are spent (checked
    after every training batch and epoch, as Lightning's Timer checks max_time)."""

    def __init__(self, seconds: float | None = None):
        if seconds is not None and (
            isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds <= 0
        ):
            raise ConfigError(
                f"run.max_cpu_s must be a positive number of CPU seconds or null, got {seconds!r}"
            )
        self.seconds = seconds
        self.used = 0.0  # CPU seconds of fitting so far (kept in checkpoints: a resumed run goes on counting)
        self.reached = False
        self._began: float | None = None
        self._offset = 0.0

    def on_train_start(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        self._began = cpu_seconds()

    def on_train_batch_end(self, trainer: L.Trainer, *args) -> None:
        self._check(trainer)

    def on_train_epoch_end(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        self._check(trainer)

    def on_train_end(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        self._measure()

    def state_dict(self) -> dict:
        return {"used": self.used}

    def load_state_dict(self, state_dict: dict) -> None:
        self._offset = state_dict.get("used", 0.0)

    def _measure(self) -> None:
        if self._began is not None:
            self.used = self._offset + cpu_seconds() - self._began

    def _check(self, trainer: L.Trainer) -> None:
        self._measure()
        if self.seconds is None:
            return
        reached = trainer.strategy.broadcast(self.used >= self.seconds)
        if reached and not self.reached and trainer.is_global_zero:
            print(f"CPU budget of {self.seconds:g} s reached ({self.used:.1f} s used): stopping training")
        self.reached = self.reached or reached
        trainer.should_stop = trainer.should_stop or reached


def fit_record(trainer: L.Trainer) -> dict:
    """What metrics.json records of fitting: its CPU seconds and what ended it (cpu budget | time
    budget | early stopping | max_epochs)."""
    callbacks = trainer.callbacks
    budget = next((c for c in callbacks if isinstance(c, CpuBudget)), None)
    timer = next((c for c in callbacks if isinstance(c, Timer)), None)
    if budget is not None and budget.reached:
        stopped_by = "cpu budget"
    elif timer is not None and timer.time_remaining() is not None and timer.time_remaining() <= 0:
        stopped_by = "time budget"
    elif any(isinstance(c, EarlyStopping) and c.stopped_epoch > 0 for c in callbacks):
        stopped_by = "early stopping"
    else:
        stopped_by = "max_epochs"
    return {"fit_cpu_seconds": round(budget.used, 1) if budget else None, "stopped_by": stopped_by}
