"""Tube masks: which patch tokens of a (t, h, w) grid an encoder sees.

A tube mask hides the same spatial patches in every time slot (VideoMAE, DISCOVR), so a hidden patch
cannot be copied from its neighbour in time. Masks are given as the sorted indices of the visible
tokens in natural (t, h, w) order, `keep` (B, n_keep), the form VideoViT.forward takes; every sample of
a batch keeps the same number of tokens, so visible tokens stack into one tensor.

kind "random": the visible spatial patches are drawn uniformly (VideoMAE, DISCOVR).
kind "blocks": the hidden ones form random rectangles (V-JEPA's multi-block masking, spatial blocks
repeated through time), so a hidden patch's neighbours tend to be hidden too and the predictor must
reason about larger regions; the last rectangle is trimmed to hide exactly the masked count.
"""

from __future__ import annotations

import math

import torch

from echolab.errors import ConfigError, check_choice

MASK_KINDS = ("random", "blocks")
# blocks: area of one rectangle as a fraction of the h×w patch grid, and its aspect-ratio range (V-JEPA's
# short- and long-range blocks span 0.15 and 0.7 of the frame; one range between them covers both).
BLOCK_AREA = (0.15, 0.7)
BLOCK_ASPECT = (0.75, 1.5)


def kept_per_slot(spatial: int, ratio: float) -> int:
    """Visible patches per time slot at mask ratio `ratio` (at least one)."""
    if not 0.0 <= ratio < 1.0:
        raise ConfigError(f"a mask ratio must be in [0, 1), got {ratio}")
    return max(1, round(spatial * (1.0 - ratio)))


def tube_mask(
    batch: int,
    grid: tuple[int, int, int],
    ratio: float,
    *,
    kind: str = "random",
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """(batch, t · n_keep) sorted indices of the visible tokens of `batch` independent tube masks."""
    check_choice("task.mask.kind", kind, MASK_KINDS)
    slots, height, width = grid
    spatial = height * width
    keep = kept_per_slot(spatial, ratio)
    if kind == "random":
        order = torch.rand(batch, spatial, generator=generator).argsort(dim=1)
        visible = order[:, :keep].sort(dim=1).values
    else:
        visible = torch.stack([_block_visible(height, width, keep, generator) for _ in range(batch)])
    offsets = torch.arange(slots)[None, :, None] * spatial
    return (offsets + visible[:, None, :]).flatten(1)


def hidden_tokens(keep: torch.Tensor, num_tokens: int) -> torch.Tensor:
    """(B, num_tokens) bool: True where a token is hidden by the mask `keep`."""
    hidden = torch.ones(len(keep), num_tokens, dtype=torch.bool, device=keep.device)
    return hidden.scatter(1, keep, False)


def _block_visible(height: int, width: int, keep: int, generator) -> torch.Tensor:
    hide = height * width - keep
    hidden = torch.zeros(height, width, dtype=torch.bool)
    while int(hidden.sum()) < hide:
        area = _uniform(*BLOCK_AREA, generator) * height * width
        aspect = math.exp(_uniform(*map(math.log, BLOCK_ASPECT), generator))
        rows = min(height, max(1, round(math.sqrt(area * aspect))))
        cols = min(width, max(1, round(math.sqrt(area / aspect))))
        top = int(torch.randint(height - rows + 1, (), generator=generator))
        left = int(torch.randint(width - cols + 1, (), generator=generator))
        block = torch.zeros_like(hidden)
        block[top : top + rows, left : left + cols] = True
        fresh = (block & ~hidden).flatten().nonzero().flatten()
        missing = hide - int(hidden.sum())
        if len(fresh) > missing:  # trim the last block to hide exactly `hide` patches
            fresh = fresh[torch.randperm(len(fresh), generator=generator)[:missing]]
        hidden.view(-1)[fresh] = True
    return (~hidden).flatten().nonzero().flatten()


def _uniform(low: float, high: float, generator) -> float:
    return low + (high - low) * float(torch.rand((), generator=generator))
