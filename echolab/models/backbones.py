"""2D image backbones from timm, and running one over every frame of a clip."""

import difflib

import timm
import torch
from timm.models import get_pretrained_cfg
from torch import nn

from echolab.errors import ConfigError
from echolab.models.pretrained import create_timm_model

# Short names whose plain timm architecture has no pretrained weights, mapped to the one that has.
# Applied whether or not pretrained=True, so a model rebuilt from a checkpoint has the same layers.
_ALIASES = {"efficientnetv2_s": "tf_efficientnetv2_s"}


def create_backbone(
    name: str, pretrained: bool = False, features_only: bool = False, **timm_kwargs
) -> tuple[nn.Module, int]:
    """A timm image backbone and the channel count of what it returns.

    By default the module maps (N, 3, H, W) to globally pooled features (N, num_features).
    With features_only=True it returns timm's list of feature maps (pick stages with
    out_indices=...) and num_features is the channel count of the deepest one.
    Any timm architecture name works, with an optional weight tag ("resnet18.tv_in1k");
    extra keyword arguments go to timm.create_model.
    """
    timm_name = _ALIASES.get(name, name)
    if not timm.is_model(timm_name):
        close = difflib.get_close_matches(name, timm.list_models(), n=3, cutoff=0.6)
        hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise ConfigError(f"unknown backbone '{name}': not a timm model.{hint}")
    kwargs = dict(features_only=True) if features_only else dict(num_classes=0)
    if _has_fixed_input_size(timm_name):
        # ViT-style position embeddings are built for one image size; echo clips come at 64-224 px.
        kwargs["dynamic_img_size"] = True
    model = create_timm_model(timm_name, pretrained=pretrained, **{**kwargs, **timm_kwargs})
    if features_only:
        return model, model.feature_info.channels()[-1]
    # Pooled features can pass through a head layer first (MobileNetV3's conv_head: 960 -> 1280);
    # timm reports that output width as head_hidden_size, the pre-head width as num_features.
    return model, getattr(model, "head_hidden_size", None) or model.num_features


def encode_frames(backbone: nn.Module, clip: torch.Tensor) -> torch.Tensor:
    """Pooled features of every frame: (B, C, T, H, W) -> (B, T, D), all frames in one backbone batch."""
    batch, channels, frames, height, width = clip.shape
    frames_as_images = clip.transpose(1, 2).reshape(batch * frames, channels, height, width)
    return backbone(frames_as_images).reshape(batch, frames, -1)


def with_frame_differences(clip: torch.Tensor) -> torch.Tensor:
    """(B, C, T, H, W) -> (B, 2C, T, H, W): each frame with its difference from the previous frame
    (zeros for the first), the "RGB difference" modality of temporal segment networks."""
    change = torch.cat([torch.zeros_like(clip[:, :, :1]), clip[:, :, 1:] - clip[:, :, :-1]], dim=2)
    return torch.cat([clip, change], dim=1)


def _has_fixed_input_size(timm_name: str) -> bool:
    pretrained_cfg = get_pretrained_cfg(timm_name)
    return bool(pretrained_cfg and pretrained_cfg.fixed_input_size)
