"""The kNN score of the EMA encoder during pretraining: collapse and progress, watched rather than hoped for.

At the end of every `every_n_epochs`-th epoch's validation, each labelled validation video is classified by its k nearest
training videos (weighted kNN, as `echolab probe` does it: cosine, votes exp(similarity / T)) on the
EMA teacher's CLS or mean token of `clips` clips per video, made by the checkpoint's own evaluation
transform. Logged as knn/<target>_macro_f1 and knn/<target>_acc, before the checkpoint callback looks
at the epoch's scores, so `task.monitor` may name one (with every_n_epochs=1: the checkpoint callback
needs it every epoch). It draws nothing from the training random streams, so a run with it trains
exactly as one without.
"""

from __future__ import annotations

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback

from echolab.data.clips import ClipSpec
from echolab.errors import ConfigError
from echolab.probe.features import encoder_features
from echolab.probe.knn import knn_predict
from echolab.probe.metrics import classification_metrics
from echolab.probe.targets import probe_target
from echolab.tasks.pretrain.datamodule import eval_transform


class KNNMonitor(Callback):
    def __init__(
        self,
        target: str = "ef_category",
        every_n_epochs: int = 5,
        k: int = 20,
        temperature: float = 0.07,
        pool: str = "cls",
        clips: int = 1,
        batch_size: int = 16,
    ):
        if (
            every_n_epochs < 1
            or k < 1
            or clips < 1
            or batch_size < 1
            or temperature <= 0
            or pool not in ("cls", "mean")
        ):
            raise ConfigError(
                "callbacks.knn_monitor needs every_n_epochs, k, clips, batch_size >= 1, temperature > 0 and "
                f"pool cls or mean; got every_n_epochs={every_n_epochs}, k={k}, clips={clips}, "
                f"batch_size={batch_size}, temperature={temperature}, pool={pool}"
            )
        self.target_name, self.every_n_epochs, self.k, self.temperature = (
            target,
            every_n_epochs,
            k,
            temperature,
        )
        self.pool, self.clips, self.batch_size = pool, clips, batch_size

    def setup(self, trainer: L.Trainer, module, stage: str) -> None:
        if not hasattr(module, "encoder_ema"):
            raise ConfigError(
                f"callbacks.knn_monitor watches a pretraining task's EMA encoder; the {module.task_name} task has "
                "none. Remove knn_monitor from the experiment's callbacks"
            )
        monitored = trainer.checkpoint_callback.monitor if trainer.checkpoint_callback else None
        if monitored and monitored.startswith("knn/") and self.every_n_epochs != 1:
            raise ConfigError(
                f"task.monitor={monitored} is scored every {self.every_n_epochs} epochs, but the checkpoint "
                "callback looks for it every epoch: set callbacks.knn_monitor.every_n_epochs=1"
            )
        if stage == "fit":  # labels are checked before the first epoch, not when the first score is due
            datamodule = trainer.datamodule
            self.target = probe_target(self.target_name, datamodule.classes)
            self.values = {
                split: self.target.values(
                    datamodule.records(split),
                    f"{datamodule.index.root} ({split} split)",
                    "callbacks.knn_monitor.target",
                )
                for split in ("train", "val")
            }

    def on_validation_epoch_end(self, trainer: L.Trainer, module) -> None:
        fitting = trainer.state.fn == "fit" and not trainer.sanity_checking
        if not fitting or (trainer.current_epoch + 1) % self.every_n_epochs:
            return
        datamodule, preprocess = trainer.datamodule, module.hparams.preprocess
        with torch.random.fork_rng(devices=[]):  # the DataLoader below draws a seed from torch's stream
            features = {
                split: encoder_features(
                    {"teacher": module.encoder_ema},
                    datamodule.records(split),
                    datamodule.cache,
                    spec=ClipSpec(**preprocess["clip"]),
                    transform=eval_transform(preprocess),
                    clips=self.clips,
                    batch_size=self.batch_size,
                    desc=f"kNN monitor: {split}",
                )[f"teacher/{self.pool}"]
                for split in ("train", "val")
            }
        predicted, _ = knn_predict(
            features["train"],
            self.values["train"],
            features["val"],
            k=self.k,
            temperature=self.temperature,
            num_classes=len(self.target.classes),
        )
        scores = classification_metrics(self.values["val"], predicted, self.target.classes)
        name = self.target.name
        module.log_dict({f"knn/{name}_macro_f1": scores["macro_f1"], f"knn/{name}_acc": scores["acc"]})
