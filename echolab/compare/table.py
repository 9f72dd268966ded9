"""A suite's table: table.md (what `echolab report` prints) and table.json (what it is made from).

One row per entry: each column's mean ± SD over the entry's seeds (its value alone with one run), how
many runs trained, their mean CPU seconds of fitting and what stopped them. With a reference entry, a
second table gives every other entry's paired difference from it with its 95 % interval.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from echolab.compare.paired import excludes_zero, signed
from echolab.compare.suite import Column, Entry, Suite


@dataclass
class Row:
    """One training run of a suite: an entry with one seed (None: the experiment's own)."""

    entry: Entry
    seed: int | None = None
    status: str = "pending"  # pending | trained | failed: <reason> | not trained: <why>
    run_dir: Path | None = None
    metrics: dict = field(default_factory=dict)
    values: dict = field(default_factory=dict)  # column value key (see value_key) -> value
    load: float | None = None  # the machine's 1-minute load average when training ended

    @property
    def label(self) -> str:
        return self.entry.name if self.seed is None else f"{self.entry.name} seed {self.seed}"


def value_key(column: Column) -> str:
    """Where a row keeps a column's value: a computed column under its key, the others under their name."""
    return column.source if column.kind == "computed" else column.name


def render(suite: Suite, rows: list[Row], meta: dict, paired: dict | None) -> str:
    """table.md: the header lines, the table, the paired differences, the notes."""
    seeds = ", ".join(map(str, suite.seeds)) if suite.seeds else "each experiment's own (one run per entry)"
    lines = [
        f"# Suite {suite.name}",
        "",
        suite.description,
        "",
        f"Command: `{meta['command']}`  ",
        f"Budget: {suite.budget.describe()}  ",
        f"Seeds: {seeds}  ",
        f"Started: {meta['started']} on {meta['host']} ({meta['machine']})",
        "",
        _main_table(suite, rows),
        "",
        *_paired_section(suite, paired),
        *_problems(rows),
        *_load_line(rows),
        *[f"- {c.name}: {c.describe()}" for c in suite.columns],
        "- seeds: runs trained of runs planned; cells are mean ± SD (sample SD) over the trained runs",
        "- fit CPU s: mean CPU seconds of fitting (training process and data workers); stopped by: what ended"
        " each run's training (cpu budget, time budget, early stopping, max_epochs)",
        "",
    ]
    return "\n".join(lines)


def record(suite: Suite, rows: list[Row], meta: dict, paired: dict | None) -> dict:
    """table.json: everything render() and `echolab compare finish=` need besides the run folders."""
    return {
        "suite": suite.name,
        "suite_file": str(suite.path),
        "suite_body": suite.body,
        **meta,
        "budget": suite.budget.as_dict(),
        "seeds": list(suite.seeds) if suite.seeds else None,
        "reference": suite.reference,
        "columns": [c.name for c in suite.columns],
        "rows": [
            {
                "name": row.entry.name,
                "exp": row.entry.exp,
                "seed": row.seed,
                "status": row.status,
                "run_dir": str(row.run_dir) if row.run_dir else None,
                "epochs": row.metrics.get("epochs"),
                "seconds": row.metrics.get("seconds"),
                "fit_cpu_seconds": row.metrics.get("fit_cpu_seconds"),
                "stopped_by": row.metrics.get("stopped_by"),
                "load_1min": row.load,
                "values": {c.name: row.values.get(value_key(c)) for c in suite.columns},
            }
            for row in rows
        ],
        "summary": {
            entry.name: {
                c.name: dict(zip(("mean", "sd"), _mean_sd(rows, entry, c), strict=True))
                for c in suite.columns
            }
            for entry in suite.entries
        },
        "paired": paired,
    }


def _main_table(suite: Suite, rows: list[Row]) -> str:
    header = ["model", "experiment", "seeds", *[c.name for c in suite.columns], "fit CPU s", "stopped by"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for entry in suite.entries:
        runs = [r for r in rows if r.entry.name == entry.name]
        trained = [r for r in runs if r.status == "trained"]
        if not trained:
            cells = [runs[0].status] + [""] * (len(suite.columns) + 1)
        else:
            cells = [_cell(*_mean_sd(rows, entry, c), c.digits) for c in suite.columns]
            cpu = [
                r.metrics["fit_cpu_seconds"] for r in trained if r.metrics.get("fit_cpu_seconds") is not None
            ]
            cells.append(f"{statistics.fmean(cpu):.0f}" if cpu else "n/a")
        counts = Counter(r.metrics.get("stopped_by") or "n/a" for r in trained)
        stopped = ", ".join(k if n == len(trained) else f"{k} ×{n}" for k, n in counts.items())
        count = f"{len(trained)}" if len(trained) == len(runs) else f"{len(trained)} of {len(runs)}"
        lines.append("| " + " | ".join([entry.name, entry.exp, count, *cells, stopped]) + " |")
    return "\n".join(lines)


def _paired_section(suite: Suite, paired: dict | None) -> list[str]:
    if paired is None:
        return []
    if not paired.get("columns"):
        reason = (
            "; ".join(f"{k}: {v}" for k, v in paired["notes"].items())
            or "no column is a per-video test metric"
        )
        return [f"No paired differences from {paired['reference']}: {reason}.", ""]
    digits = {c.name: c.digits for c in suite.columns}
    header = ["model", *[f"Δ {name}" for name in paired["columns"]]]
    lines = [
        f"Paired differences from **{paired['reference']}** (entry minus reference, means over seeds), "
        f"with {paired['level']:.0%} intervals from a paired bootstrap over the {paired['videos']} test videos "
        f"({paired['resamples']} resamples; each draws one set of videos for every run of both); "
        "* marks an interval that excludes 0:",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    for entry in suite.entries:
        if entry.name == paired["reference"]:
            continue
        if entry.name in paired["notes"]:
            lines.append(f"| {entry.name} | {paired['notes'][entry.name]} |" + " |" * (len(header) - 2))
            continue
        cells = []
        for name in paired["columns"]:
            result = paired["entries"][entry.name][name]
            interval = result["interval"]
            shown = signed(result["difference"], digits[name])
            if interval is not None:
                shown += f" [{signed(interval[0], digits[name])}, {signed(interval[1], digits[name])}]"
                shown += " *" if excludes_zero(interval) else ""
            cells.append(shown)
        lines.append("| " + " | ".join([entry.name, *cells]) + " |")
    return [*lines, ""]


def _mean_sd(rows: list[Row], entry: Entry, column: Column) -> tuple[float | None, float | None]:
    values = [
        r.values.get(value_key(column)) for r in rows if r.entry.name == entry.name and r.status == "trained"
    ]
    values = [v for v in values if v is not None and math.isfinite(v)]
    if not values:
        return None, None
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else None


def _cell(mean: float | None, sd: float | None, digits: int) -> str:
    if mean is None:
        return "n/a"
    return f"{mean:.{digits}f}" + ("" if sd is None else f" ± {sd:.{digits}f}")


def _problems(rows: list[Row]) -> list[str]:
    """The runs that did not train, when their entry has others that did (whole entries say it in the table)."""
    listed = [
        f"- {r.label}: {r.status}"
        for r in rows
        if r.status != "trained" and any(o.entry.name == r.entry.name and o.status == "trained" for o in rows)
    ]
    return ["Runs left out of the means:", *listed, ""] if listed else []


def _load_line(rows: list[Row]) -> list[str]:
    loads = [f"{row.label} {row.load:.1f}" for row in rows if row.load is not None]
    if not loads:
        return []
    return ["Machine load (1-minute average) as each run finished training: " + ", ".join(loads), ""]
