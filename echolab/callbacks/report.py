"""The shape of every task's report: after the test pass, the main process writes predictions.csv and
plots into the run folder (the W&B upload callback then sends what was written)."""

from __future__ import annotations

from pathlib import Path

import lightning as L
from lightning.pytorch.callbacks import Callback


class ReportWriter(Callback):
    def __init__(self, run_dir: Path):
        self.run_dir = Path(run_dir)

    def on_test_end(self, trainer: L.Trainer, module) -> None:
        if trainer.is_global_zero:  # rows are gathered from every process already (tasks/base.py)
            self.write(trainer, module)

    def write(self, trainer: L.Trainer, module) -> None:
        raise NotImplementedError
