"""What every echolab LightningModule shares: its checkpoint tag, optimizers and schedule, the
finite-loss guard, gathering per-video rows across processes, and restoring without downloads."""

from __future__ import annotations

import lightning as L
import torch

from echolab.checkpoints import TASK_KEY, read_header
from echolab.distributed import gather_rows
from echolab.errors import EcholabError
from echolab.tasks.optim import configure_optimization, stretch_to_plan

# Model arguments that say where starting weights come from, as a restore sets them.
_RESTORED = {"pretrained": False, "init": None}


class EcholabTask(L.LightningModule):
    """Subclasses set `task_name` (its entry in tasks/registry.py) and build themselves from an
    experiment with `from_config`; every constructor argument is a plain value, so
    `load_from_checkpoint(path)` needs no config."""

    task_name: str

    @classmethod
    def from_config(cls, cfg: dict, datamodule) -> EcholabTask:
        raise NotImplementedError

    def checked(self, loss: torch.Tensor) -> torch.Tensor:
        """`loss`, or a clear error when it is NaN or infinite (training would only get worse)."""
        if not torch.isfinite(loss):
            raise EcholabError(
                f"training loss is {loss.item()} at epoch {self.current_epoch}, step {self.global_step}: "
                "lower optim.lr, set trainer.gradient_clip_val, or check the inputs for NaN"
            )
        return loss

    def test_scores(self) -> dict | None:
        """The last test pass, per video, as the task's `scores` function (tasks/registry.py) reads it:
        {"settings": {its keyword arguments}, "videos": [one JSON-ready row per video, with its "video"
        name]}. Bootstrap intervals (metrics.json) and compare's paired differences resample these rows.
        None: the task has no per-video scores, and its metrics get no intervals."""
        return None

    @staticmethod
    def gather(rows: list[dict]) -> list[dict]:
        """Every process's per-video rows, once each, in video order (see distributed.gather_rows)."""
        return gather_rows(rows)

    def configure_optimizers(self):
        return configure_optimization(
            self.parameters(),
            self.hparams.optim,
            self.trainer.estimated_stepping_batches,
            self.trainer.max_epochs,
        )

    def on_train_start(self) -> None:
        # A resumed run restores its schedule with the checkpoint; trainer.max_epochs may have been raised.
        stretch_to_plan(
            self.lr_schedulers(),
            self.hparams.optim,
            self.trainer.estimated_stepping_batches,
            self.trainer.max_epochs,
        )

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        checkpoint[TASK_KEY] = self.task_name  # lets `echolab predict` pick the task from the file alone

    @classmethod
    def load_from_checkpoint(cls, checkpoint_path, map_location=None, **kwargs):
        """Restores never fetch starting weights again: a model trained from ImageNet weights keeps
        `pretrained: true`, one fine-tuned from a pretraining checkpoint `init: PATH`, in its
        hyper-parameters, but the checkpoint already holds the trained weights (fetching would fail
        offline and waste time online; the pretraining checkpoint may be gone)."""
        if "model" not in kwargs:
            saved = read_header(checkpoint_path)["hyper_parameters"]["model"]
            kwargs["model"] = saved | {key: value for key, value in _RESTORED.items() if key in saved}
        return super().load_from_checkpoint(checkpoint_path, map_location=map_location, **kwargs)
