"""Silence messages from libraries that a user of echolab cannot act on (each named, none broad).

Where echolab can stop the cause it does so at the call (loggers.py leaves out W&B's deprecated
`anonymous` setting; train.py prints its own model line instead of Lightning's table, whose FLOPs
column reads 0 without an example input). What is left is filtered here, once per process.
"""

from __future__ import annotations

import logging
import warnings

# Lightning advertises its cloud products at every Trainer start.
_ADVERTS = ("💡 Tip:",)


class _DropAdverts(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.getMessage()).startswith(_ADVERTS)


_installed = False


def silence_library_noise() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    for name in ("lightning.pytorch.utilities.rank_zero", "lightning.fabric.utilities.rank_zero"):
        logging.getLogger(name).addFilter(_DropAdverts())
    # Lightning's own pytree helper calls a torch API that torch deprecated; nothing to change on our side.
    warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\)` is deprecated")
    # A resumed run (echolab/resume.py) writes into its own folder again, as it should: loggers.RunCSVLogger
    # keeps the rows logged up to its checkpoint (Lightning's warning that they will be deleted is wrong
    # there), and its checkpoints are meant to be replaced. A new run's folder is always new and empty.
    warnings.filterwarnings("ignore", message=r"Experiment logs directory .* exists and is not empty")
    warnings.filterwarnings("ignore", message=r"Checkpoint directory .* exists and is not empty")
    # Under DDP the tasks compute every validation and test metric from per-video rows gathered from all
    # processes, each video once (distributed.gather_rows): the videos DistributedSampler repeats do
    # not count twice, which is what Lightning's advice to evaluate on one device is about.
    warnings.filterwarnings("ignore", message=r"Using `DistributedSampler` with the dataloaders")
    # The same for the epoch-level numbers the tasks log: they are already the same on every process
    # (from the gathered rows, or averaged by the strategy), so syncing them again would change nothing.
    warnings.filterwarnings(
        "ignore", message=r"It is recommended to use `self.log\('(val|test|collapse)/.*sync_dist=True\)`"
    )
