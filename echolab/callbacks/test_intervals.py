"""After the test pass: the per-video rows behind the test metrics (`<run>/video_scores.json`) and their
bootstrap intervals, added to the module's test report as `intervals` and `bootstrap`.

It runs as a callback, before WandbUpload, so metrics.json, the printed summary and the W&B run summary
all read the same intervals from one report. Rank 0 alone writes the run folder.
"""

from __future__ import annotations

from pathlib import Path

import lightning as L
from lightning.pytorch.callbacks import Callback

from echolab.stats.run_scores import bootstrap_resamples, record_test_scores


class TestIntervals(Callback):
    def __init__(self, run_dir: Path, task: dict):
        self.run_dir = Path(run_dir)
        self.task_name = task["name"]
        self.resamples = bootstrap_resamples(task)

    def on_test_end(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        if trainer.is_global_zero:
            scored = record_test_scores(self.run_dir, self.task_name, module.test_scores(), self.resamples)
            module.test_report = module.test_report | scored
