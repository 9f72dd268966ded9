"""Drawable primitives in anatomy units.

Anatomy units: the imaging sector's apex is (0, 0), u grows to the right and v with depth, and
1.0 is the sector radius, so a view's geometry does not depend on the output size in pixels.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Fill:
    """A filled polygon of one echogenicity (0 = blood, 1 = brightest reflector)."""

    points: np.ndarray  # (N, 2) anatomy units
    value: float


@dataclass(frozen=True)
class Line:
    """A polyline drawn `width` thick (anatomy units): valve leaflets, pericardium, vessel walls."""

    points: np.ndarray
    value: float
    width: float
    closed: bool = False


Shape = Fill | Line


def rotate(points: np.ndarray, angle_deg: float, about=(0.0, 0.0)) -> np.ndarray:
    # Image coordinates have v pointing down, so a positive angle turns clockwise on screen.
    angle = np.deg2rad(angle_deg)
    cos, sin = np.cos(angle), np.sin(angle)
    about = np.asarray(about, dtype=np.float64)
    return (np.asarray(points, dtype=np.float64) - about) @ np.array([[cos, sin], [-sin, cos]]) + about


@functools.cache
def _unit_circle(n: int) -> np.ndarray:
    t = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
    return np.stack([np.cos(t), np.sin(t)], axis=1)


def ellipse(center, axes, angle_deg: float = 0.0, n: int = 40) -> np.ndarray:
    points = _unit_circle(n) * np.asarray(axes, dtype=np.float64)
    if angle_deg:
        points = rotate(points, angle_deg)
    return points + np.asarray(center, dtype=np.float64)


def arc(center, radius, start_deg: float, stop_deg: float, n: int = 16) -> np.ndarray:
    """Part of a circle, or of an axis-aligned ellipse when `radius` is a pair (ru, rv)."""
    t = np.deg2rad(np.linspace(start_deg, stop_deg, n))
    ru, rv = np.broadcast_to(np.asarray(radius, dtype=np.float64), (2,))
    return np.stack([ru * np.cos(t), rv * np.sin(t)], axis=1) + np.asarray(center, dtype=np.float64)


def ring_wedge(
    center, inner: float, outer: float, start_deg: float, stop_deg: float, n: int = 4
) -> np.ndarray:
    """The polygon between two radii and two angles."""
    return ring_wedges(center, inner, outer, start_deg, stop_deg - start_deg, 1, n)[0]


def ring_wedges(
    center, inner: float, outer: float, start_deg: float, span_deg: float, count: int, n: int = 3
):
    """`count` adjacent wedges of a ring, each `span_deg` wide: (count, 2n, 2) polygons, the
    pieces of a textured wall. Adjacent wedges overlap by a hair so no seam shows between them."""
    starts = start_deg + span_deg * np.arange(count)
    t = np.deg2rad(starts[:, None] + np.linspace(0.0, span_deg + 0.5, n)[None, :])
    t = np.concatenate([t, t[:, ::-1]], axis=1)
    radius = np.concatenate([np.full(n, outer), np.full(n, inner)])
    return np.stack([radius * np.cos(t), radius * np.sin(t)], axis=2) + np.asarray(center, dtype=np.float64)


def tube(path, half_width: float) -> np.ndarray:
    """The polygon of a vessel of constant calibre along a polyline."""
    path = np.asarray(path, dtype=np.float64)
    step = np.diff(path, axis=0)
    tangent = np.concatenate([step[:1], step[:-1] + step[1:], step[-1:]])  # central differences
    tangent /= np.linalg.norm(tangent, axis=1, keepdims=True)
    normal = np.stack([-tangent[:, 1], tangent[:, 0]], axis=1) * half_width
    return np.concatenate([path + normal, (path - normal)[::-1]])


@functools.cache
def _levels(n: int) -> np.ndarray:
    return np.linspace(0.0, 1.0, n)


def bullet(apex, base_mid, half_width: float, n: int = 24, base_taper: float = 0.22, bluntness: float = 2.2):
    """A ventricle-shaped cavity: rounded at the apex, widest near the base, flat at the valve plane.

    Returns the closed polygon and the two basal corners (the valve hinge points): first the one on
    the screen's left, then the right one, as seen with the apex above the base.
    """
    apex = np.asarray(apex, dtype=np.float64)
    base_mid = np.asarray(base_mid, dtype=np.float64)
    axis = base_mid - apex
    length = np.linalg.norm(axis)
    along = axis / length
    across = np.array([-along[1], along[0]])
    level = _levels(n)
    width = half_width * np.sqrt(1.0 - (1.0 - level) ** bluntness) * (1.0 - base_taper * level**6)
    centre = apex + np.outer(level * length, along)
    right = centre - np.outer(width, across)
    left = centre + np.outer(width, across)
    polygon = np.concatenate([right, left[::-1][:-1]])
    return polygon, left[-1], right[-1]


def leaflet(hinge, direction_deg: float, length: float) -> np.ndarray:
    angle = np.deg2rad(direction_deg)
    hinge = np.asarray(hinge, dtype=np.float64)
    return np.stack([hinge, hinge + length * np.array([np.cos(angle), np.sin(angle)])])


def direction_deg(start, stop) -> float:
    delta = np.asarray(stop, dtype=np.float64) - np.asarray(start, dtype=np.float64)
    return float(np.degrees(np.arctan2(delta[1], delta[0])))


def place(shapes: list[Shape], *, angle_deg: float, scale: float, about, to) -> list[Shape]:
    """Rotate and scale a group of shapes about `about`, then move that point to `to`."""

    def move(points):
        return move_points(points, angle_deg=angle_deg, scale=scale, about=about, to=to)

    return [
        Fill(move(s.points), s.value)
        if isinstance(s, Fill)
        else Line(move(s.points), s.value, s.width * scale, s.closed)
        for s in shapes
    ]


def move_points(points: np.ndarray, *, angle_deg: float, scale: float, about, to) -> np.ndarray:
    about = np.asarray(about, dtype=np.float64)
    return rotate((points - about) * scale, angle_deg) + np.asarray(to, dtype=np.float64)


def polygon_area(points: np.ndarray) -> float:
    x, y = points[:, 0], points[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))
