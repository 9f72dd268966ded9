"""The EV9V layout of a synthetic dataset (writers.write_ev9v): labels.csv, train/validation/test.txt
and one JPEG frame folder per video under Images/."""

from __future__ import annotations

import datetime
from pathlib import Path

from echolab.data.formats.ev9v import SPLIT_FILES
from echolab.data.synthetic.dataset_writer import DatasetFormat, VideoPlan, WrittenVideo
from echolab.data.synthetic.files import write_csv, write_jpeg


def _save_video(plan: VideoPlan, root: Path, view: str, index: int) -> WrittenVideo:
    video = plan.render(view, index)
    stream = plan.stream(index)
    stream.integers(plan.min_frames, plan.max_frames + 1)  # the length, drawn by render()
    stamp = datetime.datetime(2022, 1, 1) + datetime.timedelta(seconds=int(stream.integers(2 * 365 * 86400)))
    name = f"{stamp:%Y-%m-%d_%H-%M-%S}_{plan.size}x{plan.size}_{index + 1}"
    folder = root / "Images" / name
    folder.mkdir(parents=True)
    for number, frame in enumerate(video.frames, start=1):
        write_jpeg(folder / f"frame_{number:06d}.jpg", frame)
    return WrittenVideo.of(name, video)


def _write_index(root: Path, videos: list[WrittenVideo], splits: list[str]) -> None:
    write_csv(root / "labels.csv", ["names", "labels"], [(video.name, video.view) for video in videos])
    for split_name, file_name in SPLIT_FILES.items():
        chosen = [video.name for video, s in zip(videos, splits, strict=True) if s == split_name]
        (root / file_name).write_text("".join(f"{name}\n" for name in chosen))


EV9V = DatasetFormat("ev9v", _save_video, _write_index)
