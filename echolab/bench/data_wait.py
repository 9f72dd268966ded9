"""How much of a training epoch waits for data, with the experiment's own loaders (workers, batch size,
clips, augmentation) and model, in a Lightning Trainer as `make train` runs it (validation off: a
training epoch alone is measured).

The wait before a step is the time from the end of the previous step (or the epoch's start) to the
start of this one: the loop fetching the next batch from the loader, plus Lightning's bookkeeping
between steps (which the lightning_overhead benchmark measures on its own). The first epoch includes
starting the loader's workers; later ones show the steady state.
"""

from __future__ import annotations

import os
import time

import torch
from lightning.pytorch.callbacks import Callback

from echolab.bench.default_experiments import training_only_trainer


class _WaitClock(Callback):
    """Per epoch: its length and the gaps before each of its steps."""

    def __init__(self):
        self.epochs: list[dict] = []
        self._mark = 0.0

    def on_train_epoch_start(self, *args) -> None:
        self._mark = time.perf_counter()
        self.epochs.append({"began": self._mark, "waits": []})

    def on_train_batch_start(self, *args) -> None:
        self.epochs[-1]["waits"].append(time.perf_counter() - self._mark)

    def on_train_batch_end(self, *args) -> None:
        self._mark = time.perf_counter()

    def on_train_epoch_end(self, *args) -> None:
        self.epochs[-1]["seconds"] = time.perf_counter() - self.epochs[-1]["began"]


def bench_data_wait(plain: dict, entry, datamodule, *, epochs: int = 2) -> dict:
    """Each epoch's wait fraction (total wait / epoch time), steps and seconds; `wait_fraction`: the last
    epoch's, the steady state."""
    load_before = os.getloadavg()[0]
    clock = _WaitClock()
    trainer = training_only_trainer([clock], max_epochs=epochs)
    trainer.fit(entry.module.from_config(plain, datamodule), datamodule=datamodule)
    measured = [
        {
            "steps": len(epoch["waits"]),
            "seconds": epoch["seconds"],
            "wait_seconds": sum(epoch["waits"]),
            "first_wait_seconds": epoch["waits"][0],
            "wait_fraction": sum(epoch["waits"]) / epoch["seconds"],
        }
        for epoch in clock.epochs
    ]
    data = plain["data"]
    return {
        "loader": {k: data[k] for k in ("batch_size", "num_workers", "clips_per_video", "size", "clip")},
        "threads": torch.get_num_threads(),
        "load_1min": {"before": load_before, "after": os.getloadavg()[0]},
        "epochs": measured,
        "wait_fraction": measured[-1]["wait_fraction"],
        "goal": "wait_fraction < 0.05",
    }
