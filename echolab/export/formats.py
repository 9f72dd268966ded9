"""Writing a network's parts as ONNX or TorchScript files.

ONNX: `torch.onnx.export(dynamo=True)`, the torch.export-based exporter (torch's default since 2.9; it
needs onnxscript, part of the `export` extra, and nothing from the network). The TorchScript-based
exporter (`dynamo=False`) also works on this torch but warns that it will be removed, so echolab does
not build on it. One graph per part, weights inside the file (no external data), the batch axis free.

TorchScript: `torch.jit.trace_module`, every part a method of one module in one file (a keyframe
model's halves share its weights). torch >= 2.10 marks TorchScript deprecated; it still traces and
runs, and stays offered for C++ (libtorch) deployments. Tracing records one path through the code:
exporter.py therefore checks every written file against PyTorch on an input it was not traced with.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import torch
from torch import nn

from echolab.errors import ExportError, check_choice
from echolab.export.parts import Part, as_module
from echolab.export.runtime import EXTRA_HINT

FORMATS = {"onnx": ".onnx", "torchscript": ".pt"}  # format -> model file suffix


def check_format(format_name: str) -> None:
    check_choice("format", format_name, FORMATS)
    if format_name == "onnx":
        for package in ("onnx", "onnxscript", "onnxruntime"):
            try:
                __import__(package)
            except ImportError:
                raise ExportError(
                    f"ONNX export needs {package}, which is not installed; {EXTRA_HINT}"
                ) from None


def write_onnx(network: nn.Module, part: Part, path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's own notes on its passes: nothing a user can act on
        program = torch.onnx.export(
            as_module(network, part),
            (part.example,),
            dynamo=True,
            verbose=False,
            input_names=[part.input],
            output_names=[part.output],
            dynamic_shapes=({0: torch.export.Dim("batch")},),
        )
    program.save(str(path), external_data=False)


def write_torchscript(network: nn.Module, parts: list[Part], path: Path) -> None:
    with warnings.catch_warnings():
        # Deprecation notes and TracerWarnings about Python values baked into the trace: the check
        # against PyTorch on a fresh input (exporter.py) is what tells whether the trace is right.
        warnings.filterwarnings("ignore", message=r"`torch\.jit\.\w+` is deprecated", category=FutureWarning)
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
        traced = torch.jit.trace_module(network, {p.method: (p.example,) for p in parts}, check_trace=False)
        torch.jit.save(traced, str(path))


def onnx_opset(path: Path) -> int:
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    return next(entry.version for entry in model.opset_import if entry.domain in ("", "ai.onnx"))
