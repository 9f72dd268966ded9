"""The echo phantom renderer: anatomy scenes in, B-mode-looking frames out.

Per frame: the view's scene (chambers at this instant of the cardiac cycle) is rasterised as a
map of echogenicity; interfaces facing the beam are brightened (specular reflection); the map is
multiplied by spatially correlated speckle that decorrelates slowly over time, attenuated with
depth, degraded where a poor-quality segment says so, log-compressed, cut to the imaging sector,
and the annotations and ECG are burned in outside it.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from echolab.data.synthetic.cycle import sample_cycle
from echolab.data.synthetic.overlay import ECG_SECONDS, ecg_layers, text_layer
from echolab.data.synthetic.quality import QualitySegment, degrade, frame_labels, probe_shake, sample_segments
from echolab.data.synthetic.shapes import Fill, polygon_area
from echolab.data.synthetic.views import VIEW_CLASSES, VIEWS, Heart
from echolab.errors import ConfigError

# The anatomy pivots about this point (anatomy units) when the probe is angled.
_PIVOT = np.array([0.0, 0.5])
# Sub-pixel precision of cv2 drawing: coordinates are passed in 1/16 pixel.
_SHIFT = 4


@dataclass(frozen=True)
class Sector:
    """The fan-shaped imaging sector, in pixels."""

    apex_x: float
    apex_y: float
    radius: float
    half_angle_deg: float

    @property
    def bottom(self) -> float:
        return self.apex_y + self.radius

    def beam_geometry(self, size: int) -> tuple[np.ndarray, np.ndarray]:
        """Each pixel's distance from the apex (pixels) and angle from the centre line (degrees)."""
        y, x = np.mgrid[0:size, 0:size].astype(np.float32)
        dx, dy = x - self.apex_x, y - self.apex_y
        return np.hypot(dx, dy), np.degrees(np.arctan2(dx, dy))

    def mask(self, size: int) -> np.ndarray:
        depth, angle = self.beam_geometry(size)
        return (depth <= self.radius) & (np.abs(angle) <= self.half_angle_deg)


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
) -> SyntheticVideo:
    """Render video number `index` of the dataset drawn with `seed`.

    Each (seed, index) has its own random streams, so a video never depends on how many others
    are made. Anatomy, speckle, defects and annotations draw from separate child streams:
    switching `quality_defects` off changes nothing else.
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
    heart = Heart.sample(anatomy_rng)
    build, typical_depth_cm = VIEWS[view]
    scene_at = build(anatomy_rng, heart)
    sector = Sector(
        apex_x=(size - 1) / 2.0,
        apex_y=anatomy_rng.uniform(0.04, 0.06) * size,
        radius=anatomy_rng.uniform(0.76, 0.8) * size,
        half_angle_deg=anatomy_rng.uniform(36.0, 40.0),
    )
    zoom = anatomy_rng.uniform(0.9, 1.12)
    tilt = anatomy_rng.uniform(-5.0, 5.0)
    shift = anatomy_rng.uniform(-0.03, 0.03, size=2)
    breathing = (
        anatomy_rng.uniform(0.005, 0.015),
        anatomy_rng.uniform(3.0, 5.0),
        anatomy_rng.uniform(0, 2 * np.pi),
    )
    gain = anatomy_rng.uniform(0.8, 1.2)
    attenuation = anatomy_rng.uniform(0.5, 1.1)

    segments = sample_segments(defect_rng, frames) if quality_defects else []
    shake = probe_shake(segments, frames, fps)
    seconds = np.arange(frames) / fps
    sway = breathing[0] * np.sin(2 * np.pi * seconds / breathing[1] + breathing[2])

    pixel_scale = sector.radius * zoom
    echo = np.empty((frames, size, size), dtype=np.float32)
    canvas = np.zeros((size, size), dtype=np.uint8)
    background = _background(anatomy_rng, size, heart.myocardium)
    rest = _anatomy_to_pixels(sector, pixel_scale, tilt, shift)
    contours, long_axes = [], []
    states = cycle.states(seconds)
    for t in range(frames):
        du, dv, turn = shake[t]
        to_pixels = _anatomy_to_pixels(sector, pixel_scale, tilt + turn, shift + (du, dv + sway[t]))
        # The chest wall rests on the probe: breathing moves the heart under it, a shaking probe
        # moves everything.
        if du or dv or turn:
            shaken = _anatomy_to_pixels(sector, pixel_scale, tilt + turn, shift + (du, dv))
            cv2.warpAffine(
                background, _relative(shaken, rest), (size, size), canvas, borderMode=cv2.BORDER_REFLECT
            )
        else:
            canvas[:] = background
        scene = scene_at(states[t])
        _rasterise(canvas, scene.shapes, to_pixels, pixel_scale)
        echo[t] = canvas
        contours.append(_apply(to_pixels, scene.lv_cavity))
        if scene.lv_long_axis is not None:
            long_axes.append(_apply(to_pixels, scene.lv_long_axis))
    echo *= 1.0 / 255.0

    depth, angle = sector.beam_geometry(size)
    inside = (depth <= sector.radius) & (np.abs(angle) <= sector.half_angle_deg)
    _brighten_interfaces(echo, depth, angle, size)
    echo *= _speckle(speckle_rng, frames, size)
    echo *= gain * np.exp(-attenuation * depth / sector.radius)
    echo += _near_field_haze(depth, sector.radius)
    degrade(echo, segments, angle / sector.half_angle_deg, sector.radius)
    pixels = _compress(echo) * inside

    depth_cm = typical_depth_cm / zoom
    overlay = ecg_layers(size, int(np.ceil(sector.bottom)) + max(2, size // 32), cycle, frames, fps)
    overlay |= text_layer(size, *_annotations(annotation_rng, cycle.heart_rate_bpm, depth_cm))
    pixels = np.maximum(pixels, overlay)

    area = np.array([polygon_area(c) for c in contours])
    return SyntheticVideo(
        view=view,
        frames=np.repeat(pixels[..., None], 3, axis=3),
        fps=float(fps),
        ed=_extremes(cycle.events(frames, fps, "ed"), area, np.argmax),
        es=_extremes(cycle.events(frames, fps, "es"), area, np.argmin),
        lv_area=area,
        lv_contours=contours,
        lv_long_axis=np.stack(long_axes) if long_axes else None,
        quality=frame_labels(segments, frames),
        quality_segments=segments,
        sector_mask=inside,
        overlay_mask=overlay.any(axis=0),
        heart_rate_bpm=cycle.heart_rate_bpm,
        depth_cm=depth_cm,
        cm_per_pixel=depth_cm / sector.radius,
    )


def _extremes(windows, area: np.ndarray, pick) -> list[int]:
    """The frame of largest (ED) or smallest (ES) drawn LV area within each beat's window."""
    return [int(frames[pick(area[frames])]) for _, frames in windows]


