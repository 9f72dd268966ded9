"""`echolab compare suite=NAME`: train several experiments under one equal budget and tabulate them.

A suite is `experiments/suites/<name>.yaml` (or a path to one):

    description: one line saying what the suite compares
    budget: {minutes: 4}          # wall-clock training budget per entry -> trainer.max_time; null: none
    overrides: [key=value, ...]   # applied to every entry, before its own overrides
    entries:                      # each trains through echolab.train.train in its own run folder
      - {exp: frame_cnn_ev9v, name: frame_cnn, overrides: [key=value, ...]}   # name, overrides optional
    measure: {clips_per_video: null, repeats: 5}   # input of the computed columns (null: data.eval_clips)
    columns:                      # one table column each
      - {name: accuracy, metric: test.acc}                   # a dotted path into the run's metrics.json
      - {name: F1 pair, mean_of: [test.per_class.A.f1, test.per_class.B.f1]}
      - {name: params (M), computed: parameters_m}          # see COMPUTED

Every entry's config is composed before anything trains, so a typo fails in seconds, not after an
hour. The table goes to `runs/compare/<suite>/<stamp>/table.md` and `table.json` (a new folder per
call); the entries' run folders sit inside it under `runs/`. Computed columns are measured after all
entries have trained, one model right after another, so a busy machine affects them alike. A
suite stopped part way (Ctrl-C, a deadline) keeps its partial table; `echolab compare finish=DIR`
measures the entries it trained and marks the rest.
"""

from __future__ import annotations

import json
import math
import os
import platform
import statistics
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import torch
import yaml

from echolab.config import _read_yaml, load_experiment, named_yaml
from echolab.errors import ConfigError
from echolab.runs import create_run_dir

SUITE_KEYS = {"description", "budget", "overrides", "entries", "measure", "columns"}
COLUMN_KINDS = ("metric", "mean_of", "computed")
COMPUTED = {
    "parameters_m": "trainable and frozen parameters, millions",
    "gflops_per_clip": "forward GFLOPs (multiply-adds) of one clip of data.clip.frames x data.size^2",
    "cpu_ms_per_video": "median CPU milliseconds of one forward over clips_per_video clips (one video)",
}


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # one of COLUMN_KINDS
    source: str | tuple[str, ...]  # dotted metric path(s), or the computed column's key
    digits: int = 3


@dataclass(frozen=True)
class Entry:
    name: str
    exp: str
    overrides: tuple[str, ...] = ()


@dataclass(frozen=True)
class Suite:
    name: str
    path: Path
    description: str
    budget_minutes: float | None
    overrides: tuple[str, ...]
    entries: tuple[Entry, ...]
    columns: tuple[Column, ...]
    clips_per_video: int | None = None
    repeats: int = 5

    def entry_overrides(self, entry: Entry, extra: list[str] = ()) -> list[str]:
        """The overrides one entry trains with: the budget, the suite's, its own, then the caller's."""
        budget = []
        if self.budget_minutes is not None:
            # Quoted: YAML would read some "DD:HH:MM:SS" strings as base-60 integers.
            budget = [f"trainer.max_time='{_max_time(self.budget_minutes)}'"]
        return [*budget, *self.overrides, *entry.overrides, *extra]


@dataclass
class Row:
    entry: Entry
    status: str = "pending"  # pending | trained | failed: <reason>
    run_dir: Path | None = None
    metrics: dict = field(default_factory=dict)
    values: dict = field(default_factory=dict)
    load: float | None = None  # the machine's 1-minute load average when training ended


def load_suite(name: str) -> Suite:
    """Read and check a suite file; every error names the file and the key to fix."""
    path = named_yaml(name, "suites", "suite")
    body = _read_yaml(path)
    unknown = sorted(set(body) - SUITE_KEYS)
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) {unknown}; a suite has {sorted(SUITE_KEYS)}")
    entries = tuple(_entry(raw, path, i) for i, raw in enumerate(_list(body, "entries", path, required=True)))
    names = [e.name for e in entries]
    if len(set(names)) != len(names):
        raise ConfigError(f"{path}: entry names must be unique, got {names}; give repeats a `name:`")
    budget = body.get("budget") or {}
    minutes = budget.get("minutes") if isinstance(budget, dict) else None
    if not isinstance(budget, dict) or (minutes is not None and not _positive_number(minutes)):
        raise ConfigError(f"{path}: budget must look like `budget: {{minutes: 4}}` (or null), got {budget!r}")
    measure = body.get("measure") or {}
    clips = measure.get("clips_per_video")
    repeats = measure.get("repeats", 5)
    if (clips is not None and not _positive_int(clips)) or not _positive_int(repeats):
        raise ConfigError(
            f"{path}: measure.clips_per_video must be a positive integer or null and "
            f"measure.repeats a positive integer, got {measure!r}"
        )
    return Suite(
        name=path.stem,
        path=path,
        description=str(body.get("description", "")),
        budget_minutes=None if minutes is None else float(minutes),
        overrides=tuple(str(o) for o in _list(body, "overrides", path)),
        entries=entries,
        columns=tuple(_column(raw, path) for raw in _list(body, "columns", path, required=True)),
        clips_per_video=clips,
        repeats=repeats,
    )


