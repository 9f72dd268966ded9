"""Frames of keyframe videos: the frame cache for videos and frame folders, nibabel for CAMUS NIfTI.

The one video-reading API (echolab.data.video) does not read NIfTI volumes, which is how CAMUS
publishes its sequences; they are small (tens of frames), so they are decoded here and kept in
memory per process instead.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from echolab.data.cache import FrameCache, resize_shorter_side
from echolab.data.records import BadVideo
from echolab.errors import VideoReadError

NIFTI_SUFFIXES = (".nii", ".nii.gz")


def is_nifti(path: str | Path) -> bool:
    return str(path).lower().endswith(NIFTI_SUFFIXES)


def read_nifti_sequence(path: str | Path, size: int | None = None) -> np.ndarray:
    """A NIfTI sequence (H, W, T) as uint8 RGB frames (T, H, W, 3), shorter side resized to `size`."""
    import nibabel as nib

    try:
        volume = np.asarray(nib.load(str(path)).dataobj)
    except Exception as err:  # nibabel raises several types for damaged files
        raise VideoReadError(
            f"{path}: cannot read this NIfTI file ({err}); re-download it or leave it out"
        ) from err
    if volume.ndim == 2:
        volume = volume[:, :, None]
    if volume.ndim != 3:
        raise VideoReadError(f"{path}: expected an (H, W, T) sequence, got an array of shape {volume.shape}")
    if volume.dtype != np.uint8:
        low, high = float(volume.min()), float(volume.max())
        volume = ((volume - low) * (255.0 / max(high - low, 1e-6))).round().astype(np.uint8)
    frames = [
        resize_shorter_side(np.repeat(volume[:, :, t, None], 3, axis=2), size) for t in range(volume.shape[2])
    ]
    return np.stack(frames)


class KeyframeFrames:
    """`frames(path)` for any keyframe source; picklable for DataLoader workers."""

    def __init__(self, cache: FrameCache):
        self.cache = cache
        self._nifti: dict[str, np.ndarray] = {}

    def ensure(self, paths: list[Path], *, skip_bad: bool = False) -> list:
        """Decode what needs decoding now; returns the unreadable videos (with skip_bad)."""
        videos = [p for p in paths if not is_nifti(p)]
        bad = self.cache.ensure(videos, skip_bad=skip_bad) if videos else []
        for path in paths:
            if is_nifti(path):
                try:
                    self.frames(path)
                except VideoReadError as error:
                    if not skip_bad:
                        raise
                    bad.append(BadVideo(path=str(path), error=str(error)))
        return bad

    def frames(self, path: str | Path) -> np.ndarray:
        if not is_nifti(path):
            return self.cache.frames(path)
        key = str(path)
        if key not in self._nifti:
            self._nifti[key] = read_nifti_sequence(path, self.cache.size)
        return self._nifti[key]

    def __getstate__(self):
        # Workers re-read the few NIfTI files they need rather than receive copies of all of them.
        return {"cache": self.cache, "_nifti": {}}
