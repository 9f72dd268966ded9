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
# # Exploring the predictions of a view-classification run
#
# This notebook reads one finished run folder of a view experiment (`view_synthetic`, `stfm_synthetic`,
# `stfm_ev9v`, ...): its `config.yaml`, `metrics.json` and `predictions.csv` (one row per test video:
# label, prediction, confidence, uncertainty, probability of each class). It shows
#
# 1. the headline test metrics and the confusion matrix,
# 2. precision, recall and F1 of each view,
# 3. the wrong videos and the most uncertain ones as strips of frames,
# 4. whether uncertainty tells the wrong predictions apart from the right ones.
#
# **Which run:** set `RUN_DIR` below, or the `ECHOLAB_RUN` environment variable
# (`ECHOLAB_RUN=runs/view_synthetic/<run> jupyter lab notebooks/`); left empty, the newest view run
# under `runs/` is used.

# %%
import csv
import json
import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import yaml

from echolab.data.sources import open_dataset
from echolab.io import read_video
from echolab.runs import checkout_root, notebook_run

# %% tags=["parameters"]
RUN_DIR = os.environ.get("ECHOLAB_RUN", "")  # a run folder of a view experiment; "" = the newest one
STRIP_FRAMES = 8  # frames shown per video strip
MAX_STRIPS = 6  # videos shown per gallery

# %%
run = notebook_run(RUN_DIR, "view")
os.chdir(checkout_root(run))  # the run's relative paths (videos, data.root) are relative to its checkout
config = yaml.safe_load((run / "config.yaml").read_text())
metrics = json.loads((run / "metrics.json").read_text())
with (run / "predictions.csv").open(newline="") as handle:
    predictions = list(csv.DictReader(handle))
classes = [c[2:] for c in predictions[0] if c.startswith("p_")]
print(f"run {run}\nexperiment {config['exp']} (profile {config['profile']}), model {config['model']['name']}")
print(f"{len(predictions)} test videos, {len(classes)} views: {', '.join(classes)}")

# %% [markdown]
# ## Headline metrics and the confusion matrix
# Rows are the true view, columns the predicted one; colours are the fraction of each true view
# (its recall), numbers are video counts. Off-diagonal cells are the confusions worth looking at.

# %%
for split in ("val", "test"):
    shown = {k: round(v, 4) for k, v in metrics[split].items() if isinstance(v, float)}
    print(split, shown)

labels = np.array([classes.index(row["label"]) for row in predictions])
predicted = np.array([classes.index(row["prediction"]) for row in predictions])
confusion = np.zeros((len(classes), len(classes)), dtype=int)
np.add.at(confusion, (labels, predicted), 1)
rates = confusion / np.maximum(confusion.sum(1, keepdims=True), 1)

fig, ax = plt.subplots(figsize=(1.5 + 0.6 * len(classes), 1.2 + 0.6 * len(classes)))
ax.imshow(rates, cmap="Blues", vmin=0, vmax=1)
for i, j in zip(*np.nonzero(confusion), strict=True):
    ax.text(j, i, confusion[i, j], ha="center", va="center", color="white" if rates[i, j] > 0.5 else "black")
ax.set_xticks(range(len(classes)), classes, rotation=45, ha="right")
ax.set_yticks(range(len(classes)), classes)
ax.set_xlabel("predicted")
ax.set_ylabel("true")
ax.set_title(f"test accuracy {np.mean(labels == predicted):.3f}")
plt.show()

# %% [markdown]
# ## Metrics per view
# Precision: of the videos called this view, how many were. Recall: of the videos of this view, how
# many were found. `n` is the number of test videos of the view.

# %%
per_class = metrics["test"]["per_class"]
print(f"{'view':<10}{'precision':>10}{'recall':>10}{'f1':>8}{'n':>6}")
for name, values in per_class.items():
    print(
        f"{name:<10}{values['precision']:>10.3f}{values['recall']:>10.3f}{values['f1']:>8.3f}{values['support']:>6}"
    )