def plan(suite: Suite, extra: list[str] = ()) -> list[dict]:
    """Compose every entry's config (failing early on any bad experiment or override)."""
    planned = []
    for entry in suite.entries:
        overrides = suite.entry_overrides(entry, extra)
        try:
            cfg = load_experiment(entry.exp, overrides)
        except ConfigError as err:
            raise ConfigError(f"{suite.path}: entry '{entry.name}': {err}") from err
        planned.append({"entry": entry, "overrides": overrides, "cfg": cfg})
    return planned


def run_suite(suite: Suite, extra: list[str] = (), *, out_root: str | Path = "runs") -> Path:
    """Train every entry, measure the computed columns, write table.md and table.json; return their folder."""
    from echolab.train import train

    planned = plan(suite, extra)
    out = create_run_dir(Path(out_root) / "compare", suite.name, subdirs=())
    started = datetime.now()
    print(
        f"compare {suite.name}: writing to {out}; if stopped, `echolab compare finish={out}` completes the table"
    )
    rows = []
    for item in planned:
        row = Row(item["entry"])
        overrides = [*item["overrides"], f"run.root={out / 'runs'}"]
        print(f"compare {suite.name}: training {row.entry.name} ({row.entry.exp})", flush=True)
        try:
            result = train(load_experiment(row.entry.exp, overrides), overrides)
        except Exception as err:  # one broken entry must not cost the others' hours of training
            row.status = f"failed: {type(err).__name__}: {err}".splitlines()[0]
            traceback.print_exc()
        else:
            row.status, row.run_dir, row.metrics = "trained", result.run_dir, result.metrics
        # A wall-clock budget is only equal when the machine is equally busy; the table says how busy.
        row.load = os.getloadavg()[0]
        row.values = {c.name: _metric_value(row, c) for c in suite.columns if c.kind != "computed"}
        rows.append(row)
        _write_tables(suite, rows, out, started, extra)  # a partial table survives an interrupted suite

    return _complete(suite, rows, out, started, extra)


def finish_suite(out: str | Path) -> Path:
    """Complete the table of an interrupted suite from the entries it trained (the rest are marked)."""
    out = Path(out)
    if not (out / "table.json").is_file():
        raise ConfigError(f"{out} holds no table.json; pass the folder `echolab compare` printed")
    table = json.loads((out / "table.json").read_text())
    suite = load_suite(table["suite_file"])
    recorded = {row["name"]: row for row in table["rows"]}
    rows = []
    for entry in suite.entries:
        row = Row(entry, status="not trained: the suite was interrupted before it")
        if entry.name in recorded:
            saved = recorded[entry.name]
            row.status, row.load = saved["status"], saved.get("load_1min")
            if saved["run_dir"]:
                row.run_dir = Path(saved["run_dir"])
                row.metrics = json.loads((row.run_dir / "metrics.json").read_text())
        rows.append(row)
    extra = table.get("extra_overrides", table["command"].split()[3:])
    return _complete(suite, rows, out, datetime.fromisoformat(table["started"]), extra)


def _complete(suite: Suite, rows: list[Row], out: Path, started: datetime, extra: list[str]) -> Path:
    """Fill every column of the trained rows and write the final table.md and table.json."""
    computed = {c.source for c in suite.columns if c.kind == "computed"}
    for row in rows:
        if row.status == "trained":
            row.values |= measure_run(row.run_dir, computed, suite.clips_per_video, suite.repeats)
    for row in rows:
        for column in suite.columns:
            if column.kind != "computed":
                row.values[column.name] = _metric_value(row, column)
    _write_tables(suite, rows, out, started, extra)
    print((out / "table.md").read_text())
    print(f"compare {suite.name}: table written to {out / 'table.md'} and table.json")
    return out


