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
from collections.abc import Sequence

import numpy as np
import torch
from torchmetrics import Metric

from echolab.tasks.keyframe.targets import EVENTS

COUNTS = ("true", "predicted", "missed", "spurious")


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
    """Accumulates videos' `score_video` dicts; `compute()` gives `summarise` of them and the video count."""

    full_state_update = False

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        for event in EVENTS:
            self.add_state(f"{event}_frames", default=[], dist_reduce_fx="cat")
            self.add_state(f"{event}_ms", default=[], dist_reduce_fx="cat")
            for count in COUNTS:
                self.add_state(f"{event}_{count}", default=torch.tensor(0), dist_reduce_fx="sum")
        self.add_state("videos", default=torch.tensor(0), dist_reduce_fx="sum")

    def update(self, score: dict) -> None:
        """One video's `score_video` dict."""
        self.videos += 1
        for event in EVENTS:
            for unit in ("frames", "ms"):
                getattr(self, f"{event}_{unit}").append(
                    torch.tensor(score[f"{event}_{unit}"], dtype=torch.float64)
                )
            for count in COUNTS:
                name = f"{event}_{count}"
                setattr(self, name, getattr(self, name) + score[name])

    def compute(self) -> dict[str, float]:
        pooled = {
            f"{event}_{unit}": _joined(getattr(self, f"{event}_{unit}")).tolist()
            for event in EVENTS
            for unit in ("frames", "ms")
        } | {
            f"{event}_{count}": int(getattr(self, f"{event}_{count}")) for event in EVENTS for count in COUNTS
        }
        return {"videos": float(self.videos)} | summarise([pooled])


def score_video(
    true: dict[str, list[int]],
    predicted: dict[str, list[int]],
    *,
    fps: float | None,
    tolerance: float,
    frame_range: tuple[int, int],
) -> dict:
    """One video's keyframes per kind ({"ed": [...], "es": [...]}), judged inside `frame_range`
    (inclusive): per kind, the paired errors in frames and (with a known fps) in ms, and the true,
    predicted, missed and spurious counts. A plain dict of lists and ints (JSON-ready)."""
    first, last = frame_range
    score = {}
    for event in EVENTS:
        truth = [f for f in true[event] if first <= f <= last]
        guess = [f for f in predicted[event] if first <= f <= last]
        pairs = match_keyframes(truth, guess, tolerance)
        errors = [float(abs(p - t)) for t, p in pairs]
        score |= {
            f"{event}_frames": errors,
            f"{event}_ms": [e * 1000.0 / fps for e in errors] if fps else [],
            f"{event}_true": len(truth),
            f"{event}_predicted": len(guess),
            f"{event}_missed": len(truth) - len(pairs),
            f"{event}_spurious": len(guess) - len(pairs),
        }
    return score


def summarise(scores: Sequence[dict]) -> dict[str, float]:
    """The keyframe metrics of a set of videos from their `score_video` dicts (errors pooled over every
    pair of every video; counts summed). NaN where nothing was paired or nothing was true."""
    result: dict[str, float] = {}
    true = predicted = 0
    for event in EVENTS:
        for unit, suffix in (("frames", ""), ("ms", "_ms")):
            errors = np.array([e for score in scores for e in score[f"{event}_{unit}"]], dtype=np.float64)
            result[f"afd_{event}{suffix}"] = float(errors.mean()) if len(errors) else math.nan
            result[f"afd_{event}{suffix}_std"] = float(errors.std()) if len(errors) else math.nan
        for count in COUNTS:
            result[f"{event}_{count}"] = float(sum(score[f"{event}_{count}"] for score in scores))
        true += result[f"{event}_true"]
        predicted += result[f"{event}_predicted"]
    result["missed"] = result["ed_missed"] + result["es_missed"]
    result["spurious"] = result["ed_spurious"] + result["es_spurious"]
    result["detection_rate"] = predicted / true if true else math.nan
    result["afd"] = (result["afd_ed"] + result["afd_es"]) / 2 if true else math.nan
    return result


def video_scores(rows: Sequence[dict]) -> dict[str, float | None]:
    """The headline test metrics of the videos in `rows` (each holding its `score_video` entries):
    what bootstrap intervals and compare's paired differences recompute on resampled videos."""
    values = summarise(rows)
    return {
        name: None if math.isnan(values[name]) else values[name]
        for name in (
            "afd",
            "afd_ed",
            "afd_es",
            "afd_ed_ms",
            "afd_es_ms",
            "detection_rate",
            "missed",
            "spurious",
        )
    }


def _joined(values) -> torch.Tensor:
    """A list state is a list of tensors before syncing and one tensor after it."""
    if isinstance(values, torch.Tensor):
        return values.double()
    return torch.cat(values).double() if values else torch.zeros(0, dtype=torch.float64)
