"""One entry per task: everything `train`, `evaluate` and `predict` need to know about it.

Adding a task is one folder under tasks/ (its data module, LightningModule, report and predict writer)
plus one entry in TASKS below; `task.name` in an experiment picks the entry, and a checkpoint names
its own (tasks/base.py writes it), so `echolab predict` needs nothing but the file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lightning.pytorch.callbacks import Callback
from torch.utils.data import DataLoader

from echolab.data.datamodule import VideoDataModule
from echolab.errors import ConfigError
from echolab.tasks.base import EcholabTask
from echolab.tasks.keyframe import datamodule as keyframe_data
from echolab.tasks.keyframe import metrics as keyframe_metrics
from echolab.tasks.keyframe import module as keyframe_module
from echolab.tasks.keyframe import predict as keyframe_predict
from echolab.tasks.keyframe import report as keyframe_report
from echolab.tasks.pretrain import datamodule as pretrain_data
from echolab.tasks.pretrain import module as pretrain_module
from echolab.tasks.pretrain import predict as pretrain_predict
from echolab.tasks.pretrain import report as pretrain_report
from echolab.tasks.view import datamodule as view_data
from echolab.tasks.view import metrics as view_metrics
from echolab.tasks.view import module as view_module
from echolab.tasks.view import predict as view_predict
from echolab.tasks.view import report as view_report


@dataclass(frozen=True)
class Task:
    name: str
    datamodule: type[VideoDataModule]  # built from the experiment's `data:` block and its seed
    module: type[EcholabTask]  # `from_config(cfg, datamodule)`; `load_from_checkpoint(path)`
    preprocess: Callable[[dict], dict]  # `data:` block -> what a checkpoint keeps to prepare new videos
    report: Callable[[Path], Callback]  # writes predictions.csv and plots after a test pass
    predict_loader: Callable[..., DataLoader]  # (paths, preprocess, cache, batch_size) -> unlabelled inputs
    write_predictions: Callable[..., None]  # (csv, paths, predict outputs, module): prints one line a video
    headline: tuple[str, ...]  # the metrics printed in the end-of-run summary
    # (per-video rows, **settings) -> the headline test metrics, flat (`per_class.A4C.f1`); the module's
    # test_scores() gives rows and settings; bootstrap intervals and compare's paired differences resample it.
    # None: a task without per-video test metrics (pretraining: its probes are scored by `echolab probe`)
    scores: Callable[..., dict[str, float | None]] | None = None


TASKS: dict[str, Task] = {
    "view": Task(
        name="view",
        datamodule=view_data.ViewDataModule,
        module=view_module.ViewClassificationTask,
        preprocess=view_data.view_preprocess,
        report=view_report.ViewReportWriter,
        predict_loader=view_data.predict_loader,
        write_predictions=view_predict.write_predictions,
        headline=("acc", "macro_f1", "macro_precision", "macro_recall"),
        scores=view_metrics.video_scores,
    ),
    "keyframe": Task(
        name="keyframe",
        datamodule=keyframe_data.KeyframeDataModule,
        module=keyframe_module.KeyframeTask,
        preprocess=keyframe_data.keyframe_preprocess,
        report=keyframe_report.KeyframeReportWriter,
        predict_loader=keyframe_data.predict_loader,
        write_predictions=keyframe_predict.write_predictions,
        headline=("afd", "afd_ed", "afd_es", "detection_rate", "missed", "spurious"),
        scores=keyframe_metrics.video_scores,
    ),
    # Pretraining has no labels to predict (`echolab embed` gives features); its report plots the loss
    # terms and collapse monitors per epoch, and metrics.json holds the held-out terms and monitors.
    "pretrain": Task(
        name="pretrain",
        datamodule=pretrain_data.PretrainDataModule,
        module=pretrain_module.PretrainTask,
        preprocess=pretrain_data.pretrain_preprocess,
        report=pretrain_report.PretrainReportWriter,
        predict_loader=pretrain_predict.no_predictions,
        write_predictions=pretrain_predict.no_predictions,
        headline=("loss", "prototypes_used", "feature_std"),
    ),
}


def task_entry(name: str) -> Task:
    if name not in TASKS:
        raise ConfigError(f"task.name '{name}' is unknown; available tasks: {', '.join(TASKS)}")
    return TASKS[name]
