"""Keyframe metrics (torchmetrics): average frame difference, cycle detection rate, missed and spurious.

Each true keyframe is paired with at most one predicted keyframe of the same kind, nearest pairs
first, within `tolerance` frames. AFD (average frame difference) is the mean |predicted - true| over
the pairs, with its standard deviation, in frames and in milliseconds (videos with a known frame
rate only). A true keyframe left unpaired is missed, a predicted one spurious. The detection rate
is predicted keyframes over true keyframes (predicted cycles / true cycles), 1.0 when every beat
is found once.
"""

from __future__ import annotations

import math

import torch
from torchmetrics import Metric

from echolab.tasks.keyframe.targets import EVENTS


def match_keyframes(true: list[int], predicted: list[int], tolerance: float) -> list[tuple[int, int]]:
    """(true, predicted) pairs, one-to-one, closest first, at most `tolerance` frames apart."""
    candidates = sorted((abs(p - t), t, p) for t in true for p in predicted if abs(p - t) <= tolerance)
    pairs, used_true, used_pred = [], set(), set()
    for _, t, p in candidates:
        if t not in used_true and p not in used_pred:
            pairs.append((t, p))
            used_true.add(t)
            used_pred.add(p)
    return sorted(pairs)


class KeyframeMetrics(Metric):
    """Accumulates keyframe errors over videos; `compute()` gives a flat dict of floats."""

    full_state_update = False

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        for event in EVENTS:
            self.add_state(f"{event}_frames", default=[], dist_reduce_fx="cat")
            self.add_state(f"{event}_ms", default=[], dist_reduce_fx="cat")
            for count in ("true", "predicted", "missed", "spurious"):
                self.add_state(f"{event}_{count}", default=torch.tensor(0), dist_reduce_fx="sum")
        self.add_state("videos", default=torch.tensor(0), dist_reduce_fx="sum")

    def update(
        self,
        true: dict[str, list[int]],
        predicted: dict[str, list[int]],
        *,
        fps: float | None,
        tolerance: float,
        frame_range: tuple[int, int],
    ) -> None:
        """One video: keyframes per kind ({"ed": [...], "es": [...]}), judged inside `frame_range` (inclusive)."""
        first, last = frame_range
        self.videos += 1
        for event in EVENTS:
            truth = [f for f in true[event] if first <= f <= last]
            guess = [f for f in predicted[event] if first <= f <= last]
            pairs = match_keyframes(truth, guess, tolerance)
            errors = torch.tensor([abs(p - t) for t, p in pairs], dtype=torch.float64)
            getattr(self, f"{event}_frames").append(errors)
            if fps:
                getattr(self, f"{event}_ms").append(errors * 1000.0 / fps)
            setattr(self, f"{event}_true", getattr(self, f"{event}_true") + len(truth))
            setattr(self, f"{event}_predicted", getattr(self, f"{event}_predicted") + len(guess))
            setattr(self, f"{event}_missed", getattr(self, f"{event}_missed") + len(truth) - len(pairs))
            setattr(self, f"{event}_spurious", getattr(self, f"{event}_spurious") + len(guess) - len(pairs))

    def compute(self) -> dict[str, float]:
        result: dict[str, float] = {"videos": float(self.videos)}
        true = predicted = 0
        for event in EVENTS:
            for unit in ("frames", "ms"):
                errors = _joined(getattr(self, f"{event}_{unit}"))
                suffix = "" if unit == "frames" else "_ms"
                result[f"afd_{event}{suffix}"] = float(errors.mean()) if len(errors) else math.nan
                result[f"afd_{event}{suffix}_std"] = (
                    float(errors.std(unbiased=False)) if len(errors) else math.nan
                )
            for count in ("true", "predicted", "missed", "spurious"):
                result[f"{event}_{count}"] = float(getattr(self, f"{event}_{count}"))
            true += result[f"{event}_true"]
            predicted += result[f"{event}_predicted"]
        result["missed"] = result["ed_missed"] + result["es_missed"]
        result["spurious"] = result["ed_spurious"] + result["es_spurious"]
        result["detection_rate"] = predicted / true if true else math.nan
        result["afd"] = (result["afd_ed"] + result["afd_es"]) / 2 if true else math.nan
        return result


def _joined(values) -> torch.Tensor:
    """A list state is a list of tensors before syncing and one tensor after it."""
    if isinstance(values, torch.Tensor):
        return values.double()
    return torch.cat(values).double() if values else torch.zeros(0, dtype=torch.float64)
