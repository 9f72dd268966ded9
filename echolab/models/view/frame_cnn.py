"""Single-frame baseline: a 2D image CNN that ignores motion."""

import torch
from torch import nn

from echolab.errors import check_choice
from echolab.models.backbones import create_backbone, encode_frames
from echolab.models.registry import register_model

FRAME_CHOICES = ("centre", "all")


@register_model("frame_cnn", task="view")
class FrameCNN(nn.Module):
    """2D CNN on the centre frame of the clip, or the mean of per-frame logits with frames="all".

    The centre frame is index T // 2 (for an even T, the later of the two middle frames).
    """

    def __init__(
        self,
        num_classes: int,
        backbone: str = "resnet18",
        pretrained: bool = False,
        dropout: float = 0.2,
        frames: str = "centre",
    ):
        super().__init__()
        check_choice("frame_cnn: frames", frames, FRAME_CHOICES)
        self.frames = frames
        self.backbone, num_features = create_backbone(backbone, pretrained)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(num_features, num_classes)

    def forward(self, clip: torch.Tensor) -> torch.Tensor:
        if self.frames == "centre":
            centre = clip[:, :, clip.shape[2] // 2]
            return self.classifier(self.dropout(self.backbone(centre)))
        per_frame_logits = self.classifier(self.dropout(encode_frames(self.backbone, clip)))
        return per_frame_logits.mean(dim=1)
