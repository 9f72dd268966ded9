"""The file encodings synthetic datasets are saved in: MJPG AVI, JPEG frames and plain CSV."""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np

from echolab.data.synthetic.phantom import SyntheticVideo

_JPEG_QUALITY = 92


def write_avi(path: Path, video: SyntheticVideo) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)  # exist_ok: worker processes share folders
    height, width = video.frames.shape[1:3]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), video.fps, (width, height))
    if not writer.isOpened():
        raise OSError(f"OpenCV cannot write MJPG AVI files here ({path})")
    for frame in video.frames:
        writer.write(frame)
    writer.release()


def write_jpeg(path: Path, frame: np.ndarray) -> None:
    if not cv2.imwrite(str(path), frame, [cv2.IMWRITE_JPEG_QUALITY, _JPEG_QUALITY]):
        raise OSError(f"could not write {path}")


def write_csv(path: Path, header: list[str], rows) -> None:
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
