"""3D-CNN+LSTM baseline: 3D convolutions that keep every frame, then a bidirectional LSTM, then a head."""

from __future__ import annotations

import torch
from torch import nn

from echolab.models.keyframe.base import KeyframeModel, check_outputs
from echolab.models.registry import register_model
from echolab.models.sequence_lstm import SequenceLSTM


def _block(cin: int, cout: int) -> nn.Sequential:
    # Stride 1 in time: the head needs one feature vector per input frame.
    return nn.Sequential(
        nn.Conv3d(cin, cout, kernel_size=3, stride=(1, 2, 2), padding=1, bias=False),
        nn.BatchNorm3d(cout),
        nn.ReLU(inplace=True),
    )


@register_model("cnn3d_lstm", task="keyframe")
class CNN3DLSTM(KeyframeModel):
    """`len(channels)` 3x3x3 conv blocks (spatial stride 2, temporal stride 1) -> spatial mean -> (bi)LSTM.

    Its convolutions mix neighbouring frames, so a frame's features depend on the window it sits
    in: sliding-window inference runs the whole model once per window.
    """

    def __init__(
        self,
        num_classes: int = 2,
        channels: tuple[int, ...] = (32, 64, 128, 256),
        hidden: int = 256,
        layers: int = 1,
        bidirectional: bool = True,
        dropout: float = 0.5,
    ):
        super().__init__()
        check_outputs("cnn3d_lstm", num_classes)
        widths = [3, *channels]
        self.features = nn.Sequential(*(_block(a, b) for a, b in zip(widths, widths[1:], strict=False)))
        self.lstm = SequenceLSTM(
            widths[-1], hidden, layers=layers, dropout=dropout, bidirectional=bidirectional
        )
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(self.lstm.output_size, num_classes)

    def forward(self, clip: torch.Tensor) -> torch.Tensor:
        per_frame = self.features(clip).mean(dim=(3, 4)).transpose(1, 2)  # B, T, C
        return self.head(self.dropout(self.lstm(per_frame)))
