"""ResNet+LSTM baseline: a timm CNN on every frame, a bidirectional LSTM over time, a per-frame head."""

from __future__ import annotations

import torch
from torch import nn

from echolab.models.keyframe.base import PerFrameCNNKeyframeModel
from echolab.models.registry import register_model
from echolab.models.sequence_lstm import SequenceLSTM


@register_model("resnet_lstm", task="keyframe")
class ResNetLSTM(PerFrameCNNKeyframeModel):
    """ResNet per frame -> (bi)LSTM -> ED/ES logits for every frame."""

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
        super().__init__("resnet_lstm", num_classes, backbone, pretrained)
        self.lstm = SequenceLSTM(
            self.frame_dim, hidden, layers=layers, dropout=dropout, bidirectional=bidirectional
        )
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(self.lstm.output_size, num_classes)

    def temporal_head(self, features: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(self.lstm(features)))
