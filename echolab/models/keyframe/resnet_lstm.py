"""ResNet+LSTM baseline: a timm CNN on every frame, a bidirectional LSTM over time, a per-frame head."""

from __future__ import annotations

import torch
from torch import nn

from echolab.models.backbones import create_backbone
from echolab.models.cnn_lstm import init_lstm_
from echolab.models.keyframe.base import KeyframeModel, check_outputs
from echolab.models.registry import register_model


@register_model("resnet_lstm", task="keyframe")
class ResNetLSTM(KeyframeModel):
    """ResNet per frame -> (bi)LSTM -> ED/ES logits for every frame."""

    reuses_frame_features = True

    def __init__(
        self,
        num_classes: int = 2,
        backbone: str = "resnet50",
        pretrained: bool = False,
        hidden: int = 256,
        layers: int = 1,
        bidirectional: bool = True,
        dropout: float = 0.5,
    ):
        super().__init__()
        check_outputs("resnet_lstm", num_classes)
        self.backbone, features = create_backbone(backbone, pretrained)
        self.lstm = nn.LSTM(
            features,
            hidden,
            num_layers=layers,
            batch_first=True,
            dropout=dropout if layers > 1 else 0.0,
            bidirectional=bidirectional,
        )
        init_lstm_(self.lstm)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden * (2 if bidirectional else 1), num_classes)

    def frame_features(self, frames: torch.Tensor) -> torch.Tensor:
        return self.backbone(frames)

    def temporal_head(self, features: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(self.lstm(features)[0]))
