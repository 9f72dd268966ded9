"""train(cfg) and evaluate(cfg, ckpt): pure functions used by the CLI, the tests and notebooks."""

from __future__ import annotations

import signal
import time
from dataclasses import dataclass
from pathlib import Path

import lightning as L
from lightning.pytorch.utilities.exceptions import SIGTERMException
from omegaconf import DictConfig

from echolab.callbacks.budget import fit_record
from echolab.callbacks.interruption import ResumeHint
from echolab.callbacks.standard import build_callbacks, evaluation_callbacks
from echolab.callbacks.test_intervals import TestIntervals
from echolab.callbacks.wandb_upload import WandbUpload
from echolab.checkpoints import AtomicCheckpointIO, StoreExperiment, check_against_experiment, read_header
from echolab.config import to_plain
from echolab.data.sources import describe_provenance
from echolab.distributed import launched_as_rank_zero
from echolab.errors import ConfigError
from echolab.loggers import build_loggers
from echolab.quiet import silence_library_noise
from echolab.resume import RESUME_CHECKPOINT, ResumePoint
from echolab.runs import claim_run_dir, format_summary, write_config, write_metrics
from echolab.stats.run_scores import bootstrap_resamples
from echolab.tasks.registry import task_entry


@dataclass(frozen=True)
class RunResult:
    run_dir: Path
    metrics: dict


def _trainer_arguments(trainer: dict) -> dict:
    """The experiment's `trainer:` block as Trainer arguments. A `limit_*_batches` of 1.0 is Lightning's
    default; passed explicitly it makes Lightning announce "100% of the batches will be used" 3 times."""
    # (an int 1 means one batch, so only the float 1.0 is left out)
    arguments = {
        k: v for k, v in trainer.items() if not (k.startswith("limit_") and isinstance(v, float) and v == 1.0)
    }
    return {"enable_model_summary": False} | arguments  # callbacks/standard.py's ModelLine instead


def _trainer(
    cfg: dict, run_dir: Path, callbacks: list, resumed_at: tuple[int, int] | None = None
) -> L.Trainer:
    silence_library_noise()
    return L.Trainer(
        **_trainer_arguments(cfg["trainer"]),
        logger=build_loggers(cfg, run_dir, resumed_at),
        # last: W&B gets what the report callback wrote and the intervals of the test metrics
        callbacks=[*callbacks, TestIntervals(run_dir, cfg["task"]), WandbUpload(run_dir)],
        default_root_dir=run_dir,
        enable_progress_bar=True,
        plugins=[AtomicCheckpointIO()],
    )


def _final_passes(trainer: L.Trainer, module, datamodule, ckpt_path) -> dict:
    """Validation and test metrics of one checkpoint, as metrics.json records them (the test metrics
    with their bootstrap intervals: callbacks/test_intervals.py)."""
    trainer.validate(module, datamodule=datamodule, ckpt_path=ckpt_path, verbose=False)
    validation = dict(module.val_report)
    trainer.test(module, datamodule=datamodule, ckpt_path=ckpt_path, verbose=False)
    return {"val": validation, "test": module.test_report}


def _headline(metrics: dict, keys: tuple[str, ...]) -> dict:
    """Test values with their intervals where they have one, then the first key on validation."""
    intervals = metrics["test"].get("intervals", {})
    return {
        f"test/{k}": (metrics["test"].get(k), intervals[k]) if intervals.get(k) else metrics["test"].get(k)
        for k in keys
    } | {f"val/{k}": metrics["val"].get(k) for k in keys[:1]}


def _prepare(cfg: DictConfig, stage: str):
    """Seed, then the experiment's task entry and its data module, ready to serve `stage`."""
    plain = to_plain(cfg)
    bootstrap_resamples(plain["task"])  # a bad value fails now, not after training
    L.seed_everything(plain["seed"], workers=True, verbose=False)
    entry = task_entry(plain["task"]["name"])
    datamodule = entry.datamodule(plain["data"], seed=plain["seed"])
    datamodule.prepare_data()
    datamodule.setup(stage)
    return plain, entry, datamodule


def _recorded(plain: dict, datamodule) -> dict:
    """The config as config.yaml records it: plus whether the data was echolab-made synthetic data."""
    return plain | {"data_source": datamodule.provenance}


def _data_line(datamodule) -> dict[str, str]:
    return {"data": f"{datamodule.index.root}: {describe_provenance(datamodule.provenance)}"}


