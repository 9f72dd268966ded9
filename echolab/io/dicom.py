"""Raw DICOM ultrasound cines, read as `echolab prepare dicom` reads them (echolab/dicom/cine.py).

The frames are those of the prepared video before any resizing: decoded to RGB, zero outside the
imaging sector, cropped to it; the rate is the one the timing tags give (None when they give none).
Finding the sector decodes the whole cine once, so a probe costs a full decode.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from echolab.errors import VideoReadError
from echolab.io.stream import VideoInfo, VideoStream


def open_dicom(path: Path, max_frames: int | None) -> VideoStream:
    from echolab.dicom.cine import masked_frames

    ds, cine = _read(path)

    def frames() -> Iterator[np.ndarray]:
        try:
            yield from itertools.islice(masked_frames(path, cine, ds), max_frames)
        except VideoReadError as error:
            raise _located(path, error) from None

    return VideoStream(fps=cine.fps, frames=frames())


def probe_dicom(path: Path) -> VideoInfo:
    _, cine = _read(path)
    x0, y0, x1, y1 = cine.crop
    return VideoInfo(frames=cine.frames, fps=cine.fps, height=y1 - y0, width=x1 - x0)


def _read(path: Path):
    from echolab.dicom.cine import read_cine, read_header

    try:
        ds = read_header(path)
        return ds, read_cine(path, ds)
    except VideoReadError as error:
        raise _located(path, error) from None


def _located(path: Path, error: VideoReadError) -> VideoReadError:
    return VideoReadError(
        f"{path}: DICOM: {error}; leave it out (data.skip_bad=true), or run `echolab prepare dicom` on "
        "its folder to see every file's reason (docs/dicom.md)"
    )
