"""Transfer: the video encoder of the view and keyframe models built on pretraining (vit_video, vit_keyframe).

A VideoViT (models/pretrain/video_vit.py) built from the model's own architecture keys and, with
`init`, started from a pretraining checkpoint's encoder (`init_from`: its EMA teacher or its student).
The architecture must be the checkpoint's: a difference is an error naming every key and its fix, never
a partial load. `freeze` keeps the encoder's weights as they are (only the head trains). The weights
are copied in at construction, so a fine-tuned checkpoint holds them; restoring one never reads `init`
again (tasks/base.py).
"""

from __future__ import annotations

from pathlib import Path

from echolab.checkpoints import read_header
from echolab.errors import ConfigError, check_choice
from echolab.models.pretrain.load import ENCODERS, load_encoder
from echolab.models.pretrain.video_vit import VideoViT

# The VideoViT arguments a pretrained encoder fixes; frames and size follow data.clip.frames and data.size.
ARCHITECTURE = ("frames", "size", "patch", "tubelet", "dim", "depth", "heads", "mlp_ratio")
_FROM_DATA = {"frames": "data.clip.frames", "size": "data.size"}


def transfer_encoder(model_name: str, arguments: dict) -> VideoViT:
    """The encoder of `model_name` built from its constructor's `arguments` (its `locals()`: the
    `ARCHITECTURE` values plus `init`, `init_from` and `freeze_encoder`), initialised and frozen as asked.
    Taking the arguments whole keeps each transfer model's constructor the only list of its keys."""
    architecture = {key: arguments[key] for key in ARCHITECTURE}
    init, init_from = arguments["init"], arguments["init_from"]
    check_choice("model.init_from", init_from, ENCODERS)
    encoder = VideoViT(**architecture)
    if init is not None:
        pretrained, _ = load_encoder(init, init_from)  # a missing file or another task's is refused there
        _check_architecture(init, read_header(init)["hyper_parameters"]["model"], architecture, model_name)
        encoder.load_state_dict(pretrained.state_dict())
    if arguments["freeze_encoder"]:
        encoder.requires_grad_(False)
    return encoder


def _check_architecture(path: str | Path, pretrained: dict, wanted: dict, model_name: str) -> None:
    differing = [key for key in ARCHITECTURE if pretrained.get(key) != wanted[key]]
    if not differing:
        return
    theirs = ", ".join(f"{key}={pretrained.get(key)}" for key in differing)
    ours = ", ".join(f"{key}={wanted[key]}" for key in differing)
    fix = " ".join(f"{_FROM_DATA.get(key, 'model.' + key)}={pretrained.get(key)}" for key in differing)
    raise ConfigError(
        f"model.init {path}: its encoder has {theirs}, but this {model_name} has {ours}; "
        f"build the same encoder ({fix})"
    )
