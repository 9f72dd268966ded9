"""The echo phantom: render one synthetic echocardiography video of a given view.

Per frame, the view's anatomy at that instant of the cardiac cycle is placed under the probe and
rasterised as a map of echogenicity, which the scanner (imaging.py) turns into a B-mode frame;
annotations and an ECG are burned in outside the sector. ED/ES labels come from the LV as drawn.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import cv2
import numpy as np

from echolab.data.synthetic.cycle import sample_cycle
from echolab.data.synthetic.imaging import Scanner, Sector
from echolab.data.synthetic.overlay import ECG_SECONDS, ecg_layers, text_layer
from echolab.data.synthetic.quality import (
    QualitySegment,
    frame_filters,
    frame_labels,
    probe_shake,
    sample_segments,
)
from echolab.data.synthetic.shapes import Fill, polygon_area
from echolab.data.synthetic.views import VIEW_CLASSES, VIEWS, Heart
from echolab.errors import ConfigError

# Bump whenever rendered pixels or labels change: experiments that generate their data on first use
# (`data.synthetic`) then regenerate datasets written by an older version.
GENERATOR_VERSION = 2
# The anatomy pivots about this point (anatomy units) when the probe is angled.
_PIVOT = np.array([0.0, 0.5])
# Sub-pixel precision of cv2 drawing: coordinates are passed in 1/16 pixel.
_SHIFT = 4


@dataclass(frozen=True)
class SyntheticVideo:
    view: str
    frames: np.ndarray  # (T, H, W, 3) uint8, grey
    fps: float
    ed: list[int]  # 0-based frames of end-diastole (LV largest), every beat in the video
    es: list[int]  # 0-based frames of end-systole (LV smallest)
    lv_area: np.ndarray  # (T,) LV cavity area as drawn, square pixels
    lv_contours: list[np.ndarray]  # per frame, the drawn LV cavity outline, (N, 2) pixels (x, y)
    # (T, 2, 2) pixels: apex and mitral annulus midpoint per frame; None in short-axis and
    # great-vessel views, which do not cut the LV along its length.
    lv_long_axis: np.ndarray | None
    quality: np.ndarray  # (T,) uint8: 0 good, else 1 + index into quality.DEFECT_KINDS
    quality_segments: list[QualitySegment]
    sector_mask: np.ndarray  # (H, W) bool: the imaging sector
    overlay_mask: np.ndarray  # (H, W) bool: pixels any annotation or ECG touches
    heart_rate_bpm: float  # mean over the video
    depth_cm: float  # imaging depth at the sector's bottom
    cm_per_pixel: float


def render_video(
    view: str,
    *,
    seed: int,
    index: int,
    size: int = 128,
    frames: int = 64,
    fps: float = 30.0,
    quality_defects: bool = True,
    shortening: float | None = None,
) -> SyntheticVideo:
    """Render video number `index` of the dataset drawn with `seed`.

    Each (seed, index) has its own random streams, so a video never depends on how many others
    are made. Anatomy, speckle, defects and annotations draw from separate child streams:
    switching `quality_defects` off changes nothing else. `shortening` (the LV's fractional narrowing
    at ES, which sets the ejection fraction) replaces the drawn one and changes nothing else either.
    """
    if view not in VIEWS:
        raise ConfigError(f"unknown view {view!r}; synthetic views are {', '.join(VIEW_CLASSES)}")
    if size < 32 or frames < 2 or fps <= 0:
        raise ConfigError(
            f"synthetic videos need size >= 32 px, frames >= 2 and fps > 0 (got {size}, {frames}, {fps})"
        )
    anatomy_rng, speckle_rng, defect_rng, annotation_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence([seed, index]).spawn(4)
    )
    cycle = sample_cycle(anatomy_rng, seconds=frames / fps, history_seconds=ECG_SECONDS)
    build, typical_depth_cm = VIEWS[view]
    heart = Heart.sample(anatomy_rng)
    if shortening is not None:
        heart = dataclasses.replace(heart, shortening=shortening)
    scene_at = build(anatomy_rng, heart)
    sector = Sector(
        apex_x=(size - 1) / 2.0,
        apex_y=anatomy_rng.uniform(0.04, 0.06) * size,
        radius=anatomy_rng.uniform(0.76, 0.8) * size,
        half_angle_deg=anatomy_rng.uniform(36.0, 40.0),
    )
    probe = _Probe.sample(anatomy_rng, sector, size)
    scanner = Scanner(
        speckle_rng,
        sector,
        size,
        gain=anatomy_rng.uniform(0.8, 1.2),
        attenuation=anatomy_rng.uniform(0.5, 1.1),
    )
    segments = sample_segments(defect_rng, frames) if quality_defects else []
    shake = probe_shake(segments, frames, fps)
    degrade = frame_filters(segments, frames, scanner.beam_angle, sector.radius)

    seconds = np.arange(frames) / fps
    grey = np.empty((frames, size, size), dtype=np.uint8)
    contours, long_axes = [], []
    for t, state in enumerate(cycle.states(seconds)):
        scene = scene_at(state)
        to_pixels, echogenicity = probe.draw(scene.shapes, seconds[t], shake[t])
        grey[t] = scanner.image(echogenicity, t, degrade[t])
        contours.append(_apply(to_pixels, scene.lv_cavity))
        if scene.lv_long_axis is not None:
            long_axes.append(_apply(to_pixels, scene.lv_long_axis))

    depth_cm = typical_depth_cm / probe.zoom
    overlay = ecg_layers(size, int(np.ceil(sector.bottom)) + max(2, size // 32), cycle, frames, fps)
    overlay |= text_layer(size, *_annotations(annotation_rng, cycle.heart_rate_bpm, depth_cm))
    overlay[:, scanner.inside] = 0  # at the smallest sizes the text would reach into the sector
    np.maximum(grey, overlay, out=grey)

    area = np.array([polygon_area(c) for c in contours])
    return SyntheticVideo(
        view=view,
        frames=np.repeat(grey[..., None], 3, axis=3),
        fps=float(fps),
        ed=_extremes(cycle.event_windows(frames, fps, "ed"), area, np.argmax),
        es=_extremes(cycle.event_windows(frames, fps, "es"), area, np.argmin),
        lv_area=area,
        lv_contours=contours,
        lv_long_axis=np.stack(long_axes) if long_axes else None,
        quality=frame_labels(segments, frames),
        quality_segments=segments,
        sector_mask=scanner.inside,
        overlay_mask=overlay.any(axis=0),
        heart_rate_bpm=cycle.heart_rate_bpm,
        depth_cm=depth_cm,
        cm_per_pixel=depth_cm / sector.radius,
    )


@dataclass(frozen=True)
class _Probe:
    """Where the anatomy lies in the image: the sonographer's probe pose for this video (zoom,
    angle, offset), breathing that moves the heart under the chest wall, and the soft tissue
    around the heart."""

    sector: Sector
    zoom: float
    tilt_deg: float
    shift: np.ndarray
    breathing: tuple[float, float, float]  # amplitude (anatomy units), period (s), phase
    background: np.ndarray  # uint8 echogenicity of the surrounding tissue at rest

    @classmethod
    def sample(cls, rng: np.random.Generator, sector: Sector, size: int) -> _Probe:
        return cls(
            sector=sector,
            zoom=rng.uniform(0.9, 1.12),
            tilt_deg=rng.uniform(-5.0, 5.0),
            shift=rng.uniform(-0.03, 0.03, size=2),
            breathing=(rng.uniform(0.005, 0.015), rng.uniform(3.0, 5.0), rng.uniform(0, 2 * np.pi)),
            background=_background(rng, size),
        )

    def draw(self, shapes, seconds: float, shake) -> tuple[np.ndarray, np.ndarray]:
        """Rasterise one frame's shapes under this probe; also return the anatomy-to-pixel map."""
        du, dv, turn = shake
        amplitude, period, phase = self.breathing
        sway = amplitude * np.sin(2 * np.pi * seconds / period + phase)
        scale = self.sector.radius * self.zoom
        to_pixels = self._to_pixels(self.tilt_deg + turn, self.shift + (du, dv + sway))
        # The chest wall rests on the probe: breathing moves the heart under it, a shaking probe
        # moves everything.
        if du or dv or turn:
            moved = _relative(
                self._to_pixels(self.tilt_deg + turn, self.shift + (du, dv)),
                self._to_pixels(self.tilt_deg, self.shift),
            )
            canvas = cv2.warpAffine(
                self.background, moved, self.background.shape[::-1], borderMode=cv2.BORDER_REFLECT
            )
        else:
            canvas = self.background.copy()
        _rasterise(canvas, shapes, to_pixels, scale)
        return to_pixels, canvas

    def _to_pixels(self, tilt_deg: float, shift) -> np.ndarray:
        """The 2x3 affine map from anatomy units to pixels for a probe pose:
        p -> apex + scale * (R (p - pivot) + pivot + shift)."""
        scale = self.sector.radius * self.zoom
        angle = np.deg2rad(tilt_deg)
        rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]) * scale
        apex = np.array([self.sector.apex_x, self.sector.apex_y])
        offset = apex + scale * (_PIVOT + np.asarray(shift)) - rotation @ _PIVOT
        return np.hstack([rotation, offset[:, None]])


