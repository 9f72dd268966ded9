"""`echolab predict` for a view checkpoint: the view of each video, its probability and uncertainty."""

from __future__ import annotations

from pathlib import Path

from echolab.tasks.view.report import write_view_predictions


def write_predictions(out: Path, paths: list[Path], outputs: list[dict], module) -> None:
    """Print one line per video; write predictions.csv (one row per video, every class's probability)."""
    rows = []
    for batch in outputs:
        for index, probs, uncertainty in zip(
            batch["index"], batch["probs"], batch["uncertainty"], strict=True
        ):
            rows.append({"index": int(index), "probs": probs.tolist(), "uncertainty": float(uncertainty)})
    for row in rows:
        probs = row["probs"]
        best = max(range(len(probs)), key=probs.__getitem__)
        name = paths[row["index"]].name
        print(f"{name}  {module.classes[best]}  p={probs[best]:.3f}  uncertainty={row['uncertainty']:.3f}")
    write_view_predictions(out, [str(paths[row["index"]]) for row in rows], rows, module.classes)
