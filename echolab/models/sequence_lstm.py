"""The LSTM that reads a sequence of per-frame feature vectors, shared by the CNN-LSTM-style models."""

from __future__ import annotations

import torch
from torch import nn

from echolab.errors import check_choice

READOUTS = ("frames", "last", "mean")


class SequenceLSTM(nn.LSTM):
    """A batch-first (bi)LSTM over (B, T, input_size) frame features with STFM's initialisation.

    It subclasses nn.LSTM rather than wrapping one so that a model's `lstm.weight_ih_l0`-style
    checkpoint keys stay as they were, and FLOP counting still sees an nn.LSTM.

    readout picks what forward returns:
    - "frames": the top layer's output at every frame, (B, T, output_size);
    - "last": the state after the whole sequence, (B, output_size): for a bidirectional LSTM the
      forward state after the last frame joined with the backward state after the first;
    - "mean": the top layer's outputs averaged over time, (B, output_size).
    `dropout` acts between stacked layers only, so a single layer gets none (PyTorch would warn).
    """

    def __init__(
        self,
        input_size: int,
        hidden: int,
        layers: int = 1,
        dropout: float = 0.0,
        bidirectional: bool = False,
        readout: str = "frames",
    ):
        check_choice("SequenceLSTM: readout", readout, READOUTS)
        super().__init__(
            input_size,
            hidden,
            num_layers=layers,
            batch_first=True,
            dropout=dropout if layers > 1 else 0.0,
            bidirectional=bidirectional,
        )
        self.readout = readout

    @property
    def output_size(self) -> int:
        return self.hidden_size * (2 if self.bidirectional else 1)

    def reset_parameters(self) -> None:
        """STFM's LSTM initialisation: Xavier input weights, orthogonal recurrent weights, forget-gate bias 1.

        nn.LSTM's own uniform draw runs first, so the random stream (and every seeded model built
        before this layer existed) stays the same. PyTorch adds two bias vectors (input and
        recurrent); only the input one carries the forget-gate 1 so the effective forget bias is
        exactly 1, which keeps the cell remembering early in training.
        """
        super().reset_parameters()
        for name, parameter in self.named_parameters():
            if name.startswith("weight_ih"):
                nn.init.xavier_uniform_(parameter)
            elif name.startswith("weight_hh"):
                nn.init.orthogonal_(parameter)
            elif name.startswith("bias"):
                nn.init.zeros_(parameter)
                if name.startswith("bias_ih"):
                    gate = self.hidden_size  # PyTorch gate order is input, forget, cell, output
                    nn.init.ones_(parameter[gate : 2 * gate])

    def forward(self, sequence: torch.Tensor) -> torch.Tensor:
        outputs, (final_hidden, _) = super().forward(sequence)
        if self.readout == "frames":
            return outputs
        if self.readout == "mean":
            return outputs.mean(dim=1)
        directions = 2 if self.bidirectional else 1
        # final_hidden is (layers * directions, B, hidden); keep the top layer's directions.
        return torch.cat(list(final_hidden[-directions:]), dim=1)
