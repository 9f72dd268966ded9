"""Torch datasets of clips for view classification, reading frames from the frame cache.

Workers stay stateless: each item's random choices come from torch's RNG, which Lightning seeds
per worker and per epoch, so runs are reproducible under `seed=` and clips differ between epochs.
Which videos (and, for the uncertainty sampler, which centre frames) are trained on is decided by
the main-process samplers of samplers.py.

Clip placement (`data.placement`):
start:  clips fit inside the video; a random start in training, evenly spread starts at evaluation.
centre: STFM's (REFERENCE §1.2, §1.5). A clip is built around a centre frame and clamped at the
        video's edges; training centres are uniform over the video (or chosen by the sampler),
        evaluation centres are floor(linspace(0, N − 1, M)) over the first N = min(n, eval_frames).
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset

from echolab.data.clips import ClipSpec, centred_clip, clip_indices, clip_starts, gather_clip
from echolab.data.records import VideoRecord
from echolab.data.transforms import ClipTransform
from echolab.errors import ConfigError
from echolab.io.cache import FrameCache

PLACEMENTS = ("start", "centre")


def _torch_rng() -> np.random.Generator:
    return np.random.default_rng(int(torch.randint(2**62, ())))


class _CachedClips(Dataset):
    """Videos whose clips are cut from the frame cache and transformed alike; an unlabelled video's
    label reads -1 (collated batches need a number)."""

    def __init__(
        self,
        records: list[VideoRecord],
        cache: FrameCache,
        spec: ClipSpec,
        transform: ClipTransform,
        placement: str = "start",
    ):
        if placement not in PLACEMENTS:
            raise ConfigError(
                f"data.placement '{placement}' is unknown; choose one of {', '.join(PLACEMENTS)}"
            )
        self.paths = [record.path for record in records]
        self.labels = [-1 if record.label is None else record.label for record in records]
        self.cache = cache
        self.spec, self.transform, self.placement = spec, transform, placement

    def __len__(self) -> int:
        return len(self.paths)

    def _clip(self, frames: np.ndarray, indices: np.ndarray) -> torch.Tensor:
        return self.transform(gather_clip(frames, indices))


class TrainClips(_CachedClips):
    """One clip of a video; item = {clip, label, index, centre}.

    Indexed by a video index (the clip is placed at random) or by a (video index, centre frame)
    pair from the uncertainty sampler. `centre` is the clip's middle frame (index frames // 2).
    """

    def __getitem__(self, item: int | tuple[int, int]) -> dict:
        index, centre = item if isinstance(item, tuple | list) else (item, None)
        index = int(index)
        frames = self.cache.frames(self.paths[index])
        n_frames = len(frames)
        if centre is None and self.placement == "centre":
            centre = int(_torch_rng().integers(n_frames))
        if centre is None:
            (start,) = clip_starts(n_frames, self.spec, "random", rng=_torch_rng())
            indices = clip_indices(n_frames, start, self.spec)
            centre = min(start + (self.spec.frames // 2) * self.spec.stride, n_frames - 1)
        else:
            indices = centred_clip(n_frames, int(centre), self.spec)
        return {
            "clip": self._clip(frames, indices),
            "label": self.labels[index],
            "index": index,
            "centre": centre,
        }


class VideoClips(_CachedClips):
    """All `num_clips` evenly spread clips of each video; item = {clips (M,C,T,H,W), label, index}.

    `eval_frames` (centre placement) limits them to the video's first frames (STFM: 300); None: all.
    """

    def __init__(self, *args, num_clips: int, eval_frames: int | None = None):
        super().__init__(*args)
        if num_clips < 1:
            raise ConfigError(f"data.eval_clips must be >= 1, got {num_clips}")
        if eval_frames is not None and eval_frames < 1:
            raise ConfigError(f"data.eval_frames must be >= 1 or null, got {eval_frames}")
        self.num_clips, self.eval_frames = num_clips, eval_frames

    def clip_frame_indices(self, n_frames: int) -> list[np.ndarray]:
        """The frame indices of each of the video's evaluation clips."""
        if self.placement == "centre":
            used = min(n_frames, self.eval_frames or n_frames)
            centres = np.floor(np.linspace(0, used - 1, self.num_clips)).astype(int)
            return [centred_clip(used, int(c), self.spec) for c in centres]
        starts = clip_starts(n_frames, self.spec, "uniform", num_clips=self.num_clips)
        return [clip_indices(n_frames, start, self.spec) for start in starts]

    def __getitem__(self, index: int) -> dict:
        frames = self.cache.frames(self.paths[index])
        clips = torch.stack([self._clip(frames, idx) for idx in self.clip_frame_indices(len(frames))])
        return {"clips": clips, "label": self.labels[index], "index": index}
