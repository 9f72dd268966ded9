"""The pieces of the pretraining losses: patch order, targets, Sinkhorn, masked means."""

import torch

from echolab.tasks.pretrain.losses import (
    entropy,
    masked_mean,
    normalised_pixels,
    patchify,
    sinkhorn,
    soft_cross_entropy,
    standardise_over_tokens,
)


def test_patchify_follows_the_tubelet_embedding_token_order():
    clips = torch.randn(2, 3, 4, 16, 16)
    patches = patchify(clips, tubelet=2, patch=8)
    assert patches.shape == (2, 2 * 2 * 2, 2 * 8 * 8 * 3)
    # token (t=1, h=0, w=1) is index 1·4 + 0·2 + 1 = 5 and holds frames 2-3, rows 0-7, columns 8-15
    block = clips[0, :, 2:4, 0:8, 8:16].permute(1, 2, 3, 0).flatten()
    assert torch.equal(patches[0, 5], block)
    # the same order as a Conv3d tubelet embedding whose flattened output the encoder uses
    conv = torch.nn.Conv3d(3, 1, (2, 8, 8), stride=(2, 8, 8), bias=False)
    torch.nn.init.normal_(conv.weight)
    tokens = conv(clips).flatten(2)[:, 0]
    weights = conv.weight[0].permute(1, 2, 3, 0).flatten()
    assert torch.allclose(patches @ weights, tokens, atol=1e-4)


def test_normalised_pixels_and_token_standardisation():
    patches = torch.randn(2, 5, 12) * 3 + 7
    target = normalised_pixels(patches)
    assert torch.allclose(target.mean(-1), torch.zeros(2, 5), atol=1e-5)
    assert torch.allclose(target.var(-1), torch.ones(2, 5), atol=1e-3)
    tokens = standardise_over_tokens(torch.randn(3, 16, 4) * 2 + 1)
    assert torch.allclose(tokens.mean(1), torch.zeros(3, 4), atol=1e-5)
    assert torch.allclose(tokens.std(1), torch.ones(3, 4), atol=1e-3)


def test_masked_mean_ignores_visible_tokens():
    values = torch.tensor([[1.0, 100.0, 3.0], [5.0, 7.0, 200.0]])
    hidden = torch.tensor([[True, False, True], [True, True, False]])
    assert masked_mean(values, hidden) == (1 + 3 + 5 + 7) / 4


def test_sinkhorn_balances_prototypes_in_float32_even_from_half_precision_near_collapse():
    torch.manual_seed(0)
    scores = (0.999 + 0.001 * torch.rand(512, 16)).half()  # cosines all near 1: float16 overflows here
    codes = sinkhorn(scores, eps=0.05, iterations=10)
    assert codes.dtype == torch.float32 and torch.isfinite(codes).all()
    assert torch.allclose(codes.sum(1), torch.ones(512), atol=1e-4)
    assert torch.allclose(codes.sum(0), torch.full((16,), 512 / 16), rtol=1e-3)
    spread = sinkhorn(torch.randn(512, 16).clamp(-1, 1), eps=0.05, iterations=10)
    assert len(torch.unique(spread.argmax(1))) == 16  # balanced codes: every prototype gets samples


def test_soft_cross_entropy_is_one_mean_over_views_and_samples():
    target = torch.softmax(torch.randn(6, 10), -1)
    logits = torch.randn(3, 6, 10)
    per_pair = [-(target[n] * torch.log_softmax(logits[v, n], -1)).sum() for v in range(3) for n in range(6)]
    assert torch.allclose(soft_cross_entropy(target, logits), torch.stack(per_pair).mean())
    assert torch.allclose(entropy(torch.full((4, 8), 1 / 8)), torch.log(torch.tensor(8.0)))
