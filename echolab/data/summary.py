"""What a dataset holds (`echolab data-summary`): counts per split and class, and unusable videos."""

from __future__ import annotations

from pathlib import Path

import cv2
from tqdm import tqdm

from echolab.data.records import SPLITS, DatasetIndex, VideoRecord
from echolab.data.video import list_frame_images, probe_video
from echolab.errors import VideoReadError


def summarize(index: DatasetIndex, *, check_videos: bool = True, progress: bool = True) -> dict:
    """A JSON-ready summary of `index`.

    With `check_videos`, every video is probed (header plus first and last frame): one that cannot
    be decoded, or whose ED/ES labels point past its last frame, is listed under "bad".
    """
    bad = [{"path": item.path, "error": item.error} for item in index.bad]
    videos = []
    for record in tqdm(index.videos, desc="Checking videos", disable=not (progress and check_videos)):
        frames, fps = None, record.fps
        if check_videos:
            try:
                info = probe_video(record.path)
                frames, fps = info.frames, record.fps or info.fps
                if problem := _keyframe_problem(record, info.frames):
                    bad.append({"path": str(record.path), "error": problem})
            except VideoReadError as error:
                bad.append({"path": str(record.path), "error": str(error)})
            except cv2.error as error:
                # OpenCV raises, rather than returning None, for an empty (0-byte) frame image; one such
                # video must not end the check of the others.
                bad.append({"path": str(record.path), "error": _opencv_failure(record.path, error)})
        videos.append(
            {
                "name": record.name,
                "split": record.split,
                "label": None if record.label is None else index.classes[record.label],
                "frames": frames,
                "fps": fps,
                "ed": list(record.ed),
                "es": list(record.es),
            }
        )
    return {
        "format": index.format,
        "root": str(index.root),
        "classes": list(index.classes),
        "splits": {split: _split_counts(index.split(split), index.classes) for split in SPLITS},
        "bad": bad,
        "videos": videos,
    }


def format_summary(summary: dict) -> str:
    """The summary as a table of videos per class and split, followed by the bad files."""
    splits = list(summary["splits"])
    width = max([len("class"), len("total"), *map(len, summary["classes"])])
    lines = [
        f"{summary['format']} dataset at {summary['root']}: {len(summary['videos'])} videos, "
        f"{len(summary['classes'])} class{'' if len(summary['classes']) == 1 else 'es'}",
        "",
        f"{'class':<{width}}  " + "  ".join(f"{split:>6}" for split in splits),
    ]
    for name in summary["classes"]:
        counts = (summary["splits"][split]["per_class"][name] for split in splits)
        lines.append(f"{name:<{width}}  " + "  ".join(f"{count:>6}" for count in counts))
    labelled = {split: sum(summary["splits"][split]["per_class"].values()) for split in splits}
    unlabelled = {split: summary["splits"][split]["videos"] - labelled[split] for split in splits}
    if any(unlabelled.values()):
        lines.append(f"{'(none)':<{width}}  " + "  ".join(f"{unlabelled[split]:>6}" for split in splits))
    lines.append(f"{'total':<{width}}  " + "  ".join(f"{summary['splits'][s]['videos']:>6}" for s in splits))
    lines += ["", f"Bad files: {len(summary['bad'])}" if summary["bad"] else "Bad files: none"]
    lines += [f"  {item['path']}\n    {item['error']}" for item in summary["bad"]]
    return "\n".join(lines)


def _split_counts(videos: list[VideoRecord], classes: list[str]) -> dict:
    per_class = dict.fromkeys(classes, 0)
    for video in videos:
        if video.label is not None:
            per_class[classes[video.label]] += 1
    return {"videos": len(videos), "per_class": per_class}


def _opencv_failure(path: Path, error: cv2.error) -> str:
    empty = (
        [image.name for image in list_frame_images(path) if image.stat().st_size == 0]
        if path.is_dir()
        else []
    )
    if empty:
        return (
            f"{path}: {len(empty)} frame image(s) are empty (0 bytes), e.g. {empty[0]}; "
            "replace them or remove the frame folder"
        )
    return (
        f"{path}: OpenCV cannot decode it ({str(error).strip().splitlines()[-1]}); replace it or leave it out"
    )


def _keyframe_problem(record: VideoRecord, frames: int) -> str | None:
    beyond = [index for index in (*record.ed, *record.es) if index >= frames]
    if beyond:
        return (
            f"ED/ES frame(s) {', '.join(map(str, sorted(beyond)))} are past the last frame "
            f"(the video has {frames} frames, numbered from 0); fix the labels"
        )
    return None
