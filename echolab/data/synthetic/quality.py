"""Stretches of poor image quality, so that frames differ in how useful they are.

Each video gets a few non-overlapping segments covering 10-30% of its frames: acoustic drop-out
(a dark wedge, as behind a rib, and weaker echoes overall), low gain, blur (out-of-plane
motion, poor focus) and probe motion (the anatomy jitters in the image).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

DEFECT_KINDS = ("dropout", "low_gain", "blur", "probe_motion")


@dataclass(frozen=True)
class QualitySegment:
    kind: str  # one of DEFECT_KINDS
    start: int  # first frame (0-based)
    stop: int  # one past the last frame
    severity: float  # 0 (mild) .. 1 (severe)
    seed: int  # where the drop-out wedge falls, how the probe shakes


def sample_segments(rng: np.random.Generator, frame_count: int) -> list[QualitySegment]:
    budget = max(1, round(rng.uniform(0.1, 0.3) * frame_count))
    count = int(min(rng.integers(1, 4), budget))
    lengths = np.diff(np.round(np.linspace(0, budget, count + 1)).astype(int))
    # Random clean gaps before, between and after the segments.
    gaps = rng.multinomial(frame_count - budget, np.full(count + 1, 1.0 / (count + 1)))
    segments, cursor = [], 0
    for length, gap in zip(lengths, gaps[:-1], strict=True):
        cursor += int(gap)
        kind = DEFECT_KINDS[int(rng.integers(len(DEFECT_KINDS)))]
        segments.append(
            QualitySegment(
                kind, cursor, cursor + int(length), rng.uniform(0.0, 1.0), int(rng.integers(2**31))
            )
        )
        cursor += int(length)
    return segments


def frame_labels(segments: list[QualitySegment], frame_count: int) -> np.ndarray:
    """Per frame: 0 for a good frame, else 1 + the index of its defect in DEFECT_KINDS."""
    labels = np.zeros(frame_count, dtype=np.uint8)
    for segment in segments:
        labels[segment.start : segment.stop] = 1 + DEFECT_KINDS.index(segment.kind)
    return labels


def probe_shake(segments: list[QualitySegment], frame_count: int, fps: float) -> np.ndarray:
    """Per frame (du, dv, degrees): how far the anatomy is displaced by an unsteady probe."""
    shake = np.zeros((frame_count, 3))
    for segment in (s for s in segments if s.kind == "probe_motion"):
        rng = np.random.default_rng(segment.seed)
        seconds = np.arange(segment.start, segment.stop) / fps
        amplitude = np.array([0.04, 0.04, 6.0]) * (0.5 + 0.5 * segment.severity)
        for axis in range(3):
            hz, phase = rng.uniform(1.0, 3.0, size=2), rng.uniform(0, 2 * np.pi, size=2)
            wobble = np.sin(2 * np.pi * hz[0] * seconds + phase[0]) + 0.5 * np.sin(
                2 * np.pi * hz[1] * seconds + phase[1]
            )
            shake[segment.start : segment.stop, axis] = amplitude[axis] * wobble / 1.5
    return shake


def frame_filters(
    segments: list[QualitySegment], frame_count: int, beam_angle: np.ndarray, pixels_per_unit: float
) -> list[Callable[[np.ndarray], None] | None]:
    """Per frame, the in-place degradation of its linear-intensity image, or None if it is good.

    `beam_angle` is each pixel's angle from the sector's centre line, as a fraction of the half
    opening (-1 at the left edge, 1 at the right); `pixels_per_unit` is the sector radius in pixels.
    Probe motion is not here: it moves the anatomy (see probe_shake).
    """
    filters: list[Callable[[np.ndarray], None] | None] = [None] * frame_count
    for segment in segments:
        degrade = defect_filter(segment.kind, segment.severity, segment.seed, beam_angle, pixels_per_unit)
        if degrade is not None:
            filters[segment.start : segment.stop] = [degrade] * (segment.stop - segment.start)
    return filters


def defect_filter(
    kind: str, severity: float, seed: int, beam_angle: np.ndarray | None, pixels_per_unit: float | None
) -> Callable[[np.ndarray], None] | None:
    """The in-place degradation of a linear-intensity image by one defect (None for probe motion, which
    moves the anatomy instead). Low gain needs neither the beam angles nor the scale; the probes'
    robustness check (echolab/probe/perturb.py) applies it to decoded frames."""
    if kind == "dropout":
        centre = np.random.default_rng(seed).uniform(-0.7, 0.7)
        width = 0.25 + 0.35 * severity
        # A dark wedge (a rib's shadow) on top of weaker echoes overall.
        shadow = 1.0 - 0.9 * np.exp(-0.5 * ((beam_angle - centre) / (0.5 * width)) ** 4)
        return _scale_by((shadow * (0.6 - 0.2 * severity)).astype(np.float32))
    if kind == "low_gain":
        return _scale_by(np.float32(0.5 - 0.25 * severity))
    if kind == "blur":
        return _blur_by((0.015 + 0.02 * severity) * pixels_per_unit)
    return None


def _scale_by(factor):
    def scale(image: np.ndarray) -> None:
        image *= factor

    return scale


def _blur_by(sigma: float):
    def blur(image: np.ndarray) -> None:
        cv2.GaussianBlur(image, (0, 0), sigma, dst=image)

    return blur
