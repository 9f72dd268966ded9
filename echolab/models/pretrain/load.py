"""The pretrained video encoder of a pretraining checkpoint, for probes, embeddings and transfer models."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from echolab.checkpoints import TASK_KEY, read_header
from echolab.errors import EcholabError, check_choice
from echolab.models.pretrain.video_vit import VideoViT
from echolab.models.registry import create_model

# which= -> the prefix of that encoder's weights in a pretraining checkpoint (tasks/pretrain/module.py)
ENCODERS = {"teacher": "encoder_ema.", "student": "encoder."}
IMAGE_TEACHER = "image_encoder_ema."  # DISCOVR's image teacher (absent from VideoMAE and JEPA checkpoints)


def load_encoder(path: str | Path, which: str = "teacher") -> tuple[VideoViT, dict]:
    """(encoder in eval mode, preprocess) of the pretraining checkpoint at `path`.

    which: "teacher", the EMA encoder (what DINO-style methods evaluate and release), or "student", the
    encoder the optimiser trained. preprocess: how its clips were made (tasks/pretrain/datamodule.py,
    `pretrain_preprocess`; `eval_transform(preprocess)` makes clips the same way).
    """
    check_choice("which", which, ENCODERS)
    header = _pretrain_header(path)
    hyper = header["hyper_parameters"]
    model = dict(hyper["model"])
    encoder = create_model(model.pop("name"), task="pretrain", **model)
    encoder.load_state_dict(_weights(header, ENCODERS[which]))
    return encoder.eval(), dict(hyper["preprocess"])


class FramewiseEncoder(nn.Module):
    """DISCOVR's image teacher as a clip encoder for the probes: it encodes the first frame of every
    tubelet (the frames it saw in training, module._target_frames) one at a time; a clip's CLS and mean
    token are the means over those frames. Image DINO trains only this encoder, never the video one,
    so an image-DINO-only run is probed through it."""

    def __init__(self, image: VideoViT, tubelet: int):
        super().__init__()
        self.image, self.tubelet = image, tubelet

    def features(self, clips: torch.Tensor) -> dict[str, torch.Tensor]:
        frames = clips[:, :, :: self.tubelet]
        b, c, t, h, w = frames.shape
        pooled = self.image.features(frames.permute(0, 2, 1, 3, 4).reshape(b * t, c, 1, h, w))
        return {key: value.view(b, t, -1).mean(1) for key, value in pooled.items()}


def load_image_teacher(path: str | Path) -> FramewiseEncoder | None:
    """DISCOVR's EMA image teacher of the pretraining checkpoint at `path` (eval mode), or None when the
    run had no image branch (VideoMAE, JEPA, or no image_dino / cluster term)."""
    header = _pretrain_header(path)
    state = _weights(header, IMAGE_TEACHER)
    if not state:
        return None
    model = dict(header["hyper_parameters"]["model"])
    tubelet = model["tubelet"]
    image = create_model(model.pop("name"), task="pretrain", **{**model, "frames": 1, "tubelet": 1})
    image.load_state_dict(state)
    return FramewiseEncoder(image, tubelet).eval()


def trains_cls(path: str | Path) -> bool:
    """Whether the pretraining run at `path` had a loss term that reads the video encoder's CLS token
    (video DINO). VideoMAE, JEPA and the cluster terms read only patch tokens, so their CLS output is
    never trained and their clip feature is the mean patch token (VideoMAE's own protocol)."""
    weights = _pretrain_header(path)["hyper_parameters"]["weights"]
    return weights.get("video_dino", 0) > 0


def _pretrain_header(path: str | Path) -> dict:
    header = read_header(path)  # a missing file or a non-echolab file is a one-line error there
    if header[TASK_KEY] != "pretrain":
        raise EcholabError(
            f"{path} is a {header[TASK_KEY]} checkpoint, not a pretraining one; pass a checkpoint written by "
            "`echolab train` with a pretraining experiment (e.g. exp=discovr_synthetic)"
        )
    return header


def _weights(header: dict, prefix: str) -> dict:
    return {k[len(prefix) :]: v for k, v in header["state_dict"].items() if k.startswith(prefix)}
