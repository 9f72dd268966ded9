"""The 2D imaging region of SequenceOfUltrasoundRegions (0018,6011), used only where it fits the image.

A region gives a bounding box (X0, Y0)-(X1, Y1), inclusive, and the physical size of a pixel. Vendors
do not always write it for the stored image (SonoSite writes a 640x480 box on a 320x240 cine), so a
box that does not fit Rows x Columns is dropped with its scale, and flagged.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydicom.dataset import Dataset

_SPATIAL_2D = 1  # RegionSpatialFormat: 1 = 2D, 2 = M-mode, 3 = spectral, ...
_CENTIMETRES = 3  # PhysicalUnitsX/YDirection
# Pixels whose width and height differ by more than this fraction get no single cm-per-pixel.
_SQUARE = 0.01


@dataclass(frozen=True)
class Region:
    box: tuple[int, int, int, int]  # x0, y0, x1, y1, inclusive
    cm_per_px: float | None


def imaging_region(ds: Dataset, rows: int, columns: int) -> tuple[Region | None, list[str]]:
    """The largest 2D region that fits the image, and flags: region_out_of_bounds, anisotropic_pixels."""
    fitting, outside = [], 0
    for item in ds.get("SequenceOfUltrasoundRegions", []):
        if item.get("RegionSpatialFormat") != _SPATIAL_2D:
            continue
        box = tuple(-1 if item.get(name) is None else int(item.get(name)) for name in _BOX)
        x0, y0, x1, y1 = box
        if 0 <= x0 < x1 < columns and 0 <= y0 < y1 < rows:
            fitting.append((box, item))
        else:
            outside += 1
    if not fitting:
        return None, ["region_out_of_bounds"] if outside else []
    box, item = max(fitting, key=lambda found: (found[0][2] - found[0][0]) * (found[0][3] - found[0][1]))
    cm_per_px, flags = _scale(item)
    return Region(box, cm_per_px), flags


def _scale(item: Dataset) -> tuple[float | None, list[str]]:
    units = (item.get("PhysicalUnitsXDirection"), item.get("PhysicalUnitsYDirection"))
    dx, dy = (abs(float(item.get(name) or 0)) for name in ("PhysicalDeltaX", "PhysicalDeltaY"))
    if units != (_CENTIMETRES, _CENTIMETRES) or dx <= 0 or dy <= 0:
        return None, []
    if abs(dx - dy) > _SQUARE * max(dx, dy):
        return None, ["anisotropic_pixels"]
    return dx, []


_BOX = ("RegionLocationMinX0", "RegionLocationMinY0", "RegionLocationMaxX1", "RegionLocationMaxY1")
