"""The computed columns of a compare table, measured from a trained run's best checkpoint."""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

import torch
import yaml

COMPUTED = {
    "parameters_m": "trainable and frozen parameters, millions",
    "gflops_per_clip": "forward GFLOPs (multiply-adds) of one clip of data.clip.frames x data.size^2",
    "cpu_ms_per_video": "median CPU milliseconds of one forward over clips_per_video clips (one video)",
}


def measure_run(run_dir: Path, computed: set[str], clips_per_video: int | None, repeats: int) -> dict:
    """The computed columns of one trained run, from its best checkpoint and its config."""
    if not computed:
        return {}
    from echolab.models.complexity import count_parameters, gflops_per_clip
    from echolab.tasks.registry import task_entry

    metrics = json.loads((run_dir / "metrics.json").read_text())
    cfg = yaml.safe_load((run_dir / "config.yaml").read_text())
    module = task_entry(cfg["task"]["name"]).module.load_from_checkpoint(
        metrics["checkpoint"], map_location="cpu"
    )
    model = getattr(module, "model", module).eval()
    data = cfg["data"]
    clip_shape = (3, data["clip"]["frames"], data["size"], data["size"])
    values = {}
    if "parameters_m" in computed:
        values["parameters_m"] = count_parameters(model) / 1e6
    if "gflops_per_clip" in computed:
        values["gflops_per_clip"] = gflops_per_clip(model, (1, *clip_shape))
    if "cpu_ms_per_video" in computed:
        clips = clips_per_video or data.get("eval_clips", 1)
        values["cpu_ms_per_video"] = cpu_ms_per_batch(model, (clips, *clip_shape), repeats)
    return values


def cpu_ms_per_batch(model: torch.nn.Module, shape: tuple[int, ...], repeats: int) -> float:
    """Median milliseconds of one no-grad forward on a CPU batch of `shape`, after one warm-up pass."""
    model = model.cpu().eval()
    batch = torch.zeros(shape)
    with torch.no_grad():
        model(batch)
        times = []
        for _ in range(repeats):
            began = time.perf_counter()
            model(batch)
            times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)
