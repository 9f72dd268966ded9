"""Clip loading speed: the decode-once frame cache against decoding every clip with decord.

Both sides load the same randomly drawn clips in the same process, one after the other, so the
ratio measures the loading path alone (no augmentation, no DataLoader).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from echolab.data.clips import ClipSpec, RandomClip, gather_clip
from echolab.io.cache import FrameCache, resize_shorter_side

# The keyframe task's training clip: 16 frames, every 2nd.
DEFAULT_SPEC = ClipSpec(16, 2)


def bench_clip_loading(
    paths: list[Path],
    *,
    spec: ClipSpec = DEFAULT_SPEC,
    clips: int = 200,
    cache_dir,
    size: int | None = None,
    seed: int = 0,
) -> dict:
    """Clips per second from the frame cache and from per-clip decord decoding.

    The cache is built first (its build time is reported separately, and is near zero when the
    cache already holds the videos). The decord side resizes its frames as the cache does, so
    both produce the same arrays.
    """
    import decord

    paths = [Path(path) for path in paths]
    cache = FrameCache(cache_dir, size=size)
    started = time.perf_counter()
    cache.ensure(paths, progress=False)
    cache_build_s = time.perf_counter() - started

    rng = np.random.default_rng(seed)
    shapes = {path: cache.frames(path).shape for path in paths}
    sampler = RandomClip(spec, pad="clamp")
    drawn = []
    for video in rng.integers(0, len(paths), size=clips):
        path = paths[video]
        drawn.append((path, sampler(shapes[path][0], rng)))

    started = time.perf_counter()
    for path, indices in drawn:
        gather_clip(cache.frames(path), indices)
    cache_s = time.perf_counter() - started

    started = time.perf_counter()
    for path, indices in drawn:
        # decord's own resizing fails on frames narrower than 32 pixels; resize as the cache does.
        clip = decord.VideoReader(str(path)).get_batch(indices.tolist()).asnumpy()
        if size is not None:
            clip = np.stack([resize_shorter_side(frame, size) for frame in clip])
    decord_s = time.perf_counter() - started

    return {
        "clips": clips,
        "clip_frames": spec.frames,
        "cache_clips_per_s": clips / cache_s,
        "decord_clips_per_s": clips / decord_s,
        "ratio": decord_s / cache_s,
        "cache_build_s": cache_build_s,
        "videos": len(paths),
    }
