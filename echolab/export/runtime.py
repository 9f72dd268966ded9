"""Exported models behind the interface echolab's tasks already use, so `echolab predict` has one path.

`load_exported(path)` reads the sidecar, loads each part (onnxruntime for ONNX, torch.jit for
TorchScript) and rebuilds the task's LightningModule from the sidecar's hyper-parameters around an
exported network: `ExportedModel` (clips -> logits, like a view model or cnn3d_lstm) or
`ExportedFrameHalves` (a KeyframeModel whose per-frame CNN and temporal head are the two exported
parts, so sliding-window inference reuses frame features as it does with the checkpoint).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from echolab.errors import ExportError
from echolab.export.sidecar import read_sidecar
from echolab.models.keyframe.base import KeyframeModel

EXTRA_HINT = "install the optional extra: `uv sync --extra export` (or `pip install 'echolab[export]'`)"


def import_onnxruntime():
    try:
        import onnxruntime
    except ImportError:
        raise ExportError(
            f"running an ONNX model needs onnxruntime, which is not installed; {EXTRA_HINT}"
        ) from None
    return onnxruntime


class OnnxPart:
    """One ONNX file run by onnxruntime on the CPU, with as many threads as torch uses (fair comparisons)."""

    def __init__(self, path: Path, spec: dict):
        ort = import_onnxruntime()
        options = ort.SessionOptions()
        options.intra_op_num_threads = torch.get_num_threads()
        options.inter_op_num_threads = 1
        try:
            self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as err:  # onnxruntime raises its own types for unreadable or invalid models
            raise ExportError(
                f"{path} is not a model onnxruntime can load ({str(err).splitlines()[0]})"
            ) from None
        self.input, self.output = spec["input"]["name"], spec["output"]["name"]

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        array = x.detach().to("cpu", torch.float32).contiguous().numpy()
        (result,) = self.session.run([self.output], {self.input: array})
        return torch.from_numpy(result).to(x.device)


class TorchScriptPart(nn.Module):
    """One method of a TorchScript module (a module so that `.to(device)` moves its weights)."""

    def __init__(self, script: torch.jit.ScriptModule, method: str):
        super().__init__()
        self.script, self.method = script, method

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return getattr(self.script, self.method)(x)


def load_torchscript(path: Path) -> torch.jit.ScriptModule:
    with warnings.catch_warnings():
        # torch >= 2.10 marks TorchScript deprecated on every load: nothing a user can change here.
        warnings.filterwarnings("ignore", message=r"`torch\.jit\.\w+` is deprecated", category=FutureWarning)
        try:
            return torch.jit.load(str(path), map_location="cpu").eval()
        except (
            Exception
        ) as err:  # torch.jit raises RuntimeError subclasses for files that are not TorchScript
            raise ExportError(f"{path} is not a TorchScript model ({str(err).splitlines()[0]})") from None


def load_parts(format_name: str, specs: dict[str, dict], paths: dict[str, Path]) -> dict[str, Callable]:
    """Each part (`specs`, the sidecar's `parts`; its file at `paths[name]`) as a callable tensor -> tensor;
    a TorchScript file holding several parts is loaded once."""
    scripts: dict[Path, torch.jit.ScriptModule] = {}
    parts = {}
    for name, spec in specs.items():
        path = paths[name]
        if format_name == "onnx":
            parts[name] = OnnxPart(path, spec)
        else:
            if path not in scripts:
                scripts[path] = load_torchscript(path)
            parts[name] = TorchScriptPart(scripts[path], spec["method"])
    return parts


class ExportedModel(nn.Module):
    """An exported network taking whole clips: (B, C, T, H, W) -> logits."""

    reuses_frame_features = False  # read by keyframe sliding windows: each window goes through whole

    def __init__(self, model: Callable[[torch.Tensor], torch.Tensor]):
        super().__init__()
        self.part = model

    def forward(self, clips: torch.Tensor) -> torch.Tensor:
        return self.part(clips)


class ExportedFrameHalves(KeyframeModel):
    """A keyframe model from its two exported halves; `forward` composes them as KeyframeModel does."""

    reuses_frame_features = True

    def __init__(self, frame_features: Callable, temporal_head: Callable):
        super().__init__()
        self.frame_part, self.temporal_part = frame_features, temporal_head

    def frame_features(self, frames: torch.Tensor) -> torch.Tensor:
        return self.frame_part(frames)

    def temporal_head(self, features: torch.Tensor) -> torch.Tensor:
        return self.temporal_part(features)


def exported_network(sidecar: dict, folder: Path) -> nn.Module:
    specs = sidecar["parts"]
    parts = load_parts(
        sidecar["format"], specs, {name: folder / spec["file"] for name, spec in specs.items()}
    )
    if "frame_features" in parts:
        return ExportedFrameHalves(parts["frame_features"], parts["temporal_head"])
    return ExportedModel(parts["model"])


def load_exported(path: str | Path):
    """The task's LightningModule around the exported model `path` names (its sidecar or a model file)."""
    from echolab.tasks.registry import TASKS  # the registry imports every task: only when predicting

    sidecar, folder = read_sidecar(path)
    if sidecar["task"] not in TASKS:
        raise ExportError(
            f"{path} is an exported {sidecar['task']!r} model, a task this echolab does not know"
        )
    network = exported_network(sidecar, folder)
    module = TASKS[sidecar["task"]].module(**sidecar["echolab"]["hyper_parameters"], network=network)
    return module.eval()
