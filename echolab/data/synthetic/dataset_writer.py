"""The one skeleton every synthetic dataset is written with (REFERENCE.md 1.1, 2.1); a format adds
only how it saves one video and which index files list them (ev9v.py, echonet.py, manifest.py).

Every writer draws video i from its own random stream (seed, i): asking for more videos adds
videos and leaves the earlier ones byte-identical. Splits are stratified by class. The folder is
staged and renamed into place at the end (staging.py), marked as echolab's own (marker.py), and,
besides the published files, gets `synthetic_quality.csv` (which frames were degraded, and how),
which the format readers ignore and analyses of frame usefulness can use.
"""

from __future__ import annotations

import functools
import multiprocessing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from echolab.data.synthetic.files import write_csv
from echolab.data.synthetic.marker import generator_options, write_marker
from echolab.data.synthetic.phantom import SyntheticVideo, render_video
from echolab.data.synthetic.quality import QualitySegment
from echolab.data.synthetic.splits import stratified_splits
from echolab.data.synthetic.staging import staged_folder
from echolab.data.synthetic.views import shortening_for_ef


@dataclass(frozen=True)
class VideoPlan:
    """What all videos of one dataset share; renders video `index` of it."""

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


@dataclass(frozen=True)
class WrittenVideo:
    """One video a format saved, with what its index files list about it (not its pixels: worker
    processes send this back)."""

    name: str  # as the index files name it (EV9V folder, EchoNet file name, manifest path)
    view: str
    fps: float
    ed: tuple[int, ...]
    es: tuple[int, ...]
    quality_segments: tuple[QualitySegment, ...]
    details: Any = None  # what only its format's index needs (EchoNet: the traced beat's rows)

    @classmethod
    def of(cls, name: str, video: SyntheticVideo, details: Any = None) -> WrittenVideo:
        ed, es, segments = tuple(video.ed), tuple(video.es), tuple(video.quality_segments)
        return cls(name, video.view, video.fps, ed, es, segments, details)


@dataclass(frozen=True)
class DatasetFormat:
    """What one published layout adds to the skeleton. Both are module-level functions, so that
    worker processes can run `save_video`."""

    name: str  # the marker's writer name and the progress bar's label
    save_video: Callable[[VideoPlan, Path, str, int], WrittenVideo]  # (plan, root, view, index)
    write_index: Callable[[Path, list[WrittenVideo], list[str]], None]  # (root, videos, their splits)


def write_dataset(
    format: DatasetFormat, writer: Callable, arguments: dict, jobs: list[tuple[str, int]], plan: VideoPlan
) -> Path:
    """Save video `index` of `view` for every (view, index) in `jobs` as a `format` dataset.

    `writer` is the public writer and `arguments` its arguments (its `locals()`): the marker records
    the ones that shape the data; `out`, `split`, `overwrite`, `progress` and `workers` say where and
    how to write."""
    splits = stratified_splits([view for view, _ in jobs], arguments["split"], plan.seed)
    options = generator_options(writer, arguments)
    with staged_folder(arguments["out"], overwrite=arguments["overwrite"]) as root:
        write_marker(root, format.name, options)
        save = functools.partial(_save_job, format.save_video, plan, root)
        videos = _each_video(save, jobs, arguments["workers"], format.name, arguments["progress"])
        format.write_index(root, videos, splits)
        write_csv(
            root / "synthetic_quality.csv",
            ["video", "defect", "start", "stop"],
            [[v.name, s.kind, s.start, s.stop] for v in videos for s in v.quality_segments],
        )
    return Path(arguments["out"])


def _save_job(save_video, plan: VideoPlan, root: Path, job: tuple[str, int]) -> WrittenVideo:
    view, index = job
    return save_video(plan, root, view, index)


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