def _anatomy_to_pixels(sector: Sector, pixel_scale: float, tilt_deg: float, shift) -> np.ndarray:
    """The 2x3 affine map from anatomy units to pixels for one frame's probe pose."""
    angle = np.deg2rad(tilt_deg)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]) * pixel_scale
    # anatomy point p -> apex + scale * (R (p - pivot) + pivot + shift)
    offset = (
        np.array([sector.apex_x, sector.apex_y])
        + pixel_scale * (_PIVOT + np.asarray(shift))
        - rotation @ _PIVOT
    )
    return np.hstack([rotation, offset[:, None]])


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


def _background(rng: np.random.Generator, size: int, myocardium: float) -> np.ndarray:
    """Soft tissue around the heart: dim, with blotchy low-frequency texture."""
    noise = cv2.GaussianBlur(rng.standard_normal((size, size)).astype(np.float32), (0, 0), size / 20.0)
    noise /= noise.std() + 1e-6
    level = 255 * myocardium * (0.4 + 0.15 * noise)
    return np.clip(level, 0, 255).astype(np.uint8)


def _brighten_interfaces(echo: np.ndarray, depth: np.ndarray, angle: np.ndarray, size: int) -> None:
    """Add specular reflection where echogenicity changes along the beam: walls facing the
    probe shine, walls parallel to the beam (e.g. lateral walls in apical views) stay faint."""
    radians = np.deg2rad(angle)
    beam_x, beam_y = np.sin(radians), np.cos(radians)
    sigma = max(0.6, size / 160.0)
    for frame in echo:
        smooth = cv2.GaussianBlur(frame, (0, 0), sigma)
        along_beam = (
            cv2.Sobel(smooth, cv2.CV_32F, 1, 0) * beam_x + cv2.Sobel(smooth, cv2.CV_32F, 0, 1) * beam_y
        )
        frame += 0.35 * sigma * np.abs(along_beam)


