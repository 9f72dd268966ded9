"""Suite files (`experiments/suites/<name>.yaml`): what `echolab compare` trains and what its table shows.

    description: one line saying what the suite compares
    budget: {minutes: 4, cpu_s: 210}   # per run: wall clock (trainer.max_time) and/or CPU seconds
                                       #   (run.max_cpu_s); whichever is spent first stops training; null: none
    seeds: [0, 1, 2]              # train every entry once per seed (the table: mean ± SD); omitted: the
                                  #   experiments' own seed, one run each
    reference: tsm                # an entry name: the table adds every other entry's paired difference
                                  #   from it, with its 95 % interval
    overrides: [key=value, ...]   # applied to every entry, before its own overrides
    entries:                      # each trains through echolab.train.train in its own run folder
      - {exp: frame_cnn_ev9v, name: frame_cnn, overrides: [key=value, ...]}   # name, overrides optional
    measure: {clips_per_video: null, repeats: 5}   # input of the computed columns (null: data.eval_clips)
    columns:                      # one table column each
      - {name: accuracy, metric: test.acc}                   # a dotted path into the run's metrics.json
      - {name: F1 pair, mean_of: [test.per_class.A.f1, test.per_class.B.f1]}
      - {name: params (M), computed: parameters_m}          # see measure.COMPUTED

`seeds=` and `reference=` on the command line replace the file's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from echolab.compare.measure import COMPUTED
from echolab.config import _read_yaml, named_yaml
from echolab.errors import ConfigError

SUITE_KEYS = {"description", "budget", "seeds", "reference", "overrides", "entries", "measure", "columns"}
BUDGET_KEYS = {"minutes", "cpu_s"}
COLUMN_KINDS = ("metric", "mean_of", "computed")


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # one of COLUMN_KINDS
    source: str | tuple[str, ...]  # dotted metric path(s), or the computed column's key
    digits: int = 3

    @property
    def paths(self) -> tuple[str, ...]:
        """The metrics.json paths a metric or mean_of column reads."""
        if self.kind == "computed":
            return ()
        return self.source if self.kind == "mean_of" else (self.source,)

    def describe(self) -> str:
        if self.kind == "metric":
            return f"`{self.source}` of the run's metrics.json"
        if self.kind == "mean_of":
            return "mean of " + ", ".join(f"`{p}`" for p in self.source) + " of the run's metrics.json"
        return COMPUTED[self.source]


@dataclass(frozen=True)
class Entry:
    name: str
    exp: str
    overrides: tuple[str, ...] = ()


@dataclass(frozen=True)
class Budget:
    """Per-run training budget: wall-clock minutes and/or CPU seconds (None: that one is not set)."""

    minutes: float | None = None
    cpu_s: float | None = None

    def overrides(self) -> list[str]:
        words = []
        if self.minutes is not None:
            # Quoted: YAML would read some "DD:HH:MM:SS" strings as base-60 integers.
            words.append(f"trainer.max_time='{max_time(self.minutes)}'")
        if self.cpu_s is not None:
            words.append(f"run.max_cpu_s={self.cpu_s:g}")
        return words

    def describe(self) -> str:
        parts = []
        if self.cpu_s is not None:
            parts.append(
                f"{self.cpu_s:g} CPU s of training per run (`run.max_cpu_s`: the training process and its "
                "data workers, validation included)"
            )
        if self.minutes is not None:
            parts.append(f"{self.minutes:g} min of wall-clock training per run (`trainer.max_time`)")
        if not parts:
            return "none (every run trains for its experiment's max_epochs)"
        return "; ".join(parts) + ("; whichever is spent first" if len(parts) == 2 else "")

    def as_dict(self) -> dict:
        return {"minutes": self.minutes, "cpu_s": self.cpu_s}


@dataclass(frozen=True)
class Suite:
    name: str
    path: Path
    body: dict  # the file as read: table.json keeps it, so finish= and `echolab report` need no file
    description: str
    budget: Budget
    overrides: tuple[str, ...]
    entries: tuple[Entry, ...]
    columns: tuple[Column, ...]
    seeds: tuple[int, ...] | None = None
    reference: str | None = None
    clips_per_video: int | None = None
    repeats: int = 5

    def runs(self) -> list[tuple[Entry, int | None]]:
        """Every (entry, seed) to train, seed by seed: a suite stopped part way has whole seeds."""
        return [(entry, seed) for seed in self.seeds or (None,) for entry in self.entries]

    def entry_overrides(self, entry: Entry, seed: int | None, extra: list[str] = ()) -> list[str]:
        """The overrides one run trains with: the budget, the seed, the suite's, its own, the caller's."""
        seeded = [] if seed is None else [f"seed={seed}"]
        return [*self.budget.overrides(), *seeded, *self.overrides, *entry.overrides, *extra]

    def with_options(self, seeds=None, reference=None) -> Suite:
        """The suite with the command line's seeds= and reference= (None: keep the file's)."""
        changed = self.body | ({} if seeds is None else {"seeds": seeds})
        changed |= {} if reference is None else {"reference": reference}
        return parse_suite(changed, self.path, self.name)


def load_suite(name: str) -> Suite:
    """Read and check a suite file; every error names the file and the key to fix."""
    path = named_yaml(name, "suites", "suite")
    return parse_suite(_read_yaml(path), path, path.stem)


def parse_suite(body: dict, path: Path, name: str) -> Suite:
    unknown = sorted(set(body) - SUITE_KEYS)
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) {unknown}; a suite has {sorted(SUITE_KEYS)}")
    entries = tuple(_entry(raw, path, i) for i, raw in enumerate(_list(body, "entries", path, required=True)))
    names = [e.name for e in entries]
    if len(set(names)) != len(names):
        raise ConfigError(f"{path}: entry names must be unique, got {names}; give repeats a `name:`")
    reference = body.get("reference")
    if reference is not None and reference not in names:
        raise ConfigError(f"{path}: reference '{reference}' is not an entry; entries: {', '.join(names)}")
    measure = body.get("measure") or {}
    clips = measure.get("clips_per_video")
    repeats = measure.get("repeats", 5)
    if (clips is not None and not _positive_int(clips)) or not _positive_int(repeats):
        raise ConfigError(
            f"{path}: measure.clips_per_video must be a positive integer or null and "
            f"measure.repeats a positive integer, got {measure!r}"
        )
    return Suite(
        name=name,
        path=path,
        body=dict(body),
        description=str(body.get("description", "")),
        budget=_budget(body.get("budget"), path),
        overrides=tuple(str(o) for o in _list(body, "overrides", path)),
        entries=entries,
        columns=tuple(_column(raw, path) for raw in _list(body, "columns", path, required=True)),
        seeds=_seeds(body.get("seeds"), path),
        reference=reference,
        clips_per_video=clips,
        repeats=repeats,
    )


def seeds_option(text: str) -> list[int]:
    """The command line's `seeds=3` (seeds 0, 1, 2) or `seeds=[0,5]` (those seeds)."""
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        value = None
    if _positive_int(value):
        return list(range(value))
    if isinstance(value, list):
        return value  # checked with the suite
    raise ConfigError(f"seeds={text}: give a number of seeds (seeds=3: 0, 1, 2) or a list (seeds=[0,5])")


