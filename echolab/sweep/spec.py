"""Read a W&B sweep file and check it against the experiment it sweeps, before any trial runs.

A sweep file is W&B's own format (https://docs.wandb.ai/guides/sweeps/define-sweep-configuration) with a
`command` that runs `echolab train` and passes the agent's choices as `key=value` overrides:

    command: [${env}, echolab, train, exp=view_synthetic, ${args_no_hyphens}]

The words after `train` other than W&B's `${...}` macros are fixed overrides of every trial (one of them
names the experiment); `${args_no_hyphens}` becomes one `name=value` word per sweep parameter, so every
parameter name is an echolab config key (`optim.lr`) or a fragment group (`model`).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import yaml

from echolab.config import load_experiment, named_yaml
from echolab.errors import ConfigError

with warnings.catch_warnings():  # the sweeps package still spells a pydantic v1 option
    warnings.simplefilter("ignore", UserWarning)
    from sweeps import schema_violations_from_proposed_config
    from sweeps.params import HyperParameter

ARGS_MACRO = "${args_no_hyphens}"
_MACRO = re.compile(r"^\$\{[a-z_]+\}$")
GOALS = ("maximize", "minimize")


@dataclass(frozen=True)
class SweepSpec:
    path: Path
    name: str  # the file's stem: names the output folder
    config: dict  # the W&B sweep config exactly as read
    exp: str  # the experiment every trial trains
    before: list[str]  # fixed `key=value` words before ${args_no_hyphens} in the command
    after: list[str]  # ... and after it
    metric: str  # e.g. val/acc: metrics.json's ["val"]["acc"]
    goal: str  # maximize | minimize

    @property
    def parameters(self) -> dict[str, dict]:
        return self.config["parameters"]

    def trial_words(self, values: dict[str, object]) -> list[str]:
        """The `echolab train` words of one trial, formatted as W&B's agent formats them (`name=value`)."""
        return [*self.before, *(f"{name}={value}" for name, value in values.items()), *self.after]


def read_sweep(name_or_path: str) -> SweepSpec:
    path = named_yaml(name_or_path, "sweeps", "sweep")
    try:
        config = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: invalid YAML: {err}") from err
    if not isinstance(config, dict):
        raise ConfigError(f"{path}: a sweep file is a mapping (method, metric, parameters, command)")
    try:
        violations = schema_violations_from_proposed_config(config)
    except ValueError as err:
        violations = [str(err)]
    if violations:
        raise ConfigError(f"{path}: not a valid W&B sweep: {'; '.join(violations)}")
    metric = config.get("metric") or {}
    if not metric.get("name") or metric.get("goal", "minimize") not in GOALS:
        raise ConfigError(
            f"{path}: needs `metric: {{name: val/acc, goal: maximize}}` (a metrics.json key, goal one of {GOALS})"
        )
    for name, parameter in config["parameters"].items():
        if "parameters" in parameter:
            raise ConfigError(
                f"{path}: parameter '{name}' nests parameters; write each as a dotted key ({name}.x: ...)"
            )
    exp, before, after = _parse_command(config.get("command"), path)
    return SweepSpec(
        path, path.stem, config, exp, before, after, metric["name"], metric.get("goal", "minimize")
    )


def _parse_command(command, path: Path) -> tuple[str, list[str], list[str]]:
    example = f"command: [${{env}}, echolab, train, exp=NAME, {ARGS_MACRO}]"
    if not isinstance(command, list) or "train" not in command or ARGS_MACRO not in command:
        raise ConfigError(f"{path}: `command` must run `echolab train` with the agent's overrides: {example}")
    words = [str(w) for w in command[command.index("train") + 1 :]]
    split = words.index(ARGS_MACRO)
    before, after = words[:split], words[split + 1 :]
    stray = [w for w in before + after if _MACRO.match(w) or "=" not in w]
    if stray:
        raise ConfigError(
            f"{path}: after `train` the command takes only key=value words and {ARGS_MACRO}: {stray}"
        )
    exp = [w.split("=", 1)[1] for w in before + after if w.startswith("exp=")]
    if len(exp) != 1:
        raise ConfigError(f"{path}: the command names its experiment once, as exp=NAME: {example}")
    drop = f"exp={exp[0]}"
    return exp[0], [w for w in before if w != drop], [w for w in after if w != drop]


def _candidate_values(name: str, parameter: dict) -> list:
    """Values the sweep may propose: every categorical value, or both ends of a distribution."""
    hyper = HyperParameter(name, parameter)
    if hyper.type in (HyperParameter.CONSTANT,):
        return [hyper.config["value"]]
    if hyper.type in (HyperParameter.CATEGORICAL, HyperParameter.CATEGORICAL_PROB):
        return list(hyper.config["values"])
    return [_plain(hyper.ppf(q)) for q in (0.01, 0.99)]


def _plain(value):
    return value.item() if hasattr(value, "item") else value


def check_against_experiment(spec: SweepSpec, extra: list[str] = ()) -> None:
    """Compose the experiment with each parameter's candidate values: an unknown key fails here, naming it."""
    if any(w.startswith("exp=") for w in extra):
        raise ConfigError(
            f"{spec.path}: the sweep's command names its experiment ({spec.exp}); drop exp= here"
        )
    overridden = {w.split("=", 1)[0].lstrip("+~") for w in extra} & set(spec.parameters)
    if overridden:
        raise ConfigError(
            f"{spec.path}: {sorted(overridden)} are swept; do not also set them on the command line"
        )
    fixed = [*spec.before, *spec.after, *extra]
    try:
        load_experiment(spec.exp, fixed)  # the fixed words alone must already make a valid experiment
    except ConfigError as err:
        raise ConfigError(
            f"{spec.path}: the command's fixed overrides do not fit '{spec.exp}': {err}"
        ) from err
    for name, parameter in spec.parameters.items():
        for value in _candidate_values(name, parameter):
            try:
                load_experiment(spec.exp, [*fixed, f"{name}={value}"])
            except ConfigError as err:
                raise ConfigError(
                    f"{spec.path}: sweep parameter '{name}' (value {value!r}) does not fit experiment "
                    f"'{spec.exp}': {err}"
                ) from err
