"""`python -m tests.e2e.interrupted_train READY EPOCH exp=NAME [key=value ...]`: `echolab train` that,
after the first training step of epoch EPOCH (0-based: EPOCH epochs are done and checkpointed), writes
its process id to the file READY and waits there to be killed (SIGKILL) or stopped (SIGTERM), so a
test can interrupt a real run at a known point."""

import os
import sys
import time
from pathlib import Path

from lightning.pytorch.callbacks import Callback

import echolab.train
from echolab.cli import main

WAIT_S = 300  # for the signal; a test that never sends one fails on its own timeout first


class WaitForSignal(Callback):
    def __init__(self, epoch: int, ready: Path):
        self.epoch, self.ready = epoch, ready

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx: int) -> None:
        if trainer.current_epoch == self.epoch and batch_idx == 0:
            self.ready.write_text(str(os.getpid()))
            deadline = time.monotonic() + WAIT_S
            while not trainer.received_sigterm and time.monotonic() < deadline:
                time.sleep(0.05)


def _with_wait(build_callbacks, epoch: int, ready: Path):
    def build(cfg, run_dir):
        callbacks, checkpoint = build_callbacks(cfg, run_dir)
        return [*callbacks, WaitForSignal(epoch, ready)], checkpoint

    return build


if __name__ == "__main__":
    ready, epoch, *words = sys.argv[1:]
    echolab.train.build_callbacks = _with_wait(echolab.train.build_callbacks, int(epoch), Path(ready))
    sys.exit(main(["train", *words]))
