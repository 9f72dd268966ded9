"""A Video Swin stage over time only: shifted-window self-attention on a sequence of frame features.

Each block attends within non-overlapping windows of `window` frames; every second block shifts
the windows by half a window so information crosses window borders (Swin's shifted windows, with
the same masking: after the cyclic shift, frames that wrapped around attend only to each other).
Windows carry a learned relative-position bias. Sequences of any length are padded to a multiple
of the window; padded positions are never attended to by real frames.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from echolab.models.layers import FeedForward, SelfAttention


class WindowAttention1D(SelfAttention):
    """Multi-head self-attention inside windows of `window` tokens, with relative-position bias."""

    def __init__(self, dim: int, heads: int, window: int, dropout: float = 0.0):
        if dim % heads:
            raise ValueError(f"temporal Swin: dim {dim} must be divisible by heads {heads}")
        super().__init__(dim, heads, dropout)
        self.window = window
        self.bias_table = nn.Parameter(torch.zeros(2 * window - 1, heads))
        nn.init.trunc_normal_(self.bias_table, std=0.02)
        offsets = torch.arange(window)[:, None] - torch.arange(window)[None, :] + window - 1
        self.register_buffer("bias_index", offsets, persistent=False)

    def forward(self, x: torch.Tensor, allowed: torch.Tensor) -> torch.Tensor:
        """x (N, window, dim) windows; allowed (N or 1, window, window) bool: query may see key."""
        bias = self.bias_table[self.bias_index].permute(2, 0, 1)  # heads, w, w
        return super().forward(x, bias.unsqueeze(0).masked_fill(~allowed.unsqueeze(1), float("-inf")))


class SwinBlock1D(nn.Module):
    """Pre-norm Swin block over time: (shifted) window attention, then an MLP, both residual."""

    def __init__(
        self, dim: int, heads: int, window: int, shift: int, mlp_ratio: float = 4.0, dropout: float = 0.0
    ):
        super().__init__()
        if not 0 <= shift < window:
            raise ValueError(f"temporal Swin: shift {shift} must be in [0, window={window})")
        self.window, self.shift = window, shift
        self.norm1 = nn.LayerNorm(dim)
        self.attention = WindowAttention1D(dim, heads, window, dropout)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = FeedForward(dim, mlp_ratio, dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, dim) -> (B, T, dim)."""
        batch, length, dim = x.shape
        padded = -(-length // self.window) * self.window
        y = F.pad(self.norm1(x), (0, 0, 0, padded - length))
        group = self._groups(length, padded, x.device)  # which tokens may attend to each other
        if self.shift:
            y = torch.roll(y, -self.shift, dims=1)
            group = torch.roll(group, -self.shift, dims=0)
        windows = y.view(batch * (padded // self.window), self.window, dim)
        group = group.view(-1, self.window)
        allowed = (group[:, :, None] == group[:, None, :]).repeat(batch, 1, 1)
        y = self.attention(windows, allowed).view(batch, padded, dim)
        if self.shift:
            y = torch.roll(y, self.shift, dims=1)
        x = x + y[:, :length]
        return x + self.mlp(self.norm2(x))

    def _groups(self, length: int, padded: int, device) -> torch.Tensor:
        """Per position: 0 real, 1 padding, 2 real frame that the cyclic shift wraps to the end."""
        position = torch.arange(padded, device=device)
        group = (position >= length).long()
        if self.shift:
            group = torch.where(position < self.shift, group + 2, group)
        return group


class TemporalSwin(nn.Module):
    """`depth` Swin blocks over time, alternating plain and half-window-shifted windows, then a LayerNorm."""

    def __init__(
        self,
        dim: int,
        depth: int = 2,
        heads: int = 4,
        window: int = 8,
        mlp_ratio: float = 4.0,
        dropout: float = 0.0,
    ):
        super().__init__()
        self.blocks = nn.ModuleList(
            SwinBlock1D(
                dim, heads, window, shift=(window // 2) if i % 2 else 0, mlp_ratio=mlp_ratio, dropout=dropout
            )
            for i in range(depth)
        )
        self.norm = nn.LayerNorm(dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = block(x)
        return self.norm(x)
