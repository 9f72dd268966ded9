"""Torch datasets for keyframe detection: random training clips with target curves, whole eval videos.

Training clips are `frames` frames at a temporal stride drawn from `strides`, cut from the video
(zero frames padded at the end when the video runs out, excluded from the loss) or, with
labels="mirror", from the annotated ED-ES stretch played back and forth. Evaluation items are
whole videos, padded with black frames to at least one window.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import Dataset

from echolab.data.clips import ClipSpec, clip_indices, gather_clip
from echolab.data.records import VideoRecord
from echolab.data.transforms import ClipTransform
from echolab.io.cache import FrameCache
from echolab.tasks.keyframe.targets import Beat, beat_mask, event_curves, mirrored_frames


def _torch_rng() -> np.random.Generator:
    # Seeded from torch so Lightning's per-worker, per-epoch seeding makes clips reproducible.
    return np.random.default_rng(int(torch.randint(2**62, ())))


@dataclass(frozen=True)
class CurveSettings:
    sigma: float = 10.0  # Gaussian width of the target curves (frames)
    labels: str = "all"  # all | masked | mirror (see keyframe_labels.beat_mask)


def beat_of(record: VideoRecord) -> Beat:
    return Beat(ed=tuple(record.ed), es=tuple(record.es))


class KeyframeTrainClips(Dataset):
    """`clips_per_video` random clips per annotated video; item = {clip, target (T,2), mask (T,), index}."""

    def __init__(
        self,
        records: list[VideoRecord],
        frames: FrameCache,
        transform: ClipTransform,
        *,
        clip_frames: int,
        strides: tuple[int, ...],
        curves: CurveSettings,
        clips_per_video: int = 1,
    ):
        self.records, self.frames, self.transform = records, frames, transform
        self.clip_frames, self.strides, self.curves = clip_frames, tuple(strides), curves
        self.clips_per_video = clips_per_video

    def __len__(self) -> int:
        return len(self.records) * self.clips_per_video

    def __getitem__(self, item: int) -> dict:
        index = item % len(self.records)
        record = self.records[index]
        video = self.frames.frames(record.path)
        rng = _torch_rng()
        spec = ClipSpec(self.clip_frames, int(rng.choice(self.strides)))
        if self.curves.labels == "mirror":
            indices, target, mask = self._mirrored(beat_of(record), spec, rng)
        else:
            indices, target, mask = self._cut(len(video), beat_of(record), spec, rng)
        return {
            "clip": self.transform(gather_clip(video, indices)),
            "target": torch.from_numpy(target),
            "mask": torch.from_numpy(mask),
            "index": index,
        }

    def _cut(
        self, n_frames: int, beat: Beat, spec: ClipSpec, rng
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        last_start = max(n_frames - spec.span, 0)
        low, high = 0, last_start
        if self.curves.labels == "masked":
            # Only the annotated stretch has labels: start where the clip overlaps it.
            first, last = beat.span
            low, high = min(max(first - spec.span + 1, 0), last_start), min(last, last_start)
        start = int(rng.integers(low, high + 1))
        indices = clip_indices(n_frames, start, spec, pad="zero")
        real = indices >= 0
        curves = event_curves(n_frames, beat, self.curves.sigma)
        mask = beat_mask(n_frames, beat, self.curves.labels)
        target = np.where(real[:, None], curves[np.maximum(indices, 0)], 0.0).astype(np.float32)
        return indices, target, real & mask[np.maximum(indices, 0)]

    def _mirrored(self, beat: Beat, spec: ClipSpec, rng) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        first, last = beat.span
        offset = int(rng.integers(0, 2 * (last - first)))  # any phase of the mirrored cycle
        length = offset + spec.span
        frames, events = mirrored_frames(beat, length)
        positions = offset + np.arange(spec.frames) * spec.stride
        target = event_curves(length, events, self.curves.sigma)[positions]
        return frames[positions], target.astype(np.float32), np.ones(spec.frames, dtype=bool)


class KeyframeVideos(Dataset):
    """Whole videos for sliding-window evaluation and prediction.

    item = {video (C,T',H,W) with T' >= window, n_frames, target (n,2), mask (n,), index, fps};
    `target`/`mask` are all-zero/False for a video without annotated keyframes.
    """

    def __init__(
        self,
        records: list[VideoRecord],
        frames: FrameCache,
        transform: ClipTransform,
        *,
        window: int,
        curves: CurveSettings,
    ):
        self.records, self.frames, self.transform = records, frames, transform
        self.window, self.curves = window, curves

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, index: int) -> dict:
        record = self.records[index]
        video = self.frames.frames(record.path)
        n_frames = len(video)
        indices = np.arange(max(n_frames, self.window))
        indices[n_frames:] = -1  # black padding frames, as in training
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
