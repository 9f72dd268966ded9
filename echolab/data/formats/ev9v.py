"""EV9V (STFM paper): nine echo views, videos stored as folders of JPEG frames."""

from __future__ import annotations

from pathlib import Path

from echolab.data.records import (
    BadVideo,
    DatasetIndex,
    VideoRecord,
    frame_folder_problem,
    layout_error,
    parse_or_mark_bad,
    read_csv_rows,
    settle_bad,
    unknown_label_error,
)
from echolab.errors import DatasetError

# Class order of the reference code: class index i means EV9V_CLASSES[i].
EV9V_CLASSES = ("PLHLA", "PMASA", "PMVLSA", "PASA", "A4C", "A5C", "PMPALA", "PPMLSA", "SC4C")
SPLIT_FILES = {"train": "train.txt", "val": "validation.txt", "test": "test.txt"}
LAYOUT = """{root}/
  labels.csv                           header exactly `names,labels`; rows `<video>,<view>`
  train.txt  validation.txt  test.txt  one video name per line
  Images/<video>/frame_000001.jpg ...  the frames; name order is time order"""


def read_ev9v(root, classes: list[str] | None = None, skip_bad: bool = False) -> DatasetIndex:
    root = Path(root).expanduser().absolute()
    classes = list(classes) if classes is not None else list(EV9V_CLASSES)
    _check_layout(root)
    bad: list[BadVideo] = []
    labels = _read_labels(root / "labels.csv", classes, root / "Images", bad)

    listed_in: dict[str, list[str]] = {}  # video -> the split files that list it, in file order
    for split_file in SPLIT_FILES.values():
        for name in _read_split_file(root / split_file):
            files = listed_in.setdefault(name, [])
            if split_file not in files:
                files.append(split_file)

    split_of_file = {split_file: split for split, split_file in SPLIT_FILES.items()}
    videos = []
    for name, files in listed_in.items():
        folder = root / "Images" / name
        if len(files) > 1:
            bad.append(
                BadVideo(str(folder), f"listed in {' and '.join(files)}; a video belongs in one split")
            )
        elif name not in labels:
            bad.append(BadVideo(str(folder), f"{root / files[0]} lists it but labels.csv has no row for it"))
        elif labels[name] is None:
            continue  # its labels.csv row is already in `bad`
        elif problem := frame_folder_problem(folder):
            bad.append(BadVideo(str(folder), problem))
        else:
            videos.append(
                VideoRecord(name=name, path=folder, split=split_of_file[files[0]], label=labels[name])
            )
    settle_bad(bad, skip_bad=skip_bad, source=root)
    return DatasetIndex(format="ev9v", root=root, classes=classes, videos=videos, bad=bad)


def _check_layout(root: Path) -> None:
    if not root.is_dir():
        raise layout_error(root, f"EV9V dataset root {root} does not exist", layout=LAYOUT, synth="ev9v")
    required = ["labels.csv", *SPLIT_FILES.values(), "Images"]
    missing = [name for name in required if not (root / name).exists()]
    if missing:
        raise layout_error(
            root, f"{root} is not an EV9V dataset: it lacks {', '.join(missing)}", layout=LAYOUT, synth="ev9v"
        )


def _read_labels(path: Path, classes: list[str], images: Path, bad: list[BadVideo]) -> dict[str, int | None]:
    """Video -> class index, or None where its row is wrong (recorded in `bad`)."""
    rows = read_csv_rows(path, required=("names", "labels"), exact=True)
    labels_in_file = {row["labels"] for _, row in rows}
    labels: dict[str, int | None] = {}
    for line, row in rows:
        name = row["names"]
        labels[name] = parse_or_mark_bad(
            bad, images / name, _label_index, path, line, row, classes, labels_in_file, name in labels
        )
    return labels


def _label_index(
    path: Path, line: int, row: dict[str, str], classes: list[str], labels_in_file: set[str], repeated: bool
) -> int:
    name, label = row["names"], row["labels"]
    if repeated:
        raise DatasetError(f"{path}, line {line}: video {name!r} has a second row; keep one row per video")
    if label not in classes:
        raise unknown_label_error(path, line, name, label, classes, labels_in_file)
    return classes.index(label)


def _read_split_file(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8-sig").splitlines() if line.strip()]
