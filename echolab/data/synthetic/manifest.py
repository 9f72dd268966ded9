"""The manifest CSV (`path,label,split[,fps,ed,es]`), which any dataset can be described in, and the
synthetic layout listed by one alone (writers.write_manifest_dataset): MJPG AVIs under videos/<CLASS>/."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from echolab.data.synthetic.dataset_writer import DatasetFormat, VideoPlan, WrittenVideo
from echolab.data.synthetic.files import write_avi
from echolab.data.synthetic.splits import SPLITS


@dataclass(frozen=True)
class ManifestRow:
    path: str  # relative to the manifest's folder
    label: str
    split: str  # train, val or test
    fps: float | None = None
    ed: tuple[int, ...] | None = None  # None: no keyframe columns for this dataset
    es: tuple[int, ...] | None = None

    @classmethod
    def of(cls, video: WrittenVideo, split: str) -> ManifestRow:
        """A synthetic video's row, keyframes included; its name is its path."""
        return cls(video.name, video.view, split, video.fps, video.ed, video.es)


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


def _save_video(plan: VideoPlan, root: Path, view: str, index: int) -> WrittenVideo:
    video = plan.render(view, index)
    path = f"videos/{view}/{view}_{index + 1:05d}.avi"
    write_avi(root / path, video)
    return WrittenVideo.of(path, video)


def _write_index(root: Path, videos: list[WrittenVideo], splits: list[str]) -> None:
    write_manifest(root / "manifest.csv", map(ManifestRow.of, videos, splits))


def _frames(frames: tuple[int, ...]) -> str:
    return ";".join(str(frame) for frame in frames)


MANIFEST = DatasetFormat("manifest", _save_video, _write_index)
