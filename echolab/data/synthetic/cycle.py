"""The cardiac cycle that drives every view: heart rate, chamber contraction, valve timing, ECG.

Time is counted in beats ("phase"): end-diastole (ED, R wave) falls on whole numbers and
end-systole (ES) a systolic fraction later. The heart rate varies between videos and, with
breathing, slightly within one, so beats are not evenly spaced.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Phase is integrated on a grid this much finer than the frames, so ES/ED instants are exact
# to well under a frame.
_STEPS_PER_SECOND = 1000


@dataclass(frozen=True)
class BeatState:
    """What the chambers and valves are doing at one instant."""

    contraction: float  # ventricles: 0 at ED (largest) .. 1 at ES (smallest)
    atrial_fill: float  # atria: largest at ES, smallest after the atrial kick at ED
    mitral_open: float  # inflow (mitral, tricuspid) valves: 0 closed .. 1 wide open
    aortic_open: float  # outflow (aortic, pulmonary) valves
    beats: float = 0.0  # beats elapsed since the first frame (not wrapped): drives steady motions


@dataclass(frozen=True)
class CardiacCycle:
    heart_rate_bpm: float  # mean over the video
    systole_fraction: float  # share of a beat from ED to ES
    _times: np.ndarray
    _phase: np.ndarray

    def phase(self, seconds) -> np.ndarray:
        return np.interp(seconds, self._times, self._phase)

    def states(self, seconds: np.ndarray) -> list[BeatState]:
        phase = self.phase(seconds)
        fraction = phase % 1.0
        elapsed = phase - self.phase(0.0)
        squeeze = contraction(fraction, self.systole_fraction)
        mitral = _mitral_opening(fraction, self.systole_fraction)
        aortic = _aortic_opening(fraction, self.systole_fraction)
        return [
            BeatState(float(s), float(s), float(m), float(a), float(b))
            for s, m, a, b in zip(squeeze, mitral, aortic, elapsed, strict=True)
        ]

    def ecg(self, seconds: np.ndarray) -> np.ndarray:
        """ECG voltage (R wave = 1) at the given times; the R peak falls exactly at ED."""
        phase = self.phase(seconds)
        beat_seconds = 60.0 / self.heart_rate_bpm
        since_r = ((phase + 0.5) % 1.0 - 0.5) * beat_seconds
        systole_seconds = self.systole_fraction * beat_seconds
        waves = (  # (centre s, width s, amplitude): P, Q, R, S, T
            (-0.16, 0.025, 0.15),
            (-0.025, 0.008, -0.12),
            (0.0, 0.010, 1.0),
            (0.025, 0.009, -0.25),
            (0.7 * systole_seconds, 0.045, 0.3),
        )
        return sum(a * np.exp(-0.5 * ((since_r - c) / w) ** 2) for c, w, a in waves)

    def event_windows(self, frame_count: int, fps: float, kind: str) -> list[np.ndarray]:
        """For each ED (kind "ed") or ES instant that rounds to a frame of the video, in order:
        the frames within half a beat of it."""
        offset = 0.0 if kind == "ed" else self.systole_fraction
        frame_phase = self.phase(np.arange(frame_count) / fps)
        first = int(np.floor(frame_phase[0] - offset - 0.5))
        last = int(np.ceil(frame_phase[-1] - offset + 0.5))
        windows = []
        for beat in range(first, last + 1):
            instant = beat + offset
            instant_frame = np.interp(instant, self._phase, self._times) * fps
            if -0.5 <= instant_frame < frame_count - 0.5:
                windows.append(np.flatnonzero(np.abs(frame_phase - instant) < 0.5))
        return windows


def sample_cycle(rng: np.random.Generator, *, seconds: float, history_seconds: float) -> CardiacCycle:
    """A random rhythm covering [-history_seconds, seconds] (the ECG strip shows the recent past)."""
    mean_rate = rng.uniform(55.0, 110.0)
    breathing_depth = rng.uniform(0.02, 0.06)  # respiratory sinus arrhythmia
    breathing_period = rng.uniform(3.0, 5.0)
    breathing_start = rng.uniform(0.0, 2.0 * np.pi)
    start_phase = rng.uniform(0.0, 1.0)
    # Systole shortens less than the beat as the heart speeds up, so its share of the beat grows.
    systole_seconds = 0.34 - 0.001 * (mean_rate - 60.0)
    systole_fraction = float(np.clip(systole_seconds * mean_rate / 60.0, 0.3, 0.5))

    times = np.arange(-history_seconds, seconds + 0.1, 1.0 / _STEPS_PER_SECOND)
    rate = mean_rate * (
        1.0 + breathing_depth * np.sin(2.0 * np.pi * times / breathing_period + breathing_start)
    )
    phase = np.concatenate([[0.0], np.cumsum(rate[:-1]) / 60.0 / _STEPS_PER_SECOND])
    phase += start_phase - np.interp(0.0, times, phase)
    return CardiacCycle(float(mean_rate), systole_fraction, times, phase)


def _smoothstep(x):
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def contraction(fraction: np.ndarray, systole_fraction: float) -> np.ndarray:
    """Ventricular contraction over one beat: strictly rises in systole, then strictly falls through
    rapid filling, a slow diastasis and the atrial kick, so ED and ES are single, sharp extremes."""
    systole = 0.5 - 0.5 * np.cos(np.pi * fraction / systole_fraction)
    u = (fraction - systole_fraction) / (1.0 - systole_fraction)
    diastole = (
        1.0
        - 0.72 * _smoothstep(u / 0.35)
        - 0.08 * np.clip((u - 0.35) / 0.43, 0.0, 1.0)
        - 0.2 * _smoothstep((u - 0.78) / 0.22)
    )
    return np.where(fraction < systole_fraction, systole, diastole)


def _window(x, opens, closes, ramp):
    return _smoothstep((x - opens) / ramp) * (1.0 - _smoothstep((x - closes) / ramp))


def _aortic_opening(fraction, systole_fraction):
    return _window(fraction, 0.03, systole_fraction - 0.06, 0.03)


def _mitral_opening(fraction, systole_fraction):
    u = (fraction - systole_fraction) / (1.0 - systole_fraction)
    early = _window(u, 0.06, 0.45, 0.08)  # E wave
    late = _window(u, 0.72, 0.95, 0.05)  # A wave (atrial kick)
    return np.maximum(np.maximum(early, 0.6 * late), 0.35 * _window(u, 0.4, 0.8, 0.1))
