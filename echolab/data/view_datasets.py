"""Torch datasets of clips for view classification, reading frames from the frame cache.

Workers stay stateless: each item's random choices come from torch's RNG, which Lightning seeds
per worker and per epoch, so runs are reproducible under `seed=` and clips differ between epochs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from echolab.data.cache import FrameCache
from echolab.data.clips import ClipSpec, clip_indices, clip_starts, gather_clip
from echolab.data.transforms import ClipTransform


def _torch_rng() -> np.random.Generator:
    return np.random.default_rng(int(torch.randint(2**62, ())))


class _CachedClips(Dataset):
    """Videos (paths + labels) whose clips are cut from the frame cache and transformed alike."""

    def __init__(
        self,
        paths: list[Path],
        labels: list[int],
        cache: FrameCache,
        spec: ClipSpec,
        transform: ClipTransform,
    ):
        self.paths, self.labels, self.cache = paths, labels, cache
        self.spec, self.transform = spec, transform

    def _clip(self, frames: np.ndarray, start: int) -> torch.Tensor:
        return self.transform(gather_clip(frames, clip_indices(len(frames), start, self.spec)))


class TrainClips(_CachedClips):
    """`clips_per_video` random clips of every video per epoch; item = {clip, label, index}."""

    def __init__(self, *args, clips_per_video: int = 1):
        super().__init__(*args)
        self.clips_per_video = clips_per_video

    def __len__(self) -> int:
        return len(self.paths) * self.clips_per_video

    def __getitem__(self, item: int) -> dict:
        index = item % len(self.paths)
        frames = self.cache.frames(self.paths[index])
        (start,) = clip_starts(len(frames), self.spec, "random", rng=_torch_rng())
        return {"clip": self._clip(frames, start), "label": self.labels[index], "index": index}


class VideoClips(_CachedClips):
    """All `num_clips` evenly spread clips of each video; item = {clips (M,C,T,H,W), label, index}."""

    def __init__(self, *args, num_clips: int):
        super().__init__(*args)
        self.num_clips = num_clips

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> dict:
        frames = self.cache.frames(self.paths[index])
        starts = clip_starts(len(frames), self.spec, "uniform", num_clips=self.num_clips)
        clips = torch.stack([self._clip(frames, start) for start in starts])
        return {"clips": clips, "label": self.labels[index], "index": index}
