"""What a user may name as a video: file suffixes, and the expansion of folders, globs and lists."""

from __future__ import annotations

import glob
import os
import re
from pathlib import Path

from echolab.errors import VideoReadError

VIDEO_EXTENSIONS = (".avi", ".mp4", ".mov", ".mkv", ".m4v", ".webm", ".mpg", ".mpeg", ".wmv", ".ogv")
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
DICOM_EXTENSIONS = (".dcm", ".dicom")

NIFTI_SUFFIXES = (".nii", ".nii.gz")
_DICOM_PREAMBLE = 128  # bytes before the "DICM" magic of a DICOM Part 10 file


def is_nifti(path: str | Path) -> bool:
    return str(path).lower().endswith(NIFTI_SUFFIXES)


def is_dicom(path: str | Path) -> bool:
    """A DICOM file: by its suffix, or, for a file whose suffix names no other format (PACS exports
    often have none, or `.1`, `.IMA`), by its content: 'DICM' after the 128-byte preamble. Common
    video and image files are never opened here."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in DICOM_EXTENSIONS:
        return True
    if suffix in VIDEO_EXTENSIONS + IMAGE_EXTENSIONS or is_nifti(path) or not path.is_file():
        return False
    return has_dicom_preamble(path)


def has_dicom_preamble(path: str | Path) -> bool:
    """'DICM' after a 128-byte preamble: a DICOM Part 10 file, whatever its name."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(_DICOM_PREAMBLE + 4)
    except OSError:
        return False
    return head[_DICOM_PREAMBLE:] == b"DICM"


def expand_video_inputs(spec: str | Path | list | tuple) -> list[Path]:
    """The videos a user named: a video file, a frame folder, a folder of videos and/or frame
    folders (naturally sorted), a glob, or a list of any of these (a Python list or "[a, b]")."""
    if isinstance(spec, list | tuple):
        items = [str(item) for item in spec]
    elif isinstance(spec, str) and spec.strip().startswith("[") and spec.strip().endswith("]"):
        items = [item.strip().strip("'\"") for item in spec.strip()[1:-1].split(",")]
        items = [item for item in items if item]
    else:
        items = [str(spec)]
    paths = [path for item in items for path in _expand_one(item)]
    if not paths:
        raise VideoReadError(
            f"no videos found in {spec!r}: give a video file ({', '.join(VIDEO_EXTENSIONS)}), a folder of "
            "frame images, a folder of videos, a glob such as 'videos/*.avi', or a list '[a.avi, b.avi]'"
        )
    return paths


def _expand_one(item: str) -> list[Path]:
    if glob.has_magic(item):
        matches = sorted(glob.glob(os.path.expanduser(item), recursive=True), key=natural_key)
        return [Path(match) for match in matches if _is_video_input(Path(match))]
    path = Path(item).expanduser()
    if path.is_file():
        return [path]
    if path.is_dir():
        if _holds_images(path):
            return [path]
        children = sorted(path.iterdir(), key=lambda child: natural_key(child.name))
        return [child for child in children if _is_video_input(child)]
    raise VideoReadError(f"{path}: no such video file, frame folder or folder of videos")


def _is_video_input(path: Path) -> bool:
    if path.is_dir():
        return _holds_images(path)
    return path.suffix.lower() in VIDEO_EXTENSIONS or is_nifti(path) or is_dicom(path)


def natural_key(text: str) -> list:
    """Sort key that orders digit runs by value: frame_2 before frame_10, class 2 before 10."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def _holds_images(folder: Path) -> bool:
    with os.scandir(folder) as entries:
        return any(Path(entry.name).suffix.lower() in IMAGE_EXTENSIONS for entry in entries)
