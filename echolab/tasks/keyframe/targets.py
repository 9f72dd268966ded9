"""Per-frame ED and ES target curves, and the single-beat tricks (loss mask, mirroring).

A curve's value at frame t is exp(-d² / 2σ²), d the distance from t to the nearest event of its
kind, so it is exactly 1.0 at an event (REFERENCE §2). Events just outside the video are inferred
from the cycle (the annotated events repeated one beat earlier and later), so curves near the
ends of a video fall towards the unseen event rather than staying flat.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EVENTS = ("ed", "es")
KEYFRAME_CLASSES = ("ED", "ES")  # the two output curves, in column order
LABEL_MODES = ("all", "masked", "mirror")


@dataclass(frozen=True)
class Beat:
    """The annotated keyframes of one video (0-based frame indices, any order)."""

    ed: tuple[int, ...]
    es: tuple[int, ...]

    @property
    def annotated(self) -> bool:
        return bool(self.ed) and bool(self.es)

    @property
    def span(self) -> tuple[int, int]:
        """First and last annotated frame."""
        frames = (*self.ed, *self.es)
        return min(frames), max(frames)


def cycle_length(beat: Beat) -> float | None:
    """Frames per cardiac cycle: the median gap between events of one kind, or twice the ED-ES gap."""
    gaps = [np.diff(sorted(events)) for events in (beat.ed, beat.es) if len(events) > 1]
    gaps = np.concatenate(gaps) if gaps else np.array([])
    if len(gaps):
        return float(np.median(gaps))
    if beat.annotated:
        # One ED and one ES: systole and diastole taken as equally long, the simplest guess.
        return 2.0 * abs(beat.ed[0] - beat.es[0])
    return None


def extended_events(events: tuple[int, ...], cycle: float | None, n_frames: int) -> np.ndarray:
    """`events` plus where the cycle puts the neighbours just before frame 0 and after the last frame."""
    events = np.asarray(sorted(events), dtype=np.float64)
    if not len(events) or not cycle:
        return events
    before = events[0] - cycle * np.arange(1, int(np.ceil(events[0] / cycle)) + 2)
    after = events[-1] + cycle * np.arange(1, int(np.ceil((n_frames - events[-1]) / cycle)) + 2)
    return np.sort(np.concatenate([before, events, after]))


def event_curves(n_frames: int, beat: Beat, sigma: float = 10.0) -> np.ndarray:
    """(n_frames, 2) float32 target curves for ED (column 0) and ES (column 1).

    A kind with no annotated event gets a zero curve (its frames should be masked out of the loss).
    """
    if sigma <= 0:
        raise ValueError(f"the keyframe curve width sigma must be positive, got {sigma}")
    frames = np.arange(n_frames, dtype=np.float64)
    cycle = cycle_length(beat)
    curves = np.zeros((n_frames, 2), dtype=np.float32)
    for column, events in enumerate((beat.ed, beat.es)):
        centres = extended_events(events, cycle, n_frames)
        if len(centres):
            distance = np.abs(frames[:, None] - centres[None, :]).min(1)
            curves[:, column] = np.exp(-(distance**2) / (2 * sigma**2))
    return curves


def beat_mask(n_frames: int, beat: Beat, mode: str) -> np.ndarray:
    """(n_frames,) bool: frames whose curve values are trusted labels.

    all:    every frame (every beat of the video is annotated);
    masked: only the annotated stretch, first to last event (single-beat datasets such as EchoNet);
    mirror: every frame of the mirrored sequence (see `mirrored_frames`).
    """
    if mode not in LABEL_MODES:
        raise ValueError(f"unknown keyframe label mode {mode!r}; choose one of {', '.join(LABEL_MODES)}")
    if not beat.annotated:
        return np.zeros(n_frames, dtype=bool)
    if mode == "masked":
        first, last = beat.span
        mask = np.zeros(n_frames, dtype=bool)
        mask[max(first, 0) : min(last, n_frames - 1) + 1] = True
        return mask
    return np.ones(n_frames, dtype=bool)


def mirrored_frames(beat: Beat, length: int) -> tuple[np.ndarray, Beat]:
    """Frame indices of a periodic sequence made from one annotated ED-ES stretch, and its events.

    The stretch a..b (a, b the two annotated keyframes) is played forwards then backwards
    (a, ..., b, b-1, ..., a+1, a, ...), so events alternate every b-a frames: a stand-in for a
    multi-beat video built from single-beat labels. `length` frames are returned.
    """
    first, last = beat.span
    half = last - first
    if half < 1:
        raise ValueError(f"mirroring needs two distinct keyframes, got ED {beat.ed} and ES {beat.es}")
    position = np.arange(length) % (2 * half)
    frames = first + np.where(position <= half, position, 2 * half - position)
    first_kind_ed = first in beat.ed
    at_first = tuple(range(0, length, 2 * half))
    at_last = tuple(range(half, length, 2 * half))
    ed, es = (at_first, at_last) if first_kind_ed else (at_last, at_first)
    return frames.astype(np.int64), Beat(ed=ed, es=es)
