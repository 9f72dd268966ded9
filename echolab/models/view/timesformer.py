"""TimeSformer-style video transformer with divided space-time attention (Bertasius et al. 2021).

Each frame is cut into square patches. Every block attends first over time (each patch position
with the same position in the other frames), then over space (each patch with the other patches of
its frame and the class token), then applies an MLP; all three are pre-norm residual branches.
"""

import torch
import torch.nn.functional as F
from torch import nn

from echolab.errors import ConfigError
from echolab.models.layers import FeedForward, SelfAttention
from echolab.models.registry import register_model


class DividedSpaceTimeBlock(nn.Module):
    """Time attention, then space attention (with the class token), then an MLP."""

    def __init__(self, dim: int, heads: int, mlp_ratio: float, dropout: float):
        super().__init__()
        self.time_norm = nn.LayerNorm(dim)
        self.time_attention = SelfAttention(dim, heads, dropout)
        # TimeSformer initialises the time branch's output layer at zero, so a new block starts as a
        # per-frame (image) transformer block and learns how much temporal mixing to add.
        self.time_out = nn.Linear(dim, dim)
        nn.init.zeros_(self.time_out.weight)
        nn.init.zeros_(self.time_out.bias)
        self.space_norm = nn.LayerNorm(dim)
        self.space_attention = SelfAttention(dim, heads, dropout)
        self.mlp_norm = nn.LayerNorm(dim)
        self.mlp = FeedForward(dim, mlp_ratio, dropout)

    def forward(self, cls: torch.Tensor, patches: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """cls (B,1,D) and patches (B,T,N,D) -> the same shapes."""
        batch, frames, positions, dim = patches.shape
        along_time = patches.transpose(1, 2).reshape(batch * positions, frames, dim)
        along_time = self.time_out(self.time_attention(self.time_norm(along_time)))
        patches = patches + along_time.view(batch, positions, frames, dim).transpose(1, 2)

        # Space: each frame's patches together with a copy of the class token; the copies' updates
        # are averaged over frames into the one class token.
        per_frame = torch.cat(
            [
                cls.expand(batch, frames, dim).reshape(batch * frames, 1, dim),
                patches.reshape(batch * frames, positions, dim),
            ],
            dim=1,
        )
        update = self.space_attention(self.space_norm(per_frame))
        cls = cls + update[:, :1].view(batch, frames, dim).mean(1, keepdim=True)
        patches = patches + update[:, 1:].view(batch, frames, positions, dim)

        tokens = torch.cat([cls, patches.flatten(1, 2)], dim=1)
        tokens = tokens + self.mlp(self.mlp_norm(tokens))
        return tokens[:, :1], tokens[:, 1:].view(batch, frames, positions, dim)


@register_model("timesformer", task="view")
class TimeSformer(nn.Module):
    """Video transformer with divided space-time attention; classifies the class token.

    Patch, position and frame embeddings are learned; the position table is made for a
    `grid` x `grid` patch grid and the frame table for `frames` frames, and both are interpolated to
    the clip at hand, so any clip size and length works (sizes need not be multiples of the patch:
    the clip is cropped to whole patches). Trained from scratch (no pretrained weights here).
    """

    def __init__(
        self,
        num_classes: int,
        patch_size: int = 16,
        embed_dim: int = 384,
        depth: int = 12,
        heads: int = 6,
        mlp_ratio: float = 4.0,
        dropout: float = 0.0,
        head_dropout: float = 0.5,
        grid: int = 14,
        frames: int = 8,
    ):
        super().__init__()
        if embed_dim % heads:
            raise ConfigError(f"timesformer: embed_dim {embed_dim} must be divisible by heads {heads}")
        self.patch_size = patch_size
        self.patch_embed = nn.Conv2d(3, embed_dim, kernel_size=patch_size, stride=patch_size)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.position = nn.Parameter(torch.zeros(1, embed_dim, grid, grid))
        self.frame = nn.Parameter(torch.zeros(1, embed_dim, frames))
        for table in (self.cls_token, self.position, self.frame):
            nn.init.trunc_normal_(table, std=0.02)
        self.blocks = nn.ModuleList(
            DividedSpaceTimeBlock(embed_dim, heads, mlp_ratio, dropout) for _ in range(depth)
        )
        self.norm = nn.LayerNorm(embed_dim)
        self.head = nn.Sequential(nn.Dropout(head_dropout), nn.Linear(embed_dim, num_classes))

    def forward(self, clip: torch.Tensor) -> torch.Tensor:
        batch, _, frames, height, width = clip.shape
        if height < self.patch_size or width < self.patch_size:
            raise ConfigError(
                f"timesformer: a {height}x{width} clip is smaller than one {self.patch_size} px patch; "
                "lower model.patch_size or raise data.size"
            )
        embedded = self.patch_embed(clip.transpose(1, 2).flatten(0, 1))  # (B*T, D, h, w)
        _, dim, rows, cols = embedded.shape
        embedded = embedded + _resize(self.position, (rows, cols))
        patches = embedded.flatten(2).transpose(1, 2).view(batch, frames, rows * cols, dim)
        patches = patches + _resize(self.frame, (frames,)).transpose(1, 2).unsqueeze(2)
        # A copy, not expand(): a view of a parameter taken under no_grad still claims requires_grad
        # (with no grad_fn), which trips module hooks such as FlopCounterMode's.
        cls = self.cls_token.repeat(batch, 1, 1)
        for block in self.blocks:
            cls, patches = block(cls, patches)
        return self.head(self.norm(cls[:, 0]))


def _resize(table: torch.Tensor, size: tuple[int, ...]) -> torch.Tensor:
    """A learned (1, D, *grid) embedding table at another grid size (linear interpolation)."""
    if tuple(table.shape[2:]) == tuple(size):
        return table
    mode = "linear" if len(size) == 1 else "bilinear"
    return F.interpolate(table, size=size, mode=mode, align_corners=False)
