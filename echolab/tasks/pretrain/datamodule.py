"""The pretraining data module: unlabelled clips of every video of any dataset the readers know.

Labels are not used for training; the VideoRecords keep them (`records(split)`), so the probes can score
the learned features. A training item is one random clip of a video, a validation or test item the clip
centred in its video (the same every epoch, so held-out losses are comparable between epochs).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from torch.utils.data import DataLoader, Dataset

from echolab.data.clips import CentredClip, ClipSpec, RandomClip, gather_clip
from echolab.data.datamodule import DataSettings, VideoDataModule
from echolab.data.records import VideoRecord
from echolab.data.samplers import RandomItemSampler, TrainDraw
from echolab.data.transforms import IMAGENET_MEAN, IMAGENET_STD, ClipTransform
from echolab.errors import ConfigError
from echolab.io.cache import FrameCache

# Evaluation clips are the whole frame resized to `size` (no centre crop): the fan touches the frame's
# edges, and training crops at scale 1.0 see the whole frame too.
EVAL_RESIZE_RATIO = 1.0


def pretrain_preprocess(data: dict) -> dict:
    """How the checkpoint's clips were made, for probes and embeddings of new videos (eval_transform)."""
    return {
        "size": data["size"],
        "clip": dict(data["clip"]),
        "cache_size": data["cache_size"],
        "mean": list(IMAGENET_MEAN),
        "std": list(IMAGENET_STD),
        "eval_resize_ratio": EVAL_RESIZE_RATIO,
    }


def eval_transform(preprocess: dict) -> ClipTransform:
    """The deterministic clip transform of a pretraining checkpoint's `preprocess`."""
    return ClipTransform(
        preprocess["size"],
        train=False,
        mean=preprocess["mean"],
        std=preprocess["std"],
        eval_resize_ratio=preprocess["eval_resize_ratio"],
    )


@dataclass(frozen=True)
class PretrainSettings(DataSettings):
    """The data: keys pretraining reads."""

    eval_batch_size: int


class PretrainClips(Dataset):
    """One clip of a video per item, {clip (C, T, H, W), index}: in training (`train=True`) indexed by a
    sampler's TrainDraw, whose seed places the clip and draws its augmentation; else by a video index,
    the clip centred in the video."""

    def __init__(
        self,
        records: list[VideoRecord],
        cache: FrameCache,
        spec: ClipSpec,
        transform: ClipTransform,
        *,
        train: bool,
    ):
        self.paths = [record.path for record in records]
        self.cache, self.transform, self.train = cache, transform, train
        self.random, self.centred = RandomClip(spec), CentredClip(spec)

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, item: int | TrainDraw) -> dict:
        if not self.train:
            index = int(item)
            frames = self.cache.frames(self.paths[index])
            indices = self.centred.at(len(frames), len(frames) // 2)
            return {"clip": self.transform(gather_clip(frames, indices)), "index": index}
        index = int(item.index)
        frames = self.cache.frames(self.paths[index])
        rng = np.random.default_rng(item.seed)
        indices = self.random(len(frames), rng)
        return {
            "clip": self.transform(gather_clip(frames, indices), seed=int(rng.integers(2**32))),
            "index": index,
        }


class PretrainDataModule(VideoDataModule):
    settings_type = PretrainSettings

    def __init__(self, data: dict, seed: int = 0):
        super().__init__(data, seed)
        if self.settings.clips_per_video < 1:
            raise ConfigError(f"data.clips_per_video must be >= 1, got {self.settings.clips_per_video}")
        self.spec = ClipSpec(**self.settings.clip)

    def train_dataloader(self) -> DataLoader:
        records = self.records("train")
        dataset = PretrainClips(
            records,
            self.cache,
            self.spec,
            self.train_transform(hflip=self.settings.augment["hflip"]),
            train=True,
        )
        items = [video for video in range(len(records)) for _ in range(self.settings.clips_per_video)]
        return self.loader(
            dataset,
            self.settings.batch_size,
            sampler=RandomItemSampler(items, self.seed),
            drop_last=len(items) > self.settings.batch_size,  # equal batches, unless one is all there is
        )

    def val_dataloader(self) -> DataLoader:
        return self._evaluation_loader("val")

    def test_dataloader(self) -> DataLoader:
        return self._evaluation_loader("test")

    def _evaluation_loader(self, split: str) -> DataLoader:
        transform = eval_transform(pretrain_preprocess(self.data))
        dataset = PretrainClips(self.records(split), self.cache, self.spec, transform, train=False)
        return self.loader(dataset, self.settings.eval_batch_size)
