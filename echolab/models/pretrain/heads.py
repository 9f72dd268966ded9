"""The small networks pretraining puts on top of the video ViT: DINO projection heads, and the token
decoder that both DISCOVR/VideoMAE (decoder) and JEPA (predictor) use."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from timm.models.vision_transformer import Block
from torch import nn

from echolab.models.pretrain.video_vit import init_transformer_weights, sincos_positions


class DINOHead(nn.Module):
    """DINO's projection head: an MLP to a bottleneck, L2-normalised, then a linear layer with unit-norm
    rows (weight normalisation with its gain fixed at 1, DINO's norm_last_layer) to `out` logits."""

    def __init__(self, in_dim: int, hidden: int, bottleneck: int, out: int):
        super().__init__()
        self.mlp = nn.Sequential(
            nn.Linear(in_dim, hidden),
            nn.GELU(),
            nn.Linear(hidden, hidden),
            nn.GELU(),
            nn.Linear(hidden, bottleneck),
        )
        self.last = nn.Parameter(torch.empty(out, bottleneck))
        self.apply(init_transformer_weights)
        nn.init.trunc_normal_(self.last, std=0.02)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(F.normalize(self.mlp(x), dim=-1), F.normalize(self.last, dim=-1))


class TokenDecoder(nn.Module):
    """Visible tokens + a learned mask token at every hidden position -> all grid tokens (B, N, dim).

    Every token is placed at its own grid position from the start (visible ones scattered into a grid
    of mask tokens), so the output is in natural (t, h, w) order and lines up index by index with any
    per-token target: the reference's [visible; masked] order (DISCOVR.md K1) cannot arise.
    """

    def __init__(self, grid: tuple[int, int, int], in_dim: int, dim: int, depth: int, heads: int):
        super().__init__()
        self.dim = dim
        self.embed = nn.Linear(in_dim, dim)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.register_buffer("positions", sincos_positions(dim, grid)[None], persistent=False)
        self.blocks = nn.ModuleList(Block(dim, heads, 4.0, qkv_bias=True) for _ in range(depth))
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.apply(init_transformer_weights)
        nn.init.trunc_normal_(self.mask_token, std=0.02)

    def forward(self, visible: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        """visible (B, n, in_dim) encoder patch tokens (no CLS) at grid indices `keep` (B, n)."""
        batch = len(visible)
        tokens = (self.mask_token + self.positions).expand(batch, -1, -1)
        index = keep[..., None].expand(-1, -1, self.dim)
        placed = self.embed(visible) + torch.gather(self.positions.expand(batch, -1, -1), 1, index)
        tokens = tokens.scatter(1, index, placed)
        for block in self.blocks:
            tokens = block(tokens)
        return self.norm(tokens)
