"""The pretraining encoder: shapes, what `keep` means, the registry entry, and its configuration errors."""

import pytest
import torch

from echolab.errors import ConfigError
from echolab.models import create_model, list_models, model_info
from echolab.models.pretrain import VideoViT
from echolab.models.pretrain.video_vit import sincos_positions, take_tokens

SIZES = {"frames": 4, "size": 32, "patch": 8, "tubelet": 2, "dim": 24, "depth": 2, "heads": 2}


@pytest.fixture
def encoder() -> VideoViT:
    torch.manual_seed(0)
    return VideoViT(**SIZES).eval()


@pytest.fixture
def clips() -> torch.Tensor:
    return torch.randn(2, 3, 4, 32, 32, generator=torch.Generator().manual_seed(1))


def test_grid_tokens_and_features(encoder, clips):
    assert encoder.grid == (2, 4, 4) and encoder.num_patches == 32 and encoder.dim == 24
    tokens = encoder(clips)
    assert tokens.shape == (2, 33, 24)
    features = encoder.features(clips)
    assert set(features) == {"cls", "mean"}
    assert torch.equal(features["cls"], tokens[:, 0])
    assert torch.allclose(features["mean"], tokens[:, 1:].mean(1))


def test_keep_selects_visible_tokens_that_carry_their_positions(encoder, clips):
    keep = torch.tensor([[0, 5, 17, 31], [3, 4, 20, 30]])
    with torch.no_grad():
        masked = encoder(clips, keep)
        assert masked.shape == (2, 5, 24)
        # the same tokens in another order: each token keeps its own position, so each comes out the same
        reordered = encoder(clips, keep.flip(1))
        assert torch.allclose(reordered[:, 0], masked[:, 0], atol=1e-5)
        assert torch.allclose(reordered[:, 1:].flip(1), masked[:, 1:], atol=1e-5)
        # other tokens than these give other outputs
        assert not torch.allclose(encoder(clips, (keep + 1) % 32)[:, 0], masked[:, 0])


def test_encode_shares_one_embedding_between_views(encoder, clips):
    keep = torch.tensor([[1, 2], [3, 4]])
    with torch.no_grad():
        assert torch.allclose(encoder.encode(encoder.embed_patches(clips), keep), encoder(clips, keep))


def test_take_tokens_gathers_per_sample():
    tokens = torch.arange(2 * 5 * 3).view(2, 5, 3)
    taken = take_tokens(tokens, torch.tensor([[4, 0], [1, 1]]))
    assert torch.equal(taken, torch.stack([tokens[0, [4, 0]], tokens[1, [1, 1]]]))


def test_positions_are_distinct_per_token_and_an_image_is_a_one_frame_video():
    positions = sincos_positions(24, (2, 4, 4))
    assert positions.shape == (32, 24)
    assert len(torch.unique(positions, dim=0)) == 32
    image = VideoViT(frames=1, size=32, patch=8, tubelet=1, dim=24, depth=1, heads=2)
    assert image.grid == (1, 4, 4)
    assert image(torch.randn(3, 3, 1, 32, 32)).shape == (3, 17, 24)


def test_registered_as_a_pretraining_encoder_without_classes():
    assert "video_vit" in list_models("pretrain") and "video_vit" not in list_models("view")
    info = model_info("video_vit")
    assert info["task"] == "pretrain"
    assert info["required"] == ["frames", "size", "patch", "tubelet", "dim", "depth", "heads"]
    assert isinstance(create_model("video_vit", task="pretrain", **SIZES), VideoViT)
    with pytest.raises(ConfigError, match="encoder without a classifier; it takes no num_classes"):
        create_model("video_vit", num_classes=3, **SIZES)
    with pytest.raises(ConfigError, match="num_classes must be a positive integer, got None"):
        create_model("frame_cnn")


def test_inconsistent_sizes_are_all_named():
    with pytest.raises(ConfigError) as error:
        VideoViT(frames=5, size=30, patch=8, tubelet=2, dim=24, depth=1, heads=5)
    message = str(error.value)
    assert "frames=5 is not a multiple of tubelet=2" in message
    assert "size=30 is not a multiple of patch=8" in message
    assert "dim=24 is not a multiple of heads=5" in message
    with pytest.raises(ConfigError, match="even dim >= 6"):
        VideoViT(frames=2, size=8, patch=8, tubelet=2, dim=5, depth=1, heads=1)


def test_a_clip_of_the_wrong_shape_is_refused(encoder):
    with pytest.raises(ValueError, match=r"expects clips \(B, C, 4, 32, 32\), got \(1, 3, 8, 32, 32\)"):
        encoder(torch.zeros(1, 3, 8, 32, 32))
