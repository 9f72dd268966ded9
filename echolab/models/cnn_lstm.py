"""CNN-LSTM: a 2D CNN describes each frame, an LSTM reads the frames in order."""

import torch
from torch import nn

from echolab.errors import ConfigError
from echolab.models.backbones import create_backbone, encode_frames
from echolab.models.registry import register_model

READOUT_CHOICES = ("last", "mean")


def init_lstm_(lstm: nn.LSTM) -> None:
    """STFM's LSTM initialisation: Xavier input weights, orthogonal recurrent weights, forget-gate bias 1.

    PyTorch adds two bias vectors (input and recurrent); only the input one carries the forget-gate 1
    so the effective forget bias is exactly 1, which keeps the cell remembering early in training.
    """
    for name, parameter in lstm.named_parameters():
        if name.startswith("weight_ih"):
            nn.init.xavier_uniform_(parameter)
        elif name.startswith("weight_hh"):
            nn.init.orthogonal_(parameter)
        elif name.startswith("bias"):
            nn.init.zeros_(parameter)
            if name.startswith("bias_ih"):
                gate = lstm.hidden_size  # PyTorch gate order is input, forget, cell, output
                nn.init.ones_(parameter[gate : 2 * gate])


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
        if readout not in READOUT_CHOICES:
            raise ConfigError(f"cnn_lstm: readout must be one of {READOUT_CHOICES}, got {readout!r}")
        self.readout = readout
        self.backbone, num_features = create_backbone(backbone, pretrained)
        # Inter-layer dropout only exists with 2+ layers; PyTorch warns if it is set for one.
        self.lstm = nn.LSTM(
            num_features,
            hidden,
            num_layers=layers,
            batch_first=True,
            dropout=dropout if layers > 1 else 0.0,
            bidirectional=bidirectional,
        )
        init_lstm_(self.lstm)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(hidden * (2 if bidirectional else 1), num_classes)

    def forward(self, clip: torch.Tensor) -> torch.Tensor:
        outputs, (final_hidden, _) = self.lstm(encode_frames(self.backbone, clip))
        if self.readout == "mean":
            summary = outputs.mean(dim=1)
        else:
            directions = 2 if self.lstm.bidirectional else 1
            # final_hidden is (layers * directions, B, hidden); keep the top layer's directions.
            summary = torch.cat(list(final_hidden[-directions:]), dim=1)
        return self.classifier(self.dropout(summary))
