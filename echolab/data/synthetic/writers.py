"""Save synthetic videos in the layouts real datasets are published in (REFERENCE.md 1.1, 2.1).

Every writer draws video i from its own random stream (seed, i): asking for more videos adds
videos and leaves the earlier ones byte-identical. Splits are stratified by class. Besides the
published files, each dataset gets `synthetic_quality.csv` (which frames were degraded, and how),
which the format readers ignore and analyses of frame usefulness can use.
"""

from __future__ import annotations

import csv
import datetime
import functools
import hashlib
import multiprocessing
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from echolab.data.formats.echonet_dynamic import FILE_LIST_COLUMNS, TRACING_COLUMNS
from echolab.data.synthetic.discs import chords, volume_ml
from echolab.data.synthetic.marker import generator_options, write_marker
from echolab.data.synthetic.phantom import SyntheticVideo, render_video
from echolab.data.synthetic.staging import staged_folder
from echolab.data.synthetic.views import VIEW_CLASSES, shortening_for_ef
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
    workers: int = 1,
) -> Path:
    """EV9V: labels.csv, train/validation/test.txt and one JPEG frame folder per video."""
    _check_counts(videos_per_class, "--videos-per-class", min_frames, max_frames, split)
    jobs = _per_class_jobs(videos_per_class)
    splits = _stratified_splits([view for view, _ in jobs], split, seed)
    options = generator_options(write_ev9v, locals())
    with staged_folder(out, overwrite=overwrite) as root:
        write_marker(root, "ev9v", options)
        plan = _Plan(root, seed, size, min_frames, max_frames, fps)
        written = _each_video(functools.partial(_ev9v_video, plan), jobs, workers, "ev9v", progress)
        names = [name for name, _ in written]
        _write_csv(
            root / "labels.csv",
            ["names", "labels"],
            [(name, view) for name, (view, _) in zip(names, jobs, strict=True)],
        )
        for split_name, file_name in _EV9V_SPLIT_FILES.items():
            chosen = [name for name, s in zip(names, splits, strict=True) if s == split_name]
            (root / file_name).write_text("".join(f"{name}\n" for name in chosen))
        _write_quality(root, [row for _, rows in written for row in rows])
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
    ef_range: tuple[float, float] | None = None,
    overwrite: bool = False,
    progress: bool = True,
    workers: int = 1,
) -> Path:
    """EchoNet-Dynamic: FileList.csv, VolumeTracings.csv (one traced beat: ES rows first, then
    ED), Videos/*.avi at 112x112; plus manifest.csv with every ED and ES for multi-beat work.

    `ef_range` (low, high), in %: each video's ejection fraction is drawn uniformly from it (the
    EF a probe of "EF < 50 %" needs on both sides), seen only as how far the LV contracts. None keeps
    the generator's own spread (median 57 %, about a quarter below 50 %)."""
    _check_counts(videos, "--videos", min_frames, max_frames, split)
    if ef_range is not None and not (len(ef_range) == 2 and 0 < ef_range[0] <= ef_range[1] < 90):
        raise ConfigError(f"--ef-range takes LOW HIGH with 0 < LOW <= HIGH < 90 (%), got {ef_range}")
    beat_frames = int(np.ceil(_LONGEST_BEAT_SECONDS * fps)) + 1
    if min_frames < beat_frames:
        raise ConfigError(
            f"EchoNet videos need a whole beat to trace: at {fps:g} fps use --min-frames {beat_frames} or more"
        )
    splits = _stratified_splits(["A4C"] * videos, split, seed)
    options = generator_options(write_echonet, locals())
    with staged_folder(out, overwrite=overwrite) as root:
        write_marker(root, "echonet", options)
        (root / "Videos").mkdir()
        plan = _Plan(root, seed, _ECHONET_SIZE, min_frames, max_frames, fps, ef_range)
        written = _each_video(
            functools.partial(_echonet_video, plan), range(videos), workers, "echonet", progress
        )
        _write_csv(
            root / "FileList.csv",
            FILE_LIST_COLUMNS,
            [[*video.file_list, _ECHONET_SPLITS[s]] for video, s in zip(written, splits, strict=True)],
        )
        _write_csv(
            root / "VolumeTracings.csv",
            TRACING_COLUMNS,
            [row for video in written for row in video.tracings],
        )
        write_manifest(
            root / "manifest.csv",
            [
                ManifestRow(f"Videos/{video.file_list[0]}.avi", "A4C", s, fps, video.ed, video.es)
                for video, s in zip(written, splits, strict=True)
            ],
        )
        _write_quality(root, [row for video in written for row in video.quality])
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
    workers: int = 1,
) -> Path:
    """All nine views as MJPG AVIs under videos/<CLASS>/, listed in manifest.csv with labels,
    splits, frame rates and every ED/ES frame."""
    _check_counts(videos_per_class, "--videos-per-class", min_frames, max_frames, split)
    jobs = _per_class_jobs(videos_per_class)
    splits = _stratified_splits([view for view, _ in jobs], split, seed)
    options = generator_options(write_manifest_dataset, locals())
    with staged_folder(out, overwrite=overwrite) as root:
        write_marker(root, "manifest", options)
        plan = _Plan(root, seed, size, min_frames, max_frames, fps)
        written = _each_video(functools.partial(_manifest_video, plan), jobs, workers, "manifest", progress)
        manifest = [
            ManifestRow(path, view, split_name, fps, ed, es)
            for (path, ed, es, _), (view, _), split_name in zip(written, jobs, splits, strict=True)
        ]
        write_manifest(root / "manifest.csv", manifest)
        _write_quality(root, [row for *_, quality in written for row in quality])
    return Path(out)


