"""Test-time acoustic perturbations for the robustness check (EchoJEPA's: speckle, gain loss, depth).

Each is one of the synthetic scanner's own degradations (data/synthetic/imaging.py, quality.py),
applied to decoded frames: grey levels are taken back to linear echo intensity through the scanner's
compression (grey = 255 * intensity ** 0.8), degraded, and compressed again.

- speckle: more multiplicative speckle, the generator's own correlated, slowly evolving field
  (imaging.Speckle), mixed in with weight `severity`;
- gain: the generator's low-gain defect (quality.defect_filter "low_gain": intensity x (0.5 - 0.25 severity));
- depth: stronger depth attenuation, the scanner's law exp(-a depth) with a = 2 severity, depth measured
  down the image (the sector's apex sits at its top).

A perturbation is seeded per video, so every arm of a comparison sees the same degraded frames.
"""

from __future__ import annotations

import numpy as np

from echolab.data.synthetic.imaging import Speckle
from echolab.data.synthetic.quality import defect_filter
from echolab.errors import ConfigError, check_choice

PERTURBATIONS = ("speckle", "gain", "depth")
_COMPRESSION = 0.8  # imaging.Scanner: grey = 255 * min(intensity, 1) ** 0.8


class Perturbation:
    def __init__(self, kind: str, severity: float = 0.5, seed: int = 0):
        check_choice("perturbation", kind, PERTURBATIONS)
        if not 0.0 <= severity <= 1.0:
            raise ConfigError(f"probe.severity must lie in [0, 1], got {severity}")
        self.kind, self.severity, self.seed = kind, severity, seed

    def __call__(self, frames: np.ndarray, indices: np.ndarray, video: int) -> np.ndarray:
        """`frames` (T, H, W, C) uint8, the frames numbered `indices` (-1: padding) of video number
        `video`; returns new degraded frames of the same shape."""
        height, width = frames.shape[1:3]
        intensity = (frames.astype(np.float32) / 255.0) ** (1.0 / _COMPRESSION)
        if self.kind == "speckle":
            field = Speckle(np.random.default_rng([self.seed, video]), max(height, width))
            for t, frame_number in enumerate(np.maximum(indices, 0)):
                grain = field.frame(int(frame_number))[:height, :width, None]
                intensity[t] *= 1.0 + self.severity * (grain - 1.0)
        elif self.kind == "gain":
            defect_filter("low_gain", self.severity, 0, None, None)(intensity)
        else:
            depth = (np.arange(height, dtype=np.float32) / height)[:, None, None]
            intensity *= np.exp(-2.0 * self.severity * depth)
        return (255.0 * np.minimum(intensity, 1.0) ** _COMPRESSION).round().astype(np.uint8)
