"""`echolab compare`: train a suite and tabulate it, or complete an interrupted suite's table."""

from __future__ import annotations

import json
from pathlib import Path

from echolab.compare.runner import finish_suite, plan, run_suite
from echolab.compare.suite import load_suite, seeds_option
from echolab.errors import ConfigError

OPTIONS = ("suite", "out", "finish", "seeds", "reference")


def main(words: list[str]) -> int:
    """`echolab compare suite=NAME [seeds=3|[0,5]] [reference=ENTRY] [out=DIR] [--dry-run] [key=value ...]`
    (overrides go to every run); `echolab compare finish=DIR` completes an interrupted suite's table."""
    dry_run = "--dry-run" in words
    picked, extra = {}, []
    for word in words:
        key, sep, value = word.partition("=")
        if sep and key in OPTIONS:
            picked[key] = value
        elif word != "--dry-run":
            extra.append(word)
    if picked.get("finish"):
        return _exit_code(finish_suite(picked["finish"]))
    if not picked.get("suite"):
        raise ConfigError("`echolab compare` needs suite=NAME (a file in experiments/suites/ or a YAML path)")
    seeds = seeds_option(picked["seeds"]) if "seeds" in picked else None
    suite = load_suite(picked["suite"]).with_options(seeds=seeds, reference=picked.get("reference"))
    if dry_run:
        for item in plan(suite, extra):
            seed = "" if item["seed"] is None else f" (seed {item['seed']})"
            print(
                f"{item['entry'].name}{seed}: echolab train exp={item['entry'].exp} {' '.join(item['overrides'])}"
            )
        print(f"compare {suite.name}: {len(suite.runs())} runs compose; nothing trained (--dry-run)")
        return 0
    command = " ".join(
        ["echolab compare", *[w for w in words if w != "--dry-run" and not w.startswith("out=")]]
    )
    return _exit_code(run_suite(suite, extra, out_root=picked.get("out", "runs"), command=command))


def _exit_code(out: Path) -> int:
    rows = json.loads((out / "table.json").read_text())["rows"]
    return 1 if any(row["status"] != "trained" for row in rows) else 0
