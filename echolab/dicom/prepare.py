"""`echolab prepare dicom`: a tree of DICOM files of any name -> a de-identified manifest dataset.

    <out>/manifest.csv     echolab's manifest (path,label,split,fps,ed,es + what the cine's header and
                           mask tell); label, split, ed and es are left for the user to fill, and kept
                           when a rerun rewrites the file
    <out>/videos/<id>.avi  masked, cropped cines (MJPG; a folder of PNGs with --format frames, or when
                           the file gives no frame rate); <id> = HMAC-SHA256 of the SOPInstanceUID
    <out>/qa/<study>.png   contact sheets of the masks, one per study
    <out>/bad_files.csv    id,reason for every file of the latest run that gave no video
    <out>/summary.json     counts of the latest run by transfer syntax, vendor, reason and flag
    <out>/prepare.json     marks the folder as ours: format, size and a check of the key
    <out>/.records/        one record and thumbnail per video: a rerun with the same key skips them

Only pseudonyms, counts and what the scanner is (vendor, model, SOP class, transfer syntax) reach
<out> or the console. The source paths and UIDs go only to --link-map, outside <out>.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import multiprocessing
import multiprocessing.pool
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from tqdm import tqdm

from echolab.dicom.convert import RECORDS, Converted, Found, Settings, convert, examine
from echolab.dicom.pseudonyms import Pseudonyms, load_or_create_key
from echolab.dicom.qa import write_contact_sheets
from echolab.errors import ConfigError, check_choice

MARKER = "prepare.json"
FORMATS = ("avi", "frames")
USER_COLUMNS = ("label", "split", "ed", "es")  # the user's to fill; kept across reruns
MANIFEST_COLUMNS = (
    "path",
    "label",
    "split",
    "fps",
    "ed",
    "es",
    "frames",
    "rows",
    "cols",
    "cm_per_px",
    "mask_area",
    "sop_class",
    "manufacturer",
    "model",
    "patient",
    "study",
    "transfer_syntax",
    "flags",
)
LINK_MAP_COLUMNS = ("id", "source", "status", "sop_instance_uid", "study_instance_uid", "series_instance_uid")
_VERSION = 1


@dataclass(frozen=True)
class PrepareResult:
    out: Path
    cines: int  # videos listed in the manifest
    written: int  # by this run
    resumed: int  # converted by an earlier run, skipped by this one
    duplicates: int  # files whose SOP instance another file already gave
    bad: int  # files that gave no video (bad_files.csv)
    summary: dict  # what summary.json holds


def prepare_dicom(
    source: str | Path,
    out: str | Path,
    *,
    key: str | Path,
    link_map: str | Path | None = None,
    workers: int = 1,
    format: str = "avi",
    size: int | None = None,
    progress: bool = True,
) -> PrepareResult:
    root, out = Path(source).expanduser().absolute(), Path(out).expanduser().absolute()
    key_path = Path(key).expanduser().absolute()
    link_map = Path(link_map).expanduser().absolute() if link_map else None
    _check_arguments(root, out, key_path, link_map, workers, format, size)
    secret, created = load_or_create_key(key_path)
    if created:
        print(
            f"created a pseudonym key at {key_path}: keep it secret and keep it (the same key gives the same names)"
        )
    settings = Settings(root=root, out=out, key=secret, format=format, size=size)
    _claim(out, settings)

    files = _walk(root)
    with _pool(workers) as pool:
        found = _each(examine, files, settings, pool, "Reading headers", progress)
        usable, duplicates = _first_of_each_instance([item for item in found if not item.reason])
        converted = _each(convert, usable, settings, pool, "Converting cines", progress)

    bad = [item for item in found if item.reason] + [c.found for c in converted if c.record is None]
    done = [c for c in converted if c.record is not None]
    records = _all_records(out)
    _write_manifest(out / "manifest.csv", records)
    _write_text(out / "bad_files.csv", _csv(("id", "reason"), sorted({(b.id, b.reason) for b in bad})))
    write_contact_sheets(out, records)
    summary = _summary(found, done, bad, duplicates)
    _write_text(out / "summary.json", json.dumps(summary, indent=1, sort_keys=True) + "\n")
    if link_map is not None:
        _write_link_map(link_map, found, done, duplicates, bad)
    return PrepareResult(
        out=out,
        cines=len(records),
        written=sum(c.written for c in done),
        resumed=sum(not c.written for c in done),
        duplicates=len(duplicates),
        bad=len(bad),
        summary=summary,
    )


def _check_arguments(
    root: Path, out: Path, key: Path, link_map: Path | None, workers: int, format: str, size: int | None
) -> None:
    problems = []
    if not root.is_dir():
        problems.append(f"--in {root} is not a folder")
    if _inside(out, root) or _inside(root, out):
        problems.append(f"--out {out} and --in {root} overlap; choose an --out outside the DICOM tree")
    if _inside(key, out):
        problems.append(f"--key {key} is inside --out: the key must never travel with the data")
    if link_map is not None and _inside(link_map, out):
        problems.append(f"--link-map {link_map} is inside --out: it links pseudonyms to patients")
    if workers < 1:
        problems.append(f"--workers must be at least 1, got {workers}")
    try:
        check_choice("--format", format, FORMATS)
    except ConfigError as error:
        problems.append(str(error))
    if size is not None and size < 8:
        problems.append(f"--size must be at least 8 pixels, got {size}")
    if problems:
        raise ConfigError("; ".join(problems))


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def _claim(out: Path, settings: Settings) -> None:
    """Write into `out` only if it is new, empty, or prepared before with the same key and options."""
    marker = out / MARKER
    wanted = {
        "what": "echolab prepare dicom output: de-identified cines",
        "version": _VERSION,
        "key_check": Pseudonyms(settings.key).key_check(),
        "format": settings.format,
        "size": settings.size,
    }
    if marker.is_file():
        recorded = json.loads(marker.read_text())
        for name, option in (("key_check", "--key"), ("format", "--format"), ("size", "--size")):
            if recorded.get(name) != wanted[name]:
                raise ConfigError(
                    f"{out} was prepared with another {option}; rerun with the same {option} to resume, "
                    "or choose a new --out"
                )
        return
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ConfigError(
            f"{out} exists and is not an echolab prepare dicom folder (no {MARKER}); choose a new --out"
        )
    out.mkdir(parents=True, exist_ok=True)
    _write_text(marker, json.dumps(wanted, indent=1, sort_keys=True) + "\n")


def _walk(root: Path) -> list[Path]:
    """Every file under `root` whatever its name, in a fixed order; hidden files (.DS_Store) left out."""
    files = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
        files += [Path(folder) / name for name in sorted(names) if not name.startswith(".")]
    return files


@contextlib.contextmanager
def _pool(workers: int) -> Iterator[multiprocessing.pool.Pool | None]:
    """`workers` processes for both phases (None: work in this process)."""
    if workers == 1:
        yield None
        return
    # spawn, not fork: the caller may hold threads (torch, OpenCV) that a fork would break.
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        yield pool


def _each(task: Callable, items: list, settings: Settings, pool, what: str, progress: bool) -> list:
    """task(item, settings) for every item, in the pool's processes if there is one."""
    results = []
    with tqdm(total=len(items), desc=what, unit="file", disable=not progress or not items) as bar:
        if pool is None or len(items) < 2:
            for item in items:
                results.append(task(item, settings))
                bar.update()
            return results
        for result in pool.imap_unordered(partial(task, settings=settings), items):
            results.append(result)
            bar.update()
    return results


