"""Model registry, every registered view model on tiny clips, backbones, pretrained loading, complexity."""

import socket
import threading
import time

import pytest
import timm
import torch
from huggingface_hub import constants as hf_constants
from safetensors.torch import save_file
from torch import nn

from echolab.errors import ConfigError, EcholabError
from echolab.models import create_model, list_models, model_info, register_model, registry
from echolab.models import pretrained as pretrained_loading
from echolab.models.backbones import create_backbone
from echolab.models.complexity import count_parameters, gflops_per_clip

NUM_CLASSES = 3
TINY_CLIP_SHAPE = (2, 3, 4, 64, 64)  # B, C, T, H, W
FAST_BACKBONES = ["resnet10t", "resnet18", "mobilenetv3_large_100", "vit_tiny_patch16_224"]
HEAVY_BACKBONES = ["resnet50", "convnext_tiny", "densenet121", "efficientnetv2_s"]


# Small sizes of models whose defaults are large and that take no backbone; a video ViT takes the clip's size.
SMALL = {"vit_video": {"frames": 4, "size": 64, "patch": 16, "dim": 16, "depth": 1, "heads": 2}}


def build(name: str, **arguments) -> nn.Module:
    """A seeded model, on the smallest timm backbone where the model takes one."""
    if "backbone" in model_info(name)["arguments"]:
        arguments.setdefault("backbone", "resnet10t")
    arguments = SMALL.get(name, {}) | arguments
    torch.manual_seed(0)
    return create_model(name, num_classes=NUM_CLASSES, **arguments)


@pytest.fixture
def clip() -> torch.Tensor:
    return torch.randn(TINY_CLIP_SHAPE, generator=torch.Generator().manual_seed(1))


# --- every registered view model -------------------------------------------------------------


@pytest.mark.parametrize("name", list_models("view"))
def test_view_model_gives_finite_logits_and_trains(name, clip):
    model = build(name)
    logits = model(clip)
    assert logits.shape == (TINY_CLIP_SHAPE[0], NUM_CLASSES)
    assert torch.isfinite(logits).all()

    nn.functional.cross_entropy(logits, torch.tensor([0, 2])).backward()
    first_layer = next(p for p in model.parameters() if p.requires_grad)
    assert first_layer.grad is not None and first_layer.grad.abs().sum() > 0


@pytest.mark.parametrize("name", list_models("view"))
def test_view_model_is_deterministic_in_eval(name, clip):
    model = build(name).eval()
    with torch.no_grad():
        assert torch.equal(model(clip), model(clip))


@pytest.mark.parametrize(
    ("name", "arguments"),
    [
        ("frame_cnn", {"frames": "all"}),
        ("cnn_lstm", {"bidirectional": True, "layers": 2, "readout": "mean"}),
        ("cnn_lstm", {"bidirectional": True}),
        ("r2plus1d", {"depth": 50}),
        ("x3d", {"variant": "l"}),
    ],
)
def test_model_options_keep_the_output_shape(name, arguments, clip):
    with torch.no_grad():
        assert build(name, **arguments).eval()(clip).shape == (TINY_CLIP_SHAPE[0], NUM_CLASSES)


@pytest.mark.parametrize("name", ["x3d", "r2plus1d"])
def test_3d_models_take_any_clip_size(name):
    odd_clip = torch.randn(1, 3, 5, 96, 80)  # none of the sizes pytorchvideo's fixed pooling assumes
    with torch.no_grad():
        assert build(name).eval()(odd_clip).shape == (1, NUM_CLASSES)


def test_cnn_lstm_depends_on_frame_order(clip):
    model = build("cnn_lstm").eval()
    with torch.no_grad():
        assert not torch.allclose(model(clip), model(clip.flip(2)), atol=1e-5)


