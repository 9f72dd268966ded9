# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Exploring the predictions of an ED/ES keyframe run
#
# This notebook reads one finished run folder of a keyframe experiment (`keyframe_synthetic`,
# `resnet_vst_echonet`, ...): its `config.yaml`, `metrics.json`, `predictions.csv` (per test video: true
# and predicted ED and ES frame indices) and `curves.npz` (per test video: the predicted per-frame ED and
# ES curves, and the target curves where the video is labelled). It shows
#
# 1. the headline metrics of validation and test,
# 2. the distribution of the frame distance between each true keyframe and its predicted match (AFD),
# 3. the videos the model got most wrong, as curves with true and predicted ED/ES.
#
# **Which run:** set `RUN_DIR` below, or the `ECHOLAB_RUN` environment variable
# (`ECHOLAB_RUN=runs/keyframe_synthetic/<run> jupyter lab notebooks/`); left empty, the newest keyframe
# run under `runs/` is used.

# %%
import csv
import json
import math
import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import yaml

from echolab.tasks.keyframe.metrics import match_keyframes
from echolab.runs import checkout_root, notebook_run

# %% tags=["parameters"]
RUN_DIR = os.environ.get("ECHOLAB_RUN", "")  # a run folder of a keyframe experiment; "" = the newest one
MAX_VIDEOS = 4  # worst videos drawn as curves


# %%
def frames(cell: str) -> list[int]:
    """predictions.csv joins frame indices with ';' (empty: none)."""
    return [int(f) for f in cell.split(";") if f]


run = notebook_run(RUN_DIR, "keyframe")
os.chdir(checkout_root(run))  # the run's relative paths (videos, data.root) are relative to its checkout
config = yaml.safe_load((run / "config.yaml").read_text())
metrics = json.loads((run / "metrics.json").read_text())
curves = np.load(run / "curves.npz")
with (run / "predictions.csv").open(newline="") as handle:
    videos = [
        {
            "video": row["video"],
            "fps": float(row["fps"]) if row["fps"] else None,
            "frames": int(row["frames"]),
            "true": {"ed": frames(row["true_ed"]), "es": frames(row["true_es"])},
            "predicted": {"ed": frames(row["pred_ed"]), "es": frames(row["pred_es"])},
        }
        for row in csv.DictReader(handle)
    ]
print(f"run {run}\nexperiment {config['exp']} (profile {config['profile']}), model {config['model']['name']}")
print(
    f"{len(videos)} test videos, labels: {config['data']['labels']}, tolerance {config['task']['tolerance_s']} s"
)

# %% [markdown]
# ## Headline metrics
# AFD is the average |predicted - true| frame distance over matched keyframes (each true keyframe is
# matched to at most one prediction of its kind, nearest first, within the tolerance). A true keyframe
# without a match is *missed*, a prediction without one *spurious*; the detection rate is predicted over
# true keyframes (1.0 when every beat is found once). `null` means undefined (nothing matched).

# %%
HEADLINE = ("afd", "afd_ed", "afd_es", "afd_ed_ms", "afd_es_ms", "detection_rate", "missed", "spurious")
print(f"{'':<16}{'val':>10}{'test':>10}")
for key in HEADLINE:
    shown = [metrics[split].get(key) for split in ("val", "test")]
    print(f"{key:<16}" + "".join(f"{v:>10.3f}" if v is not None else f"{'null':>10}" for v in shown))

# %% [markdown]
# ## Per-video errors and the AFD distribution
# The videos are judged here as the task judges them: with `labels: masked` (one traced beat per video,
# as in EchoNet-Dynamic) only keyframes within the tolerance of the traced stretch count. A video's AFD
# here is the mean over all its matched keyframes, ED and ES together (metrics.json averages the ED
# and ES means over all videos instead).


