"""The one place echolab reads videos: files of any codec, and folders of frame images.

Every reader returns RGB uint8 frames. Video files go to OpenCV first and to decord only when
OpenCV cannot open them. OpenCV is the faster whole-video decoder on this stack (100-frame MJPG
AVI, 2 cores: 112x112 px 14 ms vs decord 21-28 ms; 320x320 px 63-80 ms vs 89-139 ms), and it
notices truncated files, which decord silently reads short.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from echolab.errors import VideoReadError

VIDEO_EXTENSIONS = (".avi", ".mp4", ".mov", ".mkv", ".m4v", ".webm", ".mpg", ".mpeg", ".wmv", ".ogv")
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
DICOM_EXTENSIONS = (".dcm", ".dicom")

_FIX = "re-encode it (e.g. `ffmpeg -i IN -c:v mjpeg -q:v 2 OUT.avi`) or leave it out (data.skip_bad=true)"


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


class _CannotDecode(Exception):
    """One decoder cannot open a file; the next decoder gets a try."""


def read_video(path: str | Path, *, max_frames: int | None = None) -> tuple[np.ndarray, float | None]:
    """All frames (or the first `max_frames`) as uint8 (T, H, W, 3) RGB, and the frame rate."""
    stream = open_video(path, max_frames=max_frames)
    return np.stack(list(stream.frames)), stream.fps


def open_video(path: str | Path, *, max_frames: int | None = None) -> VideoStream:
    """Open a video file or frame folder for decoding one frame at a time (bounded memory)."""
    if max_frames is not None and max_frames < 1:
        raise ValueError(f"max_frames must be at least 1, got {max_frames}")
    path = _existing_source(path)
    if path.is_dir():
        return _open_frame_folder(path, max_frames)
    return _first_decoder_that_works(path, lambda decoder: decoder.open(path, max_frames))


def probe_video(path: str | Path) -> VideoInfo:
    """Frame count, rate and size, from the header plus decoding the first and last frames."""
    path = _existing_source(path)
    if path.is_dir():
        images = list_frame_images(path)
        if not images:
            raise VideoReadError(_empty_folder_message(path))
        first = _read_image(images[0])
        _check_same_size(images[-1], _read_image(images[-1]), first.shape)
        return VideoInfo(frames=len(images), fps=None, height=first.shape[0], width=first.shape[1])
    return _first_decoder_that_works(path, lambda decoder: decoder.probe(path))


def list_frame_images(folder: str | Path) -> list[Path]:
    """The image files of a frame folder in temporal order (natural sort: frame_2 before frame_10)."""
    with os.scandir(folder) as entries:
        names = [entry.name for entry in entries if Path(entry.name).suffix.lower() in IMAGE_EXTENSIONS]
    return [Path(folder) / name for name in sorted(names, key=natural_key)]


def expand_video_inputs(spec: str | Path | list | tuple) -> list[Path]:
    """The videos a user named: a video file, a frame folder, a folder of videos and/or frame
    folders (naturally sorted), a glob, or a list of any of these (a Python list or "[a, b]")."""
    if isinstance(spec, list | tuple):
        items = [str(item) for item in spec]
    elif isinstance(spec, str) and spec.strip().startswith("[") and spec.strip().endswith("]"):
        items = [item.strip().strip("'\"") for item in spec.strip()[1:-1].split(",")]
        items = [item for item in items if item]
    else:
        items = [str(spec)]
    paths = [path for item in items for path in _expand_one(item)]
    if not paths:
        raise VideoReadError(
            f"no videos found in {spec!r}: give a video file ({', '.join(VIDEO_EXTENSIONS)}), a folder of "
            "frame images, a folder of videos, a glob such as 'videos/*.avi', or a list '[a.avi, b.avi]'"
        )
    return paths


def _expand_one(item: str) -> list[Path]:
    if glob.has_magic(item):
        matches = sorted(glob.glob(os.path.expanduser(item), recursive=True), key=natural_key)
        return [Path(match) for match in matches if _is_video_input(Path(match))]
    path = Path(item).expanduser()
    if path.is_file():
        return [path]
    if path.is_dir():
        if list_frame_images(path):
            return [path]
        children = sorted(path.iterdir(), key=lambda child: natural_key(child.name))
        return [child for child in children if _is_video_input(child)]
    raise VideoReadError(f"{path}: no such video file, frame folder or folder of videos")


def _is_video_input(path: Path) -> bool:
    if path.is_dir():
        return bool(list_frame_images(path))
    return path.suffix.lower() in VIDEO_EXTENSIONS + DICOM_EXTENSIONS


def _existing_source(path: str | Path) -> Path:
    path = Path(path)
    if path.suffix.lower() in DICOM_EXTENSIONS:
        raise VideoReadError(f"{path}: DICOM: run `echolab prepare dicom` first")
    if not path.exists():
        raise VideoReadError(
            f"{path}: no such video file or frame folder; check the path and the dataset root"
        )
    if path.is_file() and path.stat().st_size == 0:
        raise VideoReadError(f"{path}: the file is empty (0 bytes); {_FIX}")
    return path


def _first_decoder_that_works(path: Path, attempt):
    failures = []
    for decoder in _DECODERS:
        try:
            return attempt(decoder)
        except _CannotDecode as failure:
            failures.append(f"{decoder.name}: {failure}")
    raise VideoReadError(
        f"{path}: cannot decode this video ({'; '.join(failures)}); it may be corrupt, truncated or in an "
        f"unsupported codec: {_FIX}"
    )


def _check_complete(path: Path, decoded: int, expected: int) -> None:
    # Containers with a frame index (AVI, MP4) report an exact count; others estimate it from the
    # duration, which can be one frame off. Fewer frames than that means the file was cut short.
    if expected > 0 and decoded < expected - 1:
        raise VideoReadError(
            f"{path}: the header promises {expected} frames but only {decoded} decode; the file is "
            f"truncated or damaged: {_FIX}"
        )


class _OpenCVDecoder:
    name = "OpenCV"

    def open(self, path: Path, max_frames: int | None) -> VideoStream:
        capture, first = self._capture_with_first_frame(path)
        fps = _usable_fps(capture.get(cv2.CAP_PROP_FPS))
        expected = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))

        def frames() -> Iterator[np.ndarray]:
            try:
                frame, decoded = first, 0
                while frame is not None:
                    yield _to_rgb(frame)
                    decoded += 1
                    if decoded == max_frames:
                        return
                    ok, frame = capture.read()
                    frame = frame if ok else None
                _check_complete(path, decoded, expected)
            finally:
                capture.release()

        return VideoStream(fps=fps, frames=frames())

    def probe(self, path: Path) -> VideoInfo:
        capture, first = self._capture_with_first_frame(path)
        try:
            fps = _usable_fps(capture.get(cv2.CAP_PROP_FPS))
            expected = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
            frames = expected if expected > 0 and self._last_frame_decodes(capture, expected) else None
            if frames is None:
                # The header count is missing or its last frame is unreadable: count for real.
                capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
                frames = 0
                while capture.grab():
                    frames += 1
                _check_complete(path, frames, expected)
        finally:
            capture.release()
        return VideoInfo(frames=frames, fps=fps, height=first.shape[0], width=first.shape[1])

    @staticmethod
    def _capture_with_first_frame(path: Path) -> tuple[cv2.VideoCapture, np.ndarray]:
        capture = cv2.VideoCapture(str(path))
        if not capture.isOpened():
            raise _CannotDecode("cannot open the file")
        ok, first = capture.read()
        if not ok:
            capture.release()
            raise _CannotDecode("opened the file but decoded no frame")
        return capture, first

    @staticmethod
    def _last_frame_decodes(capture: cv2.VideoCapture, count: int) -> bool:
        if count == 1:
            return True
        capture.set(cv2.CAP_PROP_POS_FRAMES, count - 1)
        return capture.read()[0]


class _DecordDecoder:
    name = "decord"
    _BATCH = 32  # frames decoded per call: bounds memory on long videos

    def open(self, path: Path, max_frames: int | None) -> VideoStream:
        reader = self._reader(path)
        count = len(reader) if max_frames is None else min(len(reader), max_frames)

        def frames() -> Iterator[np.ndarray]:
            for start in range(0, count, self._BATCH):
                indices = list(range(start, min(count, start + self._BATCH)))
                yield from self._decode(path, reader.get_batch, indices)

        return VideoStream(fps=_usable_fps(reader.get_avg_fps()), frames=frames())

    def probe(self, path: Path) -> VideoInfo:
        reader = self._reader(path)
        first = self._decode(path, reader.__getitem__, 0)
        self._decode(path, reader.__getitem__, len(reader) - 1)
        return VideoInfo(len(reader), _usable_fps(reader.get_avg_fps()), first.shape[0], first.shape[1])

    @staticmethod
    def _reader(path: Path):
        try:
            import decord  # optional at import time: it has no wheels for some platforms
        except ImportError as error:
            raise _CannotDecode(f"not installed ({error})") from error
        try:
            reader = decord.VideoReader(str(path), num_threads=1)
        except (RuntimeError, decord.DECORDError) as error:
            raise _CannotDecode(str(error).splitlines()[0]) from error
        if len(reader) == 0:
            raise _CannotDecode("opened the file but it has no frames")
        return reader

    @staticmethod
    def _decode(path: Path, read, frames) -> np.ndarray:
        import decord

        try:
            return read(frames).asnumpy()
        except (RuntimeError, decord.DECORDError) as error:
            raise VideoReadError(
                f"{path}: decord failed part-way through the video ({error}); {_FIX}"
            ) from error


_DECODERS = (_OpenCVDecoder(), _DecordDecoder())


def _open_frame_folder(folder: Path, max_frames: int | None) -> VideoStream:
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


def _read_image(path: Path) -> np.ndarray:
    # imdecode from bytes rather than imread: imread cannot open non-ASCII paths on Windows.
    frame = cv2.imdecode(np.fromfile(path, dtype=np.uint8), cv2.IMREAD_COLOR)
    if frame is None:
        raise VideoReadError(f"{path}: cannot decode this image; replace it or remove its frame folder")
    return _to_rgb(frame)


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


def _to_rgb(frame: np.ndarray) -> np.ndarray:
    # OpenCV hands out BGR, also for grayscale sources (VideoCapture and IMREAD_COLOR convert).
    return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)


def _usable_fps(fps: float) -> float | None:
    # Decoders report 0 or nonsense when a container stores no rate.
    return float(fps) if 0 < fps < 1000 else None


def natural_key(text: str) -> list:
    """Sort key that orders digit runs by value: frame_2 before frame_10, class 2 before 10."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]
