"""`echolab export ckpt=PATH format=onnx|torchscript [out=FILE]`: model file(s) plus a JSON sidecar.

The checkpoint alone rebuilds its task (predict.load_task: the model registry and the saved
hyper-parameters); its network's parts (parts.py) are written in the format asked for, each file is
loaded back and checked against PyTorch on a random input of another batch size, and the sidecar
(sidecar.py) is written last. Files appear whole or not at all: each is written under a temporary
name and renamed, and nothing that exists is overwritten.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from pathlib import Path

import torch
from torch import nn

from echolab.errors import EcholabError, ExportError
from echolab.export import formats, sidecar
from echolab.export.parts import Part, network_parts
from echolab.export.runtime import load_parts

CHECK_BATCH = 3  # the files are checked on a batch they were not traced with
TOLERANCE = 1e-4  # largest difference from PyTorch accepted, relative to the output's scale (at least 1)
_FIX = "try the other format=, or predict with the checkpoint itself"


def export_checkpoint(ckpt: str | Path, format_name: str, out: str | Path | None = None) -> Path:
    """Export the checkpoint `ckpt`; returns the sidecar's path. Prints what it wrote."""
    from echolab.predict import load_task

    if sidecar.is_exported(ckpt):
        raise ExportError(f"{ckpt} is an exported model already; export from its checkpoint (a .ckpt file)")
    formats.check_format(format_name)
    suffix = formats.FORMATS[format_name]
    out = Path(out) if out else Path(ckpt).with_suffix(suffix)
    if out.suffix != suffix:
        raise ExportError(f"out={out}: a {format_name} model file ends in {suffix}; pass out=NAME{suffix}")
    module = load_task(ckpt)
    if not hasattr(module, "model"):  # a pretraining checkpoint: an encoder and its teachers, no predictor
        raise ExportError(
            f"{ckpt} is a {module.task_name} checkpoint, which holds no predicting model to export; "
            "fine-tune a view or keyframe model from it and export that"
        )
    task, network, hparams = module.task_name, module.model, dict(module.hparams)
    model_name = hparams["model"]["name"]
    parts = network_parts(task, network, hparams["preprocess"])
    split = format_name == "onnx" and len(parts) > 1  # TorchScript keeps every part in one file
    files = {part.name: sidecar.part_file(out, part.name, split) for part in parts}
    side = sidecar.sidecar_path(out)
    written = list(dict.fromkeys(files.values()))  # one TorchScript file may hold several parts
    taken = [str(path) for path in (*written, side) if path.exists()]
    if taken:
        raise ExportError(
            f"{', '.join(taken)} exists; choose another out= (echolab never overwrites outputs)"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    print(f"exporting the {task} model {model_name} of {ckpt} to {format_name} (a minute for large models)")
    partial = {path: _partial(path) for path in written}
    try:
        refusal = f"{ckpt}: model {model_name} cannot be exported to {format_name}"
        _write(format_name, network, parts, {p.name: partial[files[p.name]] for p in parts}, refusal)
        specs = {part.name: part_spec(part, network, files[part.name], format_name) for part in parts}
        loaded = load_parts(format_name, specs, {p.name: partial[files[p.name]] for p in parts})
        differences = {part.name: _check(part, network, loaded[part.name], refusal) for part in parts}
        for path in written:
            os.replace(partial[path], path)
    finally:
        for path in partial.values():
            path.unlink(missing_ok=True)
    provenance = {
        "checkpoint": str(ckpt),
        "torch": torch.__version__,
        "exporter": "torch.onnx.export(dynamo=True)" if format_name == "onnx" else "torch.jit.trace_module",
        **({"onnx_opset": formats.onnx_opset(written[0])} if format_name == "onnx" else {}),
        "max_difference_from_pytorch": differences,
    }
    _write_atomically(side, sidecar.build(task, format_name, hparams, specs, provenance))
    for path in written:
        print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    worst = max(differences.values())
    print(f"wrote {side}: {task} model {model_name}, largest difference from PyTorch {worst:.1e}")
    return side


def _write(
    format_name: str, network: nn.Module, parts: list[Part], paths: dict[str, Path], refusal: str
) -> None:
    try:
        if format_name == "onnx":
            for part in parts:
                formats.write_onnx(network, part, paths[part.name])
        else:
            formats.write_torchscript(network, parts, paths[parts[0].name])
    except EcholabError:
        raise
    except Exception as err:  # exporters raise many types; the first line says why
        raise ExportError(f"{refusal}: {_first_line(err)}; {_FIX}") from None


def part_spec(part: Part, network: nn.Module, path: Path, format_name: str) -> dict:
    """The sidecar's entry for one part: its file, (TorchScript) method, input and output."""
    with torch.no_grad():
        output = getattr(network, part.method)(part.example)
    return {
        "file": path.name,
        **({"method": part.method} if format_name == "torchscript" else {}),
        "input": {
            "name": part.input,
            "layout": part.layout,
            "shape": ["batch", *part.example.shape[1:]],
            "dtype": "float32",
        },
        "output": {"name": part.output, "shape": ["batch", *output.shape[1:]], "dtype": "float32"},
    }


def _check(part: Part, network: nn.Module, loaded, refusal: str) -> float:
    """The largest difference between a written part and PyTorch on a fresh input of another batch size."""
    x = part.inputs(CHECK_BATCH, torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected = getattr(network, part.method)(x)
        try:
            got = loaded(x)
        except Exception as err:  # e.g. an exporter that fixed the batch size it was traced with
            raise ExportError(
                f"{refusal}: its exported {part.name} does not run on a batch of {CHECK_BATCH} "
                f"({_first_line(err)}); {_FIX}"
            ) from None
    difference = float((expected - got).abs().max())
    if not difference <= TOLERANCE * max(1.0, float(expected.abs().max())):  # also refuses NaN
        raise ExportError(
            f"{refusal}: its exported {part.name} gives outputs {difference:.2g} away from PyTorch's on an "
            "input it was not traced with (the model's code takes a path that depends on the input's values or "
            f"batch size); {_FIX}"
        )
    return difference


def _partial(path: Path) -> Path:
    return path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.partial")


def _write_atomically(path: Path, content: dict) -> None:
    partial = _partial(path)
    try:
        partial.write_text(json.dumps(content, indent=2) + "\n")
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _first_line(err: BaseException) -> str:
    """Why an exporter failed, in one line: its innermost cause (torch.onnx wraps the real reason in
    errors that list its own next steps), first line, without terminal colours."""
    while err.__cause__ is not None:
        err = err.__cause__
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line).strip() for line in str(err).splitlines()]
    text = f"{type(err).__name__}: {next((line for line in lines if line), 'no message')}"
    return text if len(text) <= 300 else text[:297] + "..."
