"""After a view test pass: predictions.csv, confusion-matrix and per-class PNGs (W&B upload: wandb_upload.py)."""

from __future__ import annotations

import csv
from pathlib import Path

import lightning as L

from echolab.atomic import atomic_path
from echolab.callbacks.report import ReportWriter
from echolab.plots import plot_confusion_matrix, plot_per_class


def write_view_predictions(path: Path, names: list[str], rows: list[dict], classes: list[str]) -> Path:
    """One row per video: file, label, prediction, probability of each class, uncertainty."""
    with atomic_path(path) as temporary, temporary.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "file",
                "label",
                "prediction",
                "correct",
                "confidence",
                "uncertainty",
                *[f"p_{c}" for c in classes],
            ]
        )
        for name, row in zip(names, rows, strict=True):
            probs = row["probs"]
            predicted = max(range(len(probs)), key=probs.__getitem__)
            label = classes[row["label"]] if row.get("label", -1) >= 0 else ""
            writer.writerow(
                [
                    name,
                    label,
                    classes[predicted],
                    int(label == classes[predicted]) if label else "",
                    f"{probs[predicted]:.4f}",
                    f"{row['uncertainty']:.4f}",
                    *[f"{p:.4f}" for p in probs],
                ]
            )
    return path


class ViewReportWriter(ReportWriter):
    def write(self, trainer: L.Trainer, module) -> None:
        records = trainer.datamodule.records("test")
        names = [records[row["index"]].name for row in module.test_rows]
        write_view_predictions(self.run_dir / "predictions.csv", names, module.test_rows, module.classes)
        report = module.test_report
        plot_confusion_matrix(
            report["confusion_matrix"],
            module.classes,
            self.run_dir / "plots" / "confusion_matrix.png",
            f"test: accuracy {report['acc']:.3f}, macro-F1 {report['macro_f1']:.3f}",
        )
        plot_per_class(
            report["per_class"], self.run_dir / "plots" / "per_class.png", "test metrics per class"
        )
