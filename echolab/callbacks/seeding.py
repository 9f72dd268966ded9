"""Every training step starts from random state that depends only on (seed, epoch, batch, process)."""

from __future__ import annotations

import random

import lightning as L
import numpy as np
import torch
from lightning.pytorch.callbacks import Callback


class BatchSeeding(Callback):
    """Reseeds python's, numpy's and torch's global generators (CPU and every GPU) before each training
    batch from (the run's seed, the epoch, the batch, the process's rank).

    Dropout and anything else that draws from them in a training step then make the same draws in an
    uninterrupted run and in one resumed from a checkpoint, whatever consumed the generators in
    between (a DataLoader draws one number each time it starts an epoch without persistent workers),
    and without storing generator states in checkpoints; each DDP process draws its own. Clip
    placement and augmentation do not depend on these: they come from per-clip seeds the training
    samplers draw (data/samplers.py).
    """

    def __init__(self, seed: int):
        self.seed = seed

    def on_train_batch_start(
        self, trainer: L.Trainer, module: L.LightningModule, batch, batch_idx: int
    ) -> None:
        entropy = [self.seed, trainer.current_epoch, batch_idx, trainer.global_rank]
        state = int(np.random.SeedSequence(entropy).generate_state(1)[0])
        torch.manual_seed(state)
        np.random.seed(state)
        random.seed(state)
