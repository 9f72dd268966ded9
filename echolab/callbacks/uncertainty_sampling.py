"""Feeds each training step's clip uncertainties back into the segment bank of the uncertainty sampler."""

from __future__ import annotations

import lightning as L
from lightning.pytorch.callbacks import Callback

from echolab.data.samplers import SegmentBankSampler
from echolab.distributed import from_every_process
from echolab.errors import ConfigError


class UncertaintySampling(Callback):
    """After every training batch: bank[video][segment of centre] <- certainty 1 − u of that clip.

    The task's training_step returns {"loss", "uncertainty"} (one value per clip); the batch carries
    each clip's video `index` and `centre` frame. Under DDP every process applies every process's
    updates, in rank order, so all hold the same bank: each draws its share of an epoch from the same
    list (Lightning's DistributedSamplerWrapper lists the sampler's draws at the epoch's start and
    deals them out), and the bank rank 0 checkpoints is the one every process sampled from.
    """

    def on_train_start(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        if not isinstance(self._sampler(trainer), SegmentBankSampler):
            raise ConfigError(
                "the uncertainty-sampling callback needs data.sampler=uncertainty "
                "(the data module's train_sampler is not a SegmentBankSampler)"
            )

    def on_train_batch_end(self, trainer: L.Trainer, module, outputs, batch: dict, batch_idx: int) -> None:
        update = (batch["index"].tolist(), batch["centre"].tolist(), outputs["uncertainty"].tolist())
        for videos, centres, uncertainties in from_every_process(update):
            self._sampler(trainer).update(videos, centres, uncertainties)

    @staticmethod
    def _sampler(trainer: L.Trainer):
        return getattr(trainer.datamodule, "train_sampler", None)