def _seeds(raw, path: Path) -> tuple[int, ...] | None:
    if raw is None:
        return None
    ok = isinstance(raw, list) and raw and all(isinstance(s, int) and not isinstance(s, bool) for s in raw)
    if not ok or len(set(raw)) != len(raw):
        raise ConfigError(
            f"{path}: seeds must be a non-empty list of distinct integers, e.g. [0, 1, 2], got {raw!r}"
        )
    return tuple(raw)


def _budget(raw, path: Path) -> Budget:
    if raw is None:
        return Budget()
    bad = not isinstance(raw, dict) or set(raw) - BUDGET_KEYS
    values = {} if bad else {k: raw.get(k) for k in BUDGET_KEYS}
    if bad or any(v is not None and not _positive_number(v) for v in values.values()):
        raise ConfigError(
            f"{path}: budget must look like `budget: {{cpu_s: 210}}`, `{{minutes: 4}}`, both, or null, got {raw!r}"
        )
    return Budget(**{k: None if v is None else float(v) for k, v in values.items()})


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


def max_time(minutes: float) -> str:
    """Lightning's "DD:HH:MM:SS" form of a budget in minutes."""
    seconds = round(minutes * 60)
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    return f"{days:02d}:{hours:02d}:{seconds // 60:02d}:{seconds % 60:02d}"


def _positive_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def _positive_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0
