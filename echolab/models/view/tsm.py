"""Temporal Shift Module network (Lin, Gan & Han, ICCV 2019): a 2D ResNet that sees motion.

Inside every residual block, before its first convolution, a fraction of the channels is shifted one
frame forward in time and another fraction one frame back (zeros enter at the clip's ends), so each
frame's features mix with its neighbours' at the cost of a 2D CNN. Motion direction becomes a local
pattern the convolutions can learn, which a CNN that pools each frame before fusing time (CNN-LSTM)
struggles to recover.

With `frame_difference`, every frame enters the network together with its difference from the
previous frame (six input channels: the "RGB difference" modality of temporal segment networks), so
motion is visible to the very first convolution instead of only after the first shift.
"""

import torch
from torch import nn

from echolab.errors import ConfigError
from echolab.models.backbones import create_backbone, with_frame_differences
from echolab.models.registry import register_model


class TemporalShift(nn.Module):
    """Shift 1/fold_div of the channels forward and 1/fold_div backward in time, then run `inner`."""

    def __init__(self, inner: nn.Module, fold_div: int = 8):
        super().__init__()
        self.inner, self.fold_div = inner, fold_div
        self.frames = 1  # set by TSM.forward for the clip at hand

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        frames_batch, channels, height, width = x.shape
        x = x.view(frames_batch // self.frames, self.frames, channels, height, width)
        fold = channels // self.fold_div
        shifted = torch.zeros_like(x)
        shifted[:, 1:, :fold] = x[:, :-1, :fold]  # features from the previous frame
        shifted[:, :-1, fold : 2 * fold] = x[:, 1:, fold : 2 * fold]  # features from the next frame
        shifted[:, :, 2 * fold :] = x[:, :, 2 * fold :]
        return self.inner(shifted.view(frames_batch, channels, height, width))


@register_model("tsm", task="view")
class TSM(nn.Module):
    """TSM-ResNet: a timm ResNet with residual temporal shifts; clip logits = mean over frames."""

    def __init__(
        self,
        num_classes: int,
        backbone: str = "resnet18",
        pretrained: bool = False,
        dropout: float = 0.3,
        fold_div: int = 8,
        frame_difference: bool = False,
    ):
        super().__init__()
        self.frame_difference = frame_difference
        in_chans = 6 if frame_difference else 3
        self.backbone, num_features = create_backbone(backbone, pretrained, in_chans=in_chans)
        self.shifts = self._insert_shifts(backbone, fold_div)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(num_features, num_classes)

    def _insert_shifts(self, name: str, fold_div: int) -> list[TemporalShift]:
        shifts = []
        for stage in ("layer1", "layer2", "layer3", "layer4"):
            for block in getattr(self.backbone, stage, ()):
                block.conv1 = TemporalShift(block.conv1, fold_div)
                shifts.append(block.conv1)
        if not shifts:
            raise ConfigError(
                f"tsm: backbone '{name}' is not a ResNet (no layer1..layer4 residual blocks); "
                "use resnet10t, resnet18, resnet34 or resnet50"
            )
        return shifts

    def forward(self, clip: torch.Tensor) -> torch.Tensor:
        if self.frame_difference:
            clip = with_frame_differences(clip)
        batch, channels, frames, height, width = clip.shape
        for shift in self.shifts:
            shift.frames = frames
        images = clip.transpose(1, 2).reshape(batch * frames, channels, height, width)
        features = self.backbone(images).view(batch, frames, -1).mean(1)
        return self.classifier(self.dropout(features))