def measure_run(run_dir: Path, computed: set[str], clips_per_video: int | None, repeats: int) -> dict:
    """The computed columns of one trained run, from its best checkpoint and its config."""
    if not computed:
        return {}
    from echolab.models.complexity import count_parameters, gflops_per_clip
    from echolab.tasks.registry import task_entry

    metrics = json.loads((run_dir / "metrics.json").read_text())
    cfg = yaml.safe_load((run_dir / "config.yaml").read_text())
    module = task_entry(cfg["task"]["name"]).module.load_from_checkpoint(
        metrics["checkpoint"], map_location="cpu"
    )
    model = getattr(module, "model", module).eval()
    data = cfg["data"]
    clip_shape = (3, data["clip"]["frames"], data["size"], data["size"])
    values = {}
    if "parameters_m" in computed:
        values["parameters_m"] = count_parameters(model) / 1e6
    if "gflops_per_clip" in computed:
        values["gflops_per_clip"] = gflops_per_clip(model, (1, *clip_shape))
    if "cpu_ms_per_video" in computed:
        clips = clips_per_video or data.get("eval_clips", 1)
        values["cpu_ms_per_video"] = cpu_ms_per_batch(model, (clips, *clip_shape), repeats)
    return values


def cpu_ms_per_batch(model: torch.nn.Module, shape: tuple[int, ...], repeats: int) -> float:
    """Median milliseconds of one no-grad forward on a CPU batch of `shape`, after one warm-up pass."""
    model = model.cpu().eval()
    batch = torch.zeros(shape)
    with torch.no_grad():
        model(batch)
        times = []
        for _ in range(repeats):
            began = time.perf_counter()
            model(batch)
            times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def format_table(suite: Suite, rows: list[Row]) -> str:
    header = ["model", "experiment", *[c.name for c in suite.columns]]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        if row.status != "trained":
            cells = [row.status] + [""] * (len(suite.columns) - 1)
        else:
            cells = [
                _format(row.values.get(c.source if c.kind == "computed" else c.name), c)
                for c in suite.columns
            ]
        lines.append("| " + " | ".join([row.entry.name, row.entry.exp, *cells]) + " |")
    return "\n".join(lines)


def _write_tables(suite: Suite, rows: list[Row], out: Path, started: datetime, extra: list[str]) -> None:
    command = " ".join(["echolab compare", f"suite={suite.name}", *extra])
    budget = "none" if suite.budget_minutes is None else f"{suite.budget_minutes:g} min of training per entry"
    machine = f"{os.cpu_count()} CPUs, torch {torch.__version__}, {torch.get_num_threads()} threads"
    lines = [
        f"# Suite {suite.name}",
        "",
        suite.description,
        "",
        f"Command: `{command}`  ",
        f"Budget: {budget}  ",
        f"Started: {started.isoformat(timespec='seconds')} on {platform.node() or 'this machine'} ({machine})",
        "",
        format_table(suite, rows),
        "",
        *_load_line(rows),
        *[f"- {c.name}: {_describe(c)}" for c in suite.columns],
        "",
    ]
    (out / "table.md").write_text("\n".join(lines))
    table = {
        "suite": suite.name,
        "suite_file": str(suite.path),
        "command": command,
        "extra_overrides": list(extra),
        "budget_minutes": suite.budget_minutes,
        "started": started.isoformat(timespec="seconds"),
        "machine": machine,
        "columns": [c.name for c in suite.columns],
        "rows": [
            {
                "name": row.entry.name,
                "exp": row.entry.exp,
                "status": row.status,
                "run_dir": str(row.run_dir) if row.run_dir else None,
                "epochs": row.metrics.get("epochs"),
                "seconds": row.metrics.get("seconds"),
                "load_1min": row.load,
                "values": {
                    c.name: row.values.get(c.source if c.kind == "computed" else c.name)
                    for c in suite.columns
                },
            }
            for row in rows
        ],
    }
    (out / "table.json").write_text(json.dumps(table, indent=2) + "\n")


def _load_line(rows: list[Row]) -> list[str]:
    loads = [f"{row.entry.name} {row.load:.1f}" for row in rows if row.load is not None]
    if not loads:
        return []
    return ["Machine load (1-minute average) as each entry finished training: " + ", ".join(loads), ""]


def _metric_value(row: Row, column: Column) -> float | None:
    if row.status != "trained":
        return None
    paths = column.source if column.kind == "mean_of" else (column.source,)
    values = [_lookup(row.metrics, p, row.run_dir) for p in paths]
    if any(v is None for v in values):
        return None
    return sum(values) / len(values)


