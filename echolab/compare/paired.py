"""Paired differences of every entry of a suite from its reference entry, from the runs' per-video
test scores (video_scores.json): which differences in the table are real, and which are the test set's
luck of the draw."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

from echolab.compare.suite import Column, Suite
from echolab.stats.bootstrap import LEVEL, RESAMPLES, MetricsFn, paired_differences
from echolab.stats.run_scores import load_video_scores, scorer


def pairable_columns(columns: Sequence[Column], scored_names: set[str]) -> list[Column]:
    """The metric and mean_of columns whose every path is a test metric the task scores per video."""
    return [
        c
        for c in columns
        if c.paths and all(p.startswith("test.") and p.removeprefix("test.") in scored_names for p in c.paths)
    ]


def column_scores(columns: Sequence[Column], scores: MetricsFn) -> MetricsFn:
    """Rows -> {column name: value}: each column's metric (a mean_of column's mean) scored on the rows."""

    def score(rows: Sequence[dict]) -> dict[str, float | None]:
        values = scores(rows)
        out = {}
        for column in columns:
            parts = [values[p.removeprefix("test.")] for p in column.paths]
            out[column.name] = None if any(v is None for v in parts) else statistics.fmean(parts)
        return out

    return score


def paired_table(suite: Suite, rows: list) -> dict | None:
    """{"reference", "videos", "resamples", "level", "columns", "entries": {name: {column: {"difference",
    "interval"}}}, "notes": {name: why none}}; None when the suite names no reference."""
    if suite.reference is None:
        return None
    trained = {
        entry.name: [r for r in rows if r.entry.name == entry.name and r.status == "trained"]
        for entry in suite.entries
    }
    table = {"reference": suite.reference, "level": LEVEL, "columns": [], "entries": {}, "notes": {}}
    if not trained[suite.reference]:
        table["notes"][suite.reference] = "the reference has no trained run"
        return table
    try:
        saved = [load_video_scores(r.run_dir) for r in trained[suite.reference]]
    except FileNotFoundError:
        table["notes"][suite.reference] = (
            "the reference's runs have no video_scores.json (made before it existed)"
        )
        return table
    reference_rows = [s["videos"] for s in saved]
    scores = scorer(saved[0])
    columns = pairable_columns(suite.columns, set(scores(reference_rows[0])))
    resamples = (
        trained[suite.reference][0].metrics.get("test", {}).get("bootstrap", {}).get("resamples", RESAMPLES)
    )
    table |= {"columns": [c.name for c in columns], "videos": len(reference_rows[0]), "resamples": resamples}
    for entry in suite.entries:
        if entry.name == suite.reference:
            continue
        if not trained[entry.name]:
            table["notes"][entry.name] = "no trained run"
            continue
        try:
            runs = [load_video_scores(r.run_dir) for r in trained[entry.name]]
        except FileNotFoundError:
            table["notes"][entry.name] = "its runs have no video_scores.json (made before it existed)"
            continue
        if any((s["task"], s["settings"]) != (saved[0]["task"], saved[0]["settings"]) for s in runs):
            table["notes"][entry.name] = "scored differently from the reference (another task or class list)"
            continue
        try:
            differences = paired_differences(
                [s["videos"] for s in runs],
                reference_rows,
                column_scores(columns, scores),
                resamples=resamples,
                level=LEVEL,
            )
        except ValueError as err:  # e.g. tested on other videos
            table["notes"][entry.name] = str(err)
            continue
        table["entries"][entry.name] = differences
    return table


def excludes_zero(interval: list[float] | None) -> bool:
    return interval is not None and (interval[0] > 0 or interval[1] < 0)


def signed(value: float | None, digits: int) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:+.{digits}f}"
