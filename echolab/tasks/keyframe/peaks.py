"""Keyframes from predicted curves: local maxima at least a minimum time apart and prominent enough.

Distances are set in seconds and turned into frames with the video's frame rate, so one setting
suits a 30 fps and a 50 fps video alike (REFERENCE §2: tie the distance to the frame rate).

The target curves are Gaussians of width sigma (10 frames), so their tops are flat: one frame off
the centre a Gaussian is 0.5 % lower, and a prediction's small wobble moves the argmax by several
frames. `refine` (default) therefore places each keyframe at the centre of the Gaussian fitted to
the curve within sigma / 2 of its argmax (a parabola through the log values), rounded to a frame.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy.signal import find_peaks

from echolab.errors import ConfigError


@dataclass(frozen=True)
class PeakSettings:
    min_distance_s: float = 0.3  # no two keyframes of one kind closer than this (a 200 bpm heart)
    prominence: float = 0.2  # how far a peak must rise above its surroundings (curves span 0..1)
    fallback_fps: float = 50.0  # frame rate assumed when a video's is 0 or unknown (EchoNet's is ~50)
    refine: bool = True  # centre of the Gaussian fitted to each peak's top instead of the argmax

    def __post_init__(self):
        if self.min_distance_s <= 0 or self.prominence < 0 or self.fallback_fps <= 0:
            raise ConfigError(
                "task.peaks needs min_distance_s > 0, prominence >= 0 and fallback_fps > 0, got "
                f"{self.min_distance_s}, {self.prominence}, {self.fallback_fps}"
            )


def usable_fps(fps: float | None) -> float | None:
    """The frame rate if it is a positive finite number, else None."""
    return float(fps) if fps is not None and math.isfinite(fps) and fps > 0 else None


def distance_frames(fps: float | None, settings: PeakSettings, *, name: str = "video") -> int:
    """The minimum peak distance in frames at `fps`; warns and uses `fallback_fps` when fps is unusable."""
    rate = usable_fps(fps)
    if rate is None:
        warnings.warn(
            f"{name}: frame rate {fps!r} is unknown or not positive; peak picking assumes "
            f"{settings.fallback_fps:g} fps (set task.peaks.fallback_fps to change this)",
            stacklevel=2,
        )
        rate = settings.fallback_fps
    return max(1, round(settings.min_distance_s * rate))


def pick_peaks(
    curve: np.ndarray, fps: float | None, settings: PeakSettings, *, sigma: float = 10.0, name: str = "video"
) -> list[int]:
    """0-based frame indices of the keyframes in one (T,) curve, in order.

    Events do fall on the first or last frame. A curve that falls away from an edge has its event
    either on the edge or just outside the video; the target curves are Gaussians of known width
    `sigma`, so the event's position follows from the two edge values, and the edge counts as a
    keyframe when that position rounds to inside the video.
    """
    curve = np.asarray(curve, dtype=np.float64)
    if curve.ndim != 1:
        raise ValueError(f"pick_peaks expects a 1-D curve, got shape {curve.shape}")
    if len(curve) == 0:
        return []
    # What lies beyond the video is unknown: padding with the curve's minimum lets a peak near an
    # edge (or on it) rise from the curve's lowest value there, as scipy's border rule cannot.
    padded = np.concatenate([[curve.min()], curve, [curve.min()]])
    found = find_peaks(
        padded, distance=distance_frames(fps, settings, name=name), prominence=settings.prominence
    )
    peaks = [int(p) - 1 for p in found[0]]
    last = len(curve) - 1
    peaks = [
        p
        for p in peaks
        if not (p == 0 < last and not _edge_event_inside(curve[0], curve[1], sigma))
        and not (p == last > 0 and not _edge_event_inside(curve[last], curve[last - 1], sigma))
    ]
    if settings.refine:
        peaks = sorted({gaussian_centre(curve, p, sigma) for p in peaks})
    return peaks


def gaussian_centre(curve: np.ndarray, peak: int, sigma: float) -> int:
    """The frame nearest the centre of a Gaussian fitted to `curve` within sigma / 2 of `peak`.

    Within that reach a Gaussian stays above 88 % of its height, so the log values are well above
    the curve's floor and a least-squares parabola through them is the Gaussian's exact shape. The
    centre stays inside the fitted frames; a window that is not a maximum keeps the argmax.
    """
    reach = max(1, round(sigma / 2))
    first, stop = max(0, peak - reach), min(len(curve), peak + reach + 1)
    if stop - first < 3:
        return peak
    offsets = np.arange(first, stop) - peak
    curvature, slope, _ = np.polyfit(offsets, np.log(np.clip(curve[first:stop], 1e-3, None)), 2)
    if curvature >= 0:
        return peak
    return int(np.clip(round(peak - slope / (2 * curvature)), first, stop - 1))


def _edge_event_inside(edge: float, neighbour: float, sigma: float) -> bool:
    """Whether a Gaussian of width sigma through the edge and its neighbour peaks at most half a frame out.

    With the edge at 0 and the neighbour at 1, ln(edge / neighbour) = (1 - 2 mu) / (2 sigma^2).
    """
    if edge <= 0 or neighbour <= 0:
        return edge > neighbour
    mu = 0.5 - sigma**2 * (math.log(edge) - math.log(neighbour))
    return mu > -0.5
