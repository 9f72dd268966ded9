"""The data module every task builds on: open the dataset, decode it once, serve its splits.

A task's data module (tasks/<task>/datamodule.py) says only what is its own: which videos of a split
it can use (`select`), what it refuses (`check`), and the datasets and samplers its loaders serve. The
rest (synthetic data where echolab may make it, the frame cache, split checks, the data's provenance,
augmentation and the DataLoader settings) is written once, here.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, fields
from typing import Self

import lightning as L
import torch
from lightning.fabric.utilities.distributed import DistributedSamplerWrapper
from torch.utils.data import DataLoader, Dataset

from echolab.data.records import SPLITS, DatasetIndex, VideoRecord
from echolab.data.sources import data_provenance, ensure_dataset, open_decoded_dataset
from echolab.data.transforms import ClipTransform
from echolab.distributed import rank_and_world
from echolab.errors import ConfigError, DatasetError
from echolab.io.cache import FrameCache


@dataclass(frozen=True)
class DataSettings:
    """The `data:` keys every task's data module reads; each task adds its own in a subclass. Their
    meanings are commented where they are set (experiments/base/data/*.yaml, base/task/*.yaml)."""

    format: str
    root: str
    manifest: str | None
    classes: list[str] | None
    skip_bad: bool
    synthetic: dict | None
    cache_dir: str
    cache_size: int | None
    size: int
    clip: dict
    clips_per_video: int
    batch_size: int
    num_workers: int
    augment: dict

    @classmethod
    def from_block(cls, data: dict) -> Self:
        """The settings of a `data:` block; a key this task does not read, or one it needs that is
        missing, is an error naming the closest keys (a data module built from a dict, outside the
        config loader's struct mode, gets the same help)."""
        names = [field.name for field in fields(cls)]
        unknown = sorted(set(data) - set(names))
        if unknown:
            close = {key: difflib.get_close_matches(key, names, n=1) for key in unknown}
            listed = ", ".join(
                f"data.{key}" + (f" (closest: data.{close[key][0]})" if close[key] else "") for key in unknown
            )
            raise ConfigError(f"{cls.__name__} reads no {listed}; its keys are {', '.join(names)}")
        missing = [name for name in names if name not in data]
        if missing:
            raise ConfigError(f"the data: block lacks {', '.join(f'data.{name}' for name in missing)}")
        return cls(**data)


class VideoDataModule(L.LightningDataModule):
    """`data` is the experiment's `data:` block, read through the task's `settings_type`; datasets receive
    `VideoRecord`s and the frame cache. `seed` (the experiment's) seeds the training samplers, which
    draw every random choice of an epoch's clips (data/samplers.py)."""

    settings_type: type[DataSettings] = DataSettings

    def __init__(self, data: dict, seed: int = 0):
        super().__init__()
        self.seed = seed
        self.settings = self.settings_type.from_block(data)
        self.data = data  # as given: data/sources.py opens (and may synthesise) the dataset from it
        self.cache = FrameCache(self.settings.cache_dir, size=self.settings.cache_size)
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
                    f"files (echolab data-summary data={self.settings.format} data.root={index.root})"
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
        augment = self.settings.augment
        return ClipTransform(
            self.settings.size,
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
        drop_last=False,
    ) -> DataLoader:
        workers = self.settings.num_workers
        rank, world = rank_and_world()
        if sampler is not None and world > 1:
            # Lightning would deal a training sampler's draws out in a shuffled order; they are random
            # already. In their own order, N processes with batch B/N train on the batches one process
            # with batch B does (docs/reliability.md).
            sampler = DistributedSamplerWrapper(sampler, num_replicas=world, rank=rank, shuffle=False)
        return DataLoader(
            dataset,
            batch_size=batch_size,
            sampler=sampler,
            drop_last=drop_last,
            num_workers=workers,
            persistent_workers=workers > 0,
            pin_memory=torch.cuda.is_available(),
        )
