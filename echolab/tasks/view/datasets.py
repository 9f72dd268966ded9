"""Torch datasets of clips for view classification, reading frames from the frame cache.

Workers stay stateless: which videos (and, for the uncertainty sampler, which centre frames) are
trained on, and the seed of each clip's random placement and augmentation, are drawn by the
main-process samplers of data/samplers.py, so a clip does not depend on the worker that cuts it.

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

from echolab.data.clips import CentredClip, ClipSpec, build_clip_sampler, gather_clip
from echolab.data.records import VideoRecord
from echolab.data.samplers import TrainDraw
from echolab.data.transforms import ClipTransform
from echolab.errors import ConfigError, check_choice
from echolab.io.cache import FrameCache

# data.placement -> the clip samplers (echolab.data.clips) of training and of evaluation
PLACEMENTS = {"start": ("random", "uniform"), "centre": ("centred", "even_centres")}


def train_clip_sampler(placement: str, spec: ClipSpec):
    """Where a training clip of `data.placement` falls in its video."""
    return build_clip_sampler(_sampler_names(placement)[0], spec=spec)


def eval_clip_sampler(placement: str, spec: ClipSpec, *, num_clips: int, eval_frames: int | None):
    """The `num_clips` evaluation clips of `data.placement`; eval_frames limits centre placement."""
    if num_clips < 1:
        raise ConfigError(f"data.eval_clips must be >= 1, got {num_clips}")
    if eval_frames is not None and eval_frames < 1:
        raise ConfigError(f"data.eval_frames must be >= 1 or null, got {eval_frames}")
    name = _sampler_names(placement)[1]
    first_frames = {"first_frames": eval_frames} if name == "even_centres" else {}
    return build_clip_sampler(name, spec=spec, num_clips=num_clips, **first_frames)


def _sampler_names(placement: str) -> tuple[str, str]:
    check_choice("data.placement", placement, PLACEMENTS)
    return PLACEMENTS[placement]


class _CachedClips(Dataset):
    """Videos whose clips, named by `sampler`, are cut from the frame cache and transformed alike; an
    unlabelled video's label reads -1 (collated batches need a number)."""

    def __init__(self, records: list[VideoRecord], cache: FrameCache, sampler, transform: ClipTransform):
        self.paths = [record.path for record in records]
        self.labels = [-1 if record.label is None else record.label for record in records]
        self.cache, self.sampler, self.transform = cache, sampler, transform

    def __len__(self) -> int:
        return len(self.paths)

    def _clip(self, frames: np.ndarray, indices: np.ndarray) -> torch.Tensor:
        return self.transform(gather_clip(frames, indices))


class TrainClips(_CachedClips):
    """One clip of a video; item = {clip, label, index, centre}.

    Indexed by a sampler's TrainDraw: its seed places the clip (see train_clip_sampler) and draws its
    augmentation; a draw of the uncertainty sampler names the centre frame instead, and gets the clip
    of the sampler's spec around it. `centre` is the clip's middle frame (index frames // 2).
    """

    def __init__(self, *args):
        super().__init__(*args)
        self.around = CentredClip(self.sampler.spec)

    def __getitem__(self, draw: TrainDraw) -> dict:
        index = int(draw.index)
        frames = self.cache.frames(self.paths[index])
        rng = np.random.default_rng(draw.seed)
        if draw.centre is None:
            indices = self.sampler(len(frames), rng)
            centre = int(indices[self.sampler.spec.frames // 2])
        else:
            centre = int(draw.centre)
            indices = self.around.at(len(frames), centre)
        return {
            "clip": self.transform(gather_clip(frames, indices), seed=int(rng.integers(2**32))),
            "label": self.labels[index],
            "index": index,
            "centre": centre,
        }


class VideoClips(_CachedClips):
    """All evaluation clips of each video (see eval_clip_sampler); item = {clips (M,C,T,H,W), label, index}."""

    def __getitem__(self, index: int) -> dict:
        frames = self.cache.frames(self.paths[index])
        clips = torch.stack([self._clip(frames, idx) for idx in self.sampler(len(frames))])
        return {"clips": clips, "label": self.labels[index], "index": index}