def _speckle(rng: np.random.Generator, frames: int, size: int) -> np.ndarray:
    """(T, H, W) multiplicative speckle with mean 1: the magnitude of a correlated complex
    Gaussian field, rotated slowly through three fixed fields so the grain evolves smoothly."""
    grain_lateral, grain_axial = max(0.7, size / 110.0), max(0.5, size / 220.0)
    fields = []
    for _ in range(6):  # real and imaginary parts of three complex fields
        noise = rng.standard_normal((size, size)).astype(np.float32)
        fields.append(cv2.GaussianBlur(noise, (0, 0), grain_lateral, sigmaY=grain_axial))
    norm = np.sqrt(np.pi / 2.0 * np.mean(np.square(fields)))  # makes the Rayleigh mean 1
    real_parts, imag_parts = fields[0::2], fields[1::2]
    turn_rate, spin_rate = rng.uniform(0.08, 0.15), rng.uniform(0.03, 0.07)  # radians per frame
    speckle = np.empty((frames, size, size), dtype=np.float32)
    for t in range(frames):
        # Unit-norm weights keep the field's statistics the same in every frame.
        w = (
            np.array(
                [
                    np.cos(turn_rate * t),
                    np.sin(turn_rate * t) * np.cos(spin_rate * t),
                    np.sin(turn_rate * t) * np.sin(spin_rate * t),
                ]
            )
            / norm
        )
        real, imag = (
            cv2.scaleAdd(parts[2], w[2], cv2.addWeighted(parts[0], w[0], parts[1], w[1], 0.0))
            for parts in (real_parts, imag_parts)
        )
        cv2.magnitude(real, imag, speckle[t])
    # Soften the Rayleigh statistics a little: scanners smooth speckle by compounding and filtering.
    speckle *= 0.7
    speckle += 0.3
    return speckle


def _near_field_haze(depth: np.ndarray, radius: float) -> np.ndarray:
    """Reverberation clutter just under the transducer."""
    return (0.25 * np.exp(-depth / (0.06 * radius))).astype(np.float32)


def _compress(echo: np.ndarray) -> np.ndarray:
    """Log-like compression of linear intensity (>= 0) to 8-bit grey."""
    flat = np.minimum(echo, 1.0).reshape(len(echo), -1)
    cv2.pow(flat, 0.8, dst=flat)
    return cv2.convertScaleAbs(flat, alpha=255.0).reshape(echo.shape)


def _annotations(rng: np.random.Generator, heart_rate: float, depth_cm: float) -> tuple[list[str], list[str]]:
    clock = f"{rng.integers(7, 19):02d}:{rng.integers(60):02d}:{rng.integers(60):02d}"
    return [clock, f"HR {heart_rate:.0f}"], [f"{depth_cm:.0f}cm", f"G{rng.integers(40, 71)}"]
