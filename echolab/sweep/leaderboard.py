"""The leaderboard of a local sweep: best trial first, as markdown (to read) and CSV (to load)."""

from __future__ import annotations

import csv
from pathlib import Path


def ranked(trials: list, goal: str) -> list:
    """Finished trials by metric (best first), then failed ones in the order they ran."""
    finished = [t for t in trials if t.metric is not None]
    finished.sort(key=lambda t: t.metric, reverse=goal == "maximize")
    return finished + [t for t in trials if t.metric is None]


def _shown(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _rows(spec, trials: list) -> tuple[list[str], list[list[str]]]:
    header = ["rank", "trial", spec.metric, *spec.parameters, "state", "seconds", "run"]
    rows = []
    for rank, trial in enumerate(ranked(trials, spec.goal), start=1):
        rows.append(
            [
                str(rank) if trial.metric is not None else "-",
                trial.name,
                f"{trial.metric:.4f}" if trial.metric is not None else "",
                *(_shown(trial.values[name]) for name in spec.parameters),
                trial.state,
                f"{trial.seconds:.0f}",
                str(trial.run_dir or trial.log),
            ]
        )
    return header, rows


def write_leaderboard(sweep_dir: Path, spec, trials: list) -> Path:
    """Write leaderboard.csv and leaderboard.md into `sweep_dir`; returns the markdown file."""
    header, rows = _rows(spec, trials)
    with (sweep_dir / "leaderboard.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    lines = [
        f"# sweep {spec.name}: {spec.metric} ({spec.goal}), experiment {spec.exp}",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *("| " + " | ".join(row) + " |" for row in rows),
    ]
    path = sweep_dir / "leaderboard.md"
    path.write_text("\n".join(lines) + "\n")
    return path
