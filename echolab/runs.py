"""Run folders: `runs/<exp>/<YYYYmmdd-HHMMSS-ffffff>-<id>/`, never reused, and their standard files."""

from __future__ import annotations

import json
import math
import os
import secrets
from datetime import datetime
from pathlib import Path

import yaml

from echolab.atomic import write_text_atomic
from echolab.distributed import launched_as_rank_zero

# The run folder, as the run's first process made it, for the processes Lightning's DDP launcher starts
# (they run the same command again and would otherwise each make a folder of their own).
RUN_DIR_VARIABLE = "ECHOLAB_RUN_DIR"


def create_run_dir(root: str | Path, exp: str, subdirs: tuple[str, ...] = ("checkpoints", "plots")) -> Path:
    """A fresh folder for one run; `exist_ok=False` so two runs can never share one."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    run_dir = Path(root) / exp / f"{stamp}-{secrets.token_hex(3)}"
    run_dir.mkdir(parents=True, exist_ok=False)
    for sub in subdirs:
        (run_dir / sub).mkdir()
    return run_dir


def claim_run_dir(root: str | Path, exp: str, existing: Path | None = None) -> Path:
    """This process's run folder: the first process of a run makes it (or takes `existing`, a resumed
    run's) and hands its path down in $ECHOLAB_RUN_DIR; a process Lightning's launcher started reads
    it. Processes that torchrun or SLURM started beside the first cannot know it yet: they get the
    experiment's folder, write nothing into it, and learn the run folder once the processes connect
    (train.py reads it back from the checkpoint callback, which Lightning broadcasts from rank 0)."""
    if launched_as_rank_zero():
        run_dir = existing or create_run_dir(root, exp)
        os.environ[RUN_DIR_VARIABLE] = str(run_dir)
        return run_dir
    return Path(os.environ.get(RUN_DIR_VARIABLE) or Path(root) / exp)


def checkout_root(start: Path | None = None) -> Path:
    """The echolab checkout holding `start` (default: the working directory): run configs' relative
    paths (data.root, run.root) are relative to it. Falls back to `start` outside a checkout."""
    start = Path.cwd() if start is None else Path(start)
    for folder in [start, *start.parents]:
        if (folder / "experiments").is_dir():
            return folder
    return start


def newest_run(root: Path, task: str) -> Path:
    """The most recently written run folder under `root`/runs of `task` that has a predictions.csv."""
    found = sorted(Path(root).glob("runs/*/*/predictions.csv"), key=lambda p: p.stat().st_mtime)
    found = [
        p.parent
        for p in found
        if yaml.safe_load((p.parent / "config.yaml").read_text())["task"]["name"] == task
    ]
    if not found:
        raise FileNotFoundError(
            f"no {task} run with predictions.csv under {Path(root) / 'runs'}; run `make train` first"
        )
    return found[-1]


def notebook_run(run_dir: str, task: str) -> Path:
    """The run folder a notebook reads: `run_dir` (ECHOLAB_RUN or its parameter cell) or, when empty,
    the newest run of `task`.

    A kernel starts in the notebook's own folder, not where the user typed the command, so a relative
    path is tried against the shell's working directory ($PWD), the kernel's, and the echolab
    checkout of each; the error lists every place tried.
    """
    shell = Path(os.environ.get("PWD") or Path.cwd())
    package_checkout = Path(__file__).resolve().parents[1]
    bases = list(dict.fromkeys([shell, checkout_root(shell), Path.cwd(), checkout_root(), package_checkout]))
    if run_dir:
        given = Path(run_dir).expanduser()
        tried = [given] if given.is_absolute() else [base / given for base in bases]
        for folder in tried:
            if (folder / "config.yaml").is_file():
                return folder.resolve()
        raise FileNotFoundError(
            f"no run folder (with config.yaml) at {run_dir!r}; tried {', '.join(map(str, tried))}"
        )
    for base in bases:
        try:
            return newest_run(base, task)
        except FileNotFoundError:
            continue
    raise FileNotFoundError(
        f"no {task} run with predictions.csv under {', '.join(str(b / 'runs') for b in bases)}; "
        "run `make train` first"
    )


def write_config(run_dir: Path, config: dict, overrides: list[str]) -> None:
    write_text_atomic(run_dir / "config.yaml", yaml.safe_dump(config, sort_keys=False))
    write_text_atomic(run_dir / "overrides.txt", "".join(f"{o}\n" for o in overrides))


def _json_safe(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def write_metrics(run_dir: Path, metrics: dict) -> Path:
    return write_text_atomic(run_dir / "metrics.json", json.dumps(_json_safe(metrics), indent=2) + "\n")


def format_summary(
    title: str,
    run_dir: Path,
    headline: dict[str, float | str | None | tuple[float, list[float]]],
    extra: dict[str, str] | None = None,
) -> str:
    """The block printed at the end of every run: where things went and the numbers that matter (a
    value with its 95 % interval as `0.986 [0.958, 1.000]`)."""
    lines = [f"── {title} " + "─" * max(0, 60 - len(title)), f"  run folder   {run_dir}"]
    for name, value in (extra or {}).items():
        lines.append(f"  {name:<12} {value}")
    for name, value in headline.items():
        lines.append(f"  {name:<12} {_shown(value)}")
    lines.append("─" * 64)
    return "\n".join(lines)


def _shown(value) -> str:
    if value is None:
        return "undefined (see metrics.json)"  # e.g. a spread over batches of one clip, an AFD without peaks
    if isinstance(value, tuple):
        value, (low, high) = value
        return f"{value:.3f} [{low:.3f}, {high:.3f}]"
    return f"{value:.3f}" if isinstance(value, float) else str(value)
