"""After a keyframe test pass: predictions.csv, curves.npz, and curve plots for a few videos."""

from __future__ import annotations

import csv
from pathlib import Path

import lightning as L
import numpy as np

from echolab.atomic import atomic_path
from echolab.callbacks.report import ReportWriter
from echolab.plots import plt

PREDICTION_COLUMNS = ("video", "fps", "frames", "true_ed", "true_es", "pred_ed", "pred_es")
PLOTTED_VIDEOS = 4


def frame_list(frames) -> str:
    return ";".join(str(int(f)) for f in frames)


def write_keyframe_predictions(path: Path, rows: list[dict]) -> Path:
    """One row per video; frame lists are 0-based indices joined by ';' (true_* empty if unlabelled)."""
    with atomic_path(path) as temporary, temporary.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(PREDICTION_COLUMNS)
        for row in rows:
            true = row.get("true") or {"ed": [], "es": []}
            writer.writerow(
                [
                    row["video"],
                    f"{row['fps']:g}" if row["fps"] else "",
                    row["frames"],
                    frame_list(true["ed"]),
                    frame_list(true["es"]),
                    frame_list(row["predicted"]["ed"]),
                    frame_list(row["predicted"]["es"]),
                ]
            )
    return path


def write_curves(path: Path, rows: list[dict]) -> Path:
    """`<video>`: (frames, 2) predicted ED/ES curves; `<video>/target`: the target curves if labelled."""
    arrays = {row["video"]: np.asarray(row["curves"], dtype=np.float32) for row in rows}
    arrays |= {f"{row['video']}/target": row["target"] for row in rows if row.get("target") is not None}
    with atomic_path(path) as temporary:
        np.savez_compressed(temporary, **arrays)
    return path


def plot_keyframe_curves(row: dict, path: Path) -> Path:
    """Predicted curves with true keyframes (dashed) and predicted keyframes (markers)."""
    curves = np.asarray(row["curves"])
    frames = np.arange(len(curves))
    fig, ax = plt.subplots(figsize=(9, 3))
    for column, (event, colour) in enumerate((("ed", "tab:red"), ("es", "tab:blue"))):
        ax.plot(frames, curves[:, column], color=colour, label=f"{event.upper()} curve")
        if row.get("target") is not None:
            ax.plot(frames, row["target"][:, column], color=colour, alpha=0.3, linewidth=3)
        for true in (row.get("true") or {}).get(event, []):
            ax.axvline(true, color=colour, linestyle="--", linewidth=1)
        picked = row["predicted"][event]
        ax.plot(
            picked,
            curves[picked, column],
            "v",
            color=colour,
            markersize=8,
            label=f"predicted {event.upper()}",
        )
    ax.set_xlabel("frame")
    ax.set_ylim(-0.05, 1.1)
    ax.set_title(f"{row['video']}: dashed = true keyframes, triangles = predicted, faint = target")
    ax.legend(loc="upper right", fontsize=7, ncol=2)
    fig.tight_layout()
    with atomic_path(path) as temporary:
        fig.savefig(temporary, dpi=100)
    plt.close(fig)
    return path


class KeyframeReportWriter(ReportWriter):
    def write(self, trainer: L.Trainer, module) -> None:
        rows = module.test_rows
        write_keyframe_predictions(self.run_dir / "predictions.csv", rows)
        write_curves(self.run_dir / "curves.npz", rows)
        plots = self.run_dir / "plots"
        plots.mkdir(exist_ok=True)
        for row in rows[:PLOTTED_VIDEOS]:
            safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in row["video"])
            plot_keyframe_curves(row, plots / f"curves_{safe}.png")
