"""The zoo's own models: SlowFast's pathways, Video Swin's sizes, TimeSformer's divided attention, weights."""

import pytest
import torch
from torch import nn

from echolab.errors import ConfigError
from echolab.models import create_model
from echolab.models.complexity import count_parameters, gflops_per_clip
from echolab.models.view.timesformer import DividedSpaceTimeBlock

TINY_SWIN = {"embed_dim": 24, "depths": [1, 1, 1, 1], "num_heads": [1, 2, 4, 8]}
TINY_TIMESFORMER = {"patch_size": 8, "embed_dim": 32, "depth": 2, "heads": 2}


def seeded(name: str, **arguments) -> nn.Module:
    torch.manual_seed(0)
    return create_model(name, num_classes=3, **arguments)


# --- SlowFast ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("frames", "slow_frames"), [(1, 1), (4, 1), (5, 2), (8, 2), (9, 3)])
def test_slowfast_slow_pathway_takes_every_alpha_th_frame(frames, slow_frames):
    model = seeded("slowfast").eval()
    seen = []
    model.net.blocks[0].register_forward_pre_hook(
        lambda _, inputs: seen.append([t.clone() for t in inputs[0]])
    )
    clip = torch.randn(1, 3, frames, 32, 32)
    with torch.no_grad():
        assert model(clip).shape == (1, 3)
    slow, fast = seen[0]
    assert slow.shape[2] == slow_frames and torch.equal(slow, clip[:, :, ::4])
    assert torch.equal(fast, clip)


def test_slowfast_gives_the_same_answer_when_called_again():
    # pytorchvideo writes pathway outputs into the list it is given; a reused list would feed the
    # second call the first call's features.
    model = seeded("slowfast").eval()
    clip = torch.randn(2, 3, 8, 32, 32)
    with torch.no_grad():
        first, second = model(clip), model(clip)
    assert torch.equal(first, second)


def test_slowfast_alpha_changes_the_slow_pathway_and_checks_its_arguments():
    with torch.no_grad():
        assert seeded("slowfast", alpha=2).eval()(torch.randn(1, 3, 6, 32, 32)).shape == (1, 3)
    with pytest.raises(ConfigError, match="alpha"):
        seeded("slowfast", alpha=0)
    with pytest.raises(ConfigError, match="depth 18 is unknown; choose one of 50, 101"):
        seeded("slowfast", depth=18)
    with pytest.raises(ConfigError, match="alpha=4"):
        seeded("slowfast", alpha=2, pretrained=True)


# --- Video Swin -------------------------------------------------------------------------------


def test_video_swin_custom_sizes_make_a_smaller_network():
    standard, tiny = seeded("video_swin"), seeded("video_swin", **TINY_SWIN)
    assert count_parameters(standard) == pytest.approx(27.85e6, rel=0.01)  # Swin-T: 28 M
    assert count_parameters(tiny) < count_parameters(standard) / 20
    assert [len(stage) for stage in tiny.net.features[::2]] == [1, 1, 1, 1]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"variant": "xl"}, "variant .xl. is unknown; choose one of"),
        ({"depths": [1, 1], "num_heads": [1, 2, 4]}, "one entry per stage"),
        ({"embed_dim": 20, "depths": [1, 1], "num_heads": [3, 3]}, "not divisible by num_heads"),
        ({"pretrained": True, **TINY_SWIN}, "pretrained weights exist only for the standard sizes"),
    ],
)
def test_video_swin_rejects_bad_sizes(arguments, message):
    with pytest.raises(ConfigError, match=message):
        seeded("video_swin", **arguments)


# --- TimeSformer ------------------------------------------------------------------------------


def _block_with(branches_off: tuple[str, ...]) -> DividedSpaceTimeBlock:
    """A random block with some residual branches silenced (their output layer zeroed)."""
    torch.manual_seed(0)
    block = DividedSpaceTimeBlock(dim=16, heads=2, mlp_ratio=2.0, dropout=0.0).eval()
    nn.init.normal_(block.time_out.weight)  # TimeSformer starts it at zero; switch the branch on
    outputs = {"time": block.time_out, "space": block.space_attention.proj, "mlp": block.mlp[3]}
    for branch in branches_off:
        nn.init.zeros_(outputs[branch].weight)
        nn.init.zeros_(outputs[branch].bias)
    return block


