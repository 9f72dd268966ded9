"""Generic CSV manifest: any collection of videos and frame folders, one row per video."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from echolab.data.records import (
    BadVideo,
    DatasetIndex,
    VideoRecord,
    frame_folder_problem,
    layout_error,
    parse_fps,
    parse_or_mark_bad,
    parse_split,
    read_csv_rows,
    settle_bad,
    unknown_label_error,
)
from echolab.errors import DatasetError
from echolab.io import natural_key

REQUIRED_COLUMNS = ("path", "label", "split")
LAYOUT = """{root}/
  manifest.csv   header path,label,split[,fps,ed,es]; one row per video
                 path: video file or frame folder, relative to this folder or absolute
                 label: class name (empty = unlabeled); split: train, val or test
                 ed, es: 0-based frame indices separated by ';' (may be empty)
  <the videos and frame folders the paths point to>"""


def read_manifest(
    root, manifest: str = "manifest.csv", classes: list[str] | None = None, skip_bad: bool = False
) -> DatasetIndex:
    root = Path(root).expanduser().absolute()
    if not root.is_dir():
        raise layout_error(
            root, f"manifest dataset root {root} does not exist", layout=LAYOUT, synth="manifest"
        )
    manifest_path = root / manifest
    if not manifest_path.is_file():
        raise layout_error(root, f"manifest {manifest_path} does not exist", layout=LAYOUT, synth="manifest")
    rows = read_csv_rows(manifest_path, required=REQUIRED_COLUMNS)

    labels_in_file = {row["label"] for _, row in rows if row["label"]}
    classes = list(classes) if classes is not None else sorted(labels_in_file, key=natural_key)
    lines_of: dict[Path, list[int]] = {}
    for line, row in rows:
        if row["path"]:
            lines_of.setdefault(_resolve(row["path"], manifest_path), []).append(line)

    row_bad: list[BadVideo] = []  # rows that cannot be read
    listed = []
    for line, row in rows:
        path = _resolve(row["path"], manifest_path) if row["path"] else manifest_path
        record = parse_or_mark_bad(
            row_bad, path, _record, row, path, manifest_path, line, classes, labels_in_file
        )
        if record is not None:
            listed.append(record)

    names = _unique_names([record.path for record in listed], manifest_path.parent)
    videos, source_bad = [], {}  # source_bad: one entry per unusable video, however often listed
    for record in listed:
        path = record.path
        if len(lines_of[path]) > 1:
            lines = ", ".join(map(str, lines_of[path]))
            source_bad[path] = BadVideo(
                str(path), f"{manifest_path} lists it on lines {lines}; list each video once"
            )
        elif problem := _source_problem(path):
            source_bad[path] = BadVideo(str(path), f"{manifest_path}: {problem}")
        else:
            videos.append(replace(record, name=names[path]))
    bad = row_bad + list(source_bad.values())
    settle_bad(bad, skip_bad=skip_bad, source=manifest_path)
    return DatasetIndex(format="manifest", root=root, classes=classes, videos=videos, bad=bad)


def _resolve(path: str, manifest_path: Path) -> Path:
    # abspath, not resolve: keep the user's symlinked paths as they wrote them.
    return Path(os.path.abspath(manifest_path.parent / Path(path).expanduser()))


def _record(
    row: dict[str, str],
    path: Path,
    manifest_path: Path,
    line: int,
    classes: list[str],
    labels_in_file: set[str],
) -> VideoRecord:
    """The video of one manifest row, named later; a DatasetError if the row is wrong."""
    where = f"{manifest_path}, line {line}"
    if not row["path"]:
        raise DatasetError(f"{where}: empty path; fill it in or delete the row")
    label = row["label"]
    if label and label not in classes:
        raise unknown_label_error(manifest_path, line, row["path"], label, classes, labels_in_file)
    return VideoRecord(
        name="",  # named once every path is known
        path=path,
        split=parse_split(row["split"], where=where),
        label=classes.index(label) if label else None,
        fps=parse_fps(row.get("fps", ""), where),
        ed=_frame_list(row.get("ed", ""), "ed", where),
        es=_frame_list(row.get("es", ""), "es", where),
    )


def _frame_list(text: str, column: str, where: str) -> tuple[int, ...]:
    try:
        frames = tuple(int(part) for part in text.split(";") if part.strip())
    except ValueError:
        raise DatasetError(
            f"{where}: {column} {text!r} must be 0-based frame numbers separated by ';'"
        ) from None
    if any(frame < 0 for frame in frames):
        raise DatasetError(f"{where}: {column} {text!r} has a negative frame number; frames count from 0")
    return frames


def _source_problem(path: Path) -> str | None:
    if path.is_dir():
        return frame_folder_problem(path)
    return None if path.is_file() else "no such video file or frame folder"


def _unique_names(paths: list[Path], base: Path) -> dict[Path, str]:
    """File stem as the name; where stems collide, the path relative to the manifest instead."""

    def stem(path: Path) -> str:
        return path.name if path.is_dir() else path.stem

    counts: dict[str, int] = {}
    for path in dict.fromkeys(paths):
        counts[stem(path)] = counts.get(stem(path), 0) + 1
    names = {}
    for path in paths:
        if counts[stem(path)] == 1:
            names[path] = stem(path)
        else:
            relative = Path(os.path.relpath(path, base)) if path.is_relative_to(base) else path
            names[path] = relative.with_name(stem(path)).as_posix()
    return names
