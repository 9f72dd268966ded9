"""Video ViT keyframe model: the pretraining encoder's tokens, pooled over space, give each frame's ED/ES."""

from __future__ import annotations

import torch
from torch import nn

from echolab.models.keyframe.base import KeyframeModel, check_outputs
from echolab.models.registry import register_model
from echolab.models.transfer import transfer_encoder


@register_model("vit_keyframe", task="keyframe")
class ViTKeyframe(KeyframeModel):
    """Video ViT (models/pretrain/video_vit.py) -> patch tokens averaged over space, one vector per tubelet
    -> a linear head giving the ED and ES logits of each of the tubelet's frames.

    Every token attends to every frame of the window, so no per-frame features can be shared between
    overlapping windows (`reuses_frame_features` stays False): sliding-window inference runs the whole
    model once per window. `init`, `init_from` and `freeze_encoder` as for vit_video; `frames` is the
    window (data.clip.frames) and `size` the input size (data.size).
    """

    def __init__(
        self,
        num_classes: int,
        frames: int,
        size: int,
        patch: int = 16,
        tubelet: int = 2,
        dim: int = 768,
        depth: int = 12,
        heads: int = 12,
        mlp_ratio: float = 4.0,
        dropout: float = 0.0,
        init: str | None = None,
        init_from: str = "teacher",
        freeze_encoder: bool = False,
    ):
        super().__init__()
        check_outputs("vit_keyframe", num_classes)
        self.encoder = transfer_encoder("vit_keyframe", locals())
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(dim, tubelet * num_classes)

    def forward(self, clip: torch.Tensor) -> torch.Tensor:
        """(B, C, T, H, W) clip -> (B, T, 2) logits of the ED and ES curves."""
        batch, frames = clip.shape[0], clip.shape[2]
        t, h, w = self.encoder.grid
        patches = self.encoder(clip)[:, 1:].reshape(batch, t, h * w, -1)
        per_tubelet = self.head(self.dropout(patches.mean(2)))  # (B, t, tubelet * 2)
        return per_tubelet.reshape(batch, frames, -1)
