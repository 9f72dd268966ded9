"""Where a probe's features come from (an "arm" of a comparison): raw pixels, a randomly initialised
encoder, or a pretraining checkpoint's encoders. Every arm goes through the same probes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import torch
from torch import nn

from echolab.data.clips import ClipSpec
from echolab.data.records import VideoRecord
from echolab.errors import EcholabError
from echolab.io.cache import FrameCache
from echolab.models import create_model
from echolab.models.pretrain.load import load_encoder, load_image_teacher, trains_cls
from echolab.probe.features import encoder_features, pixel_features
from echolab.probe.perturb import Perturbation
from echolab.tasks.pretrain.datamodule import eval_transform, pretrain_preprocess
from echolab.tasks.pretrain.module import encoder_config


class Arm(Protocol):
    name: str  # checkpoint | random | pixels
    description: str  # one line for the summary
    cache_size: int | None  # frames decoded at this size (an encoder's own); None: the experiment's
    feature_keys: list[str]  # the feature sets it gives, the headline first

    def record(self) -> dict:
        """What config.yaml and metrics.json say about the arm."""

    def features(
        self, records: list[VideoRecord], cache: FrameCache, *, perturb: Perturbation | None = None, desc: str
    ) -> dict[str, np.ndarray]:
        """One (N, D) array per feature set, a row per record, in order."""


@dataclass
class PixelArm:
    """The issue's baseline: per-pixel temporal mean and standard deviation of small grey frames."""

    size: int = 16
    name: str = "pixels"
    cache_size: int | None = None

    @property
    def description(self) -> str:
        return f"raw pixels (temporal mean and std of {self.size}x{self.size} grey frames)"

    @property
    def feature_keys(self) -> list[str]:
        return ["pixels"]

    def record(self) -> dict:
        return {"name": self.name, "pixel_size": self.size}

    def features(
        self, records: list[VideoRecord], cache: FrameCache, *, perturb: Perturbation | None = None, desc: str
    ) -> dict[str, np.ndarray]:
        return pixel_features(records, cache, size=self.size, perturb=perturb, desc=desc)


@dataclass
class EncoderArm:
    """Frozen video encoders, each giving its CLS token and its mean patch token, on clips made as
    `preprocess` says (the pretraining checkpoint's own, or for a random init the experiment's)."""

    name: str
    description: str
    encoders: dict[str, nn.Module]  # "teacher", "student", "image_teacher" or "random" -> encoder (eval mode)
    preprocess: dict
    clips: int
    batch_size: int
    checkpoint: str | None = None
    pools: tuple[str, ...] = ("cls", "mean")  # the first is the headline token

    @property
    def cache_size(self) -> int | None:
        return self.preprocess["cache_size"]

    @property
    def feature_keys(self) -> list[str]:
        return [f"{which}/{pool}" for which in self.encoders for pool in self.pools]

    def record(self) -> dict:
        return {
            "name": self.name,
            "checkpoint": self.checkpoint,
            "encoders": list(self.encoders),
            "preprocess": self.preprocess,
        }

    def features(
        self, records: list[VideoRecord], cache: FrameCache, *, perturb: Perturbation | None = None, desc: str
    ) -> dict[str, np.ndarray]:
        return encoder_features(
            self.encoders,
            records,
            cache,
            spec=ClipSpec(**self.preprocess["clip"]),
            transform=eval_transform(self.preprocess),
            clips=self.clips,
            batch_size=self.batch_size,
            perturb=perturb,
            desc=desc,
        )


def checkpoint_arm(path: str | Path, cfg: dict) -> EncoderArm:
    """The encoders of a pretraining checkpoint: the EMA teacher first (the encoder DINO-style methods
    evaluate and release), then the student (the one DISCOVR's kNN read, N10), then DISCOVR's image
    teacher frame by frame (`image_teacher`) where the run had one: image DINO trains only that one.
    The headline token is the CLS where a loss trained it (video DINO), else the mean patch token."""
    teacher, preprocess = load_encoder(path, "teacher")
    student, _ = load_encoder(path, "student")
    encoders = {"teacher": teacher, "student": student}
    image_teacher = load_image_teacher(path)
    if image_teacher is not None:
        encoders["image_teacher"] = image_teacher
    return EncoderArm(
        "checkpoint",
        f"pretrained encoders of {path} (EMA teacher and student{', image teacher' if image_teacher else ''})",
        encoders,
        preprocess,
        cfg["probe"]["clips"],
        cfg["probe"]["batch_size"],
        checkpoint=str(path),
        pools=("cls", "mean") if trains_cls(path) else ("mean", "cls"),
    )


def random_arm(cfg: dict) -> EncoderArm:
    """A randomly initialised encoder of the pretraining experiment's own `model:` block (the same
    architecture and clips as its checkpoints), drawn with the experiment's seed."""
    if cfg["task"]["name"] != "pretrain":
        raise EcholabError(
            f"ckpt=random builds the encoder of a pretraining experiment's model: block; {cfg['exp']} is a "
            f"{cfg['task']['name']} experiment. Pass exp= a pretraining experiment (e.g. discovr_synthetic)"
        )
    model = encoder_config(cfg)
    torch.manual_seed(cfg["seed"])
    encoder = create_model(model.pop("name"), task="pretrain", **model).eval()
    return EncoderArm(
        "random",
        f"a random-init {cfg['model']['name']} (seed {cfg['seed']})",
        {"random": encoder},
        pretrain_preprocess(cfg["data"]),
        cfg["probe"]["clips"],
        cfg["probe"]["batch_size"],
    )


def choose_arm(ckpt: str | None, features: str | None, cfg: dict) -> Arm:
    """The arm the command words name: ckpt=PATH, ckpt=random or features=pixels (exactly one)."""
    if (ckpt is None) == (features is None):
        raise EcholabError(
            "name exactly one arm: ckpt=PATH (a pretraining checkpoint), ckpt=random (a random-init encoder "
            "of the experiment's model: block) or features=pixels (raw pixels)"
        )
    if features is not None:
        if features != "pixels":
            raise EcholabError(f"features={features} is unknown; features=pixels is the raw-pixel arm")
        return PixelArm(size=cfg["probe"]["pixel_size"])
    return random_arm(cfg) if ckpt == "random" else checkpoint_arm(ckpt, cfg)
