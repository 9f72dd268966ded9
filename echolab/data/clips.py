"""The one clip-sampling API: which frame indices make up the clips of a video.

A clip is `frames` frames taken every `stride` frames (a ClipSpec). Videos shorter than a clip are
padded according to `pad`: "clamp" repeats the edge frame, "zero" marks missing frames with -1
(gathered as black frames, and excludable from losses), "loop" wraps around (fine for periodic
heartbeats).

Clip samplers answer "which frame indices make the clips of a video of n frames":
training samplers draw one clip, `sampler(n_frames, rng, labelled=None) -> indices`, with the
given np.random.Generator (the dataset seeds it from its sampler's draw, so runs are reproducible);
evaluation samplers give a fixed list, `sampler(n_frames) -> [indices, ...]`. `labelled` is the annotated stretch
(first, last frame) of a video whose labels cover only part of it; samplers that aim at it say so,
the others ignore it. Datasets take a sampler and only gather and transform what it names, so a
new way of cutting clips (e.g. two views of one video for self-supervision) is one more sampler.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from echolab.errors import ConfigError

PAD_MODES = ("clamp", "zero", "loop")


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


def gather_clip(frames: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """The frames at `indices` as a new (T, H, W, C) uint8 array; index -1 gives a black frame.

    Works on memmaps without reading the rest of the video.
    """
    indices = np.asarray(indices, dtype=np.int64)
    clip = np.asarray(frames[np.maximum(indices, 0)])
    clip[indices < 0] = 0
    return clip


def _last_start(n_frames: int, spec: ClipSpec) -> int:
    """The last start at which the whole clip fits; 0 when none does (the clip is then padded)."""
    _check_length(n_frames)
    return max(n_frames - spec.span, 0)


# Training samplers: one clip per call.


class RandomClip:
    """A clip at a start drawn uniformly among those where it fits (start 0 if none does)."""

    def __init__(self, spec: ClipSpec, pad: str = "clamp"):
        self.spec, self.pad = spec, pad

    def __call__(self, n_frames: int, rng: np.random.Generator, labelled=None) -> np.ndarray:
        start = int(rng.integers(0, _last_start(n_frames, self.spec) + 1))
        return clip_indices(n_frames, start, self.spec, self.pad)


class MaskedRandomClip:
    """A random clip that overlaps the `labelled` stretch, the only frames with labels (labels="masked").

    Starts are drawn uniformly among those where the clip fits and holds at least one labelled frame.
    """

    def __init__(self, spec: ClipSpec, pad: str = "clamp"):
        self.spec, self.pad = spec, pad

    def __call__(self, n_frames: int, rng: np.random.Generator, labelled: tuple[int, int]) -> np.ndarray:
        first, last = labelled
        last_start = _last_start(n_frames, self.spec)
        low = min(max(first - self.spec.span + 1, 0), last_start)
        start = int(rng.integers(low, min(last, last_start) + 1))
        return clip_indices(n_frames, start, self.spec, self.pad)


class MirroredBeatClip:
    """A clip of the `labelled` stretch played forwards and backwards, at a random phase (labels="mirror").

    Returns positions along that playback, not frame indices: the caller turns them into frames and
    targets with `mirrored_frames(beat, positions[-1] + 1)`. The playback never runs out, so no padding.
    """

    def __init__(self, spec: ClipSpec):
        self.spec = spec

    def __call__(self, n_frames: int, rng: np.random.Generator, labelled: tuple[int, int]) -> np.ndarray:
        first, last = labelled
        offset = int(rng.integers(0, 2 * (last - first)))  # any phase of the mirrored cycle
        return offset + np.arange(self.spec.frames) * self.spec.stride


class CentredClip:
    """A clip whose middle frame (index frames // 2) is a centre, clamped to the video (STFM).

    Called, it draws the centre uniformly over the video; `at` takes a chosen one (the uncertainty
    sampler's). STFM's motion context: frames=5, stride=5 around frame c gives c-10, c-5, c, c+5, c+10.
    """

    def __init__(self, spec: ClipSpec):
        self.spec = spec

    def __call__(self, n_frames: int, rng: np.random.Generator, labelled=None) -> np.ndarray:
        return self.at(n_frames, int(rng.integers(n_frames)))

    def at(self, n_frames: int, centre: int) -> np.ndarray:
        return clip_indices(n_frames, centre - (self.spec.frames // 2) * self.spec.stride, self.spec)


class RandomStride:
    """One of `samplers` (the same clip at different strides), drawn uniformly for each clip."""

    def __init__(self, samplers: Sequence):
        if not samplers:
            raise ConfigError("a random stride needs at least one stride to draw from")
        self.samplers = tuple(samplers)

    def __call__(self, n_frames: int, rng: np.random.Generator, labelled=None) -> np.ndarray:
        sampler = self.samplers[int(rng.choice(len(self.samplers)))]
        return sampler(n_frames, rng, labelled=labelled)


# Evaluation samplers: a fixed list of clips per video.


class UniformClips:
    """`num_clips` clips at starts spread evenly from the first to the last start that fits."""

    def __init__(self, spec: ClipSpec, num_clips: int):
        if num_clips < 1:
            raise ConfigError(f"uniform clips need num_clips >= 1, got {num_clips}")
        self.spec, self.num_clips = spec, num_clips

    def __call__(self, n_frames: int) -> list[np.ndarray]:
        starts = np.linspace(0, _last_start(n_frames, self.spec), self.num_clips)
        return [clip_indices(n_frames, int(round(start)), self.spec) for start in starts]


class EvenCentres:
    """STFM's evaluation clips: centred at floor(linspace(0, N - 1, num_clips)), N = min(n, first_frames).

    The clips are clamped to those first N frames; first_frames=None uses the whole video.
    """

    def __init__(self, spec: ClipSpec, num_clips: int, first_frames: int | None = None):
        if num_clips < 1:
            raise ConfigError(f"evenly spread centres need num_clips >= 1, got {num_clips}")
        if first_frames is not None and first_frames < 1:
            raise ConfigError(f"evenly spread centres need first_frames >= 1 or None, got {first_frames}")
        self.centred, self.num_clips, self.first_frames = CentredClip(spec), num_clips, first_frames

    def __call__(self, n_frames: int) -> list[np.ndarray]:
        used = min(n_frames, self.first_frames or n_frames)
        centres = np.floor(np.linspace(0, used - 1, self.num_clips)).astype(int)
        return [self.centred.at(used, int(centre)) for centre in centres]


class SlidingWindows:
    """Windows of `window` consecutive frames every `stride` frames, plus one ending at the last frame.

    Every frame is covered (the keyframe task's whole-video inference). A video shorter than one
    window gets a single window at 0, its missing frames -1 (black, as in training).
    """

    def __init__(self, window: int, stride: int = 1, *, frame_stride: int = 1, pad: str = "zero"):
        # frame_stride: frames between a window's own frames (a view clip's stride); pad: how a window
        # past the end is filled (clip_indices): "zero" for keyframe curves, "clamp" for view clips.
        if stride < 1:
            raise ConfigError(f"sliding windows need stride >= 1, got {stride}")
        self.spec, self.stride, self.pad = ClipSpec(window, frame_stride), stride, pad

    def starts(self, n_frames: int) -> list[int]:
        last_start = _last_start(n_frames, self.spec)
        starts = list(range(0, last_start + 1, self.stride))
        return starts if starts[-1] == last_start else [*starts, last_start]

    def __call__(self, n_frames: int) -> list[np.ndarray]:
        return [clip_indices(n_frames, start, self.spec, pad=self.pad) for start in self.starts(n_frames)]


class WholeVideo:
    """The whole video as one clip, padded with -1 (black frames) to at least `min_frames` frames.

    The keyframe task's evaluation item: long enough to fill one sliding window of `min_frames`.
    """

    def __init__(self, min_frames: int = 1):
        self.min_frames = min_frames

    def __call__(self, n_frames: int) -> list[np.ndarray]:
        _check_length(n_frames)
        indices = np.arange(max(n_frames, self.min_frames))
        indices[n_frames:] = -1
        return [indices]


CLIP_SAMPLERS = {
    "random": RandomClip,
    "masked_random": MaskedRandomClip,
    "mirrored_beat": MirroredBeatClip,
    "centred": CentredClip,
    "random_stride": RandomStride,
    "uniform": UniformClips,
    "even_centres": EvenCentres,
    "sliding": SlidingWindows,
    "whole_video": WholeVideo,
}


def build_clip_sampler(name: str, **args):
    """The clip sampler called `name` (a key of CLIP_SAMPLERS), built with `args`."""
    if name not in CLIP_SAMPLERS:
        raise ConfigError(f"unknown clip sampler {name!r}; choose one of {', '.join(CLIP_SAMPLERS)}")
    return CLIP_SAMPLERS[name](**args)


def _check_length(n_frames: int) -> None:
    if n_frames < 1:
        raise ValueError(f"a video needs at least one frame to take a clip from, got n_frames={n_frames}")
