"""The view-classification data module: labelled videos as training clips and as evaluation clip sets."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from torch.utils.data import DataLoader

from echolab.data.clips import ClipSpec
from echolab.data.datamodule import DataSettings, VideoDataModule
from echolab.data.records import DatasetIndex, VideoRecord
from echolab.data.samplers import (
    SAMPLERS,
    ClassBalancedSampler,
    RandomItemSampler,
    SegmentBankSampler,
    training_items,
)
from echolab.data.transforms import ClipTransform
from echolab.errors import ConfigError, DatasetError, check_choice
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


def evaluation_clips(records: list[VideoRecord], cache: FrameCache, preprocess: dict) -> VideoClips:
    """Every video as the `eval_clips` clips the task fuses, made as the checkpoint's training made them."""
    return VideoClips(
        records,
        cache,
        eval_clip_sampler(
            preprocess.get("placement", "start"),  # checkpoints from before placement existed used starts
            ClipSpec(**preprocess["clip"]),
            num_clips=preprocess["eval_clips"],
            eval_frames=preprocess.get("eval_frames"),
        ),
        eval_transform(preprocess),
    )


@dataclass(frozen=True)
class ViewSettings(DataSettings):
    """The data: keys view classification reads."""

    placement: str
    eval_clips: int
    eval_frames: int | None
    sampler: str
    extra_copies: dict
    uncertainty: dict
    eval_batch_size: int
    labels_per_class: int | None
    labels_seed: int


class ViewDataModule(VideoDataModule):
    settings_type = ViewSettings

    def __init__(self, data: dict, seed: int = 0):
        super().__init__(data, seed)
        check_choice("data.sampler", self.settings.sampler, SAMPLERS)
        self.spec = ClipSpec(**self.settings.clip)
        self.train_sampler = None  # built with the training loader; the uncertainty callback updates it
        self._restored_bank: dict | None = None  # a resumed run's segment bank, until its sampler is built
        if self.settings.labels_per_class is not None and self.settings.labels_per_class < 1:
            raise ConfigError(
                f"data.labels_per_class must be a positive number of videos (or null for all), "
                f"got {self.settings.labels_per_class}"
            )

    def check(self, index: DatasetIndex) -> None:
        unlabelled = [v.name for v in index.videos if v.label is None]
        if unlabelled:
            raise DatasetError(
                f"{index.root}: view classification needs a label for every video; "
                f"{len(unlabelled)} have none (first: {unlabelled[0]}). Fill the label column "
                "or remove those rows"
            )

    def select(self, split: str, videos: list[VideoRecord], index: DatasetIndex) -> list[VideoRecord]:
        """With data.labels_per_class=N, training keeps N videos of each class (label efficiency): a
        seeded draw (data.labels_seed) among that class's videos, whatever order the dataset lists them in."""
        count = self.settings.labels_per_class
        if split != "train" or count is None:
            return videos
        short = {
            index.classes[label]: n
            for label in range(len(index.classes))
            if (n := sum(v.label == label for v in videos)) < count
        }
        if short:
            listed = ", ".join(f"{name} has {n}" for name, n in short.items())
            raise DatasetError(
                f"{index.root}: data.labels_per_class={count} needs {count} training videos of every class; "
                f"{listed}. Lower data.labels_per_class"
            )
        kept = set()
        for label in range(len(index.classes)):
            names = sorted(v.name for v in videos if v.label == label)
            rng = np.random.default_rng([self.settings.labels_seed, label])
            kept.update(names[i] for i in rng.choice(len(names), size=count, replace=False))
        return [video for video in videos if video.name in kept]

    def train_dataloader(self) -> DataLoader:
        records = self.records("train")
        transform = self.train_transform(hflip=self.settings.augment["hflip"])
        dataset = TrainClips(
            records, self.cache, train_clip_sampler(self.settings.placement, self.spec), transform
        )
        self.train_sampler = self._train_sampler(records)
        return self.loader(
            dataset,
            self.settings.batch_size,
            sampler=self.train_sampler,
            drop_last=len(self.train_sampler) > self.settings.batch_size,
        )

    def _train_sampler(self, records: list[VideoRecord]):
        labels = [record.label for record in records]
        items = training_items(
            labels, self.classes, self.settings.extra_copies, self.settings.clips_per_video
        )
        if self.settings.sampler == "random":
            return RandomItemSampler(items, self.seed)
        if self.settings.sampler == "class_balanced":
            return ClassBalancedSampler(items, labels, self.seed)
        lengths = [len(self.cache.frames(record.path)) for record in records]  # memory-mapped: no pixels read
        sampler = SegmentBankSampler(items, lengths, self.seed, **self.settings.uncertainty)
        if self._restored_bank is not None:
            sampler.load_state_dict(self._restored_bank)
        return sampler

    # Lightning keeps these in every checkpoint and restores them before the training loader is built.
    def state_dict(self) -> dict:
        """The uncertainty sampler's segment bank, so a resumed run samples from the bank it had."""
        if isinstance(self.train_sampler, SegmentBankSampler):
            return {"segment_bank": self.train_sampler.state_dict()}
        return {}

    def load_state_dict(self, state: dict) -> None:
        self._restored_bank = state.get("segment_bank")

    def val_dataloader(self) -> DataLoader:
        return self.loader(
            evaluation_clips(self.records("val"), self.cache, view_preprocess(self.data)),
            self.settings.eval_batch_size,
        )

    def test_dataloader(self) -> DataLoader:
        return self.loader(
            evaluation_clips(self.records("test"), self.cache, view_preprocess(self.data)),
            self.settings.eval_batch_size,
        )


def predict_loader(paths: list[Path], preprocess: dict, cache: FrameCache, batch_size: int = 1) -> DataLoader:
    """Clips of arbitrary, unlabelled videos made exactly as the checkpoint's training did."""
    records = [VideoRecord(name=p.name, path=p, split="test", label=None) for p in paths]
    return DataLoader(evaluation_clips(records, cache, preprocess), batch_size=batch_size)
