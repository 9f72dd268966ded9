"""Pretraining throughput and memory: training steps of each method at its experiment's CPU sizes.

A step is what fitting does per batch, without data loading (clip_loading measures that): the loss
terms, backward, an AdamW step and the EMA updates of every teacher. Each method runs in a fresh
process, one after the other, so each reports its own peak resident memory (the process's high-water
mark: the imports, the model, its teachers and one step's activations) beside the memory before its
model was built; on a GPU, the peak of torch's allocations as well.
"""

from __future__ import annotations

import multiprocessing
import resource
import sys
import time

import torch

# method -> the experiment whose profile=cpu sizes it runs at
METHODS = {"discovr": "discovr_synthetic", "videomae": "videomae_synthetic", "jepa": "jepa_synthetic"}


def bench_pretrain(*, steps: int = 5, threads: int | None = None, overrides: tuple[str, ...] = ()) -> dict:
    """Clips per second and peak memory of each method in METHODS, and DISCOVR's cost relative to the
    others. `threads`: torch threads of every side (None: this process's setting)."""
    threads = threads or torch.get_num_threads()
    context = multiprocessing.get_context("spawn")
    results = {}
    for method, exp in METHODS.items():
        with context.Pool(1) as pool:
            results[method] = pool.apply(measure_steps, (exp, steps, threads, overrides))
    base = results["discovr"]["clips_per_s"]
    return results | {
        "clips_per_s_vs_discovr": {
            m: round(r["clips_per_s"] / base, 2) for m, r in results.items() if m != "discovr"
        },
        "torch_threads": threads,
    }


def measure_steps(exp: str, steps: int, threads: int, overrides: tuple[str, ...] = ()) -> dict:
    """`steps` timed training steps (after one untimed) of experiment `exp` at profile=cpu, random clips."""
    from echolab.config import load_experiment, to_plain
    from echolab.tasks.pretrain.module import PretrainTask
    from echolab.tasks.pretrain.teachers import ema_update

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    cfg = to_plain(load_experiment(exp, ["profile=cpu", *overrides]))
    before = _peak_rss_mb()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    module = PretrainTask.from_config(cfg, datamodule=None).to(device).train()
    optimizer = torch.optim.AdamW([p for p in module.parameters() if p.requires_grad], lr=1e-4)
    data = cfg["data"]
    batch, frames, size = data["batch_size"], data["clip"]["frames"], data["size"]
    clips = torch.randn(batch, 3, frames, size, size, device=device)

    def step() -> None:
        terms, _ = module.loss_terms(clips)
        optimizer.zero_grad(set_to_none=True)
        module.weighted(terms).backward()
        optimizer.step()
        for teacher, student in module.ema_pairs():
            ema_update(teacher, student, 0.99)

    step()  # untimed: the first call pays one-off allocations and kernel set-up
    if device.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    started = time.perf_counter()
    for _ in range(steps):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    seconds = (time.perf_counter() - started) / steps
    return {
        "exp": exp,
        "batch": batch,
        "clip": f"{frames}x{size}x{size}",
        "tokens": module.encoder.num_patches,
        "parameters_m": round(sum(p.numel() for p in module.parameters()) / 1e6, 3),
        "step_s": round(seconds, 3),
        "clips_per_s": round(batch / seconds, 2),
        "rss_before_model_mb": round(before),
        "peak_rss_mb": round(_peak_rss_mb()),
        "cuda_peak_mb": round(torch.cuda.max_memory_allocated() / 2**20) if device.type == "cuda" else None,
    }


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes on macOS, KiB on Linux
