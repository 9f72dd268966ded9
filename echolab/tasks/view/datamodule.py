"""LightningDataModules: they read a dataset (never build models) and serve clips from the frame cache."""

from __future__ import annotations

from pathlib import Path

import lightning as L
import torch
from torch.utils.data import DataLoader

from echolab.data.clips import ClipSpec
from echolab.data.records import DatasetIndex
from echolab.data.samplers import (
    SAMPLERS,
    ClassBalancedSampler,
    RandomItemSampler,
    SegmentBankSampler,
    training_items,
)
from echolab.data.sources import data_provenance, ensure_dataset, open_decoded_dataset
from echolab.data.transforms import ClipTransform
from echolab.errors import ConfigError, DatasetError
from echolab.io.cache import FrameCache
from echolab.tasks.view.datasets import TrainClips, VideoClips, eval_clip_sampler, train_clip_sampler


def view_preprocess(data: dict) -> dict:
    """What a checkpoint must remember to turn a new video into model input the same way."""
    return {
        "size": data["size"],
        "clip": dict(data["clip"]),
        "eval_clips": data["eval_clips"],
        "cache_size": data["cache_size"],
        "placement": data["placement"],
        "eval_frames": data["eval_frames"],
    }


def eval_transform(preprocess: dict) -> ClipTransform:
    return ClipTransform(preprocess["size"], train=False)


class ViewDataModule(L.LightningDataModule):
    """Clips of labelled videos for view classification; `data` is the experiment's `data:` block."""

    def __init__(self, data: dict):
        super().__init__()
        self.data = data
        self.cache = FrameCache(data["cache_dir"], size=data["cache_size"])
        self.spec = ClipSpec(**data["clip"])
        self.index: DatasetIndex | None = None
        self.splits: dict[str, tuple[list[Path], list[int]]] = {}
        if data["sampler"] not in SAMPLERS:
            raise ConfigError(
                f"data.sampler '{data['sampler']}' is unknown; choose one of {', '.join(SAMPLERS)}"
            )
        self.train_sampler = None  # built with the training loader; the uncertainty callback updates it

    @property
    def classes(self) -> list[str]:
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
        unlabelled = [v.name for v in index.videos if v.label is None]
        if unlabelled:
            raise DatasetError(
                f"{index.root}: view classification needs a label for every video; "
                f"{len(unlabelled)} have none (first: {unlabelled[0]}). Fill the label column "
                "or remove those rows"
            )
        for split in ("train", "val", "test"):
            videos = index.split(split)
            if not videos:
                raise DatasetError(
                    f"{index.root}: the {split} split has no usable videos; "
                    f"check the split files (echolab data-summary data={self.data['format']} "
                    f"data.root={index.root})"
                )
            self.splits[split] = ([v.path for v in videos], [v.label for v in videos])
        self.index = index
        self.provenance = data_provenance(index.root)

    def records(self, split: str) -> list:
        """The VideoRecords of a split, in the order its datasets index them."""
        return self.index.split(split)

    def train_dataloader(self) -> DataLoader:
        augment = self.data["augment"]
        transform = ClipTransform(
            self.data["size"],
            train=True,
            scale=tuple(augment["scale"]),
            rotate=augment["rotate"],
            brightness=augment["brightness"],
            contrast=augment["contrast"],
            hflip=augment["hflip"],
        )
        paths, labels = self.splits["train"]
        dataset = TrainClips(
            paths, labels, self.cache, train_clip_sampler(self.data["placement"], self.spec), transform
        )
        self.train_sampler = self._train_sampler(paths, labels)
        return self._loader(
            dataset,
            self.data["batch_size"],
            sampler=self.train_sampler,
            drop_last=len(self.train_sampler) > self.data["batch_size"],
        )

    def _train_sampler(self, paths: list[Path], labels: list[int]):
        items = training_items(labels, self.classes, self.data["extra_copies"], self.data["clips_per_video"])
        if self.data["sampler"] == "random":
            return RandomItemSampler(items)
        if self.data["sampler"] == "class_balanced":
            return ClassBalancedSampler(items, labels)
        lengths = [len(self.cache.frames(path)) for path in paths]  # memory-mapped: reads no pixels
        return SegmentBankSampler(items, lengths, **self.data["uncertainty"])

    def _eval_loader(self, split: str) -> DataLoader:
        dataset = VideoClips(
            *self.splits[split],
            self.cache,
            eval_clip_sampler(
                self.data["placement"],
                self.spec,
                num_clips=self.data["eval_clips"],
                eval_frames=self.data["eval_frames"],
            ),
            eval_transform(view_preprocess(self.data)),
        )
        return self._loader(dataset, self.data["eval_batch_size"])

    def val_dataloader(self) -> DataLoader:
        return self._eval_loader("val")

    def test_dataloader(self) -> DataLoader:
        return self._eval_loader("test")

    def _loader(self, dataset, batch_size: int, sampler=None, drop_last: bool = False) -> DataLoader:
        workers = self.data["num_workers"]
        return DataLoader(
            dataset,
            batch_size=batch_size,
            sampler=sampler,
            drop_last=drop_last,
            num_workers=workers,
            persistent_workers=workers > 0,
            pin_memory=torch.cuda.is_available(),
        )


def predict_loader(
    paths: list[Path], preprocess: dict, cache_dir: str | Path, batch_size: int = 1, num_workers: int = 0
) -> DataLoader:
    """Clips of arbitrary, unlabelled videos made exactly as the checkpoint's training did."""
    cache = FrameCache(cache_dir, size=preprocess["cache_size"])
    cache.ensure(paths)
    dataset = VideoClips(
        paths,
        [-1] * len(paths),
        cache,
        eval_clip_sampler(
            preprocess.get("placement", "start"),  # checkpoints from before placement existed used starts
            ClipSpec(**preprocess["clip"]),
            num_clips=preprocess["eval_clips"],
            eval_frames=preprocess.get("eval_frames"),
        ),
        eval_transform(preprocess),
    )
    return DataLoader(dataset, batch_size=batch_size, num_workers=num_workers)
