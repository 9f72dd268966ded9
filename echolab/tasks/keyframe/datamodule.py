"""KeyframeDataModule: annotated videos as random training clips, whole videos for evaluation."""

from __future__ import annotations

import warnings
from pathlib import Path

import lightning as L
import torch
from torch.utils.data import DataLoader

from echolab.data.clips import WholeVideo
from echolab.data.records import DatasetIndex, VideoRecord
from echolab.data.sources import data_provenance, ensure_dataset, open_decoded_dataset
from echolab.data.transforms import ClipTransform
from echolab.errors import ConfigError, DatasetError
from echolab.io.cache import FrameCache
from echolab.tasks.keyframe.datasets import (
    CurveSettings,
    KeyframeTrainClips,
    KeyframeVideos,
    beat_of,
    train_clip_sampler,
)
from echolab.tasks.keyframe.targets import KEYFRAME_CLASSES, LABEL_MODES


def keyframe_preprocess(data: dict) -> dict:
    """What a checkpoint must remember to turn a new video into model input the same way."""
    return {
        "size": data["size"],
        "cache_size": data["cache_size"],
        "window": data["clip_frames"],
        "sigma": data["sigma"],
        "labels": data["labels"],
    }


def keyframe_eval_transform(preprocess: dict) -> ClipTransform:
    # Resize without cropping: the whole sector stays in view, as it is in training.
    return ClipTransform(preprocess["size"], train=False, eval_resize_ratio=1.0)


def trainable(record: VideoRecord, labels: str) -> bool:
    """Whether a video has the keyframes its label mode needs to make training targets."""
    beat = beat_of(record)
    if not beat.annotated:
        return False
    return labels != "mirror" or beat.span[0] != beat.span[1]


class KeyframeDataModule(L.LightningDataModule):
    """`data` is the experiment's `data:` block."""

    def __init__(self, data: dict):
        super().__init__()
        if data["labels"] not in LABEL_MODES:
            raise ConfigError(
                f"data.labels '{data['labels']}' is unknown; choose one of {', '.join(LABEL_MODES)}"
            )
        bad_strides = [s for s in data["strides"] if int(s) < 1]
        if not data["strides"] or bad_strides:
            raise ConfigError(
                f"data.strides must list positive temporal strides, e.g. [1, 2, 4]; got {data['strides']}"
            )
        self.data = data
        self.frames = FrameCache(data["cache_dir"], size=data["cache_size"])
        self.curves = CurveSettings(sigma=data["sigma"], labels=data["labels"])
        self.index: DatasetIndex | None = None
        self.splits: dict[str, list[VideoRecord]] = {}

    @property
    def classes(self) -> list[str]:
        """The model's outputs, in order (the dataset's view label plays no part here)."""
        return list(KEYFRAME_CLASSES)

    def prepare_data(self) -> None:
        if self.index is None:
            ensure_dataset(self.data)
            self._load()

    def setup(self, stage: str | None = None) -> None:
        if self.index is None:
            self._load()

    def _load(self) -> None:
        index = open_decoded_dataset(self.data, self.frames)
        for split in ("train", "val", "test"):
            videos = index.split(split)
            if not videos:
                raise DatasetError(
                    f"{index.root}: the {split} split has no usable videos; check the dataset's split "
                    f"files (echolab data-summary data={self.data['format']} data.root={index.root})"
                )
            self.splits[split] = videos
        train = [v for v in self.splits["train"] if trainable(v, self.data["labels"])]
        if not train:
            raise DatasetError(
                f"{index.root}: no training video has both an ED and an ES keyframe"
                + (
                    " at different frames (needed by data.labels=mirror)"
                    if self.data["labels"] == "mirror"
                    else ""
                )
                + "; keyframe training needs annotated beats (ed/es columns or the dataset's tracings)"
            )
        if len(train) < len(self.splits["train"]):
            warnings.warn(
                f"{index.root}: {len(self.splits['train']) - len(train)} training videos have no usable "
                "annotated beat and are left out of training",
                stacklevel=2,
            )
        self.splits["train"] = train
        self.index = index
        self.provenance = data_provenance(index.root)

    def records(self, split: str) -> list[VideoRecord]:
        """The VideoRecords of a split, in the order its dataset indexes them."""
        return self.splits[split]

    def train_dataloader(self) -> DataLoader:
        augment = self.data["augment"]
        transform = ClipTransform(
            self.data["size"],
            train=True,
            scale=tuple(augment["scale"]),
            rotate=augment["rotate"],
            brightness=augment["brightness"],
            contrast=augment["contrast"],
            hflip=False,  # the mitral valve has a side: a flipped heart is not a real view
        )
        dataset = KeyframeTrainClips(
            self.splits["train"],
            self.frames,
            transform,
            sampler=train_clip_sampler(
                self.data["labels"], self.data["clip_frames"], tuple(int(s) for s in self.data["strides"])
            ),
            curves=self.curves,
            clips_per_video=self.data["clips_per_video"],
        )
        return self._loader(
            dataset,
            batch_size=self.data["batch_size"],
            shuffle=True,
            drop_last=len(dataset) > self.data["batch_size"],
        )

    def videos(self, split: str) -> KeyframeVideos:
        return KeyframeVideos(
            self.splits[split],
            self.frames,
            keyframe_eval_transform(keyframe_preprocess(self.data)),
            sampler=WholeVideo(self.data["clip_frames"]),
            curves=self.curves,
        )

    def val_dataloader(self) -> DataLoader:
        return self._loader(self.videos("val"), batch_size=None, shuffle=False)

    def test_dataloader(self) -> DataLoader:
        return self._loader(self.videos("test"), batch_size=None, shuffle=False)

    def _loader(self, dataset, batch_size: int | None, shuffle: bool, drop_last: bool = False) -> DataLoader:
        # batch_size=None: one whole video per step, as it is (videos differ in length).
        workers = self.data["num_workers"]
        return DataLoader(
            dataset,
            batch_size=batch_size,
            shuffle=shuffle,
            drop_last=drop_last,
            num_workers=workers,
            persistent_workers=workers > 0,
            pin_memory=torch.cuda.is_available(),
        )


def keyframe_predict_dataset(paths: list[Path], preprocess: dict, cache_dir: str | Path) -> KeyframeVideos:
    """Whole unlabelled videos made into model input exactly as the checkpoint's evaluation did."""
    frames = FrameCache(cache_dir, size=preprocess["cache_size"])
    frames.ensure(paths)
    records = [VideoRecord(name=p.name, path=p, split="test", label=None) for p in paths]
    return KeyframeVideos(
        records,
        frames,
        keyframe_eval_transform(preprocess),
        sampler=WholeVideo(preprocess["window"]),
        curves=CurveSettings(sigma=preprocess["sigma"], labels="all"),
    )
