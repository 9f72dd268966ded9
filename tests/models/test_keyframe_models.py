"""Every registered keyframe model, the temporal Swin stage, and sliding-window inference."""

import pytest
import torch

from echolab.errors import ConfigError
from echolab.models import create_model, list_models, model_info
from echolab.models.keyframe.temporal_swin import SwinBlock1D, TemporalSwin
from echolab.tasks.keyframe.sliding_window import sliding_window_curves

SMALL = {
    "resnet_vst": {"backbone": "resnet10t", "dim": 16, "heads": 2, "window": 4},
    "resnet_lstm": {"backbone": "resnet10t", "hidden": 8},
    "cnn3d_lstm": {"channels": [4, 8], "hidden": 8},
    "vit_keyframe": {"frames": 8, "size": 32, "patch": 8, "dim": 16, "depth": 1, "heads": 2},  # a window of 8
}


def build(name: str) -> torch.nn.Module:
    torch.manual_seed(0)
    return create_model(name, num_classes=2, **SMALL[name])


def test_the_keyframe_models_are_registered_for_the_task():
    assert list_models("keyframe") == ["cnn3d_lstm", "resnet_lstm", "resnet_vst", "vit_keyframe"]
    assert all(model_info(name)["task"] == "keyframe" for name in list_models("keyframe"))
    assert not set(list_models("keyframe")) & set(list_models("view"))


@pytest.mark.parametrize("name", list_models("keyframe"))
def test_model_gives_per_frame_logits_and_trains(name):
    model = build(name)
    clip = torch.randn(2, 3, 8, 32, 32)
    logits = model(clip)
    assert logits.shape == (2, 8, 2) and torch.isfinite(logits).all()
    torch.nn.functional.mse_loss(logits.sigmoid(), torch.rand(2, 8, 2)).backward()
    first = next(p for p in model.parameters() if p.requires_grad)
    assert first.grad is not None and first.grad.abs().sum() > 0


@pytest.mark.parametrize("name", list_models("keyframe"))
def test_keyframe_models_need_exactly_two_outputs(name):
    with pytest.raises((ValueError, ConfigError), match="num_classes must be 2"):
        create_model(name, num_classes=3, **SMALL[name])


@pytest.mark.parametrize("name", ["resnet_vst", "resnet_lstm"])
def test_split_halves_equal_the_whole_model(name):
    model = build(name).eval()
    clip = torch.randn(2, 3, 5, 32, 32)
    images = clip.transpose(1, 2).reshape(10, 3, 32, 32)
    with torch.no_grad():
        halves = model.temporal_head(model.frame_features(images).view(2, 5, -1))
        assert torch.allclose(halves, model(clip), atol=1e-6)


def test_unshifted_window_attention_stays_inside_its_window():
    torch.manual_seed(0)
    block = SwinBlock1D(dim=8, heads=2, window=4, shift=0).eval()
    x = torch.randn(1, 8, 8)
    changed = x.clone()
    changed[0, 6] += torch.randn(8)  # a frame of the second window (not a constant: LayerNorm removes it)
    with torch.no_grad():
        assert torch.allclose(block(x)[0, :4], block(changed)[0, :4])
        assert not torch.allclose(block(x)[0, 4:], block(changed)[0, 4:])


def test_shifted_windows_carry_information_across_window_borders_but_not_around_the_ends():
    torch.manual_seed(0)
    stage = TemporalSwin(dim=8, depth=2, heads=2, window=4).eval()  # plain, then shifted by 2
    shifted = SwinBlock1D(dim=8, heads=2, window=4, shift=2).eval()
    x = torch.randn(1, 8, 8)
    changed = x.clone()
    changed[0, 4] += torch.randn(8)
    with torch.no_grad():
        assert not torch.allclose(stage(x)[0, 3], stage(changed)[0, 3])  # reached across the border
        # The cyclic shift puts frames 0-1 beside frames 6-7; the mask keeps them apart.
        end = x.clone()
        end[0, 7] += torch.randn(8)
        assert torch.allclose(shifted(x)[0, :2], shifted(end)[0, :2])


def test_sequences_of_any_length_padding_never_leaks():
    torch.manual_seed(0)
    stage = TemporalSwin(dim=8, depth=2, heads=2, window=4).eval()
    x = torch.randn(1, 6, 8)  # padded to 8 inside each block
    with torch.no_grad():
        assert stage(x).shape == (1, 6, 8) and torch.isfinite(stage(x)).all()


