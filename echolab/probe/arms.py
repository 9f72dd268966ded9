"""Where a probe's features come from (an "arm" of a comparison): raw pixels, a randomly initialised
encoder, or a pretraining checkpoint's encoders. Every arm goes through the same probes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from echolab.data.records import VideoRecord
from echolab.errors import EcholabError
from echolab.io.cache import FrameCache
from echolab.probe.features import pixel_features
from echolab.probe.perturb import Perturbation


class Arm(Protocol):
    name: str  # checkpoint | random | pixels
    description: str  # one line for the summary
    cache_size: int | None  # frames decoded at this size (an encoder's own); None: the experiment's
    feature_keys: list[str]  # the feature sets it gives, the headline first

    def record(self) -> dict:
        """What config.yaml and metrics.json say about the arm."""

    def features(
        self, records: list[VideoRecord], cache: FrameCache, *, perturb: Perturbation | None = None, desc: str
    ) -> dict[str, np.ndarray]:
        """One (N, D) array per feature set, a row per record, in order."""


@dataclass
class PixelArm:
    """The issue's baseline: per-pixel temporal mean and standard deviation of small grey frames."""

    size: int = 16
    name: str = "pixels"
    cache_size: int | None = None

    @property
    def description(self) -> str:
        return f"raw pixels (temporal mean and std of {self.size}x{self.size} grey frames)"

    @property
    def feature_keys(self) -> list[str]:
        return ["pixels"]

    def record(self) -> dict:
        return {"name": self.name, "pixel_size": self.size}

    def features(
        self, records: list[VideoRecord], cache: FrameCache, *, perturb: Perturbation | None = None, desc: str
    ) -> dict[str, np.ndarray]:
        return pixel_features(records, cache, size=self.size, perturb=perturb, desc=desc)


def choose_arm(ckpt: str | None, features: str | None, cfg: dict) -> Arm:
    """The arm the command words name: ckpt=PATH, ckpt=random or features=pixels (exactly one)."""
    if (ckpt is None) == (features is None):
        raise EcholabError(
            "name exactly one arm: ckpt=PATH (a pretraining checkpoint), ckpt=random (a random-init encoder "
            "of the experiment's model: block) or features=pixels (raw pixels)"
        )
    if features is not None:
        if features != "pixels":
            raise EcholabError(f"features={features} is unknown; features=pixels is the raw-pixel arm")
        return PixelArm(size=cfg["probe"]["pixel_size"])
    raise EcholabError("checkpoint arms need the pretraining encoder (not merged yet)")
