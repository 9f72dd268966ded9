"""Sliding-window evaluation: every window of every video, beside a task's own evaluation.

A task whose model reads clips offers `dense_report(records, cache, stride)`; this callback calls it
for the validation videos every `every_n_epochs` epochs (and in a standalone validation pass) and for
the test videos, logs the values as `<split>/dense_<name>` and adds them to the split's report, so
metrics.json holds them beside the sampled-clip numbers.
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

    def setup(self, trainer: L.Trainer, module, stage: str) -> None:
        if not hasattr(module, "dense_report"):
            raise ConfigError(
                f"callbacks.sliding_window serves tasks whose evaluation samples clips; the {module.task_name} "
                "task evaluates every window already. Remove sliding_window from the experiment's callbacks"
            )

    def on_validation_epoch_end(self, trainer: L.Trainer, module) -> None:
        due = not trainer.training or (trainer.current_epoch + 1) % self.every_n_epochs == 0
        if not trainer.sanity_checking and due:
            self._evaluate(trainer, module, "val")

    def on_test_epoch_end(self, trainer: L.Trainer, module) -> None:
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
