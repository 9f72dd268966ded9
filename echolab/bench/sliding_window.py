"""Sliding-window keyframe inference: per-frame CNN features computed once and shared by every
window, against running every 16-frame window through the whole model (16 CNN passes per frame).

Both sides run the same seeded ResNet+VST in eval mode on the same videos, one right after the
other; the benchmark reports the speed ratio and the largest difference between their curves.
"""

from __future__ import annotations

import time
from pathlib import Path

import torch

from echolab.data.clips import WholeVideo
from echolab.data.records import VideoRecord
from echolab.data.transforms import ClipTransform
from echolab.io.cache import FrameCache
from echolab.models import create_model
from echolab.tasks.keyframe.datasets import CurveSettings, KeyframeVideos
from echolab.tasks.keyframe.sliding_window import sliding_window_curves

# The CPU form of the keyframe_synthetic experiment's model.
MODEL = {"name": "resnet_vst", "backbone": "resnet10t", "dim": 64, "heads": 4, "window": 8}


def bench_sliding_window(
    paths: list[Path], *, cache_dir, size: int = 64, window: int = 16, seed: int = 0, threads: int | None = 1
) -> dict:
    """Frames per second of both inference paths over `paths`, their ratio and max |difference|.

    `threads` (None: torch's current setting) is fixed for both sides. One thread by default: the
    ratio should count work saved, and on a busy machine multi-threaded small batches (the shared
    side's) lose far more to waiting for cores than the naive side's large ones do.
    """
    previous = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        return _bench(paths, cache_dir=cache_dir, size=size, window=window, seed=seed) | {
            "torch_threads": torch.get_num_threads()
        }
    finally:
        torch.set_num_threads(previous)


def _bench(paths: list[Path], *, cache_dir, size: int, window: int, seed: int) -> dict:
    frames = FrameCache(cache_dir, size=size)
    frames.ensure(paths)
    records = [VideoRecord(name=p.stem, path=p, split="test", label=None) for p in paths]
    videos = KeyframeVideos(
        records,
        frames,
        ClipTransform(size, train=False, eval_resize_ratio=1.0),
        sampler=WholeVideo(window),
        curves=CurveSettings(),
    )
    items = [videos[i] for i in range(len(videos))]
    torch.manual_seed(seed)
    arguments = {k: v for k, v in MODEL.items() if k != "name"}
    model = create_model(MODEL["name"], num_classes=2, **arguments).eval()

    timings, curves = {}, {}
    sides = (("shared_features", False), ("naive", True))
    for _, naive in sides:  # untimed: the first call at each input shape pays one-off kernel set-up
        sliding_window_curves(model, items[0]["video"], items[0]["n_frames"], window=window, naive=naive)
    for side, naive in sides:
        started = time.perf_counter()
        curves[side] = [
            sliding_window_curves(model, item["video"], item["n_frames"], window=window, naive=naive)
            for item in items
        ]
        timings[side] = time.perf_counter() - started
    difference = max(
        float((a - b).abs().max()) for a, b in zip(curves["shared_features"], curves["naive"], strict=True)
    )
    total_frames = sum(item["n_frames"] for item in items)
    return {
        "videos": len(items),
        "frames": total_frames,
        "window": window,
        "size": size,
        "model": MODEL["name"] + "/" + MODEL["backbone"],
        "shared_features_frames_per_s": total_frames / timings["shared_features"],
        "naive_frames_per_s": total_frames / timings["naive"],
        "ratio": timings["naive"] / timings["shared_features"],
        "max_abs_difference": difference,
    }
