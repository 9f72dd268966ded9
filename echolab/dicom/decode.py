"""Pixel data -> RGB uint8 frames, one frame at a time, for every photometric interpretation.

pydicom 3 (`iter_pixels`, as_rgb) returns RGB for YBR_FULL / YBR_FULL_422 / YBR_ICT / YBR_RCT data
while the dataset still says YBR: the frames it yields are used as they are, never converted again (a
second conversion is how converters written for pydicom 2 turn echo green). PALETTE COLOR goes
through its lookup table (16-bit entries give values up to 65280: shifted right by 8; the descriptor,
not the array type, tells 16-bit entries from 8-bit ones stored in 16-bit words), MONOCHROME1 is
inverted, samples stored in more than 8 bits are shifted down to 8.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset
from pydicom.pixels import apply_color_lut, iter_pixels

from echolab.dicom.quiet import mute_gdcm, quiet_reading
from echolab.dicom.unusable import UnusableCine


def rgb_frames(path: Path, ds: Dataset) -> Iterator[np.ndarray]:
    """uint8 (H, W, 3) RGB frames of the file at `path`, whose header `ds` was read already."""
    mute_gdcm()
    photometric = str(ds.get("PhotometricInterpretation", "")).upper()
    bits = int(ds.get("BitsStored", 8))
    frames = iter_pixels(path, as_rgb=True)
    while True:
        try:
            with quiet_reading():
                frame = next(frames)
        except StopIteration:
            return
        except Exception as error:  # decoders raise many types; the class name says enough
            raise UnusableCine("decode_error", type(error).__name__) from None
        yield _to_rgb8(frame, ds, photometric, bits)


def _to_rgb8(frame: np.ndarray, ds: Dataset, photometric: str, bits: int) -> np.ndarray:
    if photometric == "PALETTE COLOR":
        with quiet_reading():
            rgb = apply_color_lut(frame, ds)
        # The descriptor's entry size decides the range (8-bit entries may be stored in 16-bit words).
        entry_bits = int(ds.RedPaletteColorLookupTableDescriptor[2])
        return _eight_bits(rgb, entry_bits)
    if frame.ndim == 2:
        grey = _eight_bits(frame, bits)
        if photometric == "MONOCHROME1":
            grey = 255 - grey
        return np.repeat(grey[..., None], 3, axis=2)
    return _eight_bits(frame, bits)


def _eight_bits(pixels: np.ndarray, bits: int) -> np.ndarray:
    if pixels.dtype == np.uint8:
        return pixels
    shifted = np.clip(pixels.astype(np.int64) >> max(bits - 8, 0), 0, 255)
    return shifted.astype(np.uint8)
