"""Video ViT view classifier: the pretraining encoder with a linear head on its CLS or mean token."""

from __future__ import annotations

import torch
from torch import nn

from echolab.errors import check_choice
from echolab.models.registry import register_model
from echolab.models.transfer import transfer_encoder

POOLS = ("cls", "mean")


@register_model("vit_video", task="view")
class ViTVideo(nn.Module):
    """Video ViT (tubelets, CLS token; models/pretrain/video_vit.py) -> CLS or mean token -> linear head.

    `init`: a pretraining checkpoint whose encoder (`init_from`: teacher or student) starts this one;
    `freeze_encoder`: train the head only. `frames` and `size` are the clips' (data.clip.frames, data.size).
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
        pool: str = "cls",
        dropout: float = 0.0,
        init: str | None = None,
        init_from: str = "teacher",
        freeze_encoder: bool = False,
    ):
        super().__init__()
        check_choice("model.pool", pool, POOLS)
        self.encoder = transfer_encoder("vit_video", locals())
        self.pool = pool
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(dim, num_classes)

    def forward(self, clips: torch.Tensor) -> torch.Tensor:
        """(B, C, T, H, W) clips -> (B, num_classes) logits."""
        tokens = self.encoder(clips)
        pooled = tokens[:, 0] if self.pool == "cls" else tokens[:, 1:].mean(1)
        return self.head(self.dropout(pooled))
