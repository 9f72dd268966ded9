"""Frame rate of a cine from its timing tags; never a guessed default.

The Frame Increment Pointer (0028,0009) names the tag that times the frames: Frame Time (ms per frame)
or Frame Time Vector (ms since the previous frame, first entry 0). Files whose pointer is missing or
points elsewhere fall back to Frame Time, Frame Time Vector, Cine Rate (frames/s), then Recommended
Display Frame Rate (a display rate, flagged). None of them: no rate, flagged.
"""

from __future__ import annotations

import math

from pydicom.dataset import Dataset
from pydicom.tag import Tag

FRAME_TIME = Tag(0x0018, 0x1063)
FRAME_TIME_VECTOR = Tag(0x0018, 0x1065)
CINE_RATE = Tag(0x0018, 0x0040)
DISPLAY_RATE = Tag(0x0008, 0x2144)
# Increments further apart than this fraction of their mean are called variable timing.
VARIABLE_SPREAD = 0.01


def frame_rate(ds: Dataset) -> tuple[float | None, list[str]]:
    """(frames per second or None, flags): fps_variable, fps_display_rate, fps_missing."""
    pointed = [Tag(t) for t in _values(ds.get("FrameIncrementPointer"))]
    order = [t for t in pointed if t in (FRAME_TIME, FRAME_TIME_VECTOR)]
    order += [t for t in (FRAME_TIME, FRAME_TIME_VECTOR, CINE_RATE, DISPLAY_RATE) if t not in order]
    for tag in order:
        found = _rate_from(ds, tag)
        if found is not None:
            fps, flags = found
            return fps, flags + (["fps_display_rate"] if tag == DISPLAY_RATE else [])
    return None, ["fps_missing"]


def _rate_from(ds: Dataset, tag) -> tuple[float, list[str]] | None:
    if tag not in ds or ds[tag].value in (None, ""):
        return None
    value = ds[tag].value
    if tag == FRAME_TIME:
        milliseconds = _number(value)
        return _per_second(1000.0 / milliseconds) if milliseconds > 0 else None
    if tag == FRAME_TIME_VECTOR:
        steps = [_number(v) for v in _values(value)][1:]
        steps = [s for s in steps if s > 0]
        if not steps:
            return None
        mean = sum(steps) / len(steps)
        variable = (max(steps) - min(steps)) > VARIABLE_SPREAD * mean
        rate = _per_second(1000.0 / mean)
        return None if rate is None else (rate[0], ["fps_variable"] if variable else [])
    return _per_second(_number(value))


def _per_second(fps: float) -> tuple[float, list[str]] | None:
    return (round(fps, 4), []) if math.isfinite(fps) and 0 < fps < 1000 else None


def _values(value) -> list:
    """A DICOM value of multiplicity one or more as a list (pydicom gives a bare value or a MultiValue)."""
    if value is None or value == "":
        return []
    return [value] if isinstance(value, str | bytes | int | float) else list(value)


def _number(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")