def test_frame_cnn_centre_sees_only_the_centre_frame(clip):
    model = build("frame_cnn", frames="centre").eval()
    centre = clip.shape[2] // 2
    other_frames_changed = torch.randn_like(clip)
    other_frames_changed[:, :, centre] = clip[:, :, centre]
    centre_changed = clip.clone()
    centre_changed[:, :, centre] = torch.randn_like(clip[:, :, centre])
    with torch.no_grad():
        assert torch.equal(model(clip), model(other_frames_changed))
        assert not torch.allclose(model(clip), model(centre_changed), atol=1e-5)


def test_cnn_lstm_initialises_the_lstm_like_stfm():
    lstm = build("cnn_lstm", hidden=8).lstm
    hidden = lstm.hidden_size
    recurrent = lstm.weight_hh_l0
    assert torch.allclose(recurrent.T @ recurrent, torch.eye(hidden), atol=1e-5)
    forget_gate_bias = (lstm.bias_ih_l0 + lstm.bias_hh_l0)[hidden : 2 * hidden]
    assert torch.equal(forget_gate_bias, torch.ones(hidden))
    assert (lstm.bias_ih_l0 + lstm.bias_hh_l0).abs().sum() == hidden


# --- registry ---------------------------------------------------------------------------------


def test_unknown_model_suggests_a_close_name():
    with pytest.raises(
        ConfigError, match=r"unknown model 'cnn_lstn'.*'cnn_lstm'.*Registered models: .*frame_cnn"
    ):
        create_model("cnn_lstn", num_classes=NUM_CLASSES)


def test_unknown_argument_lists_the_accepted_ones():
    with pytest.raises(ConfigError, match=r"unknown argument\(s\) hiden.*hidden=256.*bidirectional=False"):
        create_model("cnn_lstm", num_classes=NUM_CLASSES, hiden=128)


@pytest.mark.parametrize("num_classes", [0, 2.0, "9", True])
def test_num_classes_must_be_a_positive_integer(num_classes):
    with pytest.raises(ConfigError, match="num_classes"):
        create_model("frame_cnn", num_classes=num_classes)


def test_invalid_choice_arguments_are_config_errors():
    with pytest.raises(ConfigError, match="frames"):
        build("frame_cnn", frames="middle")
    with pytest.raises(ConfigError, match="variant"):
        build("x3d", variant="xxl")
    with pytest.raises(ConfigError, match="depth"):
        build("r2plus1d", depth=34)


def test_register_list_and_describe_a_model(monkeypatch):
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))

    @register_model("tiny_probe", task="probe")
    class TinyProbe(nn.Module):
        """Linear probe on clip means.

        Second docstring line, not part of the summary."""

        def __init__(self, num_classes: int, width: int = 3, *, scale: float):
            super().__init__()
            self.linear = nn.Linear(width, num_classes)

    assert list_models("probe") == ["tiny_probe"]
    assert "tiny_probe" in list_models() and "tiny_probe" not in list_models("view")
    assert model_info("tiny_probe") == {
        "name": "tiny_probe",
        "task": "probe",
        "summary": "Linear probe on clip means.",
        "arguments": {"width": 3},
        "required": ["scale"],
    }
    with pytest.raises(ConfigError, match=r"needs argument\(s\) scale"):
        create_model("tiny_probe", num_classes=2)
    assert create_model("tiny_probe", num_classes=2, scale=1.0).linear.out_features == 2

    with pytest.raises(EcholabError, match="already registered"):
        register_model("tiny_probe")(nn.Identity)


def test_model_info_describes_the_view_models():
    info = model_info("cnn_lstm")
    assert info["task"] == "view"
    assert info["arguments"] == {
        "backbone": "resnet18",
        "pretrained": False,
        "hidden": 256,
        "layers": 1,
        "dropout": 0.3,
        "bidirectional": False,
        "readout": "last",
    }
    assert info["summary"].startswith("2D CNN on every frame")


# --- backbones --------------------------------------------------------------------------------


