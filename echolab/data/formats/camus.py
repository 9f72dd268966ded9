"""CAMUS (NIfTI release, REFERENCE §2.2): 2- and 4-chamber half sequences from ED to ES, 500 patients.

Layout:
  <root>/database_nifti/patientXXXX/patientXXXX_{2CH,4CH}_half_sequence.nii.gz   (H, W, T)
  <root>/database_nifti/patientXXXX/Info_{2CH,4CH}.cfg    `Key: value` lines; ED, ES 1-based
  <root>/database_split/subgroup_{training,validation,testing}.txt   one patient per line
Each sequence becomes one VideoRecord named patientXXXX_4CH, labelled with its view, whose ED and
ES are 0-based. A patient listed in no split file is left out.
"""

from __future__ import annotations

from pathlib import Path

from echolab.data.records import (
    BadVideo,
    DatasetIndex,
    VideoRecord,
    layout_error,
    parse_fps,
    parse_or_mark_bad,
    settle_bad,
)
from echolab.errors import DatasetError

CLASSES = ["2CH", "4CH"]
SPLIT_FILES = {
    "train": "subgroup_training.txt",
    "val": "subgroup_validation.txt",
    "test": "subgroup_testing.txt",
}
LAYOUT = """{root}/
  database_nifti/patientXXXX/patientXXXX_{{2CH,4CH}}_half_sequence.nii.gz
  database_nifti/patientXXXX/Info_{{2CH,4CH}}.cfg        ED: n / ES: n / FrameRate: n (1-based frames)
  database_split/subgroup_{{training,validation,testing}}.txt   one patient name per line"""


def read_camus(root, classes: list[str] | None = None, skip_bad: bool = False) -> DatasetIndex:
    """Index the CAMUS half sequences of the views in `classes` (default both 2CH and 4CH)."""
    root = Path(root).expanduser().absolute()
    views = list(classes) if classes else list(CLASSES)
    unknown = [v for v in views if v not in CLASSES]
    if unknown:
        raise DatasetError(f"CAMUS views are {', '.join(CLASSES)}; data.classes has {', '.join(unknown)}")
    _check_layout(root)
    split_of_file = {name: split for split, name in SPLIT_FILES.items()}
    videos, bad = [], []
    for patient, files in _split_files_listing(root / "database_split").items():
        folder = root / "database_nifti" / patient
        for view in views:
            sequence = folder / f"{patient}_{view}_half_sequence.nii.gz"
            info = folder / f"Info_{view}.cfg"
            missing = [p.name for p in (sequence, info) if not p.is_file()]
            if len(files) > 1:
                problem = f"{root / 'database_split' / files[1]}: {patient} is also listed in {files[0]}; "
                bad.append(BadVideo(str(sequence), problem + "keep each patient in one split"))
            elif missing:
                bad.append(BadVideo(str(sequence), f"{folder} lacks {', '.join(missing)}"))
            elif keyframes := parse_or_mark_bad(bad, sequence, _keyframes, info):
                ed, es, fps = keyframes
                videos.append(
                    VideoRecord(
                        name=f"{patient}_{view}",
                        path=sequence,
                        split=split_of_file[files[0]],
                        label=views.index(view),
                        fps=fps,
                        ed=(ed,),
                        es=(es,),
                    )
                )
    settle_bad(bad, skip_bad=skip_bad, source=root)
    return DatasetIndex(format="camus", root=root, classes=views, videos=videos, bad=bad)


def _check_layout(root: Path) -> None:
    if not root.is_dir():
        raise layout_error(
            root, f"CAMUS root {root} does not exist", layout=LAYOUT, synth="(none; download CAMUS)"
        )
    missing = [name for name in ("database_nifti", "database_split") if not (root / name).is_dir()]
    if missing:
        raise layout_error(
            root,
            f"{root} is not a CAMUS NIfTI release: it lacks {', '.join(missing)}",
            layout=LAYOUT,
            synth="(none; download CAMUS)",
        )


def _split_files_listing(folder: Path) -> dict[str, list[str]]:
    """Patient -> the split files that list it, in file order (one, unless the split files overlap)."""
    listed_in: dict[str, list[str]] = {}
    for name in SPLIT_FILES.values():
        path = folder / name
        if not path.is_file():
            raise DatasetError(
                f"{path} is missing; CAMUS lists each split's patients in {', '.join(SPLIT_FILES.values())}"
            )
        for patient in [line.strip() for line in path.read_text().splitlines() if line.strip()]:
            files = listed_in.setdefault(patient, [])
            if name not in files:
                files.append(name)
    return listed_in


def _keyframes(info: Path) -> tuple[int, int, float | None]:
    """0-based ED and ES frames of the half sequence, and the frame rate, from an Info_*.cfg file."""
    values = {}
    for number, line in enumerate(info.read_text().splitlines(), start=1):
        key, sep, value = line.partition(":")
        if not line.strip():
            continue
        if not sep:
            raise DatasetError(f"{info}, line {number}: expected `Key: value`, got {line!r}")
        values[key.strip()] = value.strip()
    frames = {}
    for key in ("ED", "ES"):
        try:
            frames[key] = int(values[key])
        except KeyError:
            raise DatasetError(
                f"{info}: no {key} line; CAMUS Info files give `{key}: <1-based frame>`"
            ) from None
        except ValueError:
            raise DatasetError(f"{info}: {key} {values[key]!r} is not a frame number") from None
        if frames[key] < 1:
            raise DatasetError(f"{info}: {key} is {frames[key]}, but CAMUS frames count from 1")
    count = values.get("NbFrame", "")
    if count.isdigit() and max(frames.values()) > int(count):
        raise DatasetError(f"{info}: ED {frames['ED']} / ES {frames['ES']} lie beyond NbFrame {count}")
    return frames["ED"] - 1, frames["ES"] - 1, parse_fps(values.get("FrameRate", ""), str(info))
