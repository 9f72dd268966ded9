"""Transformer pieces the hand-written models share (the TimeSformer blocks and the temporal Swin)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class FeedForward(nn.Sequential):
    """A transformer block's MLP: Linear -> GELU -> Dropout -> Linear -> Dropout, `mlp_ratio` wide.

    A Sequential, so its parameters are named `0.*` and `3.*` as the models' own MLPs were.
    """

    def __init__(self, dim: int, mlp_ratio: float = 4.0, dropout: float = 0.0):
        hidden = int(dim * mlp_ratio)
        super().__init__(
            nn.Linear(dim, hidden),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, dim),
            nn.Dropout(dropout),
        )


class SelfAttention(nn.Module):
    """Multi-head self-attention over the middle axis of (N, L, dim), with an optional additive or
    boolean mask broadcastable to (N, heads, L, L)."""

    def __init__(self, dim: int, heads: int, dropout: float = 0.0):
        super().__init__()
        if dim % heads:
            raise ValueError(f"attention: dim {dim} must be divisible by heads {heads}")
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.dropout = dropout

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        n, length, dim = x.shape
        q, k, v = self.qkv(x).view(n, length, 3, self.heads, dim // self.heads).permute(2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(
            q, k, v, attn_mask=mask, dropout_p=self.dropout if self.training else 0.0
        )
        # An explicit copy, not reshape: torch.export records reshape as a view of the CPU attention kernel's
        # layout, which the ONNX exporter's decomposed masked attention does not have (the temporal Swin's
        # export failed). The same values.
        merged = out.transpose(1, 2).clone(memory_format=torch.contiguous_format)
        return self.proj(merged.view(n, length, dim))
