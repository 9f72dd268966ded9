"""The data module every task builds on: open the dataset, decode it once, serve its splits.

A task's data module (tasks/<task>/datamodule.py) says only what is its own: which videos of a split
it can use (`select`), what it refuses (`check`), and the datasets and samplers its loaders serve. The
rest (synthetic data where echolab may make it, the frame cache, split checks, the data's provenance,
augmentation and the DataLoader settings) is written once, here.
"""

from __future__ import annotations

import lightning as L
import torch
from torch.utils.data import DataLoader, Dataset

from echolab.data.records import SPLITS, DatasetIndex, VideoRecord
from echolab.data.sources import data_provenance, ensure_dataset, open_decoded_dataset
from echolab.data.transforms import ClipTransform
from echolab.errors import DatasetError
from echolab.io.cache import FrameCache


class VideoDataModule(L.LightningDataModule):
    """`data` is the experiment's `data:` block; datasets receive `VideoRecord`s and the frame cache."""

    def __init__(self, data: dict):
        super().__init__()
        self.data = data
        self.cache = FrameCache(data["cache_dir"], size=data["cache_size"])
        self.index: DatasetIndex | None = None
        self.splits: dict[str, list[VideoRecord]] = {}
        self.provenance: dict = {}

    @property
    def classes(self) -> list[str]:
        """The model's outputs, in order (by default the dataset's classes)."""
        return self.index.classes

    def prepare_data(self) -> None:
        # Runs once per machine before `setup`: synthesis and decoding are done here, not in each process.
        # Lightning calls it again before every validate/test; the loaded index is reused.
        if self.index is None:
            ensure_dataset(self.data)
            self._load()

    def setup(self, stage: str | None = None) -> None:
        if self.index is None:
            self._load()

    def _load(self) -> None:
        index = open_decoded_dataset(self.data, self.cache)
        self.check(index)
        for split in SPLITS:
            videos = index.split(split)
            if not videos:
                raise DatasetError(
                    f"{index.root}: the {split} split has no usable videos; check the dataset's split "
                    f"files (echolab data-summary data={self.data['format']} data.root={index.root})"
                )
            self.splits[split] = self.select(split, videos, index)
        self.index = index
        self.provenance = data_provenance(index.root)

    def check(self, index: DatasetIndex) -> None:
        """Refuse a dataset this task cannot use (with a DatasetError naming the fix)."""

    def select(self, split: str, videos: list[VideoRecord], index: DatasetIndex) -> list[VideoRecord]:
        """The videos of `split` the task uses (all of them unless a task needs more, e.g. labels)."""
        return videos

    def records(self, split: str) -> list[VideoRecord]:
        """The VideoRecords of a split, in the order its datasets index them."""
        return self.splits[split]

    def train_transform(self, *, hflip: bool) -> ClipTransform:
        augment = self.data["augment"]
        return ClipTransform(
            self.data["size"],
            train=True,
            scale=tuple(augment["scale"]),
            rotate=augment["rotate"],
            brightness=augment["brightness"],
            contrast=augment["contrast"],
            hflip=hflip,
        )

    def loader(
        self,
        dataset: Dataset,
        batch_size: int | None,
        *,
        sampler=None,
        shuffle: bool = False,
        drop_last=False,
    ) -> DataLoader:
        workers = self.data["num_workers"]
        return DataLoader(
            dataset,
            batch_size=batch_size,
            sampler=sampler,
            shuffle=shuffle,
            drop_last=drop_last,
            num_workers=workers,
            persistent_workers=workers > 0,
            pin_memory=torch.cuda.is_available(),
        )
