"""Video files of any codec: OpenCV first, decord only when OpenCV cannot open a file.

OpenCV is the faster whole-video decoder on this stack (100-frame MJPG AVI, 2 cores: 112x112 px 14 ms
vs decord 21-28 ms; 320x320 px 63-80 ms vs 89-139 ms), and it notices truncated files, which decord
silently reads short.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from echolab.errors import VideoReadError
from echolab.io.stream import REENCODE_FIX, VideoInfo, VideoStream, to_rgb


class _CannotDecode(Exception):
    """One decoder cannot open a file; the next decoder gets a try."""


def open_video_file(path: Path, max_frames: int | None) -> VideoStream:
    return _first_decoder_that_works(path, lambda decoder: decoder.open(path, max_frames))


def probe_video_file(path: Path) -> VideoInfo:
    return _first_decoder_that_works(path, lambda decoder: decoder.probe(path))


def _first_decoder_that_works(path: Path, attempt):
    failures = []
    for decoder in _DECODERS:
        try:
            return attempt(decoder)
        except _CannotDecode as failure:
            failures.append(f"{decoder.name}: {failure}")
    raise VideoReadError(
        f"{path}: cannot decode this video ({'; '.join(failures)}); it may be corrupt, truncated or in an "
        f"unsupported codec: {REENCODE_FIX}"
    )


def _check_complete(path: Path, decoded: int, expected: int) -> None:
    # Containers with a frame index (AVI, MP4) report an exact count; others estimate it from the
    # duration, which can be one frame off. Fewer frames than that means the file was cut short.
    if expected > 0 and decoded < expected - 1:
        raise VideoReadError(
            f"{path}: the header promises {expected} frames but only {decoded} decode; the file is "
            f"truncated or damaged: {REENCODE_FIX}"
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
                    yield to_rgb(frame)
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
                f"{path}: decord failed part-way through the video ({error}); {REENCODE_FIX}"
            ) from error


_DECODERS = (_OpenCVDecoder(), _DecordDecoder())


def _usable_fps(fps: float) -> float | None:
    # Decoders report 0 or nonsense when a container stores no rate.
    return float(fps) if 0 < fps < 1000 else None