@pytest.mark.parametrize("name", list_models("keyframe"))
@pytest.mark.parametrize("frames", [23, 16, 9])
def test_shared_features_equal_the_naive_windows(name, frames):
    model = build(name).eval()
    video = torch.randn(3, max(frames, 8), 32, 32)
    fast = sliding_window_curves(model, video, frames, window=8)
    slow = sliding_window_curves(model, video, frames, window=8, naive=True)
    assert fast.shape == (frames, 2)
    assert (fast - slow).abs().max() <= 1e-5
    assert ((fast >= 0) & (fast <= 1)).all()


def test_each_frame_is_the_mean_of_the_windows_holding_it():
    class Position(torch.nn.Module):
        """Outputs logit(k/10) at the k-th frame of every window, whatever the input."""

        reuses_frame_features = False

        def forward(self, clip):
            k = torch.arange(clip.shape[2], dtype=torch.float32) + 1
            logit = torch.log(k / 10) - torch.log(1 - k / 10)
            return logit[None, :, None].expand(clip.shape[0], -1, 2)

    curves = sliding_window_curves(Position(), torch.zeros(3, 6, 4, 4), 6, window=3)
    # windows start at 0..3; frame 0 sits at k=1 once; frame 2 at k=3,2,1; frame 5 at k=3 once
    assert curves[:, 0].tolist() == pytest.approx([0.1, 0.15, 0.2, 0.2, 0.25, 0.3])


def test_a_stride_keeps_every_frame_covered_and_averages_the_windows_it_has():
    class Position(torch.nn.Module):
        reuses_frame_features = False

        def forward(self, clip):
            k = torch.arange(clip.shape[2], dtype=torch.float32) + 1
            return (torch.log(k / 10) - torch.log(1 - k / 10))[None, :, None].expand(clip.shape[0], -1, 2)

    curves = sliding_window_curves(Position(), torch.zeros(3, 6, 4, 4), 6, window=3, stride=2)
    # windows start at 0, 2 and 3 (the last one ends at the last frame)
    assert curves[:, 0].tolist() == pytest.approx([0.1, 0.2, 0.2, 0.15, 0.25, 0.3])


@pytest.mark.parametrize("name", list_models("keyframe"))
def test_shared_features_equal_the_naive_windows_at_a_stride(name):
    model = build(name).eval()
    video = torch.randn(3, 21, 32, 32)
    fast = sliding_window_curves(model, video, 21, window=8, stride=3)
    slow = sliding_window_curves(model, video, 21, window=8, stride=3, naive=True)
    assert (fast - slow).abs().max() <= 1e-5 and torch.isfinite(fast).all()


def test_short_video_uses_one_padded_window_and_drops_the_padding():
    model = build("resnet_vst").eval()
    video = torch.randn(3, 8, 32, 32)
    curves = sliding_window_curves(model, video, 5, window=8)
    assert curves.shape == (5, 2)
    with pytest.raises(ValueError, match="padded to at least 8 frames"):
        sliding_window_curves(model, video[:, :5], 5, window=8)


def test_vit_keyframe_learns_curves_that_follow_a_per_frame_cue():
    """The ViT can fit ED/ES curves when the frames carry the cue (here: ED frames bright on the left,
    ES frames on the right): its failure on synthetic echo in docs/results-pretraining.md is not a
    broken model."""
    torch.manual_seed(0)
    model = create_model("vit_keyframe", num_classes=2, frames=8, size=32, patch=8, dim=32, depth=2, heads=2)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    frames = torch.arange(8).float()

    def batch():
        peaks = torch.randint(0, 8, (8, 1, 2)).float()  # each clip's ED and ES frame
        curves = (-((frames[None, :, None] - peaks) ** 2) / 2).exp()  # (clips, frames, 2)
        clip = 0.3 * torch.randn(8, 3, 8, 32, 32)
        clip[..., :16] += curves[:, None, :, 0, None, None]
        clip[..., 16:] += curves[:, None, :, 1, None, None]
        return clip, curves

    for _ in range(300):
        clip, curves = batch()
        loss = torch.nn.functional.mse_loss(model(clip).sigmoid(), curves)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    clip, curves = batch()
    with torch.no_grad():
        fitted = torch.nn.functional.mse_loss(model(clip).sigmoid(), curves)
        constant = torch.nn.functional.mse_loss(curves.mean().expand_as(curves), curves)
    assert fitted < 0.2 * constant
