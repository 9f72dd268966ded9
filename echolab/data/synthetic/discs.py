"""LV tracings as EchoNet-Dynamic publishes them, and volumes by the method of discs.

A tracing is the long axis (apex to mitral annulus midpoint) followed by chords perpendicular to
it at evenly spaced levels, each running wall to wall across the traced LV contour.
"""

from __future__ import annotations

import numpy as np

DISCS = 20


def chords(contour: np.ndarray, apex: np.ndarray, base: np.ndarray, discs: int = DISCS) -> np.ndarray:
    """(1 + discs, 4) rows of x1, y1, x2, y2 in pixels: the long axis, then the disc chords from
    apex to base."""
    axis = base - apex
    length = float(np.linalg.norm(axis))
    along = axis / length
    across = np.array([-along[1], along[0]])
    centres = apex + np.outer((np.arange(discs) + 0.5) / discs * length, along)
    # Where each chord's line crosses each contour edge: the edge's fraction u in [0, 1).
    start, stop = contour, np.roll(contour, -1, axis=0)
    height_start = (start - apex) @ along  # edge ends' positions along the long axis
    height_stop = (stop - apex) @ along
    level = (centres - apex) @ along
    with np.errstate(divide="ignore", invalid="ignore"):
        u = (level[:, None] - height_start[None, :]) / (height_stop - height_start)[None, :]
    crosses = (u >= 0.0) & (u < 1.0)
    points = start[None] + np.where(crosses, u, 0.0)[..., None] * (stop - start)[None]
    offset = np.where(crosses, (points - centres[:, None]) @ across, np.nan)
    if np.isnan(offset).all(axis=1).any():
        raise ValueError("a disc level does not cross the LV contour; apex and base must lie on it")
    near, far = np.nanmin(offset, axis=1), np.nanmax(offset, axis=1)
    ends_a = centres + near[:, None] * across
    ends_b = centres + far[:, None] * across
    return np.vstack([np.concatenate([apex, base]), np.hstack([ends_a, ends_b])])


def volume_ml(tracing: np.ndarray, cm_per_pixel: float) -> float:
    """Simpson's single-plane method of discs: each chord is the diameter of a disc one
    disc-height thick."""
    axis, rows = tracing[0], tracing[1:]
    height = np.hypot(axis[2] - axis[0], axis[3] - axis[1]) / len(rows)
    diameters = np.hypot(rows[:, 2] - rows[:, 0], rows[:, 3] - rows[:, 1])
    return float(np.sum(np.pi / 4.0 * diameters**2) * height * cm_per_pixel**3)