def _check_backbone(name: str) -> None:
    backbone, num_features = create_backbone(name, pretrained=False)
    with torch.no_grad():
        assert backbone.eval()(torch.randn(2, 3, 64, 64)).shape == (2, num_features)


@pytest.mark.parametrize("name", FAST_BACKBONES)
def test_backbone_pools_64px_frames_to_feature_vectors(name):
    _check_backbone(name)


@pytest.mark.slow
@pytest.mark.parametrize("name", HEAVY_BACKBONES)
def test_heavy_backbone_pools_64px_frames_to_feature_vectors(name):
    _check_backbone(name)


def test_backbone_feature_maps():
    backbone, num_features = create_backbone("resnet10t", features_only=True, out_indices=(1, 2))
    maps = backbone(torch.randn(1, 3, 64, 64))
    assert [m.shape[1] for m in maps] == [64, 128] and num_features == 128


def test_unknown_backbone_suggests_a_timm_name():
    with pytest.raises(ConfigError, match=r"unknown backbone 'resnet181'.*'resnet18'"):
        create_backbone("resnet181")


# --- pretrained weights -----------------------------------------------------------------------


@pytest.fixture
def unreachable_hub(monkeypatch, tmp_path):
    """No Hugging Face hub and empty HF and torch caches, whatever the machine's network."""
    monkeypatch.setattr(pretrained_loading, "hub_reachable", lambda: False)
    monkeypatch.setattr(hf_constants, "HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    return tmp_path


@pytest.fixture
def silent_server():
    """A TCP server that accepts connections and never answers: a black-holed network."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted = []
    stop = threading.Event()

    def accept_forever():
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    server.close()


def test_pretrained_without_network_fails_fast_with_the_fix(unreachable_hub):
    started = time.monotonic()
    with pytest.raises(
        EcholabError, match=r"could not download pretrained weights for resnet10t.*pretrained=false"
    ):
        create_model("cnn_lstm", num_classes=NUM_CLASSES, backbone="resnet10t", pretrained=True)
    assert time.monotonic() - started < 30  # a hang is endless; a loaded CI machine is only slow
    assert not hf_constants.HF_HUB_OFFLINE, "offline mode must be switched back after the attempt"


def test_unreachable_hub_is_detected_without_hanging(monkeypatch, silent_server):
    monkeypatch.setattr(hf_constants, "ENDPOINT", silent_server)
    monkeypatch.setattr(hf_constants, "HF_HUB_ETAG_TIMEOUT", 1)
    started = time.monotonic()
    assert not pretrained_loading.hub_reachable()
    assert time.monotonic() - started < 8  # below huggingface_hub's own 10 s default


def test_url_download_times_out_instead_of_hanging(monkeypatch, tmp_path, silent_server):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.setattr(pretrained_loading, "URL_SOCKET_TIMEOUT_S", 1.0)
    started = time.monotonic()
    with pytest.raises(EcholabError, match="could not download pretrained weights for x3d_xs"):
        pretrained_loading.load_state_dict_from_url(f"{silent_server}/X3D_XS.pyth", "x3d_xs")
    assert time.monotonic() - started < 30  # torch.hub alone would wait forever


def test_cached_timm_weights_load_without_network(unreachable_hub):
    torch.manual_seed(0)
    weights = timm.create_model("resnet10t").state_dict()
    commit = "0" * 40
    repo = unreachable_hub / "hf" / "models--timm--resnet10t.c3_in1k"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    (repo / "snapshots" / commit).mkdir(parents=True)
    save_file(weights, str(repo / "snapshots" / commit / "model.safetensors"))

    backbone, _ = create_backbone("resnet10t", pretrained=True)
    assert torch.equal(backbone.state_dict()["conv1.0.weight"], weights["conv1.0.weight"])


def test_cached_kinetics_weights_load_without_network_and_get_a_new_head(unreachable_hub):
    kinetics = build("x3d", variant="xs")  # stands in for the Kinetics-400 checkpoint
    kinetics.net.blocks[-1].proj = nn.Linear(kinetics.net.blocks[-1].proj.in_features, 400)
    checkpoint_dir = unreachable_hub / "torch" / "hub" / "checkpoints"
    checkpoint_dir.mkdir(parents=True)
    torch.save({"model_state": kinetics.net.state_dict()}, checkpoint_dir / "X3D_XS.pyth")

    model = create_model("x3d", num_classes=NUM_CLASSES, variant="xs", pretrained=True)
    stem = "blocks.0.conv.conv_t.weight"
    assert torch.equal(model.net.state_dict()[stem], kinetics.net.state_dict()[stem])
    assert model.net.blocks[-1].proj.out_features == NUM_CLASSES


# --- complexity -------------------------------------------------------------------------------


def test_count_parameters():
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    model[0].requires_grad_(False)
    assert count_parameters(model) == 8 + 3
    assert count_parameters(model, trainable_only=True) == 3


def test_gflops_count_one_multiply_add_as_one_flop():
    assert gflops_per_clip(nn.Linear(10, 5, bias=False), (1, 10)) == pytest.approx(50e-9)
    lstm = nn.LSTM(16, 8, num_layers=2, batch_first=True, bidirectional=True)
    steps = 5
    expected = (
        2 * steps * 4 * 8 * ((16 + 8) + (2 * 8 + 8))
    )  # directions x steps x gates x hidden x (input + state)
    assert gflops_per_clip(lstm, (1, steps, 16)) == pytest.approx(expected / 1e9)


def test_gflops_leave_the_model_untouched():
    model = nn.Sequential(nn.Conv3d(3, 4, 3), nn.BatchNorm3d(4)).train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    assert gflops_per_clip(model, (1, 3, 4, 8, 8)) > 0
    assert model.training
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_tsm_sees_frame_order():
    torch.manual_seed(0)
    model = create_model("tsm", num_classes=3, backbone="resnet10t").eval()
    for module in model.modules():  # timm zero-inits each block's last BN, which hides the shifts at init
        if isinstance(module, nn.BatchNorm2d):
            nn.init.ones_(module.weight)
    clip = torch.randn(1, 3, 4, 64, 64)
    with torch.no_grad():
        forward, backward = model(clip), model(clip.flip(2))
        assert not torch.allclose(forward, backward, atol=1e-5)  # a frame-wise CNN + mean would be equal


def test_frame_differences_are_the_motion_between_frames():
    from echolab.models.backbones import with_frame_differences

    clip = torch.arange(2 * 4, dtype=torch.float32).view(1, 2, 4, 1, 1).expand(1, 2, 4, 3, 3)
    paired = with_frame_differences(clip)
    assert paired.shape == (1, 4, 4, 3, 3) and torch.equal(paired[:, :2], clip)
    assert torch.equal(paired[:, 2:, 0], torch.zeros(1, 2, 3, 3))
    assert torch.equal(paired[:, 2:, 1:], torch.ones(1, 2, 3, 3, 3))


def test_tsm_with_frame_difference_takes_six_channels_and_sees_a_still_clip_as_still():
    torch.manual_seed(0)
    model = create_model("tsm", num_classes=3, backbone="resnet10t", frame_difference=True).eval()
    assert model.backbone.conv1[0].in_channels == 6
    still = torch.randn(1, 3, 1, 32, 32).expand(1, 3, 4, 32, 32)
    moving = still.roll(2, dims=-1)
    moving = torch.cat([still[:, :, :2], moving[:, :, 2:]], dim=2)
    with torch.no_grad():
        assert model(still).shape == (1, 3)
        assert not torch.allclose(model(still), model(moving), atol=1e-5)


def test_tsm_needs_a_resnet_backbone():
    with pytest.raises(ConfigError, match="not a ResNet"):
        create_model("tsm", num_classes=3, backbone="mobilenetv3_small_050")
