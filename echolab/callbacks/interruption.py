"""When a run stops early (SIGTERM from a scheduler, Ctrl-C, a full disk), say where it can resume.

Lightning finishes the training step under way and stops (on SIGTERM at the next batch boundary, on
Ctrl-C at once); the state to resume from is the newest epoch-end checkpoint, `checkpoints/last.ckpt`,
which the checkpoint callback wrote whole (echolab/atomic.py) when that epoch was validated. The part
of the epoch after it is trained again on resume: that is what makes the resumed run equal to one
never interrupted (docs/reliability.md).
"""

from __future__ import annotations

from pathlib import Path

import lightning as L
from lightning.pytorch.callbacks import Callback
from lightning.pytorch.utilities.exceptions import SIGTERMException

from echolab.atomic import DiskFullError
from echolab.checkpoints import read_header
from echolab.resume import RESUME_CHECKPOINT, resume_command

# What stops a run that a resume can continue; any other error is a problem with the run itself.
RESUMABLE_STOPS = {SIGTERMException: "SIGTERM", KeyboardInterrupt: "Ctrl-C", DiskFullError: "the disk filled"}


class ResumeHint(Callback):
    def __init__(self, exp: str, run_dir: Path):
        self.exp, self.run_dir = exp, Path(run_dir)

    def on_exception(self, trainer: L.Trainer, module: L.LightningModule, exception: BaseException) -> None:
        cause = next((name for kind, name in RESUMABLE_STOPS.items() if isinstance(exception, kind)), None)
        if cause is None or not trainer.is_global_zero:
            return
        checkpoint = self.run_dir / RESUME_CHECKPOINT
        if not checkpoint.is_file():
            print(
                f"\nstopped by {cause} before the first epoch ended: nothing to resume in {self.run_dir}; "
                f"start the run again"
            )
            return
        epochs_saved = read_header(checkpoint)["epoch"] + 1  # what the file holds, not what was meant to be
        print(
            f"\nstopped by {cause} in epoch {trainer.current_epoch + 1}; {checkpoint} holds the end of epoch "
            f"{epochs_saved}. Continue the run with:\n  {resume_command(self.exp, self.run_dir)}"
        )
