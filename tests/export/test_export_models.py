"""Every registered model, exported: ONNX and TorchScript give PyTorch's outputs within 1e-4 on a random
tiny clip (a batch size it was not traced with), and the sidecar says how to feed and read it."""

import json

import pytest
import torch

from echolab.errors import ExportError
from echolab.export.exporter import export_checkpoint
from echolab.export.formats import FORMATS
from echolab.models import list_models, model_info
from echolab.predict import load_task
from echolab.tasks.keyframe.sliding_window import sliding_window_curves
from tests.export.checkpoints import (
    KEYFRAME_PREPROCESS,
    VIEW_PREPROCESS,
    keyframe_checkpoint,
    view_checkpoint,
)

TOLERANCE = 1e-4
SMALL = {
    "video_swin": {"embed_dim": 24, "depths": [1, 1, 1, 1], "num_heads": [1, 2, 4, 8]},
    "timesformer": {"patch_size": 8, "embed_dim": 32, "depth": 2, "heads": 2},
    "stfm": {"lstm_hidden": 16, "embed_dim": 16},
    "resnet_vst": {"dim": 16, "heads": 2, "window": 4},
    "resnet_lstm": {"hidden": 8},
    "cnn3d_lstm": {"channels": [4, 8], "hidden": 8},
    # video ViTs take the clip's frames and size (VIEW_PREPROCESS, KEYFRAME_PREPROCESS)
    "vit_video": {"frames": 4, "size": 32, "patch": 8, "dim": 16, "depth": 1, "heads": 2},
    "vit_keyframe": {"frames": 8, "size": 32, "patch": 8, "dim": 16, "depth": 1, "heads": 2},
}
FAST = {"frame_cnn", "cnn3d_lstm"}  # the default TSM and ResNet+VST are exported in test_export_predict.py
# What a format cannot do, and the reason its one-line error gives: pytorchvideo's Swish (in X3D) is a
# Python autograd Function, which a TorchScript file cannot hold.
CANNOT = {("x3d", "torchscript"): "Could not export Python function call 'SwishFunction'"}


def tiny(name: str) -> dict:
    arguments = dict(SMALL.get(name, {}))
    if "backbone" in model_info(name)["arguments"]:
        arguments["backbone"] = "resnet10t"
    return {"name": name, **arguments}


def models(task: str) -> list:
    return [pytest.param(name, marks=() if name in FAST else pytest.mark.slow) for name in list_models(task)]


def export_both(ckpt, folder, name: str) -> dict:
    """format -> the task module rebuilt around the exported model, for the formats the model can do;
    the others must refuse in one line with their reason."""
    exported = {}
    for format_name, suffix in FORMATS.items():
        if (name, format_name) in CANNOT:
            with pytest.raises(
                ExportError, match=f"model {name} cannot be exported to {format_name}: "
            ) as error:
                export_checkpoint(ckpt, format_name, folder / f"model{suffix}")
            assert CANNOT[name, format_name] in str(error.value) and "\n" not in str(error.value)
            continue
        export_checkpoint(ckpt, format_name, folder / f"model{suffix}")
        exported[format_name] = load_task(folder / f"model{suffix}")
    return exported


@pytest.mark.parametrize("name", models("view"))
def test_exported_view_model_gives_the_checkpoints_logits(name, tmp_path):
    ckpt = view_checkpoint(tmp_path / "view.ckpt", tiny(name))
    clip = torch.randn(
        1, 3, VIEW_PREPROCESS["clip"]["frames"], 32, 32, generator=torch.Generator().manual_seed(5)
    )
    with torch.no_grad():
        expected = load_task(ckpt).model(clip)
        for format_name, module in export_both(ckpt, tmp_path, name).items():
            assert (module.model(clip) - expected).abs().max() <= TOLERANCE, format_name


