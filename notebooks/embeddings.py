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
# # A map of per-video embeddings
#
# This notebook reads the `.npz` that `echolab embed` writes (one vector per video of every split, with
# its name, split, label and, for EchoNet-Dynamic-layout data, its EF) and draws a t-SNE map of them:
#
# 1. coloured by class (the EF category, Abnormal (EF < 50 %) / Normal, where the data has EFs; else the
#    dataset's label), one marker per split;
# 2. coloured by EF itself, where the data has EFs.
#
# Neighbours on the map are neighbours in the embedding, which is what the kNN probe counts on
# (docs/probes.md). A t-SNE map keeps neighbourhoods, not distances: read clusters, not gaps.
#
# **Which file:** set `EMBEDDINGS` below, or the `ECHOLAB_EMBEDDINGS` environment variable, e.g.
# ```
# echolab embed ckpt=runs/discovr_synthetic/<run>/checkpoints/last.ckpt exp=discovr_synthetic out=emb.npz
# ECHOLAB_EMBEDDINGS=emb.npz .venv/bin/jupyter lab notebooks/
# ```

# %%
import os
from collections import Counter
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.manifold import TSNE
from sklearn.preprocessing import StandardScaler

from echolab.runs import checkout_root

# %% tags=["parameters"]
EMBEDDINGS = os.environ.get("ECHOLAB_EMBEDDINGS", "")  # the .npz of `echolab embed`
FEATURE = ""  # which feature set (teacher_cls, student_mean, pixels, ...); "" = the file's default
SEED = 0  # t-SNE's random start

# %%
if not EMBEDDINGS:
    raise FileNotFoundError(
        "set EMBEDDINGS (or ECHOLAB_EMBEDDINGS) to a file written by `echolab embed ... out=FILE.npz`"
    )
# A kernel starts in the notebook's folder: a relative path is the shell's, or the checkout's.
shell = Path(os.environ.get("PWD") or Path.cwd())
tried = (
    [Path(EMBEDDINGS)]
    if Path(EMBEDDINGS).is_absolute()
    else [base / EMBEDDINGS for base in (shell, checkout_root(shell), Path.cwd())]
)
path = next((p for p in tried if p.is_file()), None)
if path is None:
    raise FileNotFoundError(f"no embeddings file at {EMBEDDINGS!r}; tried {', '.join(map(str, tried))}")
saved = np.load(path)
feature = FEATURE or str(saved["default"])
vectors = saved[feature]
split, label = saved["split"], saved["label"]
has_ef = "ef" in saved.files
colour_by = saved["ef_category"] if has_ef else label
print(f"embeddings {path}\n{len(vectors)} videos, feature {feature} ({vectors.shape[1]} values each)")
print("per split:", dict(Counter(split.tolist())))
print("per class:", dict(Counter(colour_by.tolist())))

# %%
perplexity = min(30.0, (len(vectors) - 1) / 3)  # t-SNE needs fewer neighbours than there are points
points = TSNE(2, perplexity=perplexity, init="pca", random_state=SEED).fit_transform(
    StandardScaler().fit_transform(vectors)
)

# %% [markdown]
# ## The map, coloured by class

# %%
markers = {"train": "o", "val": "s", "test": "^"}
fig, ax = plt.subplots(figsize=(7, 6))
for number, name in enumerate(sorted(set(colour_by.tolist()))):
    for split_name, marker in markers.items():
        chosen = (colour_by == name) & (split == split_name)
        if chosen.any():
            ax.scatter(
                *points[chosen].T,
                s=18,
                marker=marker,
                color=f"C{number % 10}",
                alpha=0.8,
                label=f"{name} ({split_name})",
            )
ax.set_title(f"t-SNE of {feature}, coloured by {'EF category' if has_ef else 'class'}")
ax.set_xticks([])
ax.set_yticks([])
ax.legend(fontsize=7, ncol=2, loc="best")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## The map, coloured by EF (EchoNet-Dynamic-layout data only)

# %%
if has_ef:
    fig, ax = plt.subplots(figsize=(7, 6))
    known = ~np.isnan(saved["ef"])
    shown = ax.scatter(*points[known].T, c=saved["ef"][known], cmap="viridis", s=18)
    fig.colorbar(shown, ax=ax, label="EF (%)")
    ax.set_title(f"t-SNE of {feature}, coloured by EF")
    ax.set_xticks([])
    ax.set_yticks([])
    fig.tight_layout()
    plt.show()
else:
    print("no EFs in this file: the map by EF needs EchoNet-Dynamic-layout data")
