"""STFM: the dual-stream spatio-temporal fusion model of the STFM paper (REFERENCE §1.2)."""

from __future__ import annotations

import torch
from torch import nn

from echolab.errors import ConfigError
from echolab.models.backbones import create_backbone, with_frame_differences
from echolab.models.registry import register_model
from echolab.models.sequence_lstm import SequenceLSTM


def _conv_bn(in_channels: int, out_channels: int, kernel: int, stride: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel, stride, padding=kernel // 2, bias=False),
        nn.BatchNorm2d(out_channels),
    )


class _ResidualBlock(nn.Module):
    """Two 3×3 convolutions (the first strided) with a 1×1 strided projection shortcut."""

    def __init__(self, in_channels: int, out_channels: int, stride: int = 2):
        super().__init__()
        self.body = nn.Sequential(
            _conv_bn(in_channels, out_channels, 3, stride),
            nn.ReLU(inplace=True),
            _conv_bn(out_channels, out_channels, 3, 1),
        )
        self.shortcut = _conv_bn(in_channels, out_channels, 1, stride)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.body(x) + self.shortcut(x))


def _stem_stage(backbone: nn.Module) -> int:
    """The first feature stage at 1/4 resolution or coarser: ResNet layer1, ConvNeXt stage 0,
    DenseNet block 1, MobileNetV3 / EfficientNetV2 block 1, ViT block 0."""
    for index, info in enumerate(backbone.feature_info):
        if info["reduction"] >= 4:
            return index
    return len(backbone.feature_info) - 1


@register_model("stfm", task="view")
class STFM(nn.Module):
    """Dual-stream CNN-LSTM: a spatial stream on the centre frame, a temporal stream over all frames.

    A shared ImageNet stem (the backbone's first stages) describes every frame of the clip. The
    spatial stream is the whole backbone on the centre frame (index T // 2) -> pool -> dropout 0.3 ->
    Linear -> `embed_dim`. The temporal stream turns each frame's stem map into a 64-d vector (conv
    3×3/2 to 32 channels, residual blocks to 48 and 64 channels, global pool, dropout 0.2), runs an
    LSTM (`lstm_layers` layers of `lstm_hidden`, dropout 0.3) over the frames and projects its last
    step (dropout 0.3 -> Linear -> `embed_dim`). The head: concat -> dropout 0.5 -> Linear ->
    `embed_dim` -> ReLU -> dropout 0.3 -> Linear -> K logits.

    The stem of the centre frame is computed again inside the spatial stream's backbone pass (one
    extra frame of stem compute): this keeps the split generic over every timm backbone, and the
    stem's weights are the same module in both streams.
    `stem_stage` picks the stem's end by timm feature index (null: the first stage at 1/4 resolution).
    `temporal_stream: false` is the spatial-only ablation.
    `frame_difference: true` (not in the paper) feeds every frame with its difference from the
    previous clip frame (six input channels, as the TSM option), so both streams see motion at the
    first convolution.
    """

    def __init__(
        self,
        num_classes: int,
        backbone: str = "resnet18",
        pretrained: bool = False,
        temporal_stream: bool = True,
        stem_stage: int | None = None,
        lstm_hidden: int = 512,
        lstm_layers: int = 2,
        embed_dim: int = 128,
        frame_difference: bool = False,
    ):
        super().__init__()
        self.frame_difference = frame_difference
        self.backbone, num_features = create_backbone(
            backbone, pretrained, in_chans=6 if frame_difference else 3
        )
        self.spatial = nn.Sequential(nn.Dropout(0.3), nn.Linear(num_features, embed_dim))
        self.temporal_stream = temporal_stream
        streams = 1
        if temporal_stream:
            stages = len(self.backbone.feature_info)
            self.stem_stage = _stem_stage(self.backbone) if stem_stage is None else stem_stage
            if not 0 <= self.stem_stage < stages:
                raise ConfigError(
                    f"stfm: stem_stage must be in 0..{stages - 1} for backbone {backbone}, got {stem_stage}"
                )
            stem_channels = self.backbone.feature_info[self.stem_stage]["num_chs"]
            self.frame_encoder = nn.Sequential(
                _conv_bn(stem_channels, 32, 3, 2),
                nn.ReLU(inplace=True),
                _ResidualBlock(32, 48),
                _ResidualBlock(48, 64),
                nn.AdaptiveAvgPool2d(1),
                nn.Flatten(),
                nn.Dropout(0.2),
            )
            self.lstm = SequenceLSTM(64, lstm_hidden, layers=lstm_layers, dropout=0.3, readout="last")
            self.temporal = nn.Sequential(nn.Dropout(0.3), nn.Linear(self.lstm.output_size, embed_dim))
            streams = 2
        self.head = nn.Sequential(
            nn.Dropout(0.5),
            nn.Linear(streams * embed_dim, embed_dim),
            nn.ReLU(inplace=True),
            nn.Dropout(0.3),
            nn.Linear(embed_dim, num_classes),
        )
        for module in (self.spatial, self.head, *((self.temporal,) if temporal_stream else ())):
            for layer in module.modules():
                if isinstance(layer, nn.Linear):
                    nn.init.xavier_normal_(layer.weight)
                    nn.init.zeros_(layer.bias)

    def forward(self, clip: torch.Tensor) -> torch.Tensor:
        if self.frame_difference:
            clip = with_frame_differences(clip)
        batch, channels, frames, height, width = clip.shape
        features = [self.spatial(self.backbone(clip[:, :, frames // 2]))]
        if self.temporal_stream:
            frames_as_images = clip.transpose(1, 2).reshape(batch * frames, channels, height, width)
            (stem,) = self.backbone.forward_intermediates(
                frames_as_images, indices=[self.stem_stage], intermediates_only=True, stop_early=True
            )
            per_frame = self.frame_encoder(stem).reshape(batch, frames, -1)
            features.append(self.temporal(self.lstm(per_frame)))
        return self.head(torch.cat(features, dim=1))
