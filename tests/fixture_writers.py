"""The one set of fixture writers: tiny videos, frame folders and datasets (OpenCV), and CAMUS-layout
NIfTI releases in miniature (nibabel; echolab has no synthetic CAMUS writer).

Frame i of every fixture video is a flat colour with RGB = (v, 128, 255 - v), v = frame_value(i),
so tests can check frame order, value and channel order after decoding, within codec tolerance.
"""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import nibabel as nib
import numpy as np

# Per-channel error allowed after an MJPG / mp4v / JPEG round-trip (measured: at most 4). Below half
# the 13-level step between consecutive frames, so a frame can never pass for its neighbour.
CODEC_TOLERANCE = 6


def frame_value(index: int) -> int:
    """Red level of fixture frame `index`: steps of 13 stay distinguishable after compression."""
    return 10 + (13 * index) % 240


def fixture_frame(index: int, height: int, width: int) -> np.ndarray:
    """RGB uint8 frame `index` of every fixture video."""
    value = frame_value(index)
    return np.broadcast_to(np.array([value, 128, 255 - value], np.uint8), (height, width, 3)).copy()


def write_video(
    path: Path,
    n_frames: int = 12,
    *,
    height: int = 48,
    width: int = 64,
    fourcc: str = "MJPG",
    fps: float = 25.0,
) -> Path:
    """A video of fixture frames: MJPG in .avi, or mp4v in .mp4."""
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, (width, height))
    assert writer.isOpened(), f"OpenCV cannot write {fourcc} to {path}"
    for index in range(n_frames):
        writer.write(cv2.cvtColor(fixture_frame(index, height, width), cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def write_frame_folder(
    folder: Path,
    n_frames: int = 10,
    *,
    height: int = 32,
    width: int = 40,
    pattern: str = "frame_{:06d}.jpg",
    first_number: int = 1,
) -> Path:
    """A folder of fixture frames named by `pattern` (EV9V style by default: frame_000001.jpg)."""
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(n_frames):
        image = cv2.cvtColor(fixture_frame(index, height, width), cv2.COLOR_RGB2BGR)
        assert cv2.imwrite(str(folder / pattern.format(index + first_number)), image)
    return folder


def write_ev9v(root: Path, videos: dict[str, tuple[str, str]], *, n_frames: int = 6) -> Path:
    """EV9V layout; `videos` maps a video name to (view label, split file stem: train/validation/test)."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / "labels.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["names", "labels"])
        writer.writerows((name, label) for name, (label, _) in videos.items())
    for split_file in ("train", "validation", "test"):
        names = [name for name, (_, split) in videos.items() if split == split_file]
        (root / f"{split_file}.txt").write_text("".join(f"{name}\n" for name in names))
    for name in videos:
        write_frame_folder(root / "Images" / name, n_frames)
    (root / "Images").mkdir(exist_ok=True)
    return root


def write_echonet(root: Path, videos: list[tuple[str, str, list[int]]], *, n_frames: int = 10) -> Path:
    """EchoNet-Dynamic layout; `videos` holds (FileName without .avi, TRAIN/VAL/TEST, traced frames
    in the order VolumeTracings lists them)."""
    (root / "Videos").mkdir(parents=True, exist_ok=True)
    with open(root / "FileList.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["FileName", "EF", "ESV", "EDV", "FrameHeight", "FrameWidth", "FPS", "NumberOfFrames", "Split"]
        )
        for name, split, _ in videos:
            writer.writerow([name, 55.0, 30.0, 70.0, 32, 32, 50, n_frames, split])
    with open(root / "VolumeTracings.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["FileName", "X1", "Y1", "X2", "Y2", "Frame"])
        for name, _, frames in videos:
            for frame in frames:
                # Several chord rows per traced frame, as in the real file.
                writer.writerows([[f"{name}.avi", 1, 2, 3, 4, frame]] * 3)
    for name, _, _ in videos:
        write_video(root / "Videos" / f"{name}.avi", n_frames, height=32, width=32, fps=50.0)
    return root


def write_manifest(root: Path, rows: list[dict[str, str]], *, name: str = "manifest.csv") -> Path:
    """A manifest CSV in `root` with the columns of the first row."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / name, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return root / name


SPLIT_FILES = {
    "train": "subgroup_training.txt",
    "val": "subgroup_validation.txt",
    "test": "subgroup_testing.txt",
}


def write_camus(root: Path, patients: dict[str, list[str]], *, frames: int = 12, size: int = 40) -> Path:
    """A CAMUS NIfTI release in miniature: per patient and view a (H, W, T) half sequence that brightens
    from ED (1-based frame 1) to ES (frame `frames`), Info_*.cfg files, and the three split files."""
    (root / "database_split").mkdir(parents=True)
    rng = np.random.default_rng(0)
    for split, names in patients.items():
        (root / "database_split" / SPLIT_FILES[split]).write_text("".join(f"{n}\n" for n in names))
        for name in names:
            folder = root / "database_nifti" / name
            folder.mkdir(parents=True)
            for view in ("2CH", "4CH"):
                # Wider than tall (H=size, W=size+8) so a transposed read would show.
                volume = rng.integers(0, 40, size=(size, size + 8, frames)).astype(np.uint8)
                volume += (np.arange(frames) * 10).astype(np.uint8)[None, None, :]
                nib.save(nib.Nifti1Image(volume, np.eye(4)), folder / f"{name}_{view}_half_sequence.nii.gz")
                (folder / f"Info_{view}.cfg").write_text(
                    f"ED: 1\nES: {frames}\nNbFrame: {frames}\nSex: F\nAge: 60\nImageQuality: Good\n"
                    "EF: 55\nFrameRate: 25\n"
                )
    return root


def tiny_camus(root: Path) -> Path:
    return write_camus(
        root,
        {"train": ["patient0001", "patient0002"], "val": ["patient0003"], "test": ["patient0004"]},
    )
