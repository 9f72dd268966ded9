"""The pretrained video encoder of a pretraining checkpoint, for probes, embeddings and transfer models."""

from __future__ import annotations

from pathlib import Path

from echolab.checkpoints import TASK_KEY, read_header
from echolab.errors import EcholabError, check_choice
from echolab.models.pretrain.video_vit import VideoViT
from echolab.models.registry import create_model

# which= -> the prefix of that encoder's weights in a pretraining checkpoint (tasks/pretrain/module.py)
ENCODERS = {"teacher": "encoder_ema.", "student": "encoder."}


def load_encoder(path: str | Path, which: str = "teacher") -> tuple[VideoViT, dict]:
    """(encoder in eval mode, preprocess) of the pretraining checkpoint at `path`.

    which: "teacher", the EMA encoder (what DINO-style methods evaluate and release), or "student", the
    encoder the optimiser trained. preprocess: how its clips were made (tasks/pretrain/datamodule.py,
    `pretrain_preprocess`; `eval_transform(preprocess)` makes clips the same way).
    """
    check_choice("which", which, ENCODERS)
    header = read_header(path)  # a missing file or a non-echolab file is a one-line error there
    if header[TASK_KEY] != "pretrain":
        raise EcholabError(
            f"{path} is a {header[TASK_KEY]} checkpoint, not a pretraining one; pass a checkpoint written by "
            "`echolab train` with a pretraining experiment (e.g. exp=discovr_synthetic)"
        )
    hyper = header["hyper_parameters"]
    model = dict(hyper["model"])
    encoder = create_model(model.pop("name"), task="pretrain", **model)
    prefix = ENCODERS[which]
    state = {k[len(prefix) :]: v for k, v in header["state_dict"].items() if k.startswith(prefix)}
    encoder.load_state_dict(state)
    return encoder.eval(), dict(hyper["preprocess"])
