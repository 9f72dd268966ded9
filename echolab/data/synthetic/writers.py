"""The synthetic dataset writers `echolab synth` and `data.synthetic` call: each one's options
(recorded in the dataset's marker, so spelled out here), their checks, and which videos it renders.
The skeleton (dataset_writer.py) writes them in the format's layout (ev9v.py, echonet.py, manifest.py).
"""

from __future__ import annotations

from pathlib import Path

from echolab.data.synthetic.dataset_writer import VideoPlan, write_dataset
from echolab.data.synthetic.echonet import ECHONET, ECHONET_SIZE, check_traceable
from echolab.data.synthetic.ev9v import EV9V
from echolab.data.synthetic.manifest import MANIFEST
from echolab.data.synthetic.views import VIEW_CLASSES
from echolab.errors import ConfigError


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
    plan = VideoPlan(seed, size, min_frames, max_frames, fps)
    return write_dataset(EV9V, write_ev9v, locals(), _per_class_jobs(videos_per_class), plan)


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
    check_traceable(min_frames, fps)
    plan = VideoPlan(seed, ECHONET_SIZE, min_frames, max_frames, fps, ef_range)
    return write_dataset(ECHONET, write_echonet, locals(), [("A4C", i) for i in range(videos)], plan)


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
    plan = VideoPlan(seed, size, min_frames, max_frames, fps)
    return write_dataset(MANIFEST, write_manifest_dataset, locals(), _per_class_jobs(videos_per_class), plan)


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