@pytest.mark.parametrize("name", models("keyframe"))
def test_exported_keyframe_model_gives_the_checkpoints_curves(name, tmp_path):
    ckpt = keyframe_checkpoint(tmp_path / "kf.ckpt", tiny(name))
    window = KEYFRAME_PREPROCESS["clip"]["frames"]
    video = torch.randn(3, 13, 32, 32, generator=torch.Generator().manual_seed(5))  # 6 windows of 8 frames
    checkpoint_model = load_task(ckpt).model
    expected = sliding_window_curves(checkpoint_model, video, 13, window=window)
    for format_name, module in export_both(ckpt, tmp_path, name).items():
        assert module.model.reuses_frame_features == checkpoint_model.reuses_frame_features
        curves = sliding_window_curves(module.model, video, 13, window=window)
        assert (curves - expected).abs().max() <= TOLERANCE, format_name
    split = (
        checkpoint_model.reuses_frame_features
    )  # ONNX: the per-frame CNN and the head in files of their own
    onnx_files = {"model.frames.onnx", "model.temporal.onnx"} if split else {"model.onnx"}
    assert {p.name for p in tmp_path.glob("*.onnx")} == onnx_files


def test_view_sidecar_says_how_to_prepare_clips_and_fuse_them(tmp_path):
    ckpt = view_checkpoint(
        tmp_path / "view.ckpt", tiny("frame_cnn"), loss="re_edl", fusion="alpha_sum", prior_weight=0.7
    )
    side = json.loads(export_checkpoint(ckpt, "onnx", tmp_path / "best.onnx").read_text())
    assert (side["task"], side["format"], side["classes"]) == ("view", "onnx", ["PLHLA", "A4C", "SC4C"])
    assert side["parts"]["model"]["file"] == "best.onnx"
    assert side["parts"]["model"]["input"] == {
        "name": "clips",
        "layout": "NCTHW",
        "shape": ["batch", 3, 4, 32, 32],
        "dtype": "float32",
    }
    assert side["parts"]["model"]["output"]["shape"] == ["batch", 3]
    steps = side["preprocessing"]["steps"]
    assert steps[0]["resize_shorter_side"] == 48 and steps[1]["resize_shorter_side"] == round(32 * 256 / 224)
    assert steps[2] == {"centre_crop": 32}
    assert steps[3]["mean"] == [0.485, 0.456, 0.406] and steps[3]["std"] == [0.229, 0.224, 0.225]
    clips = side["clips"]
    assert (clips["frames"], clips["stride"], clips["per_video"], clips["placement"]) == (4, 2, 3, "centre")
    assert clips["first_frames"] == 40 and "floor(linspace(0, m - 1, per_video))" in clips["indices"]
    fusion = side["fusion"]
    assert (fusion["rule"], fusion["evidence"], fusion["prior"]) == ("alpha_sum", "softplus(logits)", 0.7)
    assert "A = sum_j alpha_j" in fusion["formula"]
    assert side["exported"]["max_difference_from_pytorch"]["model"] <= TOLERANCE


def test_keyframe_sidecar_says_window_sigma_and_peaks(tmp_path):
    ckpt = keyframe_checkpoint(tmp_path / "kf.ckpt", tiny("cnn3d_lstm"))
    side = json.loads(export_checkpoint(ckpt, "torchscript", tmp_path / "kf.pt").read_text())
    assert (side["task"], side["classes"]) == ("keyframe", ["ED", "ES"])
    assert side["parts"]["model"] | {"input": None, "output": None} == {
        "file": "kf.pt",
        "method": "forward",
        "input": None,
        "output": None,
    }
    assert side["parts"]["model"]["output"]["shape"] == ["batch", 8, 2]
    assert side["sliding_window"]["window"] == 8 and side["sliding_window"]["stride"] == 1
    peaks = side["peaks"]
    assert (peaks["min_distance_s"], peaks["prominence"], peaks["sigma"]) == (0.2, 0.01, 4.0)
    assert (peaks["fallback_fps"], peaks["refine"]) == (50.0, True)
    assert side["preprocessing"]["steps"][1]["resize_shorter_side"] == 32  # keyframes: resize, no crop margin
