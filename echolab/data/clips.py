"""The one clip-sampling API: which frame indices make up a clip, and where clips start.

A clip is `frames` frames taken every `stride` frames. Videos shorter than a clip are padded
according to `pad`: "clamp" repeats the edge frame, "zero" marks missing frames with -1 (gathered
as black frames, and excludable from losses), "loop" wraps around (fine for periodic heartbeats).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from echolab.errors import ConfigError

PAD_MODES = ("clamp", "zero", "loop")
START_MODES = ("random", "uniform", "centred", "sliding")


@dataclass(frozen=True)
class ClipSpec:
    frames: int
    stride: int = 1

    def __post_init__(self):
        if self.frames < 1 or self.stride < 1:
            raise ConfigError(
                f"a clip needs frames >= 1 and stride >= 1, got frames={self.frames}, stride={self.stride}"
            )

    @property
    def span(self) -> int:
        """Frames of the video a clip covers, first to last inclusive."""
        return (self.frames - 1) * self.stride + 1


def clip_indices(n_frames: int, start: int, spec: ClipSpec, pad: str = "clamp") -> np.ndarray:
    """Frame indices of the clip that starts at `start` (int64, length spec.frames)."""
    _check_length(n_frames)
    indices = start + np.arange(spec.frames, dtype=np.int64) * spec.stride
    if pad == "clamp":
        return np.clip(indices, 0, n_frames - 1)
    if pad == "zero":
        return np.where((indices >= 0) & (indices < n_frames), indices, -1)
    if pad == "loop":
        return indices % n_frames
    raise ConfigError(f"unknown clip padding {pad!r}; choose one of {', '.join(PAD_MODES)}")


def centred_clip(n_frames: int, centre: int, spec: ClipSpec) -> np.ndarray:
    """Clip whose middle frame (index frames // 2) is `centre`, clamped to the video.

    STFM's motion context: frames=5, stride=5 around frame c gives c-10, c-5, c, c+5, c+10.
    """
    return clip_indices(n_frames, centre - (spec.frames // 2) * spec.stride, spec, pad="clamp")


def clip_starts(
    n_frames: int,
    spec: ClipSpec,
    mode: str,
    *,
    num_clips: int = 1,
    window_stride: int = 1,
    rng: np.random.Generator | None = None,
) -> list[int]:
    """Start frames of the clips to take from a video of `n_frames` frames.

    random:  one start drawn uniformly among those where the whole clip fits (0 if none does).
    uniform: `num_clips` starts spread evenly from the first to the last start that fits.
    centred: one clip in the middle of the video.
    sliding: every `window_stride` frames, plus a last window ending at the video's last frame,
             so every frame is covered (the keyframe task's whole-video inference).
    A video shorter than one clip gives start 0 (the clip is then padded).
    """
    _check_length(n_frames)
    last_start = max(n_frames - spec.span, 0)
    if mode == "random":
        rng = rng if rng is not None else np.random.default_rng()
        return [int(rng.integers(0, last_start + 1))]
    if mode == "uniform":
        if num_clips < 1:
            raise ConfigError(f"uniform clip sampling needs num_clips >= 1, got {num_clips}")
        return [int(round(start)) for start in np.linspace(0, last_start, num_clips)]
    if mode == "centred":
        return [last_start // 2]
    if mode == "sliding":
        if window_stride < 1:
            raise ConfigError(f"sliding windows need window_stride >= 1, got {window_stride}")
        starts = list(range(0, last_start + 1, window_stride))
        return starts if starts[-1] == last_start else [*starts, last_start]
    raise ConfigError(f"unknown clip sampling mode {mode!r}; choose one of {', '.join(START_MODES)}")


def gather_clip(frames: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """The frames at `indices` as a new (T, H, W, C) uint8 array; index -1 gives a black frame.

    Works on memmaps without reading the rest of the video.
    """
    indices = np.asarray(indices, dtype=np.int64)
    clip = np.asarray(frames[np.maximum(indices, 0)])
    clip[indices < 0] = 0
    return clip


def _check_length(n_frames: int) -> None:
    if n_frames < 1:
        raise ValueError(f"a video needs at least one frame to take a clip from, got n_frames={n_frames}")
