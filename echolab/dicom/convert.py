"""The work `echolab prepare dicom` does per file, in worker processes: read a header, convert a cine.

`examine` reads one file's header (no pixel data) and says what it is: a usable cine's pseudonyms and
the UIDs that only the link map may hold, or the reason it is unusable. `convert` decodes a cine
twice (sector, then masked frames), writes its video under a temporary name and renames it into
place, then writes its record (`.records/<id>.json`, the manifest row, and a thumbnail for the QA
sheet) last: a video counts as done only once its record exists, so an interrupted run resumes.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np

from echolab.dicom.cine import Cine, check_cine, masked_frames, read_cine, read_header, transfer_syntax
from echolab.dicom.pseudonyms import Pseudonyms
from echolab.dicom.unusable import UnusableCine
from echolab.io.cache import resize_shorter_side

RECORDS = ".records"  # per-video manifest rows and thumbnails: what a rerun resumes from
VIDEOS = "videos"
THUMBNAIL = 96  # px, the shorter side of a contact-sheet tile


@dataclass(frozen=True)
class Found:
    """One file of the input tree, as its header tells. Its UIDs go to the link map only."""

    source: str  # relative to --in
    id: str  # pseudonym: of the SOP instance, or of the path when there is none
    reason: str = ""  # empty for a cine to convert
    transfer_syntax: str = ""
    manufacturer: str = ""
    patient: str = ""
    study: str = ""
    sop_instance_uid: str = ""
    study_instance_uid: str = ""
    series_instance_uid: str = ""


@dataclass(frozen=True)
class Settings:
    root: Path  # --in
    out: Path
    key: bytes
    format: str  # avi | frames
    size: int | None


def examine(source: Path, settings: Settings) -> Found:
    pseudonyms = Pseudonyms(settings.key)
    relative = source.relative_to(settings.root).as_posix()
    try:
        ds = read_header(source)
    except UnusableCine as error:
        return Found(relative, pseudonyms.file(relative), reason=error.reason)
    uid = str(ds.get("SOPInstanceUID", ""))
    study_uid = str(ds.get("StudyInstanceUID", ""))
    found = Found(
        source=relative,
        id=pseudonyms.instance(uid) if uid else pseudonyms.file(relative),
        transfer_syntax=transfer_syntax(ds).name or "(none)",
        manufacturer=str(ds.get("Manufacturer", "")).strip() or "(none)",
        patient=pseudonyms.patient(
            str(ds.get("IssuerOfPatientID", "")), str(ds.get("PatientID", "")).strip()
        ),
        study=pseudonyms.study(study_uid),
        sop_instance_uid=uid,
        study_instance_uid=study_uid,
        series_instance_uid=str(ds.get("SeriesInstanceUID", "")),
    )
    try:
        check_cine(ds)
    except UnusableCine as error:
        return _with_reason(found, error.reason)
    return found


@dataclass(frozen=True)
class Converted:
    found: Found  # with the reason when the cine could not be converted
    record: dict | None  # its manifest row; None when it could not be converted
    written: bool  # by this run (False: an earlier run's, resumed)


def convert(found: Found, settings: Settings) -> Converted:
    record_path = settings.out / RECORDS / f"{found.id}.json"
    if record_path.is_file():
        return Converted(found, json.loads(record_path.read_text()), written=False)
    source = settings.root / found.source
    try:
        ds = read_header(source)
        cine = read_cine(source, ds)
        path, shape = _write_video(source, ds, cine, found.id, settings)
    except UnusableCine as error:
        return Converted(_with_reason(found, error.reason), None, written=False)
    except Exception:  # a decoder's or codec's own error text may quote the source path
        return Converted(_with_reason(found, "decode_error"), None, written=False)
    record = _record(found, cine, path, shape)
    _write_atomically(record_path, (json.dumps(record, indent=1, sort_keys=True) + "\n").encode())
    return Converted(found, record, written=True)


def _with_reason(found: Found, reason: str) -> Found:
    return Found(**{**asdict(found), "reason": reason})


def _record(found: Found, cine: Cine, path: str, shape: tuple[int, int, int]) -> dict:
    frames, height, width = shape
    x0, y0, x1, y1 = cine.crop
    scale = min(height, width) / min(y1 - y0, x1 - x0)  # resizing to --size changes the pixel size
    return {
        "path": path,
        "fps": cine.fps,
        "frames": frames,
        "rows": height,
        "cols": width,
        "cm_per_px": round(cine.cm_per_px / scale, 6) if cine.cm_per_px else None,
        "mask_area": round(cine.mask_area, 4),
        "sop_class": cine.sop_class,
        "manufacturer": cine.manufacturer,
        "model": cine.model,
        "patient": found.patient,
        "study": found.study,
        "transfer_syntax": cine.transfer_syntax,
        "flags": sorted(cine.flags),
    }


def _write_video(
    source: Path, ds, cine: Cine, name: str, settings: Settings
) -> tuple[str, tuple[int, int, int]]:
    """Write the masked frames as an MJPG AVI (or a folder of PNGs: --format frames, or a cine with
    no frame rate, which an AVI would have to invent); returns its path under --out and its shape."""
    videos = settings.out / VIDEOS
    videos.mkdir(parents=True, exist_ok=True)
    as_avi = settings.format == "avi" and cine.fps is not None
    final = videos / (f"{name}.avi" if as_avi else name)
    temporary = videos / f".tmp-{name}-{os.getpid()}{'.avi' if as_avi else ''}"
    frames = (resize_shorter_side(frame, settings.size) for frame in masked_frames(source, cine, ds))
    thumbnail = None
    try:
        count, shape = 0, None
        writer = None
        if not as_avi:
            temporary.mkdir()
        for frame in frames:
            shape = frame.shape
            if count <= cine.frames // 2:  # the middle frame, or the last if fewer decode
                thumbnail = frame
            bgr = cv2.cvtColor(frame, cv2.COLOR_RGB2BGR)
            if as_avi:
                if writer is None:
                    writer = cv2.VideoWriter(
                        str(temporary), cv2.VideoWriter_fourcc(*"MJPG"), cine.fps, (shape[1], shape[0])
                    )
                writer.write(bgr)
            else:
                cv2.imwrite(str(temporary / f"frame_{count + 1:06d}.png"), bgr)
            count += 1
        if writer is not None:
            writer.release()
        if final.is_dir():  # left by a run that stopped before writing the record
            shutil.rmtree(final)
        os.replace(temporary, final)
    finally:
        if temporary.is_dir():
            shutil.rmtree(temporary)
        else:
            temporary.unlink(missing_ok=True)
    _write_thumbnail(settings.out / RECORDS / f"{name}.png", thumbnail)
    return final.relative_to(settings.out).as_posix(), (count, shape[0], shape[1])


def _write_thumbnail(path: Path, frame: np.ndarray) -> None:
    small = resize_shorter_side(frame, THUMBNAIL) if min(frame.shape[:2]) > THUMBNAIL else frame
    ok, encoded = cv2.imencode(".png", cv2.cvtColor(small, cv2.COLOR_RGB2BGR))
    _write_atomically(path, encoded.tobytes())


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)
