"""`echolab predict` for a keyframe checkpoint: ED and ES frame indices (and times) of videos of any length."""

from __future__ import annotations

from pathlib import Path

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


def write_predictions(out: Path, paths: list[Path], outputs: list[dict], module) -> None:
    """Print one line per video; write predictions.csv and, beside it, <stem>_curves.npz."""
    rows = []
    for result in outputs:
        path = paths[result["index"]]
        print(describe(path.name, result["keyframes"], result["fps"]))
        rows.append(
            {
                "video": str(path),
                "fps": result["fps"],
                "frames": result["n_frames"],
                "true": None,
                "predicted": result["keyframes"],
                "curves": result["curves"],
            }
        )
    write_keyframe_predictions(out, rows)
    write_curves(out.with_name(out.stem + "_curves.npz"), rows)
