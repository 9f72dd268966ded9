"""A W&B sweep with no W&B server: W&B's own engine proposes, `echolab train` subprocesses run the trials.

    echolab sweep experiments/sweeps/NAME.yaml --local --trials N [key=value ...]

The `sweeps` package (the engine behind W&B's sweep server) proposes each trial from the sweep file and
the trials so far (grid, random or bayes). Each trial runs as a real `python -m echolab train` process
with the words of the file's `command` (plus any `key=value` given here, applied to every trial) and
`run.root` pointing into the sweep folder. Its `metrics.json` is read back: the sweep's metric name is a
path into it, `val/acc` -> metrics["val"]["acc"] (a flat key `"val/acc"` is looked up first), which is
the same number the W&B upload puts in the run summary, so an online sweep optimises the same thing.

Everything lands in a new folder `<run.root>/sweeps/<name>/<stamp>-<id>/` (never reused):
`sweep.yaml` (the file as run), `trial-NN.log` (each trial's output), `trial-NN/<exp>/<run>/` (each
trial's run folder) and `leaderboard.md` / `leaderboard.csv`, best trial first.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from sweeps import RunState, SweepRun, next_runs  # first imported, warnings silenced, by sweep/spec.py

from echolab.config import load_experiment
from echolab.runs import create_run_dir
from echolab.sweep.leaderboard import write_leaderboard
from echolab.sweep.spec import SweepSpec, check_against_experiment


@dataclass
class Trial:
    number: int
    values: dict[str, object]  # the sweep parameters' values of this trial
    state: str  # finished | failed
    metric: float | None
    seconds: float
    run_dir: Path | None
    log: Path

    @property
    def name(self) -> str:
        return f"trial-{self.number:02d}"


def metric_value(metrics: dict, name: str) -> float | None:
    """The sweep metric in a run's metrics.json: `val/acc` -> metrics["val"]["acc"]; None if absent."""
    if name in metrics:
        value = metrics[name]
    else:
        value = metrics
        for part in name.split("/"):
            if not isinstance(value, dict) or part not in value:
                return None
            value = value[part]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _plain(value):
    return value.item() if hasattr(value, "item") else value


def _as_sweep_run(trial: Trial, metric: str) -> SweepRun:
    """A finished trial without the metric counts as the worst so far (W&B's own imputation)."""
    return SweepRun(
        name=trial.name,
        config={name: {"value": value} for name, value in trial.values.items()},
        state=RunState.finished if trial.state == "finished" else RunState.failed,
        summary_metrics={metric: trial.metric} if trial.metric is not None else {},
    )


def propose(spec: SweepSpec, past: list[Trial]) -> dict[str, object] | None:
    """The engine's next trial given the finished ones; None when a grid is exhausted."""
    (proposal,) = next_runs(spec.config, [_as_sweep_run(t, spec.metric) for t in past])
    if proposal is None:
        return None
    return {name: _plain(proposal.config[name]["value"]) for name in spec.parameters}


def run_trial(spec: SweepSpec, number: int, values: dict, extra: list[str], sweep_dir: Path) -> Trial:
    trial_root = sweep_dir / f"trial-{number:02d}"
    words = [f"exp={spec.exp}", *spec.trial_words(values), *extra, f"run.root={trial_root}"]
    log = sweep_dir / f"trial-{number:02d}.log"
    started = time.time()
    with log.open("w") as handle:
        handle.write("$ echolab train " + " ".join(words) + "\n")
        handle.flush()
        code = subprocess.call(
            [sys.executable, "-m", "echolab", "train", *words],
            stdout=handle,
            stderr=subprocess.STDOUT,
            env=os.environ | {"PYTHONUNBUFFERED": "1"},
        )
    seconds = round(time.time() - started, 1)
    found = sorted(trial_root.glob("*/*/metrics.json"))
    run_dir = found[-1].parent if found else None
    metric = metric_value(json.loads(found[-1].read_text()), spec.metric) if found else None
    state = "finished" if code == 0 and found else "failed"  # finished may still lack the metric (NaN)
    return Trial(number, values, state, metric, seconds, run_dir, log)


def _report(trial: Trial, spec: SweepSpec) -> str:
    shown = ", ".join(f"{k}={v}" for k, v in trial.values.items())
    if trial.state == "finished":
        value = f"{trial.metric:.4f}" if trial.metric is not None else "undefined (null in metrics.json)"
        return f"{trial.name}  {spec.metric}={value}  ({shown}; {trial.seconds:.0f} s)"
    tail = trial.log.read_text().splitlines()[-15:]
    return f"{trial.name}  FAILED ({shown}); last lines of {trial.log}:\n  " + "\n  ".join(tail)


def run_local_sweep(spec: SweepSpec, trials: int, extra: list[str] = ()) -> tuple[Path, list[Trial]]:
    """Run up to `trials` trials of `spec`; returns the sweep folder and the trials, in the order run."""
    extra = list(extra)
    check_against_experiment(spec, extra)
    root = load_experiment(spec.exp, [*spec.before, *spec.after, *extra]).run.root
    sweep_dir = create_run_dir(Path(root) / "sweeps", spec.name, subdirs=())
    shutil.copyfile(spec.path, sweep_dir / "sweep.yaml")
    print(
        f"sweep {spec.name}: {spec.config['method']} search over {', '.join(spec.parameters)} -> {sweep_dir}"
    )
    if spec.config.get("early_terminate"):
        print("note: early_terminate is for W&B's server; local trials run to the end")

    done: list[Trial] = []
    try:
        for number in range(1, trials + 1):
            values = propose(spec, done)
            if values is None:
                print(f"the grid is exhausted after {len(done)} trials")
                break
            done.append(run_trial(spec, number, values, extra, sweep_dir))
            print(_report(done[-1], spec), flush=True)
    except KeyboardInterrupt:  # Ctrl-C stops the running trial; the finished ones still get their leaderboard
        print(f"\ninterrupted after {len(done)} finished trials")
    board = write_leaderboard(sweep_dir, spec, done)
    print(f"\n{board.read_text()}\nleaderboard: {board} (and leaderboard.csv)")
    return sweep_dir, done
