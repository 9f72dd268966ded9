"""The dataset index every format reader returns, and the rules the readers share.

A reader turns a published dataset layout into a `DatasetIndex`: one `VideoRecord` per usable
video, and a `BadVideo` for each one that cannot be used. The helpers below keep the readers'
error messages and bad-video policy identical across formats: a problem confined to one video (a
row with an unknown label or split, a missing video file) is recorded with `parse_or_mark_bad`
and settled by `settle_bad`; a problem that makes the whole dataset unreadable (a missing root or
file, a wrong header) is raised at once.
"""

from __future__ import annotations

import csv
import math
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from echolab.errors import DatasetError
from echolab.io import IMAGE_EXTENSIONS, natural_key

SPLITS = ("train", "val", "test")
# Spellings that published datasets use for the three splits.
_SPLIT_ALIASES = {"train": "train", "val": "val", "validation": "val", "test": "test"}
# How many bad videos an error or warning lists before summarising the rest.
_BAD_SHOWN = 10

T = TypeVar("T")


@dataclass(frozen=True)
class VideoRecord:
    name: str  # unique id in the dataset
    path: Path  # absolute: a video file or a frame folder
    split: str  # one of SPLITS
    label: int | None  # index into DatasetIndex.classes; None if unlabeled
    fps: float | None = None
    ed: tuple[int, ...] = ()  # 0-based end-diastole frame indices
    es: tuple[int, ...] = ()  # 0-based end-systole frame indices
    ef: float | None = None  # ejection fraction (%) where the dataset gives one (EchoNet's FileList.csv)


@dataclass(frozen=True)
class BadVideo:
    path: str
    error: str


@dataclass
class DatasetIndex:
    format: str
    root: Path
    classes: list[str]
    videos: list[VideoRecord]
    bad: list[BadVideo] = field(default_factory=list)

    def split(self, name: str) -> list[VideoRecord]:
        if name not in SPLITS:
            raise ValueError(f"unknown split {name!r}; splits are {', '.join(SPLITS)}")
        return [video for video in self.videos if video.split == name]


def parse_split(value: str, *, where: str) -> str:
    """Map a split as written in a dataset file (TRAIN, validation, ...) to one of SPLITS."""
    split = _SPLIT_ALIASES.get(value.strip().lower())
    if split is None:
        raise DatasetError(f"{where}: unknown split {value!r}; use one of train, val (or validation), test")
    return split


def parse_fps(text: str, where: str) -> float | None:
    """A frame rate cell: empty, zero or non-finite means unknown (None)."""
    fps = _number_cell(text, where, "frame rate")
    return fps if fps is not None and math.isfinite(fps) and fps > 0 else None


def parse_ef(text: str, where: str) -> float | None:
    """An ejection fraction cell (%): empty means unknown (None); anything but a number in 0..100 is wrong."""
    ef = _number_cell(text, where, "EF")
    if ef is not None and not 0.0 <= ef <= 100.0:
        raise DatasetError(f"{where}: EF {text} is not a percentage between 0 and 100")
    return ef


def _number_cell(text: str, where: str, what: str) -> float | None:
    """A numeric cell's value, None when it is empty."""
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise DatasetError(f"{where}: {what} {text!r} is not a number") from None


def read_csv_rows(
    path: Path, *, required: tuple[str, ...], exact: bool = False
) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) pairs of a CSV file, after checking its header; blank rows skipped.

    `exact` demands the header be exactly `required`, in order; otherwise the `required` columns
    must be present and extra columns are allowed. Cells are stripped of surrounding whitespace.
    """
    # utf-8-sig: spreadsheet programs often save CSVs with a byte-order mark.
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = [cell.strip() for cell in next(reader, [])]
        missing = [column for column in required if column not in header]
        if (header != list(required)) if exact else missing:
            found = ",".join(header) or "(empty file)"
            expected = f"exactly {','.join(required)}" if exact else f"the columns {','.join(required)}"
            lacking = f" (missing: {', '.join(missing)})" if missing and not exact else ""
            raise DatasetError(
                f"{path}: the header is {found}{lacking}; expected {expected}. Fix the first line."
            )
        rows = []
        for row in reader:
            cells = [cell.strip() for cell in row]
            if not any(cells):
                continue
            if len(cells) > len(header):
                raise DatasetError(
                    f"{path}, line {reader.line_num}: {len(cells)} cells but the header has {len(header)} "
                    'columns; put a cell that contains a comma in double quotes ("a,b")'
                )
            # A short row reads as empty cells: a missing value gets the same message as an empty one.
            cells += [""] * (len(header) - len(cells))
            rows.append((reader.line_num, dict(zip(header, cells, strict=True))))
        return rows


def unknown_label_error(
    path: Path, line: int, video: str, label: str, classes: list[str], labels_in_file: set[str]
) -> DatasetError:
    """A label outside `classes`: name the row, and suggest a class list that keeps current indices."""
    suggested = list(classes) + sorted(labels_in_file - set(classes), key=natural_key)
    return DatasetError(
        f"{path}, line {line}: video {video!r} has label {label!r}, which is not one of the classes "
        f"({', '.join(classes)}). If the dataset has other classes, list them all, e.g. "
        f"data.classes=[{','.join(suggested)}]"
    )


def parse_or_mark_bad(bad: list[BadVideo], path: Path | str, parse: Callable[..., T], *args) -> T | None:
    """`parse(*args)`, or None after recording its DatasetError in `bad` as a problem of `path`.

    A wrong row leaves out its one video rather than the dataset, so that `data-summary` can list
    every problem in one pass; `settle_bad` then decides whether training may go on without it.
    """
    try:
        return parse(*args)
    except DatasetError as error:
        bad.append(BadVideo(str(path), str(error)))
        return None


def frame_folder_problem(folder: Path) -> str | None:
    """Why a frame folder cannot be used, or None if it holds at least one image."""
    if not folder.is_dir():
        return f"frame folder {folder} does not exist"
    with os.scandir(folder) as entries:
        if any(Path(entry.name).suffix.lower() in IMAGE_EXTENSIONS for entry in entries):
            return None
    return f"frame folder {folder} holds no images ({', '.join(IMAGE_EXTENSIONS)})"


def settle_bad(bad: list[BadVideo], *, skip_bad: bool, source: Path) -> None:
    """Apply the shared bad-video policy: raise (default) or warn once and carry on."""
    if not bad:
        return
    listed = "\n".join(f"  {item.path}: {item.error}" for item in bad[:_BAD_SHOWN])
    more = f"\n  ... and {len(bad) - _BAD_SHOWN} more" if len(bad) > _BAD_SHOWN else ""
    if not skip_bad:
        raise DatasetError(
            f"{source}: {len(bad)} video(s) cannot be used:\n{listed}{more}\n"
            "Fix or remove them, or set data.skip_bad=true to leave them out."
        )
    warnings.warn(
        f"{source}: leaving out {len(bad)} video(s) that cannot be used (data.skip_bad=true):\n{listed}{more}",
        stacklevel=3,
    )


def layout_error(root: Path, problem: str, *, layout: str, synth: str) -> DatasetError:
    """A missing root or file: show the expected tree and how to make a synthetic example of it."""
    tree = "\n".join(f"  {line}" for line in layout.format(root=root).splitlines())
    return DatasetError(
        f"{problem}. Expected layout:\n{tree}\n"
        f"To make a small synthetic dataset in this layout: echolab synth {synth} --out {root}"
    )