# %%
def judge(video: dict) -> dict:
    fps = video["fps"] or config["task"]["peaks"]["fallback_fps"]
    tolerance = config["task"]["tolerance_s"] * fps
    true_all = video["true"]["ed"] + video["true"]["es"]
    low, high = 0, video["frames"] - 1
    if config["data"]["labels"] == "masked" and true_all:
        low, high = min(true_all) - math.floor(tolerance), max(true_all) + math.floor(tolerance)
    result = {"errors": {}, "missed": 0, "spurious": 0}
    for event in ("ed", "es"):
        truth = [f for f in video["true"][event] if low <= f <= high]
        guess = [f for f in video["predicted"][event] if low <= f <= high]
        pairs = match_keyframes(truth, guess, tolerance)
        result["errors"][event] = [abs(p - t) for t, p in pairs]
        result["missed"] += len(truth) - len(pairs)
        result["spurious"] += len(guess) - len(pairs)
    matched = result["errors"]["ed"] + result["errors"]["es"]
    result["afd"] = float(np.mean(matched)) if matched else float("nan")
    return result


for video in videos:
    video |= judge(video)

print(f"{'video':<28}{'frames':>7}{'true':>6}{'pred':>6}{'AFD':>8}{'missed':>8}{'spurious':>9}")
for video in videos:
    true = len(video["true"]["ed"]) + len(video["true"]["es"])
    predicted = len(video["predicted"]["ed"]) + len(video["predicted"]["es"])
    print(
        f"{video['video'][:27]:<28}{video['frames']:>7}{true:>6}{predicted:>6}"
        f"{video['afd']:>8.2f}{video['missed']:>8}{video['spurious']:>9}"
    )

errors = {event: [e for v in videos for e in v["errors"][event]] for event in ("ed", "es")}
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.5))
top = max([*errors["ed"], *errors["es"], 1])
bins = np.arange(0, top + 2) - 0.5
left.hist([errors["ed"], errors["es"]], bins=bins, label=["ED", "ES"], color=["tab:red", "tab:blue"])
left.set_xlabel("|predicted - true| (frames)")
left.set_ylabel("matched keyframes")
left.legend()
matched = len(errors["ed"]) + len(errors["es"])
left.set_title(f"frame distance of {matched} matched keyframes" if matched else "no keyframe was matched")
per_video = [v for v in videos if not math.isnan(v["afd"])]
right.scatter([v["afd"] for v in per_video], [v["missed"] + v["spurious"] for v in per_video])
right.set_xlabel("AFD of the video (frames)")
right.set_ylabel("missed + spurious keyframes")
right.set_title(f"{len(per_video)} of {len(videos)} videos with a matched keyframe")
right.grid(alpha=0.3)
plt.show()

# %% [markdown]
# ## The worst videos
# Ranked by missed + spurious keyframes, then by AFD. Solid lines are the predicted ED (red) and ES (blue)
# curves, faint thick lines the targets the model was trained towards, dashed lines the true keyframes,
# and triangles the keyframes picked from the curves.

# %%
worst = sorted(
    videos, key=lambda v: (v["missed"] + v["spurious"], np.nan_to_num(v["afd"], nan=-1.0)), reverse=True
)
shown = worst[:MAX_VIDEOS]
fig, axes = plt.subplots(len(shown), 1, figsize=(10, 2.6 * len(shown)), squeeze=False)
for ax, video in zip(axes[:, 0], shown, strict=True):
    predicted_curves = curves[video["video"]]
    target_key = f"{video['video']}/target"
    for column, (event, colour) in enumerate((("ed", "tab:red"), ("es", "tab:blue"))):
        ax.plot(predicted_curves[:, column], color=colour, label=f"{event.upper()} curve")
        if target_key in curves:
            ax.plot(curves[target_key][:, column], color=colour, alpha=0.25, linewidth=4)
        for true in video["true"][event]:
            ax.axvline(true, color=colour, linestyle="--", linewidth=1)
        picked = video["predicted"][event]
        ax.plot(
            picked,
            predicted_curves[picked, column],
            "v",
            color=colour,
            markersize=8,
            label=f"picked {event.upper()}",
        )
    ax.set_ylim(-0.05, 1.1)
    ax.set_title(
        f"{video['video']}: AFD {video['afd']:.2f} frames, {video['missed']} missed, {video['spurious']} spurious",
        fontsize=9,
        loc="left",
    )
    ax.legend(loc="upper right", fontsize=7, ncol=2)
axes[-1, 0].set_xlabel("frame")
fig.tight_layout()
plt.show()
