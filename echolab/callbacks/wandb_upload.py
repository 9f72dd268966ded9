"""After the final test pass, send a run's report files to W&B, so task report writers need no W&B code.

A task's report callback writes `predictions.csv` and `plots/*.png` into the run folder; this callback,
placed after it, sends W&B the same things (the resolved config is already the W&B run's config, see
`echolab.loggers.build_loggers`):
  - the judged checkpoint's scalar validation and test metrics as the run summary (`val/acc`, `test/acc`,
    ...), the same numbers as metrics.json, so a W&B sweep reads its metric where a local sweep does,
    with each test metric's 95 % bootstrap interval beside it (`test/acc_ci_low`, `test/acc_ci_high`);
  - every per-class table of the test report (`per_class`) and the confusion matrix as W&B tables;
  - every PNG in `<run>/plots/` as an image (`plots/<name>`): confusion matrix, per-class bars, ED/ES curves;
  - `predictions.csv` as a table (`test/predictions`).
Then it finishes the W&B run, so the next run in the same process (a notebook, the tests) starts its own.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import lightning as L
from lightning.pytorch.callbacks import Callback

from echolab.loggers import wandb_logger


def scalar_summary(reports: dict[str, dict]) -> dict[str, float]:
    """`{"val": {"acc": 0.9, "per_class": {...}}}` -> `{"val/acc": 0.9}`: the finite numbers of each
    report (an undefined metric, NaN, is left out as metrics.json leaves it null), and each bootstrap
    interval of `intervals` as two numbers: `test/acc_ci_low`, `test/acc_ci_high`, and
    `test/per_class/A4C/f1_ci_low` for a per-class one."""
    summary = {
        f"{split}/{name}": float(value)
        for split, report in reports.items()
        for name, value in report.items()
        if _finite(value)
    }
    for split, report in reports.items():
        for path, interval in _leaves(report.get("intervals") or {}):
            if interval is not None and all(_finite(bound) for bound in interval):
                summary |= {f"{split}/{path}_ci_low": interval[0], f"{split}/{path}_ci_high": interval[1]}
    return summary


def _finite(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _leaves(tree: dict, prefix: str = ""):
    """(path, [low, high]) of each interval in metrics.json's nested `intervals` block."""
    for name, value in tree.items():
        if isinstance(value, dict):
            yield from _leaves(value, f"{prefix}{name}/")
        else:
            yield f"{prefix}{name}", value


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def read_table(path: Path) -> tuple[list[str], list[list]]:
    """A CSV's header and rows; a column becomes numbers only when every cell in it is one (W&B tables
    refuse columns that mix numbers and text, e.g. keyframe lists `40` and `3;40`); empty cells of a
    numeric column become None."""
    with path.open(newline="") as handle:
        header, *rows = list(csv.reader(handle))
    numeric = [all(row[i] == "" or _number(row[i]) is not None for row in rows) for i in range(len(header))]
    return header, [[_number(cell) if numeric[i] else cell for i, cell in enumerate(row)] for row in rows]


class WandbUpload(Callback):
    def __init__(self, run_dir: Path):
        self.run_dir = Path(run_dir)

    def on_test_end(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        logger = wandb_logger(trainer.loggers)
        if logger is None or not trainer.is_global_zero:
            return
        test_report = getattr(module, "test_report", None) or {}
        reports = {"val": getattr(module, "val_report", None) or {}, "test": test_report}
        logger.experiment.summary.update(scalar_summary(reports))
        self._log_report_tables(logger, test_report, list(getattr(module, "classes", [])))
        for png in sorted((self.run_dir / "plots").glob("*.png")):
            logger.log_image(key=f"plots/{png.stem}", images=[str(png)])
        predictions = self.run_dir / "predictions.csv"
        if predictions.is_file():
            columns, rows = read_table(predictions)
            logger.log_table(key="test/predictions", columns=columns, data=rows)
        logger.experiment.finish()

    def on_exception(self, trainer: L.Trainer, module: L.LightningModule, exception: BaseException) -> None:
        logger = wandb_logger(trainer.loggers)
        if logger is not None and trainer.is_global_zero:
            logger.experiment.finish(exit_code=1)

    @staticmethod
    def _log_report_tables(logger, report: dict, classes: list[str]) -> None:
        per_class = report.get("per_class")
        if per_class:
            metrics = list(next(iter(per_class.values())))
            rows = [[name, *(values[m] for m in metrics)] for name, values in per_class.items()]
            logger.log_table(key="test/per_class", columns=["class", *metrics], data=rows)
        matrix = report.get("confusion_matrix")
        if matrix and len(classes) == len(matrix):
            rows = [[true, *counts] for true, counts in zip(classes, matrix, strict=True)]
            logger.log_table(key="test/confusion_matrix", columns=["true \\ predicted", *classes], data=rows)
