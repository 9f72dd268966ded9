"""Training a suite and completing its table (also after an interruption: `echolab compare finish=DIR`).

Every run's config is composed before anything trains, so a typo fails in seconds, not after an hour.
The table goes to `runs/compare/<suite>/<stamp>/table.md` and `table.json` (a new folder per call); the
runs' folders sit inside it under `runs/`. Runs go seed by seed (every entry with the first seed, then
every entry with the next), and the table is rewritten after each, so a suite stopped part way keeps a
table of what it trained. Computed columns are measured after all runs have trained, one model right
after another, so a busy machine affects them alike; paired differences come last.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import traceback
from datetime import datetime
from pathlib import Path

import torch

from echolab.compare.measure import measure_run
from echolab.compare.paired import paired_table
from echolab.compare.suite import Suite, load_suite, parse_suite
from echolab.compare.table import Row, record, render, value_key
from echolab.config import load_experiment
from echolab.errors import ConfigError
from echolab.runs import create_run_dir

NOT_REACHED = "not trained: the suite was interrupted before it"


def plan(suite: Suite, extra: list[str] = ()) -> list[dict]:
    """Compose every run's config (failing early on any bad experiment or override)."""
    planned = []
    for entry, seed in suite.runs():
        overrides = suite.entry_overrides(entry, seed, extra)
        try:
            cfg = load_experiment(entry.exp, overrides)
        except ConfigError as err:
            raise ConfigError(f"{suite.path}: entry '{entry.name}': {err}") from err
        planned.append({"entry": entry, "seed": seed, "overrides": overrides, "cfg": cfg})
    return planned


def run_suite(
    suite: Suite, extra: list[str] = (), *, out_root: str | Path = "runs", command: str = ""
) -> Path:
    """Train every run, measure the computed columns, write table.md and table.json; return their folder."""
    from echolab.train import train

    planned = plan(suite, extra)
    out = create_run_dir(Path(out_root) / "compare", suite.name, subdirs=())
    meta = _meta(command or " ".join(["echolab compare", f"suite={suite.name}", *extra]), list(extra))
    print(
        f"compare {suite.name}: writing to {out}; if stopped, `echolab compare finish={out}` completes the table"
    )
    rows = [Row(item["entry"], item["seed"]) for item in planned]
    for row, item in zip(rows, planned, strict=True):
        overrides = [*item["overrides"], f"run.root={out / 'runs'}"]
        print(f"compare {suite.name}: training {row.label} ({row.entry.exp})", flush=True)
        try:
            result = train(load_experiment(row.entry.exp, overrides), overrides)
        except Exception as err:  # one broken run must not cost the others' hours of training
            row.status = f"failed: {type(err).__name__}: {err}".splitlines()[0]
            traceback.print_exc()
        else:
            row.status, row.run_dir, row.metrics = "trained", result.run_dir, result.metrics
        # A wall-clock budget is only equal when the machine is equally busy; the table says how busy.
        row.load = os.getloadavg()[0]
        _fill_metric_columns(suite, row)
        _write(suite, rows, out, meta, paired=None)  # a partial table survives an interrupted suite
    return complete(suite, rows, out, meta)


def finish_suite(out: str | Path) -> Path:
    """Complete the table of an interrupted suite from the runs it trained (the rest are marked)."""
    out = Path(out)
    suite, rows, meta = read_table(out)
    for row in rows:
        if row.status == "pending":
            row.status = NOT_REACHED
    return complete(suite, rows, out, meta)


def read_table(out: Path) -> tuple[Suite, list[Row], dict]:
    """A suite folder's table.json as the suite, its rows (metrics re-read from the run folders) and meta."""
    if not (out / "table.json").is_file():
        raise ConfigError(f"{out} holds no table.json; pass the folder `echolab compare` printed")
    table = json.loads((out / "table.json").read_text())
    if "suite_body" in table:
        suite = parse_suite(table["suite_body"], Path(table["suite_file"]), table["suite"])
    else:  # written before table.json kept the suite
        suite = load_suite(table["suite_file"])
    saved = {(row["name"], row.get("seed")): row for row in table["rows"]}
    rows = []
    for entry, seed in suite.runs():
        row = Row(entry, seed)
        if (entry.name, seed) in saved:
            kept = saved[(entry.name, seed)]
            row.status, row.load = kept["status"], kept.get("load_1min")
            computed = {c.source: kept["values"].get(c.name) for c in suite.columns if c.kind == "computed"}
            row.values = {k: v for k, v in computed.items() if v is not None}
            if kept["run_dir"]:
                row.run_dir = _run_folder(out, Path(kept["run_dir"]))
                row.metrics = json.loads((row.run_dir / "metrics.json").read_text())
        _fill_metric_columns(suite, row)
        rows.append(row)
    keys = ("command", "extra_overrides", "started", "host", "machine")
    return suite, rows, {k: table.get(k, "") for k in keys}


def _run_folder(out: Path, recorded: Path) -> Path:
    """A run's folder: always out/runs/<exp>/<stamp>, wherever the suite folder has been moved since (or
    the working directory, for a recorded relative path)."""
    inside = out / "runs" / recorded.parent.name / recorded.name
    return inside if inside.is_dir() else recorded


def complete(suite: Suite, rows: list[Row], out: Path, meta: dict) -> Path:
    """Measure the computed columns of the trained runs still missing them, pair the runs against the
    reference, and write the final table.md and table.json."""
    computed = {c.source for c in suite.columns if c.kind == "computed"}
    for row in rows:
        missing = {key for key in computed if row.values.get(key) is None}
        if row.status == "trained" and missing:
            row.values |= measure_run(row.run_dir, missing, suite.clips_per_video, suite.repeats)
    _write(suite, rows, out, meta, paired_table(suite, rows))
    print((out / "table.md").read_text())
    print(f"compare {suite.name}: table written to {out / 'table.md'} and table.json")
    return out


def _write(suite: Suite, rows: list[Row], out: Path, meta: dict, paired: dict | None) -> None:
    (out / "table.md").write_text(render(suite, rows, meta, paired))
    (out / "table.json").write_text(json.dumps(record(suite, rows, meta, paired), indent=2) + "\n")


def _meta(command: str, extra: list[str]) -> dict:
    return {
        "command": command,
        "extra_overrides": extra,
        "started": datetime.now().isoformat(timespec="seconds"),
        "host": platform.node() or "this machine",
        "machine": f"{os.cpu_count()} CPUs, torch {torch.__version__}, {torch.get_num_threads()} threads",
    }


def _fill_metric_columns(suite: Suite, row: Row) -> None:
    for column in suite.columns:
        if column.kind != "computed":
            row.values[value_key(column)] = _metric_value(row, column.paths)


def _metric_value(row: Row, paths: tuple[str, ...]) -> float | None:
    if row.status != "trained":
        return None
    values = [_lookup(row.metrics, p, row.run_dir) for p in paths]
    if any(v is None for v in values):
        return None
    return sum(values) / len(values)


def _lookup(metrics: dict, dotted: str, run_dir: Path | None) -> float | None:
    node = metrics
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            keys = sorted(node) if isinstance(node, dict) else []
            print(
                f"compare: {run_dir}/metrics.json has no '{dotted}' (at '{part}'; keys there: {keys})",
                file=sys.stderr,
            )
            return None
        node = node[part]
    return float(node) if isinstance(node, int | float) else None