x = np.arange(len(per_class))
fig, ax = plt.subplots(figsize=(2 + 0.8 * len(per_class), 3.5))
for k, metric in enumerate(("precision", "recall", "f1")):
    ax.bar(x + (k - 1) * 0.27, [v[metric] for v in per_class.values()], width=0.27, label=metric)
ax.set_xticks(x, list(per_class), rotation=45, ha="right")
ax.set_ylim(0, 1.05)
ax.legend(loc="lower right")
ax.set_title("test metrics per view")
plt.show()

# %% [markdown]
# ## The wrong videos and the most uncertain ones
# Each strip shows frames spread evenly over the whole video, with the true view, the prediction, its
# confidence (probability of the predicted view) and the uncertainty the model reported.

# %%
records = {record.name: record for record in open_dataset(config["data"]).videos}


def show_strips(rows: list[dict], title: str) -> None:
    rows = rows[:MAX_STRIPS]
    if not rows:
        print(f"{title}: none")
        return
    fig, axes = plt.subplots(
        len(rows), STRIP_FRAMES, figsize=(1.4 * STRIP_FRAMES, 1.6 * len(rows)), squeeze=False
    )
    for line, row in zip(axes, rows, strict=True):
        frames, _ = read_video(records[row["file"]].path)
        for ax, index in zip(
            line, np.linspace(0, len(frames) - 1, STRIP_FRAMES).round().astype(int), strict=True
        ):
            ax.imshow(frames[index])
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_xlabel(f"frame {index}", fontsize=7)
        line[0].set_title(
            f"{row['file']}: true {row['label']}, predicted {row['prediction']} "
            f"(confidence {float(row['confidence']):.2f}, uncertainty {float(row['uncertainty']):.2f})",
            fontsize=8,
            loc="left",
        )
    fig.suptitle(title)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.06, top=1 - 0.45 / len(rows), wspace=0.05, hspace=0.6)
    plt.show()


wrong = sorted(
    (r for r in predictions if r["label"] != r["prediction"]), key=lambda r: -float(r["confidence"])
)
uncertain = sorted(predictions, key=lambda r: -float(r["uncertainty"]))
show_strips(wrong, f"wrong predictions, most confident first ({len(wrong)} of {len(predictions)})")
show_strips(uncertain, "the most uncertain videos")

# %% [markdown]
# ## Does uncertainty flag the errors?
# Left: the uncertainty of right and wrong predictions; a useful uncertainty puts the wrong ones to the
# right. Right: accuracy on the videos the model is most certain of, as more uncertain ones are let in
# (a falling curve means uncertainty ranks errors last). The AUROC is the probability that a random
# wrong video is more uncertain than a random right one (0.5: no better than chance).

# %%
uncertainty = np.array([float(row["uncertainty"]) for row in predictions])
correct = labels == predicted


def error_auroc(uncertainty: np.ndarray, correct: np.ndarray) -> float:
    wrong_u, right_u = uncertainty[~correct], uncertainty[correct]
    if len(wrong_u) == 0 or len(right_u) == 0:
        return float("nan")
    greater = (wrong_u[:, None] > right_u[None, :]).mean()
    ties = (wrong_u[:, None] == right_u[None, :]).mean()
    return float(greater + ties / 2)


order = np.argsort(uncertainty, kind="stable")
kept = np.arange(1, len(order) + 1)
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.5))
bins = np.linspace(0.0, max(1.0, uncertainty.max()), 21)  # echolab's uncertainties lie in [0, 1]
left.hist([uncertainty[correct], uncertainty[~correct]], bins=bins, label=["right", "wrong"], stacked=True)
left.set_xlabel("uncertainty")
left.set_ylabel("videos")
left.legend()
left.set_title(f"error AUROC of uncertainty: {error_auroc(uncertainty, correct):.3f}")
right.plot(kept / len(order), np.cumsum(correct[order]) / kept, marker=".")
right.set_xlabel("fraction of videos kept (most certain first)")
right.set_ylabel("accuracy on the kept videos")
right.set_ylim(0, 1.05)
right.grid(alpha=0.3)
plt.show()
