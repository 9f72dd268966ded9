"""3D CNN video classifiers (X3D, R(2+1)D), with adaptive pooling so any clip length and size works."""

import warnings

import torch

# pytorchvideo 0.1.5 scripts a helper with torch.jit at import time, which torch >= 2.10 warns about.
warnings.filterwarnings("ignore", message=r"`torch\.jit\.script` is deprecated", category=FutureWarning)
from pytorchvideo.models.hub.r2plus1d import checkpoint_paths as r2plus1d_checkpoints  # noqa: E402
from pytorchvideo.models.hub.x3d import checkpoint_paths as x3d_checkpoints  # noqa: E402
from pytorchvideo.models.r2plus1d import create_r2plus1d  # noqa: E402
from pytorchvideo.models.x3d import create_x3d  # noqa: E402
from torch import nn  # noqa: E402
from torchvision.models.video import R2Plus1D_18_Weights, r2plus1d_18  # noqa: E402

from echolab.errors import check_choice  # noqa: E402
from echolab.models.pretrained import load_all_but_head, load_state_dict_from_url  # noqa: E402
from echolab.models.registry import register_model  # noqa: E402

# X3D-XS, -S and -M are one network trained at different clip sizes (4x160, 13x160, 16x224);
# X3D-L is deeper. The variant picks the depth and which Kinetics-400 weights to load.
X3D_DEPTH_FACTORS = {"xs": 2.2, "s": 2.2, "m": 2.2, "l": 5.0}
R2PLUS1D_DEPTHS = (18, 50)


@register_model("x3d", task="view")
class X3D(nn.Module):
    """X3D (pytorchvideo), Kinetics-400 weights with pretrained=True; variant is one of xs, s, m, l."""

    def __init__(self, num_classes: int, variant: str = "s", pretrained: bool = False, dropout: float = 0.5):
        super().__init__()
        check_choice("x3d: variant", variant, X3D_DEPTH_FACTORS)
        # head_activation=None: pytorchvideo defaults to softmax, the losses expect logits.
        self.net = create_x3d(
            model_num_class=num_classes,
            dropout_rate=dropout,
            depth_factor=X3D_DEPTH_FACTORS[variant],
            head_activation=None,
        )
        head = self.net.blocks[-1]
        # pytorchvideo sizes this pool's kernel for one clip shape; adaptive pooling takes any.
        head.pool.pool = nn.AdaptiveAvgPool3d(1)
        if pretrained:
            checkpoint = load_state_dict_from_url(x3d_checkpoints[f"x3d_{variant}"], f"x3d_{variant}")
            load_all_but_head(self.net, checkpoint["model_state"], "blocks.5.proj.", f"x3d_{variant}")

    def forward(self, clip: torch.Tensor) -> torch.Tensor:
        return self.net(clip)


@register_model("r2plus1d", task="view")
class R2Plus1D(nn.Module):
    """R(2+1)D: depth 18 from torchvision, depth 50 from pytorchvideo; Kinetics-400 weights with pretrained=True.

    Depth 18 is torchvision's r2plus1d_18, the model EchoNet-Dynamic fine-tuned on echo videos
    (31.5 M parameters). Depth 50 is pytorchvideo's bottleneck R(2+1)D-50, the only other depth with
    published Kinetics weights. Both end in global average pooling, so any clip size works.
    """

    def __init__(self, num_classes: int, depth: int = 18, pretrained: bool = False, dropout: float = 0.5):
        super().__init__()
        check_choice("r2plus1d: depth", depth, R2PLUS1D_DEPTHS)
        if depth == 18:
            self.net = r2plus1d_18(num_classes=num_classes)
            self.net.fc = nn.Sequential(nn.Dropout(dropout), nn.Linear(self.net.fc.in_features, num_classes))
            if pretrained:
                state_dict = load_state_dict_from_url(R2Plus1D_18_Weights.KINETICS400_V1.url, "r2plus1d_18")
                load_all_but_head(self.net, state_dict, "fc.", "r2plus1d_18")
        else:
            self.net = create_r2plus1d(
                model_depth=50,
                model_num_class=num_classes,
                dropout_rate=dropout,
                head_pool=nn.AdaptiveAvgPool3d,
                head_activation=None,
            )
            if pretrained:
                checkpoint = load_state_dict_from_url(r2plus1d_checkpoints["r2plus1d_r50"], "r2plus1d_r50")
                load_all_but_head(self.net, checkpoint["model_state"], "blocks.5.proj.", "r2plus1d_r50")

    def forward(self, clip: torch.Tensor) -> torch.Tensor:
        return self.net(clip)
