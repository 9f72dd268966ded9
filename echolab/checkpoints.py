"""echolab checkpoints: read one safely, check it against an experiment, recover the experiment it
was trained with. `evaluate` and `predict` call these before they build anything."""

from __future__ import annotations

from pathlib import Path

import torch
from lightning.fabric.plugins.io.torch_io import TorchCheckpointIO
from lightning.pytorch.callbacks import Callback

from echolab.atomic import atomic_path
from echolab.errors import EcholabError

TASK_KEY = "echolab_task"  # written by every task's on_save_checkpoint
EXPERIMENT_KEY = "echolab_experiment"  # the resolved experiment config, written by StoreExperiment


def read_header(path: str | Path) -> dict:
    """A checkpoint's contents (mmap=True leaves its weights on disk until something touches them),
    or a one-line error saying why it is not a usable echolab checkpoint."""
    path = Path(path)
    if not path.is_file():
        raise EcholabError(
            f"checkpoint {path} does not exist; point ckpt= at a run's checkpoints/best.ckpt (or last.ckpt)"
        )
    try:
        header = torch.load(path, map_location="cpu", weights_only=False, mmap=True)
    except Exception as err:  # torch raises many types for a file that is not a checkpoint
        reason = f"{type(err).__name__}: {err}".splitlines()[0]
        raise EcholabError(f"{path} is not a readable PyTorch checkpoint ({reason})") from None
    if not isinstance(header, dict) or header.get(TASK_KEY) is None:
        raise EcholabError(
            f"{path} is not an echolab checkpoint (it names no echolab task); "
            "use a checkpoint written by `echolab train`"
        )
    return header


def check_against_experiment(header: dict, path: str | Path, cfg: dict) -> None:
    """Refuse a checkpoint of another task or model than the experiment `cfg` describes."""
    task, wanted_task = header[TASK_KEY], cfg["task"]["name"]
    if task != wanted_task:
        raise EcholabError(
            f"{path} is a {task} checkpoint, but experiment {cfg['exp']} is a {wanted_task} experiment; "
            "pass the experiment it was trained with, or leave exp= out to use the one stored in it"
        )
    model, wanted_model = header["hyper_parameters"]["model"]["name"], cfg["model"]["name"]
    if model != wanted_model:
        raise EcholabError(
            f"{path} holds a {model} model, but experiment {cfg['exp']} builds {wanted_model}; "
            f"pass model={model} (or its experiment), or leave exp= out to use the one stored in it"
        )


def stored_experiment(header: dict, path: str | Path) -> dict:
    """The resolved config a checkpoint was trained with."""
    if EXPERIMENT_KEY not in header:
        raise EcholabError(f"{path} predates checkpoints that store their experiment; pass exp=NAME as well")
    return header[EXPERIMENT_KEY]


class StoreExperiment(Callback):
    """Writes the run's resolved config into every checkpoint, so `echolab evaluate ckpt=PATH` needs
    no exp= and can never pair the weights with the wrong experiment."""

    def __init__(self, config: dict):
        self.config = config

    def on_save_checkpoint(self, trainer, module, checkpoint: dict) -> None:
        checkpoint[EXPERIMENT_KEY] = self.config


class AtomicCheckpointIO(TorchCheckpointIO):
    """Checkpoints written beside their final name and renamed onto it (echolab/atomic.py).

    Lightning's own writer stages a checkpoint in the system's temporary folder and moves it over,
    which is a copy, not a rename, when that folder is on another disk: a kill or a full disk during
    the copy leaves a truncated last.ckpt that `resume=` would pick. Here a failed write leaves the
    previous checkpoint whole.
    """

    def save_checkpoint(self, checkpoint: dict, path, storage_options=None) -> None:
        if storage_options is not None:
            raise TypeError(f"{type(self).__name__} takes no storage_options")
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as temporary:
            torch.save(checkpoint, temporary)
