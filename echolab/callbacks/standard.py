"""The callbacks a run gets: those its experiment names under `callbacks:` (experiments/base/callbacks/,
one builder each in BUILDERS), plus the learning-rate monitor, the model line, the CPU clock (with
run.max_cpu_s, the CPU budget), the per-batch seeding and the resume checkpoint every run has."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from lightning.pytorch.callbacks import Callback, EarlyStopping, LearningRateMonitor, ModelCheckpoint

from echolab.callbacks.budget import CpuBudget
from echolab.callbacks.seeding import BatchSeeding
from echolab.callbacks.sliding_window import SlidingWindowEvaluation
from echolab.callbacks.uncertainty_sampling import UncertaintySampling
from echolab.errors import ConfigError
from echolab.models.complexity import count_parameters


class ModelLine(Callback):
    """One line naming the model and its size, in place of Lightning's summary table (whose rows are
    mostly metric collections and whose FLOPs column reads 0 without an example input)."""

    def on_fit_start(self, trainer, module) -> None:
        if trainer.is_global_zero:
            # A task without one `model` (pretraining: encoder, teachers, heads) is counted whole.
            model = getattr(module, "model", module)
            total, trainable = count_parameters(model), count_parameters(model, trainable_only=True)
            print(
                f"model {type(model).__name__}: {total / 1e6:.2f} M parameters ({trainable / 1e6:.2f} M trainable)"
            )


def _checkpoint(settings: dict, cfg: dict, run_dir: Path) -> ModelCheckpoint:
    return ModelCheckpoint(
        dirpath=run_dir / "checkpoints",
        filename="best",
        monitor=settings["monitor"],
        mode=settings["mode"],
        auto_insert_metric_name=False,
    )


class ResumeCheckpoint(ModelCheckpoint):
    """`checkpoints/last.ckpt`, the state at the end of every epoch: where `resume=` continues from.

    Lightning's own `save_last` copies a checkpoint only when the monitored one is saved (a new best),
    so it can lag many epochs behind. Written when each training epoch ends, after that epoch's
    validation, whether or not the epoch was validated; listed after the other callbacks (Lightning
    runs checkpoint callbacks last, in order), it holds their state as this epoch left it: best score,
    patience. A class of its own, so its state in a checkpoint is told apart from that of an
    experiment's checkpoint that monitors nothing either (pretraining's).
    """

    def __init__(self, run_dir: Path):
        super().__init__(
            dirpath=run_dir / "checkpoints",
            filename="last",
            monitor=None,
            save_top_k=1,
            save_on_train_epoch_end=True,
            enable_version_counter=False,
        )


def _early_stopping(settings: dict, cfg: dict, run_dir: Path) -> EarlyStopping:
    return EarlyStopping(monitor=settings["monitor"], mode=settings["mode"], patience=settings["patience"])


def _uncertainty_sampling(settings: dict, cfg: dict, run_dir: Path) -> UncertaintySampling | None:
    # An ablation with another data.sampler has no segment bank to feed.
    return UncertaintySampling() if cfg["data"].get("sampler") == "uncertainty" else None


def _sliding_window(settings: dict, cfg: dict, run_dir: Path) -> SlidingWindowEvaluation:
    return SlidingWindowEvaluation(stride=settings["stride"], every_n_epochs=settings["every_n_epochs"])


def _knn_monitor(settings: dict, cfg: dict, run_dir: Path) -> Callback:
    from echolab.callbacks.knn_monitor import KNNMonitor  # imports scikit-learn: only runs that list it pay

    return KNNMonitor(**settings)


# callbacks.<name> -> its builder(settings, cfg, run_dir); a null entry (callbacks.early_stopping=null) is off.
BUILDERS: dict[str, Callable[[dict, dict, Path], Callback | None]] = {
    "checkpoint": _checkpoint,
    "early_stopping": _early_stopping,
    "uncertainty_sampling": _uncertainty_sampling,
    "sliding_window": _sliding_window,
    "knn_monitor": _knn_monitor,
}


def build_callbacks(cfg: dict, run_dir: Path) -> tuple[list[Callback], ModelCheckpoint]:
    named = {
        name: settings for name, settings in (cfg.get("callbacks") or {}).items() if settings is not None
    }
    _check(named, cfg)
    built = {name: BUILDERS[name](settings, cfg, run_dir) for name, settings in named.items()}
    callbacks = [c for c in built.values() if c is not None]
    always = [
        LearningRateMonitor(logging_interval="step"),
        ModelLine(),
        CpuBudget(cfg.get("run", {}).get("max_cpu_s")),
        BatchSeeding(cfg["seed"]),
        ResumeCheckpoint(run_dir),
    ]
    return [*callbacks, *always], built["checkpoint"]


def evaluation_callbacks(cfg: dict, run_dir: Path) -> list[Callback]:
    """The listed callbacks that shape evaluation itself (`echolab evaluate` judges a checkpoint as its
    training's final passes did): sliding-window evaluation."""
    settings = (cfg.get("callbacks") or {}).get("sliding_window")
    return [] if settings is None else [_sliding_window(settings, cfg, run_dir)]


def _check(named: dict, cfg: dict) -> None:
    unknown = sorted(set(named) - set(BUILDERS))
    if unknown:
        raise ConfigError(
            f"unknown callback(s) {', '.join(unknown)} under callbacks:; known: {', '.join(BUILDERS)}"
        )
    listed = list(named)
    if "checkpoint" not in named:
        raise ConfigError(
            "callbacks.checkpoint is missing: the final validation and test passes judge best.ckpt; "
            f"add checkpoint to the experiment's `- callbacks: [...]` (callbacks=[{','.join(['checkpoint', *listed])}])"
        )
    if cfg.get("data", {}).get("sampler") == "uncertainty" and "uncertainty_sampling" not in named:
        raise ConfigError(
            "data.sampler=uncertainty needs the uncertainty_sampling callback to fill its segment bank: add it "
            "to the experiment's `- callbacks: [...]` "
            f"(callbacks=[{','.join([*listed, 'uncertainty_sampling'])}]), or choose another data.sampler"
        )
