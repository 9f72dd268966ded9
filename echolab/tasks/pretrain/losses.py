"""The pieces of the pretraining losses, as plain functions of tensors (module.py combines them).

Every per-token loss is averaged over the hidden tokens only (DISCOVR.md N2: the reference also
counted the visible ones, which the encoder saw).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def masked_mean(values: torch.Tensor, hidden: torch.Tensor) -> torch.Tensor:
    """Mean of per-token `values` (B, N) over the tokens where `hidden` (B, N) is True."""
    return (values * hidden).sum() / hidden.sum().clamp_min(1)


def patchify(clips: torch.Tensor, tubelet: int, patch: int) -> torch.Tensor:
    """(B, C, T, H, W) -> (B, N, tubelet·patch·patch·C): each token's pixels, tokens in natural (t, h, w)
    order as the video ViT's tubelet embedding cuts them."""
    b, c, t, h, w = clips.shape
    x = clips.reshape(b, c, t // tubelet, tubelet, h // patch, patch, w // patch, patch)
    x = x.permute(0, 2, 4, 6, 3, 5, 7, 1)  # b, t', h', w', tubelet, patch, patch, c
    return x.reshape(b, (t // tubelet) * (h // patch) * (w // patch), -1)


def normalised_pixels(patches: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """VideoMAE's reconstruction target: each token's pixels standardised over that token."""
    mean = patches.mean(dim=-1, keepdim=True)
    var = patches.var(dim=-1, keepdim=True, unbiased=True)
    return (patches - mean) / (var + eps).sqrt()


def standardise_over_tokens(tokens: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """(F, n, D) tokens of F frames, each channel standardised over the n tokens of its frame (DISCOVR's
    cluster targets: what sets a patch apart from the rest of its frame)."""
    mean = tokens.mean(dim=1, keepdim=True)
    std = tokens.std(dim=1, keepdim=True)
    return (tokens - mean) / (std + eps)


@torch.no_grad()
def sinkhorn(scores: torch.Tensor, eps: float, iterations: int) -> torch.Tensor:
    """SwAV's Sinkhorn-Knopp: (N, K) scores -> (N, K) soft codes, each row summing to 1 and each of the
    K prototypes receiving an equal share of the N samples.

    Always float32 (DISCOVR.md: float16 with eps 0.05 overflows to NaN/inf); the scores are shifted by
    their maximum before the exponential, which the normalisation cancels.
    """
    with torch.autocast(scores.device.type, enabled=False):
        logits = scores.float() / eps
        q = torch.exp(logits - logits.max()).t()  # K × N
        q /= q.sum()
        prototypes, samples = q.shape
        for _ in range(iterations):
            q /= q.sum(dim=1, keepdim=True)
            q /= prototypes
            q /= q.sum(dim=0, keepdim=True)
            q /= samples
        return (q * samples).t()


def soft_cross_entropy(target: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    """Mean over rows of −Σ target · log_softmax(logits); logits (..., N, K) may carry leading view axes
    that share the (N, K) target."""
    return -(target * F.log_softmax(logits, dim=-1)).sum(dim=-1).mean()


def entropy(probabilities: torch.Tensor) -> torch.Tensor:
    """Mean entropy (nats) of the rows of (N, K) probabilities."""
    return -(probabilities * probabilities.clamp_min(1e-12).log()).sum(dim=-1).mean()
