"""After a pretraining run's test pass: plots of the loss terms and the collapse monitors per epoch.

The final held-out terms and monitors reach metrics.json through the module's val_report and
test_report (train.py); the per-epoch values come from the module's history (kept in checkpoints).
"""

from __future__ import annotations

import lightning as L

from echolab.callbacks.report import ReportWriter
from echolab.plots import plot_curves

MONITORS = ("prototypes_used", "image_teacher_entropy", "video_teacher_entropy", "feature_std")


def history_curves(history: list[dict], split: str, names) -> dict[str, tuple[list, list]]:
    """name -> (epochs, values) of each of `names` that the history's `split` entries hold."""
    curves = {}
    for name in names:
        points = [(entry["epoch"], entry[split][name]) for entry in history if name in entry.get(split, {})]
        if points:
            curves[f"{split} {name}"] = tuple(map(list, zip(*points, strict=True)))
    return curves


class PretrainReportWriter(ReportWriter):
    def write(self, trainer: L.Trainer, module) -> None:
        history = module.history
        if not history:  # a checkpoint saved before its first epoch ended
            return
        terms = [name for name in history[-1]["train"] if name not in MONITORS]
        losses = history_curves(history, "train", terms) | history_curves(history, "val", ["loss"])
        plot_curves(
            losses, self.run_dir / "plots" / "loss_terms.png", "pretraining loss terms", "loss", log=True
        )
        for name in MONITORS:
            curves = history_curves(history, "train", [name]) | history_curves(history, "val", [name])
            if curves:
                plot_curves(curves, self.run_dir / "plots" / f"{name}.png", f"collapse monitor: {name}", name)
