"""Video Swin Transformer (torchvision's SwinTransformer3d), with Kinetics-400 weights for the standard sizes."""

from collections.abc import Sequence

import torch
from torch import nn
from torchvision.models.video import Swin3D_B_Weights, Swin3D_S_Weights, Swin3D_T_Weights
from torchvision.models.video.swin_transformer import SwinTransformer3d

from echolab.errors import ConfigError, check_choice
from echolab.models.pretrained import load_all_but_head, load_state_dict_from_url
from echolab.models.registry import register_model

# Video Swin's T/S/B sizes (Liu et al. 2022), as torchvision builds them.
SWIN3D_VARIANTS = {
    "t": {"embed_dim": 96, "depths": (2, 2, 6, 2), "num_heads": (3, 6, 12, 24), "weights": Swin3D_T_Weights},
    "s": {"embed_dim": 96, "depths": (2, 2, 18, 2), "num_heads": (3, 6, 12, 24), "weights": Swin3D_S_Weights},
    "b": {
        "embed_dim": 128,
        "depths": (2, 2, 18, 2),
        "num_heads": (4, 8, 16, 32),
        "weights": Swin3D_B_Weights,
    },
}


@register_model("video_swin", task="view")
class VideoSwin(nn.Module):
    """Video Swin Transformer: shifted 3D-window attention over 2x4x4 patches, four stages, average pool.

    `variant` (t | s | b) gives the published sizes and their Kinetics-400 weights (pretrained=True).
    `embed_dim`, `depths` and `num_heads`, when set, replace the variant's to make a smaller network
    (a CPU-sized Video Swin); such a network has no pretrained weights. Windows larger than the
    token grid shrink to it, and the grid is padded to whole windows, so any clip size works.
    """

    def __init__(
        self,
        num_classes: int,
        variant: str = "t",
        pretrained: bool = False,
        embed_dim: int | None = None,
        depths: Sequence[int] | None = None,
        num_heads: Sequence[int] | None = None,
        window_size: Sequence[int] = (8, 7, 7),
        dropout: float = 0.5,
        drop_path: float = 0.1,
    ):
        super().__init__()
        check_choice("video_swin: variant", variant, SWIN3D_VARIANTS)
        size = SWIN3D_VARIANTS[variant]
        custom = {
            k: v for k, v in {"embed_dim": embed_dim, "depths": depths, "num_heads": num_heads}.items() if v
        }
        if custom and pretrained:
            raise ConfigError(
                f"video_swin: pretrained weights exist only for the standard sizes; "
                f"drop {sorted(custom)} or set model.pretrained=false"
            )
        embed_dim = embed_dim or size["embed_dim"]
        depths = list(depths or size["depths"])
        num_heads = list(num_heads or size["num_heads"])
        if len(depths) != len(num_heads):
            raise ConfigError(
                f"video_swin: depths {depths} and num_heads {num_heads} need one entry per stage"
            )
        for stage, heads in enumerate(num_heads):
            if (embed_dim * 2**stage) % heads:
                raise ConfigError(
                    f"video_swin: stage {stage} has {embed_dim * 2**stage} channels, "
                    f"not divisible by num_heads[{stage}]={heads}"
                )
        self.net = SwinTransformer3d(
            patch_size=[2, 4, 4],
            embed_dim=embed_dim,
            depths=depths,
            num_heads=num_heads,
            window_size=list(window_size),
            stochastic_depth_prob=drop_path,
            num_classes=num_classes,
        )
        self.net.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(self.net.head.in_features, num_classes))
        if pretrained:
            name = f"swin3d_{variant}"
            state_dict = load_state_dict_from_url(size["weights"].KINETICS400_V1.url, name)
            load_all_but_head(self.net, state_dict, "head.", name)

    def forward(self, clip: torch.Tensor) -> torch.Tensor:
        return self.net(clip)
