"""The callbacks every run gets: best/last checkpoints, early stopping, learning-rate monitor, model line."""

from __future__ import annotations

from pathlib import Path

from lightning.pytorch.callbacks import Callback, EarlyStopping, LearningRateMonitor, ModelCheckpoint

from echolab.callbacks.uncertainty_sampling import UncertaintySampling
from echolab.models.complexity import count_parameters


class ModelLine(Callback):
    """One line naming the model and its size, in place of Lightning's summary table (whose rows are
    mostly metric collections and whose FLOPs column reads 0 without an example input)."""

    def on_fit_start(self, trainer, module) -> None:
        if trainer.is_global_zero:
            model = module.model
            total, trainable = count_parameters(model), count_parameters(model, trainable_only=True)
            print(
                f"model {type(model).__name__}: {total / 1e6:.2f} M parameters ({trainable / 1e6:.2f} M trainable)"
            )


def build_callbacks(cfg: dict, run_dir: Path) -> tuple[list[Callback], ModelCheckpoint]:
    checkpoint_cfg = cfg["callbacks"]["checkpoint"]
    checkpoint = ModelCheckpoint(
        dirpath=run_dir / "checkpoints",
        filename="best",
        monitor=checkpoint_cfg["monitor"],
        mode=checkpoint_cfg["mode"],
        save_last=True,
        auto_insert_metric_name=False,
    )
    callbacks: list[Callback] = [checkpoint, LearningRateMonitor(logging_interval="step"), ModelLine()]
    stopping = cfg["callbacks"].get("early_stopping")
    if stopping:
        callbacks.append(
            EarlyStopping(monitor=stopping["monitor"], mode=stopping["mode"], patience=stopping["patience"])
        )
    if cfg.get("data", {}).get("sampler") == "uncertainty":
        callbacks.append(UncertaintySampling())  # feeds the sampler's segment bank after each batch
    return callbacks, checkpoint