def train(
    cfg: DictConfig,
    overrides: list[str] = (),
    *,
    started: float | None = None,
    resume: ResumePoint | None = None,
) -> RunResult:
    """Fit the experiment, then judge its best checkpoint on validation and test; write the run folder.

    `started`: when the command began (the CLI's clock), so the summary's time is the command's.
    `resume`: continue that run in its own folder from its checkpoint (echolab/resume.py), instead of
    starting a new one.
    """
    started = time.time() if started is None else started
    plain, entry, datamodule = _prepare(cfg, "fit")
    module = entry.module.from_config(plain, datamodule)

    run_dir = claim_run_dir(plain["run"]["root"], plain["exp"], None if resume is None else resume.run_dir)
    resumed_at = None if resume is None else (resume.epochs_done, resume.global_step)
    if launched_as_rank_zero():
        write_config(
            run_dir, _recorded(plain, datamodule), list(overrides) if resume is None else resume.overrides
        )
    callbacks, checkpoint = build_callbacks(plain, run_dir)
    callbacks += [StoreExperiment(plain), ResumeHint(plain["exp"], run_dir), entry.report(run_dir)]
    trainer = _trainer(plain, run_dir, callbacks, resumed_at)
    try:
        trainer.fit(module, datamodule=datamodule, ckpt_path=None if resume is None else resume.checkpoint)
        fitted = fit_record(trainer)  # before the final passes restore callback states from best.ckpt
        run_dir = Path(checkpoint.dirpath).parent  # rank 0's, on every process: Lightning broadcasts it
        best = checkpoint.best_model_path or str(run_dir / RESUME_CHECKPOINT)  # no best: nothing validated
        metrics = _final_passes(trainer, module, datamodule, best)
    except SIGTERMException:  # a SystemExit with status 0; a scheduler must see the run did not finish
        raise SystemExit(128 + signal.SIGTERM) from None
    metrics |= {
        "exp": plain["exp"],
        "profile": plain["profile"],
        "checkpoint": best,
        "epochs": trainer.current_epoch,
        "data_source": datamodule.provenance,
        "seconds": round(time.time() - started, 1),
    } | fitted
    extra = {"checkpoint": best, "epochs": str(trainer.current_epoch), "time": f"{metrics['seconds']:.0f} s"}
    if resume is not None:
        metrics["resumed_after_epochs"] = resume.epochs_done  # "seconds" then counts this command only
        extra["resumed"] = f"after epoch {resume.epochs_done} ({resume.checkpoint.name})"
    if trainer.is_global_zero:
        write_metrics(run_dir, metrics)
        print(
            format_summary(
                f"trained {plain['exp']}",
                run_dir,
                _headline(metrics, entry.headline),
                _data_line(datamodule) | extra,
            )
        )
    return RunResult(run_dir, metrics)


def evaluate(
    cfg: DictConfig, ckpt: str | Path, overrides: list[str] = (), *, started: float | None = None
) -> RunResult:
    """Judge a checkpoint on the experiment's validation and test splits, in a new run folder.

    The checkpoint is checked first (an echolab checkpoint of this experiment's task and model); the
    run folder records the model config the checkpoint holds, not the experiment's.
    """
    started = time.time() if started is None else started
    check_against_experiment(read_header(ckpt), ckpt, to_plain(cfg))
    plain, entry, datamodule = _prepare(cfg, "test")
    module = entry.module.load_from_checkpoint(ckpt, map_location="cpu")
    plain["model"] = dict(module.hparams.model)
    if getattr(module, "classes", None) is not None and list(module.classes) != list(datamodule.classes):
        raise ConfigError(
            f"{ckpt} was trained on classes {module.classes}, but the data has "
            f"{datamodule.classes}; set data.classes to the checkpoint's order"
        )

    run_dir = claim_run_dir(plain["run"]["root"], plain["exp"])
    if launched_as_rank_zero():
        write_config(run_dir, _recorded(plain, datamodule), [*overrides, f"ckpt={ckpt}"])
    trainer = _trainer(plain, run_dir, [*evaluation_callbacks(plain, run_dir), entry.report(run_dir)])
    metrics = _final_passes(trainer, module, datamodule, None)
    metrics |= {
        "exp": plain["exp"],
        "checkpoint": str(ckpt),
        "data_source": datamodule.provenance,
        "seconds": round(time.time() - started, 1),
    }
    if trainer.is_global_zero:
        write_metrics(run_dir, metrics)
        extra = _data_line(datamodule) | {"time": f"{metrics['seconds']:.0f} s"}
        print(
            format_summary(f"evaluated {Path(ckpt).name}", run_dir, _headline(metrics, entry.headline), extra)
        )
    return RunResult(run_dir, metrics)
