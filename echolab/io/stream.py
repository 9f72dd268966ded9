"""What every frame backend returns: an opened video's frame rate and its RGB uint8 frames."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np

REENCODE_FIX = (
    "re-encode it (e.g. `ffmpeg -i IN -c:v mjpeg -q:v 2 OUT.avi`) or leave it out (data.skip_bad=true)"
)


@dataclass(frozen=True)
class VideoInfo:
    frames: int
    fps: float | None
    height: int
    width: int


@dataclass
class VideoStream:
    """An opened video: its frame rate, and its RGB uint8 (H, W, 3) frames in temporal order."""

    fps: float | None
    frames: Iterator[np.ndarray]


def to_rgb(frame: np.ndarray) -> np.ndarray:
    # OpenCV hands out BGR, also for grayscale sources (VideoCapture and IMREAD_COLOR convert).
    return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
