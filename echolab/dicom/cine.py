"""One DICOM file -> a masked, cropped ultrasound cine, in two bounded-memory decoding passes.

`read_cine` checks the header (a Part 10 file, ultrasound, pixel data present and complete, several
frames, a transfer syntax an installed decoder reads), decodes every frame once to find the imaging
sector (sector.py) and returns what is known about the cine; `masked_frames` decodes again and yields
each frame with everything outside the sector zeroed, cropped to the sector's bounding box. Every
ultrasound cine is treated as having burned-in text, whatever BurnedInAnnotation says.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.pixels import get_decoder
from pydicom.uid import UID, MPEGTransferSyntaxes

from echolab.dicom.decode import rgb_frames
from echolab.dicom.quiet import quiet_reading
from echolab.dicom.regions import imaging_region
from echolab.dicom.sector import (
    MAX_AREA,
    MIN_AREA,
    THRESHOLD,
    VariationAccumulator,
    bounding_box,
    sector_mask,
)
from echolab.dicom.timing import frame_rate
from echolab.dicom.unusable import UnusableCine
from echolab.io.inputs import has_dicom_preamble

ULTRASOUND_SOP_CLASSES = {
    "1.2.840.10008.5.1.4.1.1.3.1",  # Ultrasound Multi-frame Image Storage
    "1.2.840.10008.5.1.4.1.1.6.1",  # Ultrasound Image Storage
    "1.2.840.10008.5.1.4.1.1.3",  # retired multi-frame
    "1.2.840.10008.5.1.4.1.1.6",  # retired single-frame
}
# Header values larger than this are read only when used (pixel data, big private blobs).
_DEFER = "4 KB"


@dataclass(frozen=True)
class Cine:
    """What echolab keeps of a usable cine: no value here identifies a patient or an instance."""

    frames: int
    fps: float | None
    mask: np.ndarray  # uint8 (Rows, Columns) of the stored image, 1 inside the sector
    crop: tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive) of the sector's bounding box
    cm_per_px: float | None  # of the stored image, from an ultrasound region that fits it
    flags: tuple[str, ...]  # fps_missing, fps_variable, fps_display_rate, region_out_of_bounds, ...
    transfer_syntax: str  # its name
    sop_class: str
    manufacturer: str
    model: str

    @property
    def mask_area(self) -> float:
        return float(self.mask.mean())


def read_header(path: Path) -> Dataset:
    """The dataset with its pixel data deferred; UnusableCine if the file is not a readable DICOM file
    or was cut short. The dataset holds identifiers: use it for pseudonyms, never write it out."""
    if not has_dicom_preamble(path):
        raise UnusableCine("not_dicom")
    with quiet_reading() as caught:
        try:
            ds = dcmread(path, defer_size=_DEFER)
        except InvalidDicomError:
            raise UnusableCine("not_dicom") from None
        except Exception as error:  # a damaged header raises anything from EOFError to KeyError
            raise UnusableCine("unreadable", type(error).__name__) from None
    if any("End of file" in str(warning.message) for warning in caught) or _pixels_cut_short(path, ds):
        raise UnusableCine("truncated")
    return ds


def check_cine(ds: Dataset) -> None:
    """Raise UnusableCine unless `ds` is a multi-frame ultrasound image a decoder here can read."""
    if ds.get("Modality") != "US" and str(ds.get("SOPClassUID", "")) not in ULTRASOUND_SOP_CLASSES:
        raise UnusableCine("not_ultrasound", f"modality {ds.get('Modality') or 'missing'}")
    if "PixelData" not in ds:
        raise UnusableCine("no_pixel_data")
    if int(ds.get("NumberOfFrames") or 1) < 2:
        raise UnusableCine("single_frame")
    syntax = transfer_syntax(ds)
    if syntax in MPEGTransferSyntaxes:
        raise UnusableCine("video_transfer_syntax", syntax.name)
    try:
        available = get_decoder(syntax).is_available
    except NotImplementedError:
        available = False
    if not available:
        raise UnusableCine("unsupported_transfer_syntax", syntax.name)


def transfer_syntax(ds: Dataset) -> UID:
    return UID(str(ds.file_meta.get("TransferSyntaxUID", "")))


def read_cine(path: Path, ds: Dataset | None = None) -> Cine:
    """Check the file and find its sector (first decoding pass). `ds`: its header, if read already."""
    ds = read_header(path) if ds is None else ds
    check_cine(ds)
    rows, columns = int(ds.Rows), int(ds.Columns)
    fps, fps_flags = frame_rate(ds)
    region, region_flags = imaging_region(ds, rows, columns)
    variation = VariationAccumulator()
    for frame in rgb_frames(path, ds):
        variation.add(frame)
    moving = variation.variation()
    if variation.count < 2 or float(moving.max()) <= THRESHOLD:
        raise UnusableCine("single_frame" if variation.count < 2 else "static")
    mask = sector_mask(moving, region.box if region else None)
    area = float(mask.mean())
    if not MIN_AREA <= area <= MAX_AREA:
        raise UnusableCine("mask_area", f"{area:.1%} of the image; expected {MIN_AREA:.0%}-{MAX_AREA:.0%}")
    return Cine(
        frames=variation.count,
        fps=fps,
        mask=mask,
        crop=bounding_box(mask),
        cm_per_px=region.cm_per_px if region else None,
        flags=tuple(fps_flags + region_flags),
        transfer_syntax=transfer_syntax(ds).name,
        sop_class=UID(str(ds.get("SOPClassUID", ""))).name,
        manufacturer=str(ds.get("Manufacturer", "")).strip(),
        model=str(ds.get("ManufacturerModelName", "")).strip(),
    )


def masked_frames(path: Path, cine: Cine, ds: Dataset | None = None) -> Iterator[np.ndarray]:
    """uint8 (h, w, 3) RGB frames, zero outside the sector, cropped to it (second decoding pass)."""
    ds = read_header(path) if ds is None else ds
    x0, y0, x1, y1 = cine.crop
    keep = cine.mask[y0:y1, x0:x1, None]
    for frame in rgb_frames(path, ds):
        yield frame[y0:y1, x0:x1] * keep


def _pixels_cut_short(path: Path, ds: Dataset) -> bool:
    """Native pixel data whose declared length runs past the end of the file."""
    raw = ds.get_item("PixelData", keep_deferred=True) if "PixelData" in ds else None
    tell, length = getattr(raw, "value_tell", None), getattr(raw, "length", None)
    if tell is None or length is None or length == 0xFFFFFFFF:  # encapsulated: undefined length
        return False
    return tell + length > path.stat().st_size
