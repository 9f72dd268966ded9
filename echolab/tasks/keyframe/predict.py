"""`echolab predict` for a keyframe checkpoint: ED and ES frame indices (and times) of videos of any length."""

from __future__ import annotations

from pathlib import Path

import torch

from echolab.runs import create_run_dir
from echolab.tasks.keyframe.datamodule import keyframe_predict_dataset
from echolab.tasks.keyframe.report import frame_list, write_curves, write_keyframe_predictions


def _times(frames: list[int], fps: float | None) -> str:
    return ", ".join(f"{f / fps:.2f}" for f in frames) + " s" if fps and frames else ""


def describe(name: str, keyframes: dict[str, list[int]], fps: float | None) -> str:
    """The printed line for one video: frames, and seconds when the frame rate is known."""
    parts = [name]
    for event in ("ed", "es"):
        frames = keyframes[event]
        times = _times(frames, fps)
        parts.append(f"{event.upper()} [{frame_list(frames) or '-'}]" + (f" ({times})" if times else ""))
    if not fps:
        parts.append("(frame rate unknown: times not shown)")
    return "  ".join(parts)


def predict_keyframes(module, paths: list[Path], *, out: Path | None, runs_root, cache_dir) -> Path:
    """Print one line per video, write predictions.csv and curves.npz next to each other; return the CSV."""
    dataset = keyframe_predict_dataset(paths, module.hparams.preprocess, cache_dir)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    module = module.to(device).eval()
    rows = []
    for index in range(len(dataset)):
        item = dataset[index]
        batch = {**item, "video": item["video"].to(device)}
        result = module.predict_step(batch, index)
        name = paths[index].name
        print(describe(name, result["keyframes"], result["fps"]))
        rows.append(
            {
                "video": str(paths[index]),
                "fps": result["fps"],
                "frames": item["n_frames"],
                "true": None,
                "predicted": result["keyframes"],
                "curves": result["curves"],
            }
        )
    out_path = Path(out) if out else create_run_dir(runs_root, "predict", subdirs=()) / "predictions.csv"
    out_path.parent.mkdir(parents=True, exist_ok=True)
    write_keyframe_predictions(out_path, rows)
    write_curves(out_path.with_name(out_path.stem + "_curves.npz"), rows)
    print(f"predictions written to {out_path}")
    return out_path
