"""The scanner half of the phantom: from a map of echogenicity to a B-mode grey-level frame.

Interfaces facing the beam are brightened (specular reflection), the map is multiplied by
spatially correlated speckle that decorrelates slowly over time, amplified by the gain and
attenuated with depth, degraded where a poor-quality segment says so, log-compressed and cut to
the fan-shaped sector. Everything works on one small frame at a time, which keeps it in cache.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class Sector:
    """The fan-shaped imaging sector, in pixels, apex at the top."""

    apex_x: float
    apex_y: float
    radius: float
    half_angle_deg: float

    @property
    def bottom(self) -> float:
        return self.apex_y + self.radius

    def beam_geometry(self, size: int) -> tuple[np.ndarray, np.ndarray]:
        """Each pixel's distance from the apex (pixels) and angle from the centre line (degrees,
        positive to the right)."""
        y, x = np.mgrid[0:size, 0:size].astype(np.float32)
        dx, dy = x - self.apex_x, y - self.apex_y
        return np.hypot(dx, dy), np.degrees(np.arctan2(dx, dy))

    def mask(self, size: int) -> np.ndarray:
        depth, angle = self.beam_geometry(size)
        return (depth <= self.radius) & (np.abs(angle) <= self.half_angle_deg)


class Speckle:
    """Multiplicative speckle with mean 1: the magnitude of a spatially correlated complex Gaussian
    field. The field turns slowly through three fixed fields with unit-norm weights, so the grain
    evolves smoothly from frame to frame while its statistics stay the same."""

    def __init__(self, rng: np.random.Generator, size: int):
        # Speckle grains are longer across the beam than along it (lateral vs axial resolution).
        lateral, axial = max(0.7, size / 110.0), max(0.5, size / 220.0)
        fields = [
            cv2.GaussianBlur(
                rng.standard_normal((size, size)).astype(np.float32), (0, 0), lateral, sigmaY=axial
            )
            for _ in range(6)  # real and imaginary parts of three complex fields
        ]
        self._norm = float(np.sqrt(np.pi / 2.0 * np.mean(np.square(fields))))  # Rayleigh mean -> 1
        self._real, self._imag = fields[0::2], fields[1::2]
        self._turn, self._spin = rng.uniform(0.08, 0.15), rng.uniform(0.03, 0.07)  # radians per frame
        self._out = np.empty((size, size), dtype=np.float32)

    def frame(self, t: int) -> np.ndarray:
        """Frame t's speckle (a buffer reused by the next call)."""
        turn, spin = self._turn * t, self._spin * t
        w = np.array([np.cos(turn), np.sin(turn) * np.cos(spin), np.sin(turn) * np.sin(spin)]) / self._norm
        real, imag = (
            cv2.scaleAdd(parts[2], w[2], cv2.addWeighted(parts[0], w[0], parts[1], w[1], 0.0))
            for parts in (self._real, self._imag)
        )
        cv2.magnitude(real, imag, self._out)
        # Soften the Rayleigh statistics a little, as compounding and filtering in scanners do.
        self._out *= 0.7
        self._out += 0.3
        return self._out


class Scanner:
    """Images the frames of one video: fixed beam geometry, gain and attenuation; evolving speckle."""

    def __init__(
        self, rng: np.random.Generator, sector: Sector, size: int, *, gain: float, attenuation: float
    ):
        depth, angle = sector.beam_geometry(size)
        self.sector = sector
        self.inside = (depth <= sector.radius) & (np.abs(angle) <= sector.half_angle_deg)
        self.beam_angle = angle / sector.half_angle_deg  # -1 .. 1 across the sector
        radians = np.deg2rad(angle)
        self._beam_x, self._beam_y = np.sin(radians), np.cos(radians)
        self._edge_sigma = max(0.6, size / 160.0)
        self._gain = (gain * np.exp(-attenuation * depth / sector.radius)).astype(np.float32)
        # Reverberation clutter just under the transducer.
        self._haze = (0.25 * np.exp(-depth / (0.06 * sector.radius))).astype(np.float32)
        self._speckle = Speckle(rng, size)
        self._outside = ~self.inside

    def image(
        self, echogenicity: np.ndarray, t: int, degrade: Callable[[np.ndarray], None] | None = None
    ) -> np.ndarray:
        """Frame t as uint8 grey, black outside the sector, from a uint8 echogenicity map."""
        echo = echogenicity.astype(np.float32)
        echo *= 1.0 / 255.0
        self._brighten_interfaces(echo)
        echo *= self._speckle.frame(t)
        echo *= self._gain
        echo += self._haze
        if degrade is not None:
            degrade(echo)
        np.minimum(echo, 1.0, out=echo)
        cv2.pow(echo, 0.8, dst=echo)  # log-like compression of the dynamic range
        grey = cv2.convertScaleAbs(echo, alpha=255.0)
        grey[self._outside] = 0
        return grey

    def _brighten_interfaces(self, echo: np.ndarray) -> None:
        """Add specular reflection where echogenicity changes along the beam: walls facing the
        probe shine, walls parallel to it (lateral walls in apical views) stay faint."""
        smooth = cv2.GaussianBlur(echo, (0, 0), self._edge_sigma)
        along_beam = cv2.Sobel(smooth, cv2.CV_32F, 1, 0) * self._beam_x
        along_beam += cv2.Sobel(smooth, cv2.CV_32F, 0, 1) * self._beam_y
        echo += 0.35 * self._edge_sigma * np.abs(along_beam)
