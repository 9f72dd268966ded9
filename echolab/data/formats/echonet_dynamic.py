"""EchoNet-Dynamic: apical 4-chamber AVIs with one traced beat (an ES and an ED frame) each."""

from __future__ import annotations

from pathlib import Path

from echolab.data.records import (
    DatasetIndex,
    VideoRecord,
    layout_error,
    parse_ef,
    parse_fps,
    parse_or_mark_bad,
    parse_split,
    read_csv_rows,
    settle_bad,
)
from echolab.errors import DatasetError

FILE_LIST_COLUMNS = (
    "FileName",
    "EF",
    "ESV",
    "EDV",
    "FrameHeight",
    "FrameWidth",
    "FPS",
    "NumberOfFrames",
    "Split",
)
TRACING_COLUMNS = ("FileName", "X1", "Y1", "X2", "Y2", "Frame")
CLASSES = ["A4C"]
LAYOUT = """{root}/
  FileList.csv          FileName,EF,ESV,EDV,FrameHeight,FrameWidth,FPS,NumberOfFrames,Split
  VolumeTracings.csv    FileName,X1,Y1,X2,Y2,Frame   (FileName with .avi)
  Videos/<FileName>.avi"""


def read_echonet_dynamic(root, skip_bad: bool = False) -> DatasetIndex:
    root = Path(root).expanduser().absolute()
    _check_layout(root)
    file_list = root / "FileList.csv"
    traced = _traced_frames(root / "VolumeTracings.csv")

    rows = read_csv_rows(file_list, required=FILE_LIST_COLUMNS)
    lines_of: dict[str, list[int]] = {}
    for line, row in rows:
        lines_of.setdefault(_without_avi(row["FileName"]), []).append(line)

    videos, bad = [], []
    for line, row in rows:
        name = _without_avi(row["FileName"])
        path = root / "Videos" / f"{name}.avi" if name else file_list
        if name and len(lines_of[name]) > 1 and line != lines_of[name][0]:
            continue  # a repeated video is listed once, under its first row
        record = parse_or_mark_bad(
            bad, path, _record, row, path, f"{file_list}, line {line}", lines_of, traced
        )
        if record is not None:
            videos.append(record)
    settle_bad(bad, skip_bad=skip_bad, source=root)
    return DatasetIndex(format="echonet_dynamic", root=root, classes=list(CLASSES), videos=videos, bad=bad)


def _record(
    row: dict[str, str],
    path: Path,
    where: str,
    lines_of: dict[str, list[int]],
    traced: dict[str, list[int] | str],
) -> VideoRecord:
    """The video of one FileList.csv row; a DatasetError if the row or its video is wrong."""
    name = _without_avi(row["FileName"])
    if not name:
        raise DatasetError(f"{where}: empty FileName; fill it in or delete the row")
    if len(lines_of[name]) > 1:
        lines = ", ".join(map(str, lines_of[name]))
        raise DatasetError(f"{where}: video {name!r} has rows on lines {lines}; keep one row per video")
    if not path.is_file():
        raise DatasetError(f"{where}: FileList.csv lists {name} but the video file is missing")
    frames = traced.get(name, [])
    if isinstance(frames, str):
        raise DatasetError(frames)
    # Reference loader's convention: first traced frame listed = ES, last = ED (one beat).
    # With fewer than two traced frames the beat is unknown: no keyframe labels.
    es, ed = ((frames[0],), (frames[-1],)) if len(frames) >= 2 else ((), ())
    return VideoRecord(
        name=name,
        path=path,
        split=parse_split(row["Split"], where=where),
        label=0,
        fps=parse_fps(row["FPS"], where),
        ed=ed,
        es=es,
        ef=parse_ef(row["EF"], where),
    )


def _check_layout(root: Path) -> None:
    if not root.is_dir():
        raise layout_error(
            root, f"EchoNet-Dynamic root {root} does not exist", layout=LAYOUT, synth="echonet"
        )
    missing = [
        name for name in ("FileList.csv", "VolumeTracings.csv", "Videos") if not (root / name).exists()
    ]
    if missing:
        raise layout_error(
            root,
            f"{root} is not an EchoNet-Dynamic dataset: it lacks {', '.join(missing)}",
            layout=LAYOUT,
            synth="echonet",
        )


def _traced_frames(path: Path) -> dict[str, list[int] | str]:
    """Video -> its distinct traced frames, in the order the file first lists them, or why one of
    its rows cannot be read (a problem of that video alone)."""
    frames: dict[str, list[int] | str] = {}
    for line, row in read_csv_rows(path, required=TRACING_COLUMNS):
        name = _without_avi(row["FileName"])
        listed = frames.setdefault(name, [])
        if isinstance(listed, str):
            continue  # the first wrong row is enough to leave the video out
        try:
            frame = int(row["Frame"])
        except ValueError:
            frames[name] = (
                f"{path}, line {line}: Frame {row['Frame']!r} is not a frame number; write a whole number"
            )
            continue
        if frame not in listed:
            listed.append(frame)
    return frames


def _without_avi(file_name: str) -> str:
    # FileList names carry no extension and VolumeTracings names end in .avi; accept either.
    return file_name[:-4] if file_name.lower().endswith(".avi") else file_name
