"""The video ViT every pretraining method trains (VideoMAE-style) and the transfer models reuse.

A clip (B, C, T, H, W) is cut into tubelets of `tubelet` frames × `patch` × `patch` pixels by one
Conv3d, giving a (t, h, w) = (T / tubelet, H / patch, W / patch) grid of tokens in natural order
(time slowest, then rows, then columns). Fixed 3-D sine-cosine positions are added before any token is
dropped, so a masked encoder sees only the visible tokens (`keep`) yet each knows where it sits. A CLS
token goes first; timm transformer blocks and a final LayerNorm follow. With frames=1 and tubelet=1
the same class is an image ViT (DISCOVR's per-frame branch).
"""

from __future__ import annotations

import math

import torch
from timm.models.vision_transformer import Block
from torch import nn

from echolab.errors import ConfigError
from echolab.models.registry import register_model


def sincos_positions(dim: int, grid: tuple[int, int, int]) -> torch.Tensor:
    """(t·h·w, dim) fixed positions: separate sine-cosine codes of t, h and w, concatenated.

    h and w get 2·(dim // 6) channels each, t the rest, so a one-frame grid (an image) spends only
    constant channels on time.
    """
    if dim % 2 or dim < 6:
        raise ConfigError(f"a video ViT needs an even dim >= 6 for its positions, got dim={dim}")
    spatial = 2 * (dim // 6)
    sizes = (dim - 2 * spatial, spatial, spatial)
    t, h, w = torch.meshgrid(*(torch.arange(n, dtype=torch.float64) for n in grid), indexing="ij")
    codes = [_sincos(size, axis.flatten()) for size, axis in zip(sizes, (t, h, w), strict=True)]
    return torch.cat(codes, dim=1).float()


def _sincos(dim: int, positions: torch.Tensor) -> torch.Tensor:
    frequencies = 1.0 / 10000 ** (torch.arange(dim // 2, dtype=torch.float64) / (dim / 2))
    angles = positions[:, None] * frequencies[None]
    return torch.cat([angles.sin(), angles.cos()], dim=1)


def take_tokens(tokens: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """tokens (B, N, D) at `index` (B, n) -> (B, n, D)."""
    return torch.gather(tokens, 1, index[..., None].expand(-1, -1, tokens.shape[-1]))


def init_transformer_weights(module: nn.Module) -> None:
    """ViT initialisation (truncated normal 0.02 for linear layers, unit LayerNorms)."""
    if isinstance(module, nn.Linear):
        nn.init.trunc_normal_(module.weight, std=0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.LayerNorm):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)


@register_model("video_vit", task="pretrain")
class VideoViT(nn.Module):
    """Video ViT encoder: tubelet embedding, fixed 3-D positions, CLS token, timm blocks (VideoMAE-style)."""

    def __init__(
        self,
        frames: int,
        size: int,
        patch: int,
        tubelet: int,
        dim: int,
        depth: int,
        heads: int,
        mlp_ratio: float = 4.0,
        in_chans: int = 3,
    ):
        super().__init__()
        problems = []
        if frames % tubelet:
            problems.append(f"frames={frames} is not a multiple of tubelet={tubelet}")
        if size % patch:
            problems.append(f"size={size} is not a multiple of patch={patch}")
        if dim % heads:
            problems.append(f"dim={dim} is not a multiple of heads={heads}")
        if problems:
            raise ConfigError(f"video_vit: {'; '.join(problems)} (model: block)")
        self.frames, self.size, self.dim = frames, size, dim
        self.grid = (frames // tubelet, size // patch, size // patch)
        self.num_patches = math.prod(self.grid)
        self.embed = nn.Conv3d(
            in_chans, dim, kernel_size=(tubelet, patch, patch), stride=(tubelet, patch, patch)
        )
        self.register_buffer("positions", sincos_positions(dim, self.grid)[None], persistent=False)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.blocks = nn.ModuleList(Block(dim, heads, mlp_ratio, qkv_bias=True) for _ in range(depth))
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.apply(init_transformer_weights)
        nn.init.xavier_uniform_(self.embed.weight.view(dim, -1))  # as a linear layer over the tubelet
        nn.init.zeros_(self.embed.bias)
        nn.init.trunc_normal_(self.cls_token, std=0.02)

    def embed_patches(self, clips: torch.Tensor) -> torch.Tensor:
        """(B, C, T, H, W) -> (B, N, dim) patch tokens with their positions, in natural (t, h, w) order."""
        expected = (self.frames, self.size, self.size)
        if clips.ndim != 5 or tuple(clips.shape[2:]) != expected:
            raise ValueError(
                f"video_vit expects clips (B, C, {self.frames}, {self.size}, {self.size}), got {tuple(clips.shape)}"
            )
        return self.embed(clips).flatten(2).transpose(1, 2) + self.positions

    def encode(self, patches: torch.Tensor, keep: torch.Tensor | None = None) -> torch.Tensor:
        """Embedded patch tokens (from embed_patches) -> (B, 1 + n, dim) encoded tokens, CLS first.
        Several masked views of one clip share one embedding this way."""
        if keep is not None:
            patches = take_tokens(patches, keep)
        # shape[0], not len(): torch.export keeps the batch dynamic (ONNX export of vit_video / vit_keyframe)
        tokens = torch.cat([self.cls_token.expand(patches.shape[0], -1, -1), patches], dim=1)
        for block in self.blocks:
            tokens = block(tokens)
        return self.norm(tokens)

    def forward(self, clips: torch.Tensor, keep: torch.Tensor | None = None) -> torch.Tensor:
        """clips (B, C, T, H, W), normalised as ClipTransform makes them; `keep` (B, n) the indices of the
        visible patch tokens (natural order), or None for all -> (B, 1 + n, dim), token 0 = CLS."""
        return self.encode(self.embed_patches(clips), keep)

    def features(self, clips: torch.Tensor) -> dict[str, torch.Tensor]:
        """Clip-level features of the whole clip: the CLS token and the mean patch token, (B, dim) each."""
        tokens = self(clips)
        return {"cls": tokens[:, 0], "mean": tokens[:, 1:].mean(1)}
