"""Per-video CPU latency of an exported view model: PyTorch eager vs TorchScript vs onnxruntime.

For each experiment (the default view_synthetic and stfm_synthetic, at `profile=cpu`, the form
`make train` trains) its model is built with random weights (latency does not depend on them),
written as ONNX and TorchScript by echolab's own exporters, and loaded back as `echolab predict`
loads them. One video is the experiment's `eval_clips` clips at its input size and clip length
through the model in one call, then fused by its `task.fusion` rule. The three runtimes take turns
on the same input in every repeat (after one warm-up round), so machine noise falls on all three;
the median of `repeats` rounds is reported, and each runtime's time over eager's as `ratio_to_eager`.
onnxruntime gets as many threads as torch.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

import torch

from echolab.config import load_experiment, to_plain
from echolab.export.exporter import part_spec
from echolab.export.formats import write_onnx, write_torchscript
from echolab.export.parts import network_parts
from echolab.export.runtime import load_parts
from echolab.models import create_model
from echolab.tasks.view.datamodule import view_preprocess
from echolab.tasks.view.fusion import fuse

DEFAULT_EXPERIMENTS = ("view_synthetic", "stfm_synthetic")


def bench_export_latency(
    experiments: tuple[str, ...] = DEFAULT_EXPERIMENTS, *, overrides: tuple[str, ...] = (), repeats: int = 20
) -> dict:
    load_before = os.getloadavg()[0]
    results = {exp: _bench_experiment(exp, ["profile=cpu", *overrides], repeats) for exp in experiments}
    return {
        "repeats": repeats,
        "device": "cpu",
        "threads": torch.get_num_threads(),
        # Other processes slow every runtime alike but inflate the milliseconds: record how busy it was.
        "load_1min": {"before": load_before, "after": os.getloadavg()[0]},
        "experiments": results,
    }


def _bench_experiment(exp: str, overrides: list[str], repeats: int) -> dict:
    cfg = to_plain(load_experiment(exp, overrides))
    preprocess, task = view_preprocess(cfg["data"]), cfg["task"]
    arguments = {k: v for k, v in cfg["model"].items() if k not in ("name", "pretrained")}
    torch.manual_seed(0)
    network = create_model(
        cfg["model"]["name"], num_classes=len(cfg["data"]["classes"]), task="view", **arguments
    )
    network.eval()
    (part,) = network_parts("view", network, preprocess)
    video = part.inputs(preprocess["eval_clips"], torch.Generator().manual_seed(0))
    with tempfile.TemporaryDirectory(prefix="echolab-export-bench-") as folder:
        files = {"onnx": Path(folder) / "model.onnx", "torchscript": Path(folder) / "model.pt"}
        write_onnx(network, part, files["onnx"])
        write_torchscript(network, [part], files["torchscript"])
        runtimes = {"eager": network}
        for format_name, runtime in (("torchscript", "torchscript"), ("onnx", "onnxruntime")):
            spec = part_spec(part, network, files[format_name], format_name)
            runtimes[runtime] = load_parts(format_name, {part.name: spec}, {part.name: files[format_name]})[
                part.name
            ]
        timings: dict[str, list[float]] = {name: [] for name in runtimes}
        with torch.no_grad():
            reference = runtimes["eager"](video)
            difference = {name: float((run(video) - reference).abs().max()) for name, run in runtimes.items()}
            for round_index in range(repeats + 1):
                for name, run in runtimes.items():
                    milliseconds = _predict_ms(run, video, task)
                    if round_index:  # round 0 warms every runtime up
                        timings[name].append(milliseconds)
    median = {name: statistics.median(values) for name, values in timings.items()}
    return {
        "model": cfg["model"],
        "input": list(video.shape),
        "fusion": task["fusion"],
        "ms_per_video": median,
        "ms_per_video_all": {name: [round(t, 2) for t in values] for name, values in timings.items()},
        "ratio_to_eager": {name: value / median["eager"] for name, value in median.items()},
        "max_difference_from_eager": difference,
    }


def _predict_ms(run, video: torch.Tensor, task: dict) -> float:
    """Milliseconds to turn one video's clips into fused class probabilities."""
    began = time.perf_counter()
    logits = run(video)
    fuse(logits.unsqueeze(0), task["fusion"], task["loss"], task["prior_weight"])
    return (time.perf_counter() - began) * 1000
