"""What `train`, `evaluate` and `predict` need to know about each task, keyed by `task.name`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import lightning as L
from lightning.pytorch.callbacks import Callback

from echolab.errors import ConfigError
from echolab.tasks.keyframe.datamodule import KeyframeDataModule, keyframe_preprocess
from echolab.tasks.keyframe.module import KeyframeTask
from echolab.tasks.keyframe.report import KeyframeReportWriter
from echolab.tasks.view.datamodule import ViewDataModule, view_preprocess
from echolab.tasks.view.module import ViewClassificationTask
from echolab.tasks.view.report import ViewReportWriter


@dataclass(frozen=True)
class Recipe:
    datamodule: Callable[[dict], L.LightningDataModule]
    module: Callable[[dict, L.LightningDataModule], L.LightningModule]
    module_class: type[L.LightningModule]
    report: Callable[[Path], Callback]  # writes predictions.csv and plots after a test pass
    headline: tuple[str, ...]  # the metrics printed in the end-of-run summary


def _view_module(cfg: dict, datamodule: ViewDataModule) -> ViewClassificationTask:
    return ViewClassificationTask(
        model=cfg["model"],
        classes=datamodule.classes,
        optim=cfg["optim"],
        preprocess=view_preprocess(cfg["data"]),
        loss=cfg["task"]["loss"],
        label_smoothing=cfg["task"]["label_smoothing"],
        fusion=cfg["task"]["fusion"],
        prior_weight=cfg["task"]["prior_weight"],
        kl_anneal_epochs=cfg["task"]["kl_anneal_epochs"],
        calibration_bins=cfg["task"]["calibration_bins"],
    )


def _keyframe_module(cfg: dict, datamodule: KeyframeDataModule) -> KeyframeTask:
    return KeyframeTask(
        model=cfg["model"],
        optim=cfg["optim"],
        preprocess=keyframe_preprocess(cfg["data"]),
        peaks=cfg["task"]["peaks"],
        tolerance_s=cfg["task"]["tolerance_s"],
    )


RECIPES: dict[str, Recipe] = {
    "view": Recipe(
        datamodule=lambda cfg: ViewDataModule(cfg["data"]),
        module=_view_module,
        module_class=ViewClassificationTask,
        report=ViewReportWriter,
        headline=("acc", "macro_f1", "macro_precision", "macro_recall"),
    ),
    "keyframe": Recipe(
        datamodule=lambda cfg: KeyframeDataModule(cfg["data"]),
        module=_keyframe_module,
        module_class=KeyframeTask,
        report=KeyframeReportWriter,
        headline=("afd", "afd_ed", "afd_es", "detection_rate", "missed", "spurious"),
    ),
}


def recipe(name: str) -> Recipe:
    if name not in RECIPES:
        raise ConfigError(f"task.name '{name}' is unknown; available tasks: {', '.join(RECIPES)}")
    return RECIPES[name]