def _changed_tokens(block: DividedSpaceTimeBlock) -> torch.Tensor:
    """Which (frame, position) outputs change when the input at frame 0, position 0 changes."""
    cls, patches = torch.randn(1, 1, 16), torch.randn(1, 3, 5, 16)
    poked = patches.clone()
    poked[0, 0, 0] += torch.randn(16)  # not a constant: LayerNorm would remove that
    with torch.no_grad():
        before, after = block(cls, patches)[1], block(cls, poked)[1]
    return (before - after).abs().amax(-1)[0] > 1e-6


def test_timesformer_time_attention_mixes_one_position_across_frames():
    changed = _changed_tokens(_block_with(("space", "mlp")))
    assert changed[:, 0].all()  # position 0 in every frame
    assert not changed[:, 1:].any()  # no other position


def test_timesformer_space_attention_mixes_one_frame_across_positions():
    changed = _changed_tokens(_block_with(("time", "mlp")))
    assert changed[0].all()  # every position of frame 0
    assert not changed[1:].any()  # no other frame


def test_timesformer_new_blocks_start_without_temporal_mixing():
    block = DividedSpaceTimeBlock(dim=16, heads=2, mlp_ratio=2.0, dropout=0.0)
    assert not block.time_out.weight.any() and not block.time_out.bias.any()


def test_timesformer_depends_on_frame_order():
    model = seeded("timesformer", **TINY_TIMESFORMER).eval()
    for block in model.blocks:
        nn.init.normal_(block.time_out.weight, std=0.1)
    clip = torch.randn(2, 3, 4, 32, 32)
    with torch.no_grad():
        assert not torch.allclose(model(clip), model(clip.flip(2)), atol=1e-5)


def test_timesformer_refuses_clips_smaller_than_a_patch():
    with pytest.raises(ConfigError, match="smaller than one 16 px patch"):
        seeded("timesformer", patch_size=16, embed_dim=32, depth=1, heads=2)(torch.randn(1, 3, 2, 12, 40))
    with pytest.raises(ConfigError, match="divisible by heads"):
        seeded("timesformer", embed_dim=30, heads=4)


def test_timesformer_compute_grows_with_frames_and_patches():
    model = seeded("timesformer", **TINY_TIMESFORMER)
    four, eight = (gflops_per_clip(model, (1, 3, t, 32, 32)) for t in (4, 8))
    assert eight == pytest.approx(2 * four, rel=0.1)  # time attention is tiny next to the rest
    assert gflops_per_clip(model, (1, 3, 4, 64, 64)) > 3.5 * four


# --- every zoo model --------------------------------------------------------------------------

ZOO = [("slowfast", {}), ("video_swin", TINY_SWIN), ("timesformer", TINY_TIMESFORMER)]


@pytest.mark.parametrize(("name", "arguments"), ZOO)
def test_zoo_models_take_odd_clip_sizes(name, arguments):
    with torch.no_grad():
        assert seeded(name, **arguments).eval()(torch.randn(1, 3, 5, 72, 56)).shape == (1, 3)


@pytest.fixture
def cached_torch_hub(monkeypatch, tmp_path):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    (tmp_path / "hub" / "checkpoints").mkdir(parents=True)
    return tmp_path / "hub" / "checkpoints"


def test_cached_slowfast_kinetics_weights_load_with_a_new_head(cached_torch_hub):
    kinetics = create_model("slowfast", num_classes=400)  # stands in for the Kinetics-400 checkpoint
    torch.save({"model_state": kinetics.net.state_dict()}, cached_torch_hub / "SLOWFAST_8x8_R50.pyth")
    model = seeded("slowfast", pretrained=True)
    assert torch.equal(
        model.state_dict()["net.blocks.0.multipathway_blocks.0.conv.weight"],
        kinetics.state_dict()["net.blocks.0.multipathway_blocks.0.conv.weight"],
    )
    assert model.net.blocks[-1].proj.out_features == 3


def test_cached_video_swin_kinetics_weights_load_with_a_new_head(cached_torch_hub):
    kinetics = create_model("video_swin", num_classes=400)
    state = {k.replace("head.1.", "head."): v for k, v in kinetics.net.state_dict().items()}
    torch.save(state, cached_torch_hub / "swin3d_t-7615ae03.pth")
    model = seeded("video_swin", pretrained=True)
    assert torch.equal(model.net.patch_embed.proj.weight, kinetics.net.patch_embed.proj.weight)
    assert model.net.head[1].out_features == 3
