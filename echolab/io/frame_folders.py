"""Frame folders: one image file per frame, in natural order (frame_2 before frame_10)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from echolab.errors import VideoReadError
from echolab.io.inputs import IMAGE_EXTENSIONS, natural_key
from echolab.io.stream import VideoInfo, VideoStream, to_rgb


def list_frame_images(folder: str | Path) -> list[Path]:
    """The image files of a frame folder in temporal order (natural sort: frame_2 before frame_10)."""
    with os.scandir(folder) as entries:
        names = [entry.name for entry in entries if Path(entry.name).suffix.lower() in IMAGE_EXTENSIONS]
    return [Path(folder) / name for name in sorted(names, key=natural_key)]


def open_frame_folder(folder: Path, max_frames: int | None) -> VideoStream:
    images = list_frame_images(folder)
    if not images:
        raise VideoReadError(_empty_folder_message(folder))

    def frames() -> Iterator[np.ndarray]:
        first_shape = None
        for image_path in images[:max_frames]:
            frame = _read_image(image_path)
            first_shape = first_shape or frame.shape
            _check_same_size(image_path, frame, first_shape)
            yield frame

    return VideoStream(fps=None, frames=frames())


def probe_frame_folder(folder: Path) -> VideoInfo:
    images = list_frame_images(folder)
    if not images:
        raise VideoReadError(_empty_folder_message(folder))
    first = _read_image(images[0])
    _check_same_size(images[-1], _read_image(images[-1]), first.shape)
    return VideoInfo(frames=len(images), fps=None, height=first.shape[0], width=first.shape[1])


def _read_image(path: Path) -> np.ndarray:
    data = np.fromfile(path, dtype=np.uint8)
    if data.size == 0:  # OpenCV raises its own error on empty input instead of returning None
        raise VideoReadError(
            f"{path}: the frame image is empty (0 bytes); replace it or remove its frame folder"
        )
    # imdecode from bytes rather than imread: imread cannot open non-ASCII paths on Windows.
    frame = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if frame is None:
        raise VideoReadError(f"{path}: cannot decode this image; replace it or remove its frame folder")
    return to_rgb(frame)


def _check_same_size(path: Path, frame: np.ndarray, first_shape: tuple[int, ...]) -> None:
    if frame.shape != first_shape:
        raise VideoReadError(
            f"{path}: frame is {frame.shape[1]}x{frame.shape[0]} but the folder's first frame is "
            f"{first_shape[1]}x{first_shape[0]}; every frame of a video must have the same size"
        )


def _empty_folder_message(folder: Path) -> str:
    return (
        f"{folder}: frame folder holds no images ({', '.join(IMAGE_EXTENSIONS)}); "
        "add the frames or leave the video out (data.skip_bad=true)"
    )
