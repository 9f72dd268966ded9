"""Burned-in scanner annotations outside the imaging sector: clock, heart rate, depth, gain in the
top corners, and a scrolling ECG strip below the sector whose R waves fall on end-diastole.

Real cines carry these too; models must learn to ignore them, and preprocessing to mask them.
"""

from __future__ import annotations

import cv2
import numpy as np

from echolab.data.synthetic.cycle import CardiacCycle

ECG_SECONDS = 2.5  # history the strip shows
_TEXT_LEVEL = 220
_ECG_LEVEL = 200
_FONT = cv2.FONT_HERSHEY_PLAIN


def _font_scale(size: int) -> float:
    # Hershey "plain" capitals are 9 px tall at scale 1; aim for text about 5% of the frame.
    return max(0.3, 0.05 * size / 9.0)


def text_layer(size: int, lines_left: list[str], lines_right: list[str]) -> np.ndarray:
    """A (size, size) uint8 layer with the annotations stacked in the two top corners."""
    layer = np.zeros((size, size), dtype=np.uint8)
    scale = _font_scale(size)
    step = int(np.ceil(14 * scale))
    margin = max(1, size // 64)
    for row, text in enumerate(lines_left):
        cv2.putText(
            layer, text, (margin, margin + step * (row + 1)), _FONT, scale, _TEXT_LEVEL, 1, cv2.LINE_AA
        )
    for row, text in enumerate(lines_right):
        width = cv2.getTextSize(text, _FONT, scale, 1)[0][0]
        cv2.putText(
            layer,
            text,
            (size - margin - width, margin + step * (row + 1)),
            _FONT,
            scale,
            _TEXT_LEVEL,
            1,
            cv2.LINE_AA,
        )
    return layer


def ecg_layers(size: int, top: int, cycle: CardiacCycle, frame_count: int, fps: float) -> np.ndarray:
    """(T, size, size) uint8: the ECG strip at each frame, drawn in rows top..size-1, newest
    sample at the right end, where a dot marks the present moment."""
    bottom = size - max(1, size // 50)
    height = bottom - top
    left, right = round(0.06 * size), round(0.94 * size)
    xs = np.linspace(left, right, 2 * (right - left) + 1)
    lookback = (xs - right) / (right - left) * ECG_SECONDS
    baseline = top + 0.75 * height
    voltage = cycle.ecg(np.arange(frame_count)[:, None] / fps + lookback)
    ys = np.clip(baseline - 0.7 * height * voltage, top, bottom)
    dot_radius = 16 * max(1, size // 100)  # in 1/16 px, as the drawing calls take it
    layers = np.zeros((frame_count, size, size), dtype=np.uint8)
    for layer, trace in zip(layers, ys, strict=True):
        points = np.round(np.stack([xs, trace], axis=1) * 16).astype(np.int32)
        cv2.polylines(layer, [points], False, _ECG_LEVEL, 1, cv2.LINE_AA, shift=4)
        cv2.circle(layer, tuple(int(v) for v in points[-1]), dot_radius, 255, -1, cv2.LINE_AA, shift=4)
    return layers
