"""Figures a person would rather look at than read, saved as PNG."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from echolab.atomic import atomic_path  # noqa: E402


def plot_confusion_matrix(matrix: list[list[int]], classes: list[str], path: Path, title: str) -> Path:
    """Row-normalised colours (recall per true class) with the raw counts written in each cell."""
    counts = np.asarray(matrix, dtype=float)
    rates = counts / np.maximum(counts.sum(1, keepdims=True), 1)
    size = 1.6 + 0.55 * len(classes)
    fig, ax = plt.subplots(figsize=(size + 1.2, size))
    image = ax.imshow(rates, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(classes)), classes, rotation=45, ha="right")
    ax.set_yticks(range(len(classes)), classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for i in range(len(classes)):
        for j in range(len(classes)):
            if counts[i, j]:
                ax.text(
                    j,
                    i,
                    f"{int(counts[i, j])}",
                    ha="center",
                    va="center",
                    color="white" if rates[i, j] > 0.5 else "black",
                    fontsize=8,
                )
    fig.colorbar(image, ax=ax, fraction=0.046, label="fraction of true class")
    ax.set_title(title)
    fig.tight_layout()
    with atomic_path(path) as temporary:
        fig.savefig(temporary, dpi=120)
    plt.close(fig)
    return path


def plot_per_class(per_class: dict[str, dict[str, float]], path: Path, title: str) -> Path:
    """Grouped bars of F1, precision and recall per class, with each class's support."""
    classes = list(per_class)
    metrics = ("f1", "precision", "recall")
    x = np.arange(len(classes))
    fig, ax = plt.subplots(figsize=(2 + 0.8 * len(classes), 4))
    for k, metric in enumerate(metrics):
        ax.bar(x + (k - 1) * 0.27, [per_class[c][metric] for c in classes], width=0.27, label=metric)
    ax.set_xticks(x, [f"{c}\n(n={per_class[c]['support']})" for c in classes], fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.legend(loc="lower right")
    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    with atomic_path(path) as temporary:
        fig.savefig(temporary, dpi=120)
    plt.close(fig)
    return path


def plot_curves(
    curves: dict[str, tuple[list, list]], path: Path, title: str, ylabel: str, log: bool = False
) -> Path:
    """Lines named by `curves` (name -> (x, y)) on one set of axes; `log` for a log-scaled y axis."""
    fig, ax = plt.subplots(figsize=(6.4, 4))
    for name, (x, y) in curves.items():
        ax.plot(x, y, marker="o" if len(x) < 20 else None, markersize=3, label=name)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_predicted_vs_true(truth, predicted, path: Path, title: str, unit: str) -> Path:
    """One point per video, predicted against true, with the identity line."""
    truth, predicted = np.asarray(truth, dtype=float), np.asarray(predicted, dtype=float)
    low, high = float(min(truth.min(), predicted.min())), float(max(truth.max(), predicted.max()))
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.plot([low, high], [low, high], color="grey", lw=1, ls="--", label="identity")
    ax.scatter(truth, predicted, s=14, alpha=0.7)
    ax.set_xlabel(f"true {unit}")
    ax.set_ylabel(f"predicted {unit}")
    ax.set_title(title)
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
