"""Contact sheets: one PNG per study under qa/, a tile per cine, so a person checks the masks at a glance.

Each tile is the cine's middle frame as written (masked and cropped: what a model will see), labelled
with the first characters of its pseudonym and its mask area. Nothing outside the sector is shown:
the sheets sit in the de-identified folder too.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from echolab.dicom.convert import RECORDS, THUMBNAIL

_COLUMNS = 6
_LABEL = 14  # px of label under each tile
_PAD = 4


def write_contact_sheets(out: Path, records: list[dict]) -> list[Path]:
    """qa/<study pseudonym>.png for every study (cines with no study UID: qa/no-study.png)."""
    studies: dict[str, list[dict]] = {}
    for record in sorted(records, key=lambda record: record["path"]):
        studies.setdefault(record["study"] or "no-study", []).append(record)
    folder = out / "qa"
    folder.mkdir(exist_ok=True)
    written = []
    for study, members in sorted(studies.items()):
        path = folder / f"{study}.png"
        ok, encoded = cv2.imencode(".png", _sheet(out, members))
        path.write_bytes(encoded.tobytes())
        written.append(path)
    return written


def _sheet(out: Path, records: list[dict]) -> np.ndarray:
    tile_h, tile_w = THUMBNAIL + _LABEL, THUMBNAIL * 4 // 3
    columns = min(_COLUMNS, len(records))
    rows = -(-len(records) // columns)
    sheet = np.full((rows * (tile_h + _PAD) + _PAD, columns * (tile_w + _PAD) + _PAD, 3), 40, np.uint8)
    for index, record in enumerate(records):
        name = Path(record["path"]).name.split(".")[0]
        thumbnail = cv2.imread(str(out / RECORDS / f"{name}.png"), cv2.IMREAD_COLOR)
        if thumbnail is None:
            continue
        scale = min(THUMBNAIL / thumbnail.shape[0], tile_w / thumbnail.shape[1])
        thumbnail = cv2.resize(
            thumbnail,
            (max(1, round(thumbnail.shape[1] * scale)), max(1, round(thumbnail.shape[0] * scale))),
            interpolation=cv2.INTER_AREA,
        )
        top = _PAD + (index // columns) * (tile_h + _PAD)
        left = _PAD + (index % columns) * (tile_w + _PAD)
        sheet[top : top + thumbnail.shape[0], left : left + thumbnail.shape[1]] = thumbnail
        label = f"{name[:8]} {record['mask_area']:.0%}"
        cv2.putText(sheet, label, (left, top + tile_h - 3), cv2.FONT_HERSHEY_PLAIN, 0.8, (220, 220, 220), 1)
    return sheet
