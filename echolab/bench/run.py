"""`echolab bench`: run the speed benchmarks side by side in one process and write their JSON.

Ratios, not absolute numbers, are the point: both sides of a comparison run in the same process on
the same inputs, one right after the other, so a noisy machine affects them alike.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from datetime import datetime
from pathlib import Path

import torch


def _clip_loading(work: Path, videos: int, clips: int) -> dict:
    from echolab.bench.clip_loading import bench_clip_loading
    from echolab.data.clips import ClipSpec
    from echolab.data.synthetic import write_echonet

    root = write_echonet(work / "echonet", videos=videos, seed=0, progress=False)
    paths = sorted((Path(root) / "Videos").glob("*.avi"))
    return bench_clip_loading(paths, spec=ClipSpec(16, 2), clips=clips, cache_dir=work / "cache")


def _sliding_window(work: Path, videos: int, clips: int) -> dict:
    from echolab.bench.sliding_window import bench_sliding_window
    from echolab.data.synthetic import write_echonet

    # The naive side costs 16 CNN passes per frame: a few videos are enough for a stable ratio.
    root = write_echonet(work / "echonet-keyframes", videos=min(videos, 4), seed=1, progress=False)
    paths = sorted((Path(root) / "Videos").glob("*.avi"))
    return bench_sliding_window(paths, cache_dir=work / "cache")


def _view_latency(work: Path, videos: int, clips: int) -> dict:
    from echolab.bench.view_latency import bench_view_latency

    return bench_view_latency()  # model inputs only: no videos or clips to draw


def _export_latency(work: Path, videos: int, clips: int) -> dict:
    from echolab.bench.export_latency import bench_export_latency

    return bench_export_latency()  # model inputs only: no videos or clips to draw


def _dicom_prepare(work: Path, videos: int, clips: int) -> dict:
    from echolab.bench.dicom_prepare import bench_dicom_prepare

    return bench_dicom_prepare(work, cines=videos)


def _pretrain(work: Path, videos: int, clips: int) -> dict:
    from echolab.bench.pretrain import bench_pretrain

    return bench_pretrain()  # random clips at each method's CPU sizes: no videos to draw


def _lightning_overhead(work: Path, videos: int, clips: int) -> dict:
    from echolab.bench.default_experiments import SMALLER, prepare
    from echolab.bench.lightning_overhead import bench_lightning_overhead

    return {exp: bench_lightning_overhead(*prepare(exp, work), work) for exp in SMALLER}


def _data_wait(work: Path, videos: int, clips: int) -> dict:
    from echolab.bench.data_wait import bench_data_wait
    from echolab.bench.default_experiments import SMALLER, prepare

    return {exp: bench_data_wait(*prepare(exp, work)) for exp in SMALLER}


BENCHMARKS = {
    "clip_loading": _clip_loading,
    "sliding_window": _sliding_window,
    "view_latency": _view_latency,
    "export_latency": _export_latency,
    "dicom_prepare": _dicom_prepare,
    "pretrain": _pretrain,
    "lightning_overhead": _lightning_overhead,
    "data_wait": _data_wait,
}


def main(words: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="echolab bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="JSON file to write (default bench/results/bench-<timestamp>.json)",
    )
    parser.add_argument("--only", choices=sorted(BENCHMARKS), action="append", help="run only these")
    parser.add_argument("--videos", type=int, default=20, help="synthetic videos to benchmark on")
    parser.add_argument("--clips", type=int, default=200, help="clips drawn per side")
    args = parser.parse_args(words)
    out = args.out or Path("bench/results") / f"bench-{datetime.now():%Y%m%d-%H%M%S}.json"
    if out.exists():
        raise SystemExit(f"echolab bench: {out} exists; choose another --out")
    results = {
        "machine": {
            "cpus": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
            "torch": torch.__version__,
            "python": platform.python_version(),
            "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        },
        "started": datetime.now().isoformat(timespec="seconds"),
    }
    with tempfile.TemporaryDirectory(prefix="echolab-bench-") as work:
        for name in args.only or sorted(BENCHMARKS):
            began = time.time()
            results[name] = BENCHMARKS[name](Path(work), args.videos, args.clips)
            results[name]["bench_seconds"] = round(time.time() - began, 1)
            print(f"{name}: " + ", ".join(f"{k}={v}" for k, v in results[name].items()))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"benchmark results written to {out}")
    return 0
