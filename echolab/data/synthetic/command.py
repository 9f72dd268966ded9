"""`echolab synth FORMAT`: write a synthetic dataset in a published layout."""

from __future__ import annotations

import argparse
import csv
import os
import time
from collections import Counter
from pathlib import Path

from echolab.data.formats.ev9v import SPLIT_FILES
from echolab.data.synthetic import WRITERS
from echolab.errors import ConfigError

# Options that only some formats take: echonet is one view at EchoNet's fixed 112 px.
_PER_CLASS_ONLY = ("videos_per_class", "size")
_ECHONET_ONLY = ("videos", "ef_range")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("format", choices=list(WRITERS), metavar="FORMAT", help="ev9v | echonet | manifest")
    parser.add_argument("--out", type=Path, help="output folder (default: data/synthetic/FORMAT)")
    parser.add_argument(
        "--videos-per-class", type=int, help="ev9v, manifest: videos of each of the 9 views (default 30, 10)"
    )
    parser.add_argument("--videos", type=int, help="echonet: number of A4C videos (default 60)")
    parser.add_argument(
        "--ef-range",
        type=float,
        nargs=2,
        metavar=("LOW", "HIGH"),
        help="echonet: draw each video's EF (%%) uniformly from LOW..HIGH, e.g. 20 75 (default: the generator's spread)",
    )
    parser.add_argument("--seed", type=int, default=0, help="same seed, same bytes (default 0)")
    parser.add_argument(
        "--size", type=int, help="ev9v, manifest: frame width = height in pixels (default 128)"
    )
    parser.add_argument("--min-frames", type=int, help="shortest video (default 48; echonet 80)")
    parser.add_argument("--max-frames", type=int, help="longest video (default 72; echonet 128)")
    parser.add_argument("--fps", type=float, help="frame rate (default 30; echonet 50)")
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="processes rendering videos (default: all CPUs)",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace an existing dataset at --out")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    names = (
        "videos_per_class",
        "videos",
        "ef_range",
        "seed",
        "size",
        "min_frames",
        "max_frames",
        "fps",
        "workers",
    )
    options = {name: getattr(args, name) for name in names if getattr(args, name) is not None}
    not_taken = _ECHONET_ONLY if args.format != "echonet" else _PER_CLASS_ONLY
    for name in not_taken:
        if name in options:
            flag = "--" + name.replace("_", "-")
            raise ConfigError(
                f"`echolab synth {args.format}` does not take {flag}; see `echolab synth --help`"
            )
    out = args.out if args.out is not None else Path("data/synthetic") / args.format
    started = time.perf_counter()
    WRITERS[args.format](out, **options, overwrite=args.overwrite, progress=not args.no_progress)
    seconds = time.perf_counter() - started
    splits = _split_counts(args.format, out)
    print(
        f"wrote {sum(splits.values())} synthetic {args.format} videos to {out} "
        f"(train {splits['train']}, val {splits['val']}, test {splits['test']}) in {seconds:.1f} s"
    )
    return 0


def _split_counts(format: str, root: Path) -> Counter:
    """Videos per split, read back from the written dataset."""
    if format == "ev9v":
        return Counter({split: len((root / name).read_text().split()) for split, name in SPLIT_FILES.items()})
    table, column = ("FileList.csv", "Split") if format == "echonet" else ("manifest.csv", "split")
    with open(root / table, newline="") as handle:
        return Counter(row[column].lower() for row in csv.DictReader(handle))
