"""`echolab train resume=RUN_DIR`: continue a run in its own folder from its newest checkpoint.

A run resumes from `checkpoints/last.ckpt`, which the checkpoint callback rewrites (atomically) at the
end of every validated epoch, with the config the run was started with (its config.yaml). An override
may change only what cannot change the result, and `trainer.max_epochs` may be raised; anything else
would make the folder hold a run nobody configured, so it is refused by name. Why the resume point is
an epoch boundary and what "exact" means: docs/reliability.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from omegaconf import DictConfig

from echolab.checkpoints import check_against_experiment, read_header
from echolab.config import fragment_groups, load_stored_experiment, to_plain
from echolab.errors import ConfigError, EcholabError

# Keys a resume may override: where things are read or written, and how long to go on. Every other
# key is part of what the run computes.
RESUMABLE_KEYS = (
    "trainer.max_epochs",
    "trainer.max_time",
    "run.max_cpu_s",
    "data.cache_dir",
    "logger.wandb.mode",
)
RESUME_CHECKPOINT = Path("checkpoints") / "last.ckpt"


@dataclass(frozen=True)
class ResumePoint:
    run_dir: Path
    checkpoint: Path
    epochs_done: int  # epochs the checkpoint has finished
    global_step: int  # optimizer steps the checkpoint has taken
    overrides: list[str]  # the run's overrides.txt, then the resume's own


def resume_command(exp: str, run_dir: Path) -> str:
    return f"echolab train exp={exp} resume={run_dir}"


def _recorded_config(run_dir: Path) -> dict:
    config = run_dir / "config.yaml"
    if not run_dir.is_dir():
        raise EcholabError(
            f"resume={run_dir}: no such folder; pass a run folder, e.g. resume=runs/<exp>/<run>"
        )
    if not config.is_file():
        raise EcholabError(
            f"resume={run_dir} is not an echolab run folder (it has no config.yaml); "
            "pass the folder `echolab train` printed, e.g. resume=runs/<exp>/<run>"
        )
    try:
        recorded = yaml.safe_load(config.read_text())
    except yaml.YAMLError as err:
        raise EcholabError(
            f"{config} is not readable YAML ({str(err).splitlines()[0]}); the run cannot resume"
        ) from None
    if not isinstance(recorded, dict) or "exp" not in recorded or "trainer" not in recorded:
        raise EcholabError(f"{config} is not an echolab run config; the run cannot resume")
    recorded.pop("data_source", None)  # provenance of the data, recorded beside the config (train.py)
    return recorded


def _changed_keys(before, after, prefix: str = "") -> list[str]:
    if isinstance(before, dict) and isinstance(after, dict):
        keys = list(dict.fromkeys([*before, *after]))
        return [
            changed
            for key in keys
            for changed in _changed_keys(before.get(key), after.get(key), f"{prefix}{key}.")
        ]
    return [] if before == after else [prefix.rstrip(".")]


def _resumed_config(recorded: dict, overrides: list[str], run_dir: Path) -> DictConfig:
    """The recorded config plus the overrides that leave the result as it was; others are refused."""
    swaps = [o for o in overrides if o.partition("=")[0] in ("profile", *fragment_groups())]
    # `profile=` naming the run's own profile (a copy of the first command) changes nothing
    changing = [o for o in swaps if o != f"profile={recorded.get('profile')}"]
    if changing:
        raise ConfigError(
            f"resume={run_dir}: {', '.join(changing)} would swap a fragment or profile of the run "
            f"(trained with profile={recorded.get('profile')}), changing what it computes; start a new run for it"
        )
    cfg = load_stored_experiment(recorded, [o for o in overrides if o not in swaps])
    changed = _changed_keys(recorded, to_plain(cfg))
    refused = [key for key in changed if key not in RESUMABLE_KEYS]
    if refused:
        raise ConfigError(
            f"resume={run_dir}: overriding {', '.join(refused)} would change what the run computes; a resume "
            f"continues the run as it was started (it may change {', '.join(RESUMABLE_KEYS)}). "
            "Leave them out, or start a new run with them"
        )
    if cfg.trainer.max_epochs < recorded["trainer"]["max_epochs"]:
        raise ConfigError(
            f"resume={run_dir}: trainer.max_epochs may be raised, not lowered "
            f"({cfg.trainer.max_epochs} < {recorded['trainer']['max_epochs']}); leave it out to finish the run as planned"
        )
    return cfg


def resume_point(
    run_dir: str | Path, overrides: list[str], exp: str | None = None
) -> tuple[DictConfig, ResumePoint]:
    """The config to continue `run_dir` with, and where to continue from; a one-line error naming the
    file and the fix for a folder that is not a run, a run that cannot resume, or a changing override."""
    run_dir = Path(run_dir)
    recorded = _recorded_config(run_dir)
    if exp is not None and Path(exp).stem != recorded["exp"]:
        raise ConfigError(
            f"resume={run_dir} is a run of experiment {recorded['exp']}, not {exp}; "
            f"pass exp={recorded['exp']} or leave exp= out"
        )
    cfg = _resumed_config(recorded, overrides, run_dir)
    checkpoint = run_dir / RESUME_CHECKPOINT
    if not checkpoint.is_file():
        raise EcholabError(
            f"resume={run_dir}: there is no {RESUME_CHECKPOINT} (the run stopped before its first epoch ended), "
            f"so there is nothing to resume; start it again with `echolab train exp={recorded['exp']} ...`"
        )
    try:
        header = read_header(checkpoint)
        check_against_experiment(header, checkpoint, to_plain(cfg))
    except EcholabError as err:
        reason = str(err).split(";")[0]
        raise EcholabError(
            f"{reason}, so it cannot resume run {run_dir} (config.yaml: experiment {recorded['exp']}); "
            "put the run's own last.ckpt back, or start the run again"
        ) from None
    if (run_dir / "metrics.json").is_file() and cfg.trainer.max_epochs <= recorded["trainer"]["max_epochs"]:
        raise EcholabError(
            f"resume={run_dir}: the run has finished (its metrics.json is written); pass "
            f"trainer.max_epochs=N with N > {recorded['trainer']['max_epochs']} to train it further"
        )
    previous = (
        (run_dir / "overrides.txt").read_text().split("\n") if (run_dir / "overrides.txt").is_file() else []
    )
    point = ResumePoint(
        run_dir=run_dir,
        checkpoint=checkpoint,
        epochs_done=header["epoch"] + 1,
        global_step=header["global_step"],
        overrides=[o for o in previous if o] + list(overrides),
    )
    return cfg, point
