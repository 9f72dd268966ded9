"""The `probe:` keys (experiments/base/probe/default.yaml), typed."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Self

from echolab.errors import ConfigError
from echolab.probe.perturb import PERTURBATIONS
from echolab.probe.targets import TARGETS


@dataclass(frozen=True)
class ProbeSettings:
    target: str
    clips: int
    k: list[int]
    temperature: float
    weight_decays: list[float]
    perturbations: list[str]
    severity: float
    pixel_size: int
    batch_size: int
    bootstrap: int

    @classmethod
    def from_block(cls, block: dict) -> Self:
        """The settings of a `probe:` block; every problem is listed in one error."""
        names = [f.name for f in fields(cls)]
        problems = [f"probe.{key} is not a probe setting" for key in sorted(set(block) - set(names))]
        problems += [f"probe.{key} is missing" for key in names if key not in block]
        if not problems:
            settings = cls(**block)
            problems = settings._problems()
        if problems:
            raise ConfigError(
                "the probe: block is wrong: "
                + "; ".join(problems)
                + " (see experiments/base/probe/default.yaml)"
            )
        return settings

    def _problems(self) -> list[str]:
        problems = []
        if self.target not in TARGETS:
            problems.append(f"probe.target '{self.target}' is not one of {', '.join(TARGETS)}")
        if self.clips < 1 or self.batch_size < 1 or self.pixel_size < 1:
            problems.append("probe.clips, probe.batch_size and probe.pixel_size must be >= 1")
        if not self.k or min(self.k) < 1:
            problems.append(f"probe.k must list neighbour counts >= 1, got {self.k}")
        if self.temperature <= 0:
            problems.append(f"probe.temperature must be > 0, got {self.temperature}")
        if not self.weight_decays or min(self.weight_decays) <= 0:
            problems.append(f"probe.weight_decays must list positive values, got {self.weight_decays}")
        unknown = [p for p in self.perturbations if p not in PERTURBATIONS]
        if unknown:
            problems.append(
                f"probe.perturbations {unknown} are unknown; choose from {', '.join(PERTURBATIONS)}"
            )
        if isinstance(self.bootstrap, bool) or not isinstance(self.bootstrap, int) or self.bootstrap < 0:
            problems.append(
                f"probe.bootstrap must be a whole number of resamples (0: none), got {self.bootstrap!r}"
            )
        if not 0 <= self.severity <= 1:
            problems.append(f"probe.severity must lie in [0, 1], got {self.severity}")
        return problems
