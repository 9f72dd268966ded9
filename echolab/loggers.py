"""Loggers of a run: CSV metrics always; W&B offline unless the user asks for online."""

from __future__ import annotations

import os
from pathlib import Path

from lightning.pytorch.loggers import CSVLogger, Logger, WandbLogger

WANDB_MODES = ("offline", "online", "disabled")
_MODE_ALIASES = {"dryrun": "offline", "run": "online"}  # W&B's older names, still seen in WANDB_MODE


def wandb_mode(logger_cfg: dict) -> str:
    """The WANDB_MODE environment variable wins over the config, so `WANDB_MODE=online make train` works.

    Offline runs land in `<run>/wandb/offline-run-*`; `wandb sync <that folder>` uploads one later.
    """
    mode = os.environ.get("WANDB_MODE") or logger_cfg["wandb"]["mode"]
    mode = _MODE_ALIASES.get(mode, mode)
    if mode not in WANDB_MODES:
        raise ValueError(
            f"W&B mode '{mode}' is unknown; use one of {WANDB_MODES} (logger.wandb.mode or WANDB_MODE)"
        )
    return mode


def build_loggers(cfg: dict, run_dir: Path) -> list[Logger]:
    loggers: list[Logger] = [CSVLogger(run_dir, name="", version="csv")]  # -> <run>/csv/metrics.csv
    mode = wandb_mode(cfg["logger"])
    if mode != "disabled":
        wandb_cfg = cfg["logger"]["wandb"]
        wandb = WandbLogger(
            project=wandb_cfg["project"],
            entity=wandb_cfg["entity"],
            name=f"{cfg['exp']}/{run_dir.name}",
            save_dir=str(run_dir),
            mode=mode,
            tags=list(wandb_cfg["tags"]),
            config=cfg,
        )
        # Lightning passes `anonymous=None`, which W&B now warns has no effect; leave it out entirely.
        wandb._wandb_init.pop("anonymous", None)
        loggers.append(wandb)
    return loggers


def wandb_logger(loggers) -> WandbLogger | None:
    return next((lg for lg in loggers if isinstance(lg, WandbLogger)), None)
