"""Per-video view-classification latency: STFM-ResNet18 against SlowFast-R50, side by side.

One video's prediction is `clips_per_video` clips (the STFM paper's 10) through the model as one
batch, then the clips' logits fused into one answer (STFM: summed Dirichlet evidence; the others:
mean probability). Every model gets the same spatial input size and its own clip length (STFM 5
frames, SlowFast-R50 8x8 32), on the CPU, in eval mode with no gradients. Each is timed right after
the other, a warm-up pass first, and the median of `repeats` passes is reported.
"""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass, field

import torch

from echolab.models import create_model
from echolab.models.complexity import count_parameters, gflops_per_clip
from echolab.tasks.view.fusion import fuse


@dataclass(frozen=True)
class LatencyModel:
    """A registered model, its arguments, its clip length, and the rule fusing its clips."""

    name: str
    arguments: dict = field(default_factory=dict)
    clip_frames: int = 8
    fusion: str = "prob_mean"  # a task.fusion rule (echolab.tasks.view.fusion)
    loss: str = "ce"  # how the fusion reads logits (re_edl: as evidence)


# The pair: STFM with a ResNet-18 (its 5-frame clips, alpha-sum fusion) and SlowFast-R50 8x8.
DEFAULT_MODELS = {
    "stfm_resnet18": LatencyModel(
        "stfm", {"backbone": "resnet18"}, clip_frames=5, fusion="alpha_sum", loss="re_edl"
    ),
    "slowfast_r50": LatencyModel("slowfast", {"depth": 50}, clip_frames=32),
}
DEFAULT_SIZE = 224  # the STFM paper's input size
PRIOR_WEIGHT = 0.8  # Re-EDL's lambda2 (REFERENCE §1.3), used by STFM's alpha-sum fusion


def bench_view_latency(
    models: dict[str, LatencyModel] | None = None,
    *,
    size: int = DEFAULT_SIZE,
    clips_per_video: int = 10,
    repeats: int = 3,
    num_classes: int = 9,
) -> dict:
    """Milliseconds per video for each model, and each model's time over the first model's as `ratio`."""
    models = models or DEFAULT_MODELS
    load_before = os.getloadavg()[0]
    results = {}
    for label, spec in models.items():
        torch.manual_seed(0)
        model = create_model(spec.name, num_classes=num_classes, pretrained=False, **spec.arguments).eval()
        video = torch.zeros(clips_per_video, 3, spec.clip_frames, size, size)
        timings = [_predict_ms(model, video, spec) for _ in range(repeats + 1)][1:]  # first: warm-up
        results[label] = {
            "model": spec.name,
            "arguments": spec.arguments,
            "clip_frames": spec.clip_frames,
            "fusion": spec.fusion,
            "ms_per_video": statistics.median(timings),
            "ms_per_video_all": [round(t, 1) for t in timings],
            "parameters_m": count_parameters(model) / 1e6,
            "gflops_per_video": clips_per_video
            * gflops_per_clip(model, (1, 3, spec.clip_frames, size, size)),
        }
    first = next(iter(results))
    return {
        "input_px": size,
        "clips_per_video": clips_per_video,
        "repeats": repeats,
        "device": "cpu",
        "threads": torch.get_num_threads(),
        # Other processes slow both sides alike but inflate the milliseconds: record how busy it was.
        "load_1min": {"before": load_before, "after": os.getloadavg()[0]},
        "models": results,
        "ratio": {label: r["ms_per_video"] / results[first]["ms_per_video"] for label, r in results.items()},
        "ratio_base": first,
    }


def _predict_ms(model: torch.nn.Module, video: torch.Tensor, spec: LatencyModel) -> float:
    """Milliseconds to turn one video's clips into fused class probabilities."""
    began = time.perf_counter()
    with torch.no_grad():
        logits = model(video)
        fuse(logits.unsqueeze(0), spec.fusion, spec.loss, PRIOR_WEIGHT)
    return (time.perf_counter() - began) * 1000
