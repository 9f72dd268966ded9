"""Save synthetic videos in the layouts real datasets are published in (REFERENCE.md 1.1, 2.1).

Every writer draws video i from its own random stream (seed, i): asking for more videos adds
videos and leaves the earlier ones byte-identical. Splits are stratified by class. Besides the
published files, each dataset gets `synthetic_quality.csv` (which frames were degraded, and how),
which the format readers ignore and analyses of frame usefulness can use.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from echolab.data.synthetic.discs import chords, volume_ml
from echolab.data.synthetic.phantom import SyntheticVideo, render_video
from echolab.data.synthetic.staging import staged_folder
from echolab.data.synthetic.views import VIEW_CLASSES
from echolab.errors import ConfigError

SPLITS = ("train", "val", "test")
_EV9V_SPLIT_FILES = {"train": "train.txt", "val": "validation.txt", "test": "test.txt"}
_ECHONET_SPLITS = {"train": "TRAIN", "val": "VAL", "test": "TEST"}
_ECHONET_SIZE = 112
_JPEG_QUALITY = 92
# The slowest synthetic heart rate, with breathing, is just over 50 bpm.
_LONGEST_BEAT_SECONDS = 60.0 / 50.0


@dataclass(frozen=True)
class ManifestRow:
    path: str  # relative to the manifest's folder
    label: str
    split: str  # train, val or test
    fps: float | None = None
    ed: tuple[int, ...] | None = None  # None: no keyframe columns for this dataset
    es: tuple[int, ...] | None = None


def write_manifest(path: str | Path, rows: Iterable[ManifestRow]) -> None:
    """A manifest CSV: `path,label,split`, plus `fps,ed,es` when the first row has keyframes."""
    rows = list(rows)
    keyframes = bool(rows) and rows[0].ed is not None
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["path", "label", "split", *(["fps", "ed", "es"] if keyframes else [])])
        for row in rows:
            if row.split not in SPLITS:
                raise ValueError(f"manifest split must be one of {SPLITS}, got {row.split!r}")
            extra = [f"{row.fps:g}", _frames(row.ed), _frames(row.es)] if keyframes else []
            writer.writerow([row.path, row.label, row.split, *extra])


def write_ev9v(
    out: str | Path,
    *,
    videos_per_class: int = 30,
    seed: int = 0,
    size: int = 128,
    min_frames: int = 48,
    max_frames: int = 72,
    fps: float = 30.0,
    split=(0.6, 0.2, 0.2),
    overwrite: bool = False,
    progress: bool = True,
) -> Path:
    """EV9V: labels.csv, train/validation/test.txt and one JPEG frame folder per video."""
    _check_counts(videos_per_class, "--videos-per-class", min_frames, max_frames, split)
    jobs = _per_class_jobs(videos_per_class, seed)
    splits = _stratified_splits([view for view, _ in jobs], split, seed)
    with staged_folder(out, overwrite=overwrite) as root:
        names, quality_rows = [], []
        for (view, index), split_name in tqdm(
            zip(jobs, splits, strict=True),
            total=len(jobs),
            desc="synth ev9v",
            unit="video",
            disable=not progress,
        ):
            stream = _video_stream(seed, index)
            stamp = datetime.datetime(2022, 1, 1) + datetime.timedelta(
                seconds=int(stream.integers(2 * 365 * 86400))
            )
            name = f"{stamp:%Y-%m-%d_%H-%M-%S}_{size}x{size}_{index + 1}"
            frames = int(stream.integers(min_frames, max_frames + 1))
            video = render_video(view, seed=seed, index=index, size=size, frames=frames, fps=fps)
            folder = root / "Images" / name
            folder.mkdir(parents=True)
            for number, frame in enumerate(video.frames, start=1):
                _imwrite(folder / f"frame_{number:06d}.jpg", frame)
            names.append((name, view, split_name))
            quality_rows += _quality_rows(name, video)
        _write_csv(root / "labels.csv", ["names", "labels"], [(name, view) for name, view, _ in names])
        for split_name, file_name in _EV9V_SPLIT_FILES.items():
            (root / file_name).write_text("".join(f"{name}\n" for name, _, s in names if s == split_name))
        _write_quality(root, quality_rows)
    return Path(out)


def write_echonet(
    out: str | Path,
    *,
    videos: int = 60,
    seed: int = 0,
    min_frames: int = 80,
    max_frames: int = 128,
    fps: float = 50.0,
    split=(0.6, 0.2, 0.2),
    overwrite: bool = False,
    progress: bool = True,
) -> Path:
    """EchoNet-Dynamic: FileList.csv, VolumeTracings.csv (one traced beat: ES rows first, then
    ED), Videos/*.avi at 112x112; plus manifest.csv with every ED and ES for multi-beat work."""
    _check_counts(videos, "--videos", min_frames, max_frames, split)
    beat_frames = int(np.ceil(_LONGEST_BEAT_SECONDS * fps)) + 1
    if min_frames < beat_frames:
        raise ConfigError(
            f"EchoNet videos need a whole beat to trace: at {fps:g} fps use --min-frames {beat_frames} or more"
        )
    splits = _stratified_splits(["A4C"] * videos, split, seed)
    with staged_folder(out, overwrite=overwrite) as root:
        (root / "Videos").mkdir()
        file_list, tracings, manifest, quality_rows = [], [], [], []
        for index, split_name in tqdm(
            enumerate(splits), total=videos, desc="synth echonet", unit="video", disable=not progress
        ):
            stream = _video_stream(seed, index)
            name = "0X" + hashlib.sha256(f"echonet:{seed}:{index}".encode()).hexdigest()[:16].upper()
            frames = int(stream.integers(min_frames, max_frames + 1))
            video = render_video("A4C", seed=seed, index=index, size=_ECHONET_SIZE, frames=frames, fps=fps)
            _write_avi(root / "Videos" / f"{name}.avi", video)
            es_frame, ed_frame = _traced_beat(video)
            traced = {frame: _tracing(video, frame) for frame in (es_frame, ed_frame)}
            esv, edv = (volume_ml(traced[f], video.cm_per_pixel) for f in (es_frame, ed_frame))
            file_list.append(
                [
                    name,
                    _number(100.0 * (edv - esv) / edv),
                    _number(esv),
                    _number(edv),
                    _ECHONET_SIZE,
                    _ECHONET_SIZE,
                    f"{fps:g}",
                    frames,
                    _ECHONET_SPLITS[split_name],
                ]
            )
            for frame in (es_frame, ed_frame):  # the reference loader takes the first traced frame as ES
                tracings += [[f"{name}.avi", *map(_number, row), frame] for row in traced[frame]]
            manifest.append(
                ManifestRow(f"Videos/{name}.avi", "A4C", split_name, fps, tuple(video.ed), tuple(video.es))
            )
            quality_rows += _quality_rows(name, video)
        _write_csv(
            root / "FileList.csv",
            ["FileName", "EF", "ESV", "EDV", "FrameHeight", "FrameWidth", "FPS", "NumberOfFrames", "Split"],
            file_list,
        )
        _write_csv(root / "VolumeTracings.csv", ["FileName", "X1", "Y1", "X2", "Y2", "Frame"], tracings)
        write_manifest(root / "manifest.csv", manifest)
        _write_quality(root, quality_rows)
    return Path(out)


def write_manifest_dataset(
    out: str | Path,
    *,
    videos_per_class: int = 10,
    seed: int = 0,
    size: int = 128,
    min_frames: int = 48,
    max_frames: int = 72,
    fps: float = 30.0,
    split=(0.6, 0.2, 0.2),
    overwrite: bool = False,
    progress: bool = True,
) -> Path:
    """All nine views as MJPG AVIs under videos/<CLASS>/, listed in manifest.csv with labels,
    splits, frame rates and every ED/ES frame."""
    _check_counts(videos_per_class, "--videos-per-class", min_frames, max_frames, split)
    jobs = _per_class_jobs(videos_per_class, seed)
    splits = _stratified_splits([view for view, _ in jobs], split, seed)
    with staged_folder(out, overwrite=overwrite) as root:
        manifest, quality_rows = [], []
        for (view, index), split_name in tqdm(
            zip(jobs, splits, strict=True),
            total=len(jobs),
            desc="synth manifest",
            unit="video",
            disable=not progress,
        ):
            frames = int(_video_stream(seed, index).integers(min_frames, max_frames + 1))
            video = render_video(view, seed=seed, index=index, size=size, frames=frames, fps=fps)
            path = f"videos/{view}/{view}_{index + 1:05d}.avi"
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            _write_avi(root / path, video)
            manifest.append(ManifestRow(path, view, split_name, fps, tuple(video.ed), tuple(video.es)))
            quality_rows += _quality_rows(path, video)
        write_manifest(root / "manifest.csv", manifest)
        _write_quality(root, quality_rows)
    return Path(out)


def _check_counts(videos: int, option: str, min_frames: int, max_frames: int, split) -> None:
    if videos < 1:
        raise ConfigError(f"{option} must be at least 1, got {videos}")
    if not 2 <= min_frames <= max_frames:
        raise ConfigError(f"need 2 <= --min-frames <= --max-frames, got {min_frames} and {max_frames}")
    if len(split) != 3 or min(split) < 0 or abs(sum(split) - 1.0) > 1e-6:
        raise ConfigError(
            f"split must be three fractions (train, val, test) adding up to 1, got {tuple(split)}"
        )


def _per_class_jobs(videos_per_class: int, seed: int) -> list[tuple[str, int]]:
    # Interleave classes so that video j of every class keeps its index when videos_per_class grows.
    return [
        (view, j * len(VIEW_CLASSES) + c)
        for c, view in enumerate(VIEW_CLASSES)
        for j in range(videos_per_class)
    ]


def _video_stream(seed: int, index: int) -> np.random.Generator:
    """Per-video choices the writers make (length, name), apart from the renderer's own streams."""
    return np.random.default_rng([seed, index, 1])


def _stratified_splits(labels: list[str], fractions, seed: int) -> list[str]:
    """A split per item such that every class is divided in the given proportions (largest
    remainder rounding; each split with a non-zero fraction gets a video of a class that has
    enough)."""
    rng = np.random.default_rng([seed, 2])
    result = [""] * len(labels)
    for label in dict.fromkeys(labels):
        members = [i for i, item in enumerate(labels) if item == label]
        counts = _split_counts(len(members), fractions, rng)
        names = np.repeat(SPLITS, counts)
        for member, name in zip(rng.permutation(members), names, strict=True):
            result[member] = str(name)
    return result


def _split_counts(total: int, fractions, rng: np.random.Generator) -> np.ndarray:
    wanted = np.asarray(fractions, dtype=float) * total
    counts = np.floor(wanted).astype(int)
    # Ties in the remainders go to a random split, so small classes do not all skip the same one.
    order = np.lexsort((rng.random(len(counts)), -(wanted - counts).round(9)))
    for i in order[: total - counts.sum()]:
        counts[i] += 1
    nonzero = np.flatnonzero(np.asarray(fractions) > 0)
    if total >= len(nonzero):
        for i in nonzero:
            if counts[i] == 0:
                counts[np.argmax(counts)] -= 1
                counts[i] = 1
    return counts


def _traced_beat(video: SyntheticVideo) -> tuple[int, int]:
    """One beat's ES and ED frames: the first ED with an ES after it (a systole), else the last
    ES before an ED."""
    for ed in video.ed:
        later = [es for es in video.es if es > ed]
        if later:
            return later[0], ed
    return max(es for es in video.es if es < video.ed[-1]), video.ed[-1]


def _tracing(video: SyntheticVideo, frame: int) -> np.ndarray:
    apex, base = video.lv_long_axis[frame]
    return chords(video.lv_contours[frame], apex, base)


def _write_avi(path: Path, video: SyntheticVideo) -> None:
    height, width = video.frames.shape[1:3]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), video.fps, (width, height))
    if not writer.isOpened():
        raise OSError(f"OpenCV cannot write MJPG AVI files here ({path})")
    for frame in video.frames:
        writer.write(frame)
    writer.release()


def _imwrite(path: Path, frame: np.ndarray) -> None:
    if not cv2.imwrite(str(path), frame, [cv2.IMWRITE_JPEG_QUALITY, _JPEG_QUALITY]):
        raise OSError(f"could not write {path}")


def _write_csv(path: Path, header: list[str], rows) -> None:
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _quality_rows(name: str, video: SyntheticVideo) -> list[list]:
    return [[name, s.kind, s.start, s.stop] for s in video.quality_segments]


def _write_quality(root: Path, rows: list[list]) -> None:
    _write_csv(root / "synthetic_quality.csv", ["video", "defect", "start", "stop"], rows)


def _frames(frames: tuple[int, ...]) -> str:
    return ";".join(str(frame) for frame in frames)


def _number(value: float) -> str:
    return f"{value:.4f}"
