"""The one place echolab reads frames: `path -> frames` for every kind of source.

`open_video` / `read_video` / `probe_video` pick the backend from the path (each backend imported only
when a source of its kind is read): video files of any codec (OpenCV, then decord), folders of frame
images, NIfTI sequences, and DICOM ultrasound cines (by suffix, or by content for files without one),
masked to their imaging sector as `echolab prepare dicom` masks them. Every backend
returns RGB uint8 frames; the decode-once frame cache (`io.cache.FrameCache`) stores any of them
memory-mapped, so every task, `data-summary` and `predict` read every format.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from echolab.errors import VideoReadError
from echolab.io.inputs import (
    DICOM_EXTENSIONS,
    IMAGE_EXTENSIONS,
    NIFTI_SUFFIXES,
    VIDEO_EXTENSIONS,
    expand_video_inputs,
    is_dicom,
    is_nifti,
    natural_key,
)
from echolab.io.stream import REENCODE_FIX, VideoInfo, VideoStream

__all__ = [
    "DICOM_EXTENSIONS",
    "IMAGE_EXTENSIONS",
    "NIFTI_SUFFIXES",
    "VIDEO_EXTENSIONS",
    "VideoInfo",
    "VideoStream",
    "expand_video_inputs",
    "is_dicom",
    "is_nifti",
    "natural_key",
    "open_video",
    "probe_video",
    "read_video",
]


def read_video(path: str | Path, *, max_frames: int | None = None) -> tuple[np.ndarray, float | None]:
    """All frames (or the first `max_frames`) as uint8 (T, H, W, 3) RGB, and the frame rate."""
    stream = open_video(path, max_frames=max_frames)
    return np.stack(list(stream.frames)), stream.fps


def open_video(path: str | Path, *, max_frames: int | None = None) -> VideoStream:
    """Open any source for decoding one frame at a time (bounded memory)."""
    if max_frames is not None and max_frames < 1:
        raise ValueError(f"max_frames must be at least 1, got {max_frames}")
    path = _existing_source(path)
    if path.is_dir():
        from echolab.io.frame_folders import open_frame_folder

        return open_frame_folder(path, max_frames)
    if is_nifti(path):
        from echolab.io.nifti import open_nifti

        return open_nifti(path, max_frames)
    if is_dicom(path):
        from echolab.io.dicom import open_dicom

        return open_dicom(path, max_frames)
    from echolab.io.video_files import open_video_file

    return open_video_file(path, max_frames)


def probe_video(path: str | Path) -> VideoInfo:
    """Frame count, rate and size, from the header plus decoding the first and last frames."""
    path = _existing_source(path)
    if path.is_dir():
        from echolab.io.frame_folders import probe_frame_folder

        return probe_frame_folder(path)
    if is_nifti(path):
        from echolab.io.nifti import probe_nifti

        return probe_nifti(path)
    if is_dicom(path):
        from echolab.io.dicom import probe_dicom

        return probe_dicom(path)
    from echolab.io.video_files import probe_video_file

    return probe_video_file(path)


def _existing_source(path: str | Path) -> Path:
    path = Path(path)
    if not path.exists():
        raise VideoReadError(
            f"{path}: no such video file or frame folder; check the path and the dataset root"
        )
    if path.is_file() and path.stat().st_size == 0:
        raise VideoReadError(f"{path}: the file is empty (0 bytes); {REENCODE_FIX}")
    return path
