"""What an exported network is made of: one part (clips -> logits), or a keyframe model's two halves.

A keyframe model with a per-frame CNN (`reuses_frame_features`) is exported as its two halves, the
CNN (frames -> features) and the temporal head (a window of features -> per-frame logits), so
sliding-window inference keeps running the CNN once per frame (tasks/keyframe/sliding_window.py).
Every part takes a float32 tensor whose first axis (the batch) may be of any size.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from echolab.tasks.keyframe.datamodule import clip_frames

EXAMPLE_BATCH = 2  # traced / exported with this batch; the batch axis stays free


@dataclass(frozen=True)
class Part:
    name: str  # the sidecar's key: model | frame_features | temporal_head
    method: str  # the network's method it runs
    input: str  # names of the input and the output in the exported graph
    output: str
    layout: str  # of the input
    example: torch.Tensor  # an input of EXAMPLE_BATCH items

    def inputs(self, batch: int, generator: torch.Generator) -> torch.Tensor:
        """A random input of `batch` items, shaped like the example."""
        return torch.randn((batch, *self.example.shape[1:]), generator=generator)


def network_parts(task: str, network: nn.Module, preprocess: dict) -> list[Part]:
    """The parts of a task's network, with example inputs shaped by the checkpoint's preprocessing."""
    generator = torch.Generator().manual_seed(0)
    size = preprocess["size"]
    if task == "view":
        frames = preprocess["clip"]["frames"]
        clips = torch.randn(EXAMPLE_BATCH, 3, frames, size, size, generator=generator)
        return [Part("model", "forward", "clips", "logits", "NCTHW", clips)]
    window = clip_frames(preprocess)
    if not network.reuses_frame_features:
        clips = torch.randn(EXAMPLE_BATCH, 3, window, size, size, generator=generator)
        return [Part("model", "forward", "clips", "logits", "NCTHW", clips)]
    frames = torch.randn(EXAMPLE_BATCH, 3, size, size, generator=generator)
    with torch.no_grad():
        width = network.frame_features(frames).shape[-1]
    features = torch.randn(EXAMPLE_BATCH, window, width, generator=generator)
    return [
        Part("frame_features", "frame_features", "frames", "features", "NCHW", frames),
        Part("temporal_head", "temporal_head", "features", "logits", "NTD", features),
    ]


class MethodAsForward(nn.Module):
    """One method of a network as a module's forward (ONNX exports one graph per forward)."""

    def __init__(self, network: nn.Module, method: str):
        super().__init__()
        self.network, self.method = network, method

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return getattr(self.network, self.method)(x)


def as_module(network: nn.Module, part: Part) -> nn.Module:
    return network if part.method == "forward" else MethodAsForward(network, part.method)
