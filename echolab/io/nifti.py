"""NIfTI sequences (how CAMUS publishes its cines): an (H, W, T) volume read with nibabel.

The sequences are small (tens of frames), so the whole volume is read at once; intensities that are
not uint8 are scaled over the whole volume (not per frame) to 0-255, so frames keep their relative
brightness. Grey frames are repeated into RGB like every other source.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from echolab.errors import VideoReadError
from echolab.io.stream import VideoInfo, VideoStream


def open_nifti(path: Path, max_frames: int | None) -> VideoStream:
    volume = _volume(path)

    def frames() -> Iterator[np.ndarray]:
        for t in range(volume.shape[2] if max_frames is None else min(max_frames, volume.shape[2])):
            yield np.repeat(volume[:, :, t, None], 3, axis=2)

    return VideoStream(fps=None, frames=frames())


def probe_nifti(path: Path) -> VideoInfo:
    height, width, frames = _shape(_load(path).shape, path)
    return VideoInfo(frames=frames, fps=None, height=height, width=width)


def _load(path: Path):
    import nibabel as nib  # only NIfTI sources need it

    try:
        return nib.load(str(path))
    except Exception as err:  # nibabel raises several types for damaged files
        raise VideoReadError(
            f"{path}: cannot read this NIfTI file ({err}); re-download it or leave it out"
        ) from err


def _shape(shape: tuple[int, ...], path: Path) -> tuple[int, int, int]:
    if len(shape) == 2:
        return shape[0], shape[1], 1
    if len(shape) != 3:
        raise VideoReadError(f"{path}: expected an (H, W, T) sequence, got an array of shape {shape}")
    return shape


def _volume(path: Path) -> np.ndarray:
    """The sequence as uint8 (H, W, T)."""
    try:
        volume = np.asarray(_load(path).dataobj)
    except VideoReadError:
        raise
    except Exception as err:  # a truncated .nii.gz fails only when its data is read
        raise VideoReadError(
            f"{path}: cannot read this NIfTI file ({err}); re-download it or leave it out"
        ) from err
    volume = volume.reshape(_shape(volume.shape, path))
    if volume.dtype != np.uint8:
        low, high = float(volume.min()), float(volume.max())
        volume = ((volume - low) * (255.0 / max(high - low, 1e-6))).round().astype(np.uint8)
    return volume
