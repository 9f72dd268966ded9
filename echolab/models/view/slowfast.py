"""SlowFast (pytorchvideo): a slow pathway on every alpha-th frame and a fast, thin one on every frame."""

import warnings

import torch

# pytorchvideo 0.1.5 scripts a helper with torch.jit at import time, which torch >= 2.10 warns about.
warnings.filterwarnings("ignore", message=r"`torch\.jit\.script` is deprecated", category=FutureWarning)
from pytorchvideo.models.hub.slowfast import checkpoint_paths  # noqa: E402
from pytorchvideo.models.slowfast import create_slowfast  # noqa: E402
from torch import nn  # noqa: E402

from echolab.errors import ConfigError, check_choice  # noqa: E402
from echolab.models.pretrained import load_all_but_head, load_state_dict_from_url  # noqa: E402
from echolab.models.registry import register_model  # noqa: E402

SLOWFAST_DEPTHS = (50, 101)  # the depths with Kinetics-400 weights (8x8 R50 and R101)


@register_model("slowfast", task="view")
class SlowFast(nn.Module):
    """SlowFast-R50/R101 (pytorchvideo); Kinetics-400 8x8 weights with pretrained=True.

    The clip (B,C,T,H,W) feeds the fast pathway whole and the slow pathway every `alpha`-th frame
    (frames 0, alpha, 2*alpha, ...: ceil(T/alpha) frames, which is what the fast-to-slow fusion's
    strided convolution produces from T frames, so any T works). The Kinetics models use alpha 4 on
    32 frames; echo clips are shorter. Adaptive pooling in the head takes any clip size.
    """

    def __init__(
        self,
        num_classes: int,
        depth: int = 50,
        alpha: int = 4,
        pretrained: bool = False,
        dropout: float = 0.5,
    ):
        super().__init__()
        check_choice("slowfast: depth", depth, SLOWFAST_DEPTHS)
        if isinstance(alpha, bool) or not isinstance(alpha, int) or alpha < 1:
            raise ConfigError(
                f"slowfast: alpha (slow pathway frame step) must be a positive integer, got {alpha!r}"
            )
        self.alpha = alpha
        # The fusion convolution's temporal stride must match alpha for the pathways' lengths to agree.
        self.net = create_slowfast(
            model_depth=depth,
            model_num_class=num_classes,
            dropout_rate=dropout,
            slowfast_fusion_conv_kernel_size=(7, 1, 1),
            slowfast_fusion_conv_stride=(alpha, 1, 1),
            head_pool=nn.AdaptiveAvgPool3d,
            head_activation=None,  # logits: the losses apply their own softmax
        )
        if pretrained:
            name = f"slowfast_r{depth}"
            if alpha != 4:
                raise ConfigError(f"slowfast: the Kinetics weights of {name} were trained with alpha=4")
            checkpoint = load_state_dict_from_url(checkpoint_paths[name], name)
            load_all_but_head(self.net, checkpoint["model_state"], "blocks.6.proj.", name)

    def forward(self, clip: torch.Tensor) -> torch.Tensor:
        # A fresh list every call: pytorchvideo's MultiPathWayWithFuse writes into the list it is given.
        return self.net([clip[:, :, :: self.alpha], clip])