def _extremes(windows, area: np.ndarray, pick) -> list[int]:
    """The frame of largest (ED) or smallest (ES) drawn LV area within each beat's window."""
    return [int(frames[pick(area[frames])]) for frames in windows]


def _relative(to_pixels: np.ndarray, rest: np.ndarray) -> np.ndarray:
    """The pixel-to-pixel map taking the resting probe pose to this one."""
    return (np.vstack([to_pixels, [0, 0, 1]]) @ np.linalg.inv(np.vstack([rest, [0, 0, 1]])))[:2]


def _apply(to_pixels: np.ndarray, points: np.ndarray) -> np.ndarray:
    return points @ to_pixels[:, :2].T + to_pixels[:, 2]


def _rasterise(canvas: np.ndarray, shapes, to_pixels: np.ndarray, pixel_scale: float) -> None:
    # Transform every shape's points in one go: per-shape numpy calls would dominate the cost.
    points = np.round(_apply(to_pixels, np.concatenate([shape.points for shape in shapes])) * (1 << _SHIFT))
    ends = np.cumsum([len(shape.points) for shape in shapes])
    for shape, polygon in zip(shapes, np.split(points.astype(np.int32), ends[:-1]), strict=True):
        level = int(round(255 * min(shape.value, 1.0)))
        if isinstance(shape, Fill):
            cv2.fillPoly(canvas, [polygon], level, cv2.LINE_AA, _SHIFT)
        else:
            thickness = max(1, int(round(shape.width * pixel_scale)))
            cv2.polylines(canvas, [polygon], shape.closed, level, thickness, cv2.LINE_AA, _SHIFT)


def _background(rng: np.random.Generator, size: int) -> np.ndarray:
    """Soft tissue around the heart: dim, with blotchy low-frequency texture."""
    level = rng.uniform(0.18, 0.26)
    noise = cv2.GaussianBlur(rng.standard_normal((size, size)).astype(np.float32), (0, 0), size / 20.0)
    noise /= noise.std() + 1e-6
    return np.clip(255 * level * (1.0 + 0.35 * noise), 0, 255).astype(np.uint8)


def _annotations(rng: np.random.Generator, heart_rate: float, depth_cm: float) -> tuple[list[str], list[str]]:
    clock = f"{rng.integers(7, 19):02d}:{rng.integers(60):02d}:{rng.integers(60):02d}"
    return [clock, f"HR {heart_rate:.0f}"], [f"{depth_cm:.0f}cm", f"G{rng.integers(40, 71)}"]