@dataclass(frozen=True)
class _Plan:
    """What all videos of one dataset share; renders video `index` of it."""

    root: Path
    seed: int
    size: int
    min_frames: int
    max_frames: int
    fps: float
    ef_range: tuple[float, float] | None = None

    def render(self, view: str, index: int) -> SyntheticVideo:
        frames = int(self.stream(index).integers(self.min_frames, self.max_frames + 1))
        return render_video(
            view,
            seed=self.seed,
            index=index,
            size=self.size,
            frames=frames,
            fps=self.fps,
            shortening=self.shortening(index),
        )

    def shortening(self, index: int) -> float | None:
        """Video `index`'s LV shortening for an EF drawn from `ef_range` (its own stream), or None:
        the renderer draws it."""
        if self.ef_range is None:
            return None
        return shortening_for_ef(float(np.random.default_rng([self.seed, index, 3]).uniform(*self.ef_range)))

    def stream(self, index: int) -> np.random.Generator:
        """The writer's own per-video choices (length, then name), apart from the renderer's."""
        return np.random.default_rng([self.seed, index, 1])


def _ev9v_video(plan: _Plan, job: tuple[str, int]) -> tuple[str, list[list]]:
    view, index = job
    video = plan.render(view, index)
    stream = plan.stream(index)
    stream.integers(plan.min_frames, plan.max_frames + 1)  # the length, drawn by render()
    stamp = datetime.datetime(2022, 1, 1) + datetime.timedelta(seconds=int(stream.integers(2 * 365 * 86400)))
    name = f"{stamp:%Y-%m-%d_%H-%M-%S}_{plan.size}x{plan.size}_{index + 1}"
    folder = plan.root / "Images" / name
    folder.mkdir(parents=True)
    for number, frame in enumerate(video.frames, start=1):
        _imwrite(folder / f"frame_{number:06d}.jpg", frame)
    return name, _quality_rows(name, video)


@dataclass(frozen=True)
class _EchonetVideo:
    file_list: list  # FileList.csv row without the split
    tracings: list[list]
    ed: tuple[int, ...]
    es: tuple[int, ...]
    quality: list[list]


def _echonet_video(plan: _Plan, index: int) -> _EchonetVideo:
    video = plan.render("A4C", index)
    name = "0X" + hashlib.sha256(f"echonet:{plan.seed}:{index}".encode()).hexdigest()[:16].upper()
    _write_avi(plan.root / "Videos" / f"{name}.avi", video)
    es_frame, ed_frame = _traced_beat(video)
    traced = {frame: _tracing(video, frame) for frame in (es_frame, ed_frame)}
    esv, edv = (volume_ml(traced[f], video.cm_per_pixel) for f in (es_frame, ed_frame))
    height, width = video.frames.shape[1:3]
    row = [
        name,
        _number(100.0 * (edv - esv) / edv),
        _number(esv),
        _number(edv),
        height,
        width,
        f"{plan.fps:g}",
        len(video.frames),
    ]
    # The reference loader takes the first traced frame as ES: ES rows go first.
    tracings = [
        [f"{name}.avi", *map(_number, chord), frame]
        for frame in (es_frame, ed_frame)
        for chord in traced[frame]
    ]
    return _EchonetVideo(row, tracings, tuple(video.ed), tuple(video.es), _quality_rows(name, video))


def _manifest_video(
    plan: _Plan, job: tuple[str, int]
) -> tuple[str, tuple[int, ...], tuple[int, ...], list[list]]:
    view, index = job
    video = plan.render(view, index)
    path = f"videos/{view}/{view}_{index + 1:05d}.avi"
    (plan.root / path).parent.mkdir(parents=True, exist_ok=True)
    _write_avi(plan.root / path, video)
    return path, tuple(video.ed), tuple(video.es), _quality_rows(path, video)


def _each_video(task, jobs, workers: int, format: str, progress: bool) -> list:
    """task(job) for every job, results in job order; in `workers` processes when more than one."""
    jobs = list(jobs)
    results = []
    with tqdm(total=len(jobs), desc=f"synth {format}", unit="video", disable=not progress) as bar:
        if workers <= 1:
            for job in jobs:
                results.append(task(job))
                bar.update()
            return results
        # spawn, not fork: the caller may hold threads (torch, OpenCV) that a fork would break.
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            for result in pool.imap(task, jobs):
                results.append(result)
                bar.update()
    return results


def _check_counts(videos: int, option: str, min_frames: int, max_frames: int, split) -> None:
    if videos < 1:
        raise ConfigError(f"{option} must be at least 1, got {videos}")
    if not 2 <= min_frames <= max_frames:
        raise ConfigError(f"need 2 <= --min-frames <= --max-frames, got {min_frames} and {max_frames}")
    if len(split) != 3 or min(split) < 0 or abs(sum(split) - 1.0) > 1e-6:
        raise ConfigError(
            f"split must be three fractions (train, val, test) adding up to 1, got {tuple(split)}"
        )


def _per_class_jobs(videos_per_class: int) -> list[tuple[str, int]]:
    # Interleave classes so that video j of every class keeps its index when videos_per_class grows.
    return [
        (view, j * len(VIEW_CLASSES) + c)
        for c, view in enumerate(VIEW_CLASSES)
        for j in range(videos_per_class)
    ]


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
