"""What every keyframe model provides: per-frame ED/ES logits for a clip, split where it can be.

A model whose first stage sees one frame at a time (a 2D CNN) says so with
`reuses_frame_features = True` and exposes the two halves: `frame_features` (images -> vectors)
and `temporal_head` (a sequence of vectors -> per-frame logits). Sliding-window inference then
runs the CNN once per frame and only the temporal half once per window.
"""

from __future__ import annotations

import torch
from torch import nn

from echolab.models.backbones import create_backbone

KEYFRAME_OUTPUTS = 2  # ED and ES


class KeyframeModel(nn.Module):
    """(B, C, T, H, W) clip -> (B, T, 2) logits of the ED and ES curves (sigmoid gives the curves)."""

    reuses_frame_features = False

    def frame_features(self, frames: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) images -> (N, D) features; only for models that reuse frame features."""
        raise NotImplementedError(f"{type(self).__name__} has no per-frame stage")

    def temporal_head(self, features: torch.Tensor) -> torch.Tensor:
        """(B, T, D) frame features -> (B, T, 2) logits; only for models that reuse frame features."""
        raise NotImplementedError(f"{type(self).__name__} has no per-frame stage")

    def forward(self, clip: torch.Tensor) -> torch.Tensor:
        batch, channels, frames, height, width = clip.shape
        images = clip.transpose(1, 2).reshape(batch * frames, channels, height, width)
        return self.temporal_head(self.frame_features(images).view(batch, frames, -1))


class PerFrameCNNKeyframeModel(KeyframeModel):
    """A timm CNN on every frame (`self.backbone`, `self.frame_dim` features) under a temporal head
    the subclass builds; the CNN's features are reused across sliding windows."""

    reuses_frame_features = True

    def __init__(self, name: str, num_classes: int, backbone: str, pretrained: bool):
        super().__init__()
        check_outputs(name, num_classes)
        self.backbone, self.frame_dim = create_backbone(backbone, pretrained)

    def frame_features(self, frames: torch.Tensor) -> torch.Tensor:
        return self.backbone(frames)


def check_outputs(name: str, num_classes: int) -> None:
    if num_classes != KEYFRAME_OUTPUTS:
        raise ValueError(f"{name} predicts the ED and ES curves: num_classes must be 2, got {num_classes}")
