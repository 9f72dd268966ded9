"""Loggers of a run: CSV metrics always; W&B offline unless the user asks for online."""

from __future__ import annotations

import csv
import os
from pathlib import Path

from lightning.pytorch.loggers import CSVLogger, Logger, WandbLogger
from lightning.pytorch.loggers.logger import rank_zero_experiment

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


class RunCSVLogger(CSVLogger):
    """`<run>/csv/metrics.csv`, on disk up to every checkpoint, so a killed run's log holds what its
    checkpoint holds. A resumed run (`resumed_at`: the checkpoint's epochs done and optimizer steps)
    keeps the rows logged up to its checkpoint and drops those of the interrupted epoch, which it trains
    again; Lightning's own CSV writer would delete the file."""

    def __init__(self, run_dir: Path, resumed_at: tuple[int, int] | None = None):
        super().__init__(run_dir, name="", version="csv")
        self._kept_rows = (
            [] if resumed_at is None else _rows_before(Path(self.log_dir) / "metrics.csv", *resumed_at)
        )

    @property
    @rank_zero_experiment
    def experiment(self):
        if self._experiment is None:
            writer = super().experiment
            if self._kept_rows:
                writer.metrics = self._kept_rows
                writer.save()
        return self._experiment

    def after_save_checkpoint(self, checkpoint_callback) -> None:
        self.save()


def _rows_before(path: Path, epochs_done: int, steps_done: int) -> list[dict]:
    """The rows of `path` logged during the first `epochs_done` epochs (a row without an epoch, the
    learning rate's, by its step)."""
    if not path.is_file():
        return []
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [
        row
        for row in rows
        if (int(row["epoch"]) < epochs_done if row.get("epoch") else int(row["step"]) < steps_done)
    ]


def build_loggers(cfg: dict, run_dir: Path, resumed_at: tuple[int, int] | None = None) -> list[Logger]:
    """The run's loggers; `resumed_at` (epochs, optimizer steps done) when it continues from a checkpoint."""
    loggers: list[Logger] = [RunCSVLogger(run_dir, resumed_at)]
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
