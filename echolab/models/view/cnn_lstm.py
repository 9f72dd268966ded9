"""CNN-LSTM: a 2D CNN describes each frame, an LSTM reads the frames in order."""

import torch
from torch import nn

from echolab.errors import check_choice
from echolab.models.backbones import create_backbone, encode_frames
from echolab.models.registry import register_model
from echolab.models.sequence_lstm import SequenceLSTM

READOUT_CHOICES = ("last", "mean")


@register_model("cnn_lstm", task="view")
class CNNLSTM(nn.Module):
    """2D CNN on every frame, then an LSTM over the frame features, then a linear classifier.

    readout="last" classifies the LSTM state after the last frame (for a bidirectional LSTM, the
    forward state after the last frame joined with the backward state after the first);
    readout="mean" averages the LSTM outputs over time. `dropout` is applied between LSTM layers
    and before the classifier.
    """

    def __init__(
        self,
        num_classes: int,
        backbone: str = "resnet18",
        pretrained: bool = False,
        hidden: int = 256,
        layers: int = 1,
        dropout: float = 0.3,
        bidirectional: bool = False,
        readout: str = "last",
    ):
        super().__init__()
        check_choice("cnn_lstm: readout", readout, READOUT_CHOICES)
        self.backbone, num_features = create_backbone(backbone, pretrained)
        self.lstm = SequenceLSTM(
            num_features, hidden, layers=layers, dropout=dropout, bidirectional=bidirectional, readout=readout
        )
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(self.lstm.output_size, num_classes)

    def forward(self, clip: torch.Tensor) -> torch.Tensor:
        summary = self.lstm(encode_frames(self.backbone, clip))
        return self.classifier(self.dropout(summary))
