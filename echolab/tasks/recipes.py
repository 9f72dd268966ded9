"""What `train`, `evaluate` and `predict` need to know about each task, keyed by `task.name`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import lightning as L
from lightning.pytorch.callbacks import Callback

from echolab.callbacks.view_report import ViewReportWriter
from echolab.data.datamodules import ViewDataModule, view_preprocess
from echolab.errors import ConfigError
from echolab.tasks.view import ViewClassificationTask


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
    )


RECIPES: dict[str, Recipe] = {
    "view": Recipe(
        datamodule=lambda cfg: ViewDataModule(cfg["data"]),
        module=_view_module,
        module_class=ViewClassificationTask,
        report=ViewReportWriter,
        headline=("acc", "macro_f1", "macro_precision", "macro_recall"),
    ),
}


def recipe(name: str) -> Recipe:
    if name not in RECIPES:
        raise ConfigError(f"task.name '{name}' is unknown; available tasks: {', '.join(RECIPES)}")
    return RECIPES[name]


def task_of_checkpoint(module_class_name: str) -> str:
    for name, entry in RECIPES.items():
        if entry.module_class.__name__ == module_class_name:
            return name
    raise ConfigError(f"checkpoint holds a {module_class_name}, which no echolab task knows")