def _first_of_each_instance(found: list[Found]) -> tuple[list[Found], list[Found]]:
    """One file per SOP instance (the first in path order) and the duplicates, written once."""
    first: dict[str, Found] = {}
    duplicates = []
    for item in sorted(found, key=lambda item: item.source):
        if item.id in first:
            duplicates.append(item)
        else:
            first[item.id] = item
    return list(first.values()), duplicates


def _all_records(out: Path) -> list[dict]:
    records = [json.loads(path.read_text()) for path in (out / RECORDS).glob("*.json")]
    return sorted(records, key=lambda record: record["path"])


def _write_manifest(path: Path, records: list[dict]) -> None:
    filled = {}  # the user's labels, splits and keyframes, by video path
    if path.is_file():
        with open(path, newline="") as handle:
            filled = {row["path"]: row for row in csv.DictReader(handle)}
    rows = []
    for record in records:
        row = {
            **{column: record.get(column) for column in MANIFEST_COLUMNS},
            **{column: (filled.get(record["path"]) or {}).get(column, "") for column in USER_COLUMNS},
        }
        row["fps"] = f"{record['fps']:g}" if record["fps"] else ""
        row["cm_per_px"] = f"{record['cm_per_px']:g}" if record["cm_per_px"] else ""
        row["mask_area"] = f"{record['mask_area']:.4f}"
        row["flags"] = ";".join(record["flags"])
        rows.append([row[column] for column in MANIFEST_COLUMNS])
    _write_text(path, _csv(MANIFEST_COLUMNS, rows))


def _summary(found: list[Found], done: list[Converted], bad: list[Found], duplicates: list[Found]) -> dict:
    readable = [item for item in found if item.transfer_syntax]
    return {
        "files": len(found),
        "cines": len(done),
        "duplicates": len(duplicates),
        "bad": len(bad),
        "by_transfer_syntax": dict(sorted(Counter(item.transfer_syntax for item in readable).items())),
        "by_vendor": dict(sorted(Counter(item.manufacturer for item in readable).items())),
        "bad_by_reason": dict(sorted(Counter(item.reason for item in bad).items())),
        "flags": dict(sorted(Counter(flag for c in done for flag in c.record["flags"]).items())),
    }


def _write_link_map(
    path: Path, found: list[Found], done: list[Converted], duplicates: list[Found], bad: list[Found]
) -> None:
    """Pseudonym -> source path and UIDs, merged with the rows of earlier runs (by source path)."""
    status = {item.source: item.reason for item in bad}
    status.update({item.source: "duplicate" for item in duplicates})
    status.update({c.found.source: "converted" for c in done})
    rows = {}
    if path.is_file():
        with open(path, newline="") as handle:
            rows = {row["source"]: row for row in csv.DictReader(handle)}
    for item in found:
        rows[item.source] = {
            "id": item.id,
            "source": item.source,
            "status": status.get(item.source, item.reason),
            "sop_instance_uid": item.sop_instance_uid,
            "study_instance_uid": item.study_instance_uid,
            "series_instance_uid": item.series_instance_uid,
        }
    ordered = [[rows[source][column] for column in LINK_MAP_COLUMNS] for source in sorted(rows)]
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_text(path, _csv(LINK_MAP_COLUMNS, ordered))


def _csv(header: Iterable[str], rows: Iterable[Iterable]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _write_text(path: Path, text: str) -> None:
    """Whole or not at all: a crash never leaves a half-written file that looks complete."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text)
    os.replace(temporary, path)
