"""Torch datasets for keyframe detection: random training clips with target curves, whole eval videos.

Training clips are `frames` frames at a temporal stride drawn from `strides` (train_clip_sampler),
cut from the video (zero frames padded at the end when the video runs out, excluded from the loss)
or, with labels="mirror", from the annotated ED-ES stretch played back and forth. Evaluation items
are whole videos, padded with black frames to at least one window (WholeVideo).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import Dataset

from echolab.data.clips import (
    ClipSpec,
    RandomStride,
    WholeVideo,
    build_clip_sampler,
    gather_clip,
)
from echolab.data.records import VideoRecord
from echolab.data.samplers import TrainDraw
from echolab.data.transforms import ClipTransform
from echolab.io.cache import FrameCache
from echolab.tasks.keyframe.targets import Beat, beat_mask, event_curves, mirrored_frames

# data.labels -> where a training clip falls: anywhere, over the annotated stretch, or in its mirrored playback
TRAIN_SAMPLERS = {"all": "random", "masked": "masked_random", "mirror": "mirrored_beat"}


def train_clip_sampler(labels: str, clip_frames: int, strides: tuple[int, ...]) -> RandomStride:
    """Training clips of `clip_frames` frames at a stride drawn from `strides`, placed as `labels` needs."""
    name = TRAIN_SAMPLERS[labels]
    # Frames past a video's end are black (index -1) and kept out of the loss; a mirrored playback never ends.
    pad = {} if name == "mirrored_beat" else {"pad": "zero"}
    return RandomStride([build_clip_sampler(name, spec=ClipSpec(clip_frames, s), **pad) for s in strides])


@dataclass(frozen=True)
class CurveSettings:
    sigma: float = 10.0  # Gaussian width of the target curves (frames)
    labels: str = "all"  # all | masked | mirror (see keyframe_labels.beat_mask)


def beat_of(record: VideoRecord) -> Beat:
    return Beat(ed=tuple(record.ed), es=tuple(record.es))


class KeyframeTrainClips(Dataset):
    """`clips_per_video` random clips per annotated video; item = {clip, target (T,2), mask (T,), index}.

    `sampler` (train_clip_sampler) draws each clip; with labels="mirror" it gives positions along
    the mirrored beat (MirroredBeatClip), otherwise frame indices of the video. Indexed by a
    RandomItemSampler's TrainDraw, whose seed draws the clip and its augmentation.
    """

    def __init__(
        self,
        records: list[VideoRecord],
        frames: FrameCache,
        transform: ClipTransform,
        *,
        sampler,
        curves: CurveSettings,
        clips_per_video: int = 1,
    ):
        self.records, self.frames, self.transform = records, frames, transform
        self.sampler, self.curves, self.clips_per_video = sampler, curves, clips_per_video

    def __len__(self) -> int:
        return len(self.records) * self.clips_per_video

    def __getitem__(self, draw: TrainDraw) -> dict:
        index = int(draw.index) % len(self.records)
        record = self.records[index]
        video = self.frames.frames(record.path)
        beat = beat_of(record)
        rng = np.random.default_rng(draw.seed)
        # Training videos are annotated (the data module keeps only those); labels="all" needs no stretch.
        drawn = self.sampler(len(video), rng, labelled=beat.span if beat.annotated else None)
        if self.curves.labels == "mirror":
            indices, target, mask = self._mirrored(beat, drawn)
        else:
            indices, target, mask = self._cut(len(video), beat, drawn)
        return {
            "clip": self.transform(gather_clip(video, indices), seed=int(rng.integers(2**32))),
            "target": torch.from_numpy(target),
            "mask": torch.from_numpy(mask),
            "index": index,
        }

    def _cut(
        self, n_frames: int, beat: Beat, indices: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        real = indices >= 0
        curves = event_curves(n_frames, beat, self.curves.sigma)
        mask = beat_mask(n_frames, beat, self.curves.labels)
        target = np.where(real[:, None], curves[np.maximum(indices, 0)], 0.0).astype(np.float32)
        return indices, target, real & mask[np.maximum(indices, 0)]

    def _mirrored(self, beat: Beat, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        length = int(positions[-1]) + 1
        frames, events = mirrored_frames(beat, length)
        target = event_curves(length, events, self.curves.sigma)[positions]
        return frames[positions], target.astype(np.float32), np.ones(len(positions), dtype=bool)


class KeyframeVideos(Dataset):
    """Whole videos for sliding-window evaluation and prediction.

    item = {video (C,T',H,W) with T' >= the sampler's window, n_frames, target (n,2), mask (n,), index, fps};
    `target`/`mask` are all-zero/False for a video without annotated keyframes.
    """

    def __init__(
        self,
        records: list[VideoRecord],
        frames: FrameCache,
        transform: ClipTransform,
        *,
        sampler: WholeVideo,
        curves: CurveSettings,
    ):
        self.records, self.frames, self.transform = records, frames, transform
        self.sampler, self.curves = sampler, curves

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, index: int) -> dict:
        record = self.records[index]
        video = self.frames.frames(record.path)
        n_frames = len(video)
        (indices,) = self.sampler(n_frames)
        beat = beat_of(record)
        # Whole-video evaluation of single-beat labels scores the annotated stretch only.
        mode = "masked" if self.curves.labels != "all" else "all"
        return {
            "video": self.transform(gather_clip(video, indices)),
            "n_frames": n_frames,
            "target": torch.from_numpy(event_curves(n_frames, beat, self.curves.sigma)),
            "mask": torch.from_numpy(beat_mask(n_frames, beat, mode)),
            "index": index,
            "fps": self._fps(record),
        }

    def _fps(self, record: VideoRecord) -> float:
        """The dataset's frame rate, else the video file's own, else NaN (peak picking then warns)."""
        if record.fps is not None:
            return float(record.fps)
        fps = self.frames.fps(record.path)
        return float(fps) if fps else float("nan")
