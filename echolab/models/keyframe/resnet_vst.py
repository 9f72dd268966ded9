"""ResNet+VST (REFERENCE §2): a timm CNN on every frame, a temporal Video Swin stage, a per-frame head."""

from __future__ import annotations

import torch
from torch import nn

from echolab.models.keyframe.base import PerFrameCNNKeyframeModel
from echolab.models.keyframe.temporal_swin import TemporalSwin
from echolab.models.registry import register_model


@register_model("resnet_vst", task="keyframe")
class ResNetVST(PerFrameCNNKeyframeModel):
    """ResNet per frame -> linear projection to `dim` -> shifted-window attention over time -> ED/ES logits.

    The paper uses ResNet50 (ImageNet), a Video Swin stage over 16-frame clips and dropout 0.5.
    """

    def __init__(
        self,
        num_classes: int = 2,
        backbone: str = "resnet50",
        pretrained: bool = False,
        dim: int = 256,
        depth: int = 2,
        heads: int = 8,
        window: int = 8,
        mlp_ratio: float = 4.0,
        attention_dropout: float = 0.0,
        dropout: float = 0.5,
    ):
        super().__init__("resnet_vst", num_classes, backbone, pretrained)
        self.project = nn.Linear(self.frame_dim, dim)
        self.temporal = TemporalSwin(dim, depth, heads, window, mlp_ratio, attention_dropout)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(dim, num_classes)

    def temporal_head(self, features: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(self.temporal(self.project(features))))
