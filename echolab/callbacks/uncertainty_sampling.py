"""Feeds each training step's clip uncertainties back into the segment bank of the uncertainty sampler."""

from __future__ import annotations

import lightning as L
from lightning.pytorch.callbacks import Callback

from echolab.data.samplers import SegmentBankSampler
from echolab.errors import ConfigError


class UncertaintySampling(Callback):
    """After every training batch: bank[video][segment of centre] <- certainty 1 − u of that clip.

    The task's training_step returns {"loss", "uncertainty"} (one value per clip); the batch carries
    each clip's video `index` and `centre` frame. Under DDP each process keeps its own bank for the
    videos it trains on.
    """

    def on_train_start(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        if not isinstance(self._sampler(trainer), SegmentBankSampler):
            raise ConfigError(
                "the uncertainty-sampling callback needs data.sampler=uncertainty "
                "(the data module's train_sampler is not a SegmentBankSampler)"
            )

    def on_train_batch_end(self, trainer: L.Trainer, module, outputs, batch: dict, batch_idx: int) -> None:
        self._sampler(trainer).update(
            batch["index"].tolist(), batch["centre"].tolist(), outputs["uncertainty"].tolist()
        )

    @staticmethod
    def _sampler(trainer: L.Trainer):
        return getattr(trainer.datamodule, "train_sampler", None)
