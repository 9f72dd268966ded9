"""The keyframe data module: annotated videos as random training clips, whole videos for evaluation."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

from torch.utils.data import DataLoader

from echolab.data.clips import WholeVideo
from echolab.data.datamodule import DataSettings, VideoDataModule
from echolab.data.records import DatasetIndex, VideoRecord
from echolab.data.samplers import RandomItemSampler
from echolab.data.transforms import ClipTransform
from echolab.errors import ConfigError, DatasetError, check_choice
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
        "clip": {"frames": data["clip"]["frames"]},
        "sigma": data["sigma"],
        "labels": data["labels"],
    }


def clip_frames(preprocess: dict) -> int:
    """The sliding-window length a checkpoint was trained with (older checkpoints named it "window")."""
    return preprocess["clip"]["frames"] if "clip" in preprocess else preprocess["window"]


def keyframe_eval_transform(preprocess: dict) -> ClipTransform:
    # Resize without cropping: the whole sector stays in view, as it is in training.
    return ClipTransform(preprocess["size"], train=False, eval_resize_ratio=1.0)


def trainable(record: VideoRecord, labels: str) -> bool:
    """Whether a video has the keyframes its label mode needs to make training targets."""
    beat = beat_of(record)
    if not beat.annotated:
        return False
    return labels != "mirror" or beat.span[0] != beat.span[1]


@dataclass(frozen=True)
class KeyframeSettings(DataSettings):
    """The data: keys keyframe detection reads."""

    sigma: float
    labels: str


class KeyframeDataModule(VideoDataModule):
    settings_type = KeyframeSettings

    def __init__(self, data: dict, seed: int = 0):
        super().__init__(data, seed)
        check_choice("data.labels", self.settings.labels, LABEL_MODES)
        strides = self.settings.clip["strides"]
        if not strides or [s for s in strides if int(s) < 1]:
            raise ConfigError(
                f"data.clip.strides must list positive temporal strides, e.g. [1, 2, 4]; got {strides}"
            )
        self.curves = CurveSettings(sigma=self.settings.sigma, labels=self.settings.labels)

    @property
    def classes(self) -> list[str]:
        """The model's outputs, in order (the dataset's view label plays no part here)."""
        return list(KEYFRAME_CLASSES)

    def select(self, split: str, videos: list[VideoRecord], index: DatasetIndex) -> list[VideoRecord]:
        if split != "train":
            return videos
        train = [v for v in videos if trainable(v, self.settings.labels)]
        if not train:
            raise DatasetError(
                f"{index.root}: no training video has both an ED and an ES keyframe"
                + (
                    " at different frames (needed by data.labels=mirror)"
                    if self.settings.labels == "mirror"
                    else ""
                )
                + "; keyframe training needs annotated beats (ed/es columns or the dataset's tracings)"
            )
        if len(train) < len(videos):
            warnings.warn(
                f"{index.root}: {len(videos) - len(train)} training videos have no usable "
                "annotated beat and are left out of training",
                stacklevel=2,
            )
        return train

    def train_dataloader(self) -> DataLoader:
        dataset = KeyframeTrainClips(
            self.records("train"),
            self.cache,
            self.train_transform(hflip=False),  # the mitral valve has a side: a flip is no real view
            sampler=train_clip_sampler(
                self.settings.labels,
                self.settings.clip["frames"],
                tuple(int(s) for s in self.settings.clip["strides"]),
            ),
            curves=self.curves,
            clips_per_video=self.settings.clips_per_video,
        )
        return self.loader(
            dataset,
            batch_size=self.settings.batch_size,
            sampler=RandomItemSampler(range(len(dataset)), self.seed),
            drop_last=len(dataset) > self.settings.batch_size,
        )

    def videos(self, split: str) -> KeyframeVideos:
        return KeyframeVideos(
            self.records(split),
            self.cache,
            keyframe_eval_transform(keyframe_preprocess(self.data)),
            sampler=WholeVideo(self.settings.clip["frames"]),
            curves=self.curves,
        )

    # batch_size=None: one whole video per step, as it is (videos differ in length).
    def val_dataloader(self) -> DataLoader:
        return self.loader(self.videos("val"), batch_size=None)

    def test_dataloader(self) -> DataLoader:
        return self.loader(self.videos("test"), batch_size=None)


def predict_loader(paths: list[Path], preprocess: dict, cache: FrameCache, batch_size: int = 1) -> DataLoader:
    """Whole unlabelled videos made into model input exactly as the checkpoint's evaluation did,
    one video per step whatever `batch_size` asks (videos differ in length)."""
    records = [VideoRecord(name=p.name, path=p, split="test", label=None) for p in paths]
    videos = KeyframeVideos(
        records,
        cache,
        keyframe_eval_transform(preprocess),
        sampler=WholeVideo(clip_frames(preprocess)),
        curves=CurveSettings(sigma=preprocess["sigma"], labels="all"),
    )
    return DataLoader(videos, batch_size=None)