def _lookup(metrics: dict, dotted: str, run_dir: Path | None) -> float | None:
    node = metrics
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            keys = sorted(node) if isinstance(node, dict) else []
            print(f"compare: {run_dir}/metrics.json has no '{dotted}' (at '{part}'; keys there: {keys})")
            return None
        node = node[part]
    return float(node) if isinstance(node, int | float) else None


def _format(value, column: Column) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    if isinstance(value, float):
        return f"{value:.{column.digits}f}"
    return str(value)


def _describe(column: Column) -> str:
    if column.kind == "metric":
        return f"`{column.source}` of the run's metrics.json"
    if column.kind == "mean_of":
        return "mean of " + ", ".join(f"`{p}`" for p in column.source) + " of the run's metrics.json"
    return COMPUTED[column.source]


def _entry(raw, path: Path, index: int) -> Entry:
    if isinstance(raw, str):
        raw = {"exp": raw}
    if not isinstance(raw, dict) or "exp" not in raw or set(raw) - {"exp", "name", "overrides"}:
        raise ConfigError(
            f"{path}: entries[{index}] must be an experiment name or "
            f"`{{exp: NAME, name: LABEL, overrides: [key=value]}}`, got {raw!r}"
        )
    overrides = raw.get("overrides") or []
    if not isinstance(overrides, list):
        raise ConfigError(f"{path}: entries[{index}].overrides must be a list of key=value strings")
    return Entry(str(raw.get("name", raw["exp"])), str(raw["exp"]), tuple(str(o) for o in overrides))


def _column(raw, path: Path) -> Column:
    kinds = [k for k in COLUMN_KINDS if isinstance(raw, dict) and k in raw]
    if not isinstance(raw, dict) or "name" not in raw or len(kinds) != 1:
        raise ConfigError(
            f"{path}: each column needs a `name:` and exactly one of {list(COLUMN_KINDS)}, got {raw!r}"
        )
    kind = kinds[0]
    source = raw[kind]
    if kind == "computed" and source not in COMPUTED:
        raise ConfigError(f"{path}: column '{raw['name']}': computed must be one of {sorted(COMPUTED)}")
    if kind == "mean_of":
        if not isinstance(source, list) or not source:
            raise ConfigError(f"{path}: column '{raw['name']}': mean_of takes a list of metric paths")
        source = tuple(str(s) for s in source)
    digits = raw.get("digits", 3)
    if not isinstance(digits, int) or digits < 0:
        raise ConfigError(f"{path}: column '{raw['name']}': digits must be a non-negative integer")
    return Column(str(raw["name"]), kind, source if isinstance(source, tuple) else str(source), digits)


def _list(body: dict, key: str, path: Path, required: bool = False) -> list:
    value = body.get(key)
    if value is None and not required:
        return []
    if not isinstance(value, list) or (required and not value):
        kind = "a non-empty list" if required else "a list"
        raise ConfigError(f"{path}: `{key}:` must be {kind}")
    return value


def _max_time(minutes: float) -> str:
    """Lightning's "DD:HH:MM:SS" form of a budget in minutes."""
    seconds = round(minutes * 60)
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    return f"{days:02d}:{hours:02d}:{seconds // 60:02d}:{seconds % 60:02d}"


def _positive_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def _positive_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def main(words: list[str]) -> int:
    """`echolab compare suite=NAME [out=DIR] [--dry-run] [key=value ...]` (overrides go to every entry).

    `echolab compare finish=DIR` completes the table of an interrupted suite from what it trained.
    """
    dry_run = "--dry-run" in words
    picked, extra = {}, []
    for word in words:
        key, sep, value = word.partition("=")
        if sep and key in ("suite", "out", "finish"):
            picked[key] = value
        elif word != "--dry-run":
            extra.append(word)
    if picked.get("finish"):
        out = finish_suite(picked["finish"])
        return _exit_code(out)
    if not picked.get("suite"):
        raise ConfigError("`echolab compare` needs suite=NAME (a file in experiments/suites/ or a YAML path)")
    suite = load_suite(picked["suite"])
    if dry_run:
        for item in plan(suite, extra):
            print(
                f"{item['entry'].name}: echolab train exp={item['entry'].exp} {' '.join(item['overrides'])}"
            )
        print(f"compare {suite.name}: {len(suite.entries)} entries compose; nothing trained (--dry-run)")
        return 0
    return _exit_code(run_suite(suite, extra, out_root=picked.get("out", "runs")))


def _exit_code(out: Path) -> int:
    rows = json.loads((out / "table.json").read_text())["rows"]
    return 1 if any(row["status"] != "trained" for row in rows) else 0
