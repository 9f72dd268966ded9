"""The EchoNet-Dynamic layout of a synthetic dataset (writers.write_echonet): FileList.csv,
VolumeTracings.csv (one traced beat per video) and Videos/*.avi at 112x112, plus manifest.csv with
every ED and ES."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from echolab.data.formats.echonet_dynamic import FILE_LIST_COLUMNS, TRACING_COLUMNS
from echolab.data.synthetic.dataset_writer import DatasetFormat, VideoPlan, WrittenVideo
from echolab.data.synthetic.discs import chords, volume_ml
from echolab.data.synthetic.files import write_avi, write_csv
from echolab.data.synthetic.manifest import ManifestRow, write_manifest
from echolab.data.synthetic.phantom import SyntheticVideo
from echolab.errors import ConfigError

ECHONET_SIZE = 112  # EchoNet-Dynamic's videos are all 112x112
_SPLITS = {"train": "TRAIN", "val": "VAL", "test": "TEST"}
# The slowest synthetic heart rate, with breathing, is just over 50 bpm.
_LONGEST_BEAT_SECONDS = 60.0 / 50.0


def check_traceable(min_frames: int, fps: float) -> None:
    """Every video must hold a whole beat, for VolumeTracings.csv to trace one."""
    beat_frames = int(np.ceil(_LONGEST_BEAT_SECONDS * fps)) + 1
    if min_frames < beat_frames:
        raise ConfigError(
            f"EchoNet videos need a whole beat to trace: at {fps:g} fps use --min-frames {beat_frames} or more"
        )


@dataclass(frozen=True)
class _Traced:
    """A video's rows in EchoNet's own tables."""

    file_list: list  # FileList.csv row without the split
    tracings: list[list]


def _save_video(plan: VideoPlan, root: Path, view: str, index: int) -> WrittenVideo:
    video = plan.render(view, index)
    name = "0X" + hashlib.sha256(f"echonet:{plan.seed}:{index}".encode()).hexdigest()[:16].upper()
    write_avi(root / "Videos" / f"{name}.avi", video)
    es_frame, ed_frame = traced_beat(video)
    traced = {frame: tracing(video, frame) for frame in (es_frame, ed_frame)}
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
    return WrittenVideo.of(name, video, _Traced(row, tracings))


def _write_index(root: Path, videos: list[WrittenVideo], splits: list[str]) -> None:
    file_list = [[*video.details.file_list, _SPLITS[s]] for video, s in zip(videos, splits, strict=True)]
    write_csv(root / "FileList.csv", FILE_LIST_COLUMNS, file_list)
    write_csv(
        root / "VolumeTracings.csv", TRACING_COLUMNS, [row for v in videos for row in v.details.tracings]
    )
    write_manifest(
        root / "manifest.csv",
        [
            ManifestRow(f"Videos/{video.name}.avi", video.view, s, video.fps, video.ed, video.es)
            for video, s in zip(videos, splits, strict=True)
        ],
    )


def traced_beat(video: SyntheticVideo) -> tuple[int, int]:
    """One beat's ES and ED frames: the first ED with an ES after it (a systole), else the last
    ES before an ED."""
    for ed in video.ed:
        later = [es for es in video.es if es > ed]
        if later:
            return later[0], ed
    return max(es for es in video.es if es < video.ed[-1]), video.ed[-1]


def tracing(video: SyntheticVideo, frame: int) -> np.ndarray:
    """The drawn LV's disc chords at `frame`: its long axis first, as EchoNet traces it."""
    apex, base = video.lv_long_axis[frame]
    return chords(video.lv_contours[frame], apex, base)


def _number(value: float) -> str:
    return f"{value:.4f}"


ECHONET = DatasetFormat("echonet", _save_video, _write_index)
