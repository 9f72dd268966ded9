"""Sliding-window evaluation: every window of every video, at a stride the experiment sets.

Two kinds of task use it. A task whose evaluation samples a few clips per video (view classification)
offers `dense_report(records, cache, stride)`: this callback calls it for the validation videos every
`every_n_epochs` epochs (and in a standalone validation pass) and for the test videos, logs the values
as `<split>/dense_<name>` and adds them to the split's report, so metrics.json holds them beside the
sampled-clip numbers. A task whose evaluation *is* a sliding-window pass (keyframe curves) offers
`use_window_stride(stride)` instead: its own validation and test then use the callback's stride.
"""

from __future__ import annotations

import lightning as L
from lightning.pytorch.callbacks import Callback

from echolab.errors import ConfigError


class SlidingWindowEvaluation(Callback):
    def __init__(self, stride: int = 8, every_n_epochs: int = 1):
        if stride < 1 or every_n_epochs < 1:
            raise ConfigError(
                "callbacks.sliding_window needs stride >= 1 and every_n_epochs >= 1, "
                f"got stride={stride}, every_n_epochs={every_n_epochs}"
            )
        self.stride, self.every_n_epochs = stride, every_n_epochs
        self._values: dict[str, dict[str, float]] = {}
        self._extra_pass = False  # True for tasks evaluated on sampled clips (a dense pass beside them)

    def setup(self, trainer: L.Trainer, module, stage: str) -> None:
        if hasattr(module, "dense_report"):
            self._extra_pass = True
        elif hasattr(module, "use_window_stride"):
            if self.every_n_epochs != 1:
                raise ConfigError(
                    f"callbacks.sliding_window.every_n_epochs={self.every_n_epochs}: the {module.task_name} "
                    "task's validation is its sliding-window pass, so it runs every validation; set it to 1 "
                    "(trainer.check_val_every_n_epoch spaces validations out)"
                )
            module.use_window_stride(self.stride)
        else:
            raise ConfigError(
                f"callbacks.sliding_window serves tasks whose models read clips; the {module.task_name} "
                "task has no sliding-window evaluation. Remove sliding_window from the experiment's callbacks"
            )

    def on_validation_epoch_end(self, trainer: L.Trainer, module) -> None:
        due = not trainer.training or (trainer.current_epoch + 1) % self.every_n_epochs == 0
        if self._extra_pass and not trainer.sanity_checking and due:
            self._evaluate(trainer, module, "val")

    def on_test_epoch_end(self, trainer: L.Trainer, module) -> None:
        if self._extra_pass:
            self._evaluate(trainer, module, "test")

    def _evaluate(self, trainer: L.Trainer, module, split: str) -> None:
        datamodule = trainer.datamodule
        values = module.dense_report(datamodule.records(split), datamodule.cache, self.stride)
        self._values[split] = {f"dense_{name}": value for name, value in values.items()}
        module.log_dict({f"{split}/{name}": value for name, value in self._values[split].items()})

    # The module rebuilds its report in its own epoch-end hook, which Lightning calls after this
    # callback's: the values join the report once the whole pass has ended.
    def on_validation_end(self, trainer: L.Trainer, module) -> None:
        module.val_report.update(self._values.pop("val", {}))

    def on_test_end(self, trainer: L.Trainer, module) -> None:
        module.test_report.update(self._values.pop("test", {}))
