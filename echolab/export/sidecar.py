"""The JSON sidecar of an exported model: everything needed to use the model file(s) outside echolab.

`<out>.json` (best.onnx.json) sits beside the model file(s) it names (`parts`). Its human-readable fields say how a
video becomes model input (`preprocessing`, `clips` or `sliding_window`) and how outputs become
answers (`fusion`, or `peaks`), with the formula of each step, read from the objects echolab itself
predicts with (the task's evaluation transform, the checkpoint's saved preprocessing, its task
settings). `echolab` holds the task's hyper-parameters, from which `echolab predict` rebuilds the
same task around the exported network (export/runtime.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import echolab
from echolab.errors import ExportError
from echolab.tasks.keyframe.datamodule import clip_frames, keyframe_eval_transform
from echolab.tasks.keyframe.peaks import PeakSettings
from echolab.tasks.view.datamodule import eval_transform

SIDECAR_VERSION = 1
MODEL_SUFFIXES = (".onnx", ".pt")  # what `echolab predict ckpt=` takes as an exported model, with ".json"
PART_SUFFIXES = {"frame_features": ".frames", "temporal_head": ".temporal"}  # ONNX files of split models

# How the evaluation clips of a view video of n frames are placed (tasks/view/datasets.py PLACEMENTS,
# data/clips.py UniformClips and EvenCentres), written as a reader would implement them.
PLACEMENT_RULES = {
    "start": (
        "span = (frames - 1) * stride + 1; starts = [round(s) for s in linspace(0, max(n - span, 0), per_video)] "
        "(Python round: halves to even); clip = [min(start + i * stride, n - 1) for i in range(frames)]"
    ),
    "centre": (
        "m = min(n, first_frames or n); centres = floor(linspace(0, m - 1, per_video)); "
        "clip = [clip(centre + (i - frames // 2) * stride, 0, m - 1) for i in range(frames)]"
    ),
}

# tasks/view/fusion.py, with evidence(z) and prior as `fusion.evidence` and `fusion.prior` say.
FUSION_RULES = {
    "alpha_sum": (
        "alpha_j = evidence(logits_j) + prior for each clip j; A = sum_j alpha_j; p = A / sum(A); "
        "uncertainty = K * M * prior / sum(A)"
    ),
    "dempster_shafer": (
        "per clip S = sum(evidence) + K * prior, b = evidence / S, u = K * prior / S; clips combined in order: "
        "C = sum(b1) * sum(b2) - sum(b1 * b2), b = (b1 * b2 + b1 * u2 + b2 * u1) / (1 - C), "
        "u = u1 * u2 / (1 - C); p = b + u / K; uncertainty = u"
    ),
    "prob_mean": "p = mean_j clip_probabilities(logits_j); uncertainty = -sum(p * log p) / log K",
}

SLIDING_WINDOW_RULE = (
    "windows of `window` consecutive frames start at every frame 0 .. max(n - window, 0); a video shorter than "
    "one window is padded at its end with black frames (pixel value 0 before normalisation); each frame's "
    "curve value is the mean of sigmoid(logits) over the windows that contain it; padding frames are dropped"
)
PEAK_RULE = (
    "per curve (ED, ES): scipy.signal.find_peaks on the curve padded with its minimum at both ends, "
    "distance = max(1, round(min_distance_s * fps)) (fallback_fps when the frame rate is unknown), prominence; "
    "an edge frame counts only when a Gaussian of width sigma through it and its neighbour peaks at most half a "
    "frame outside the video; refine: each peak moves to the centre of a parabola fitted to log(curve) within "
    "sigma / 2 frames. Reference implementation: echolab.tasks.keyframe.peaks.pick_peaks"
)


def sidecar_path(model_file: Path) -> Path:
    """The sidecar of the export whose `out=` is `model_file`: `<name>.json` (best.onnx.json), so the
    ONNX and TorchScript exports of one checkpoint sit side by side."""
    return model_file.with_name(model_file.name + ".json")


def part_file(model_file: Path, part: str, split: bool) -> Path:
    """The file a part goes into: `model_file` itself, or `<stem>.frames<suffix>` etc. for split ONNX models."""
    if not split:
        return model_file
    return model_file.with_name(model_file.stem + PART_SUFFIXES[part] + model_file.suffix)


def is_exported(path: str | Path) -> bool:
    """Whether `echolab predict ckpt=path` names an exported model rather than a checkpoint."""
    return Path(path).suffix in (*MODEL_SUFFIXES, ".json")


def find_sidecar(path: str | Path) -> Path:
    """The sidecar of an exported model named by its sidecar, its `out=` name, or any of its model files."""
    path = Path(path)
    if path.suffix == ".json":
        candidates = [path]
    else:
        candidates = [sidecar_path(path)]
        stem = path.with_suffix("")
        if stem.suffix in PART_SUFFIXES.values():  # best.frames.onnx -> best.onnx.json
            candidates.append(sidecar_path(stem.with_suffix(path.suffix)))
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise ExportError(
        f"{path}: no export sidecar {candidates[-1]} beside it; an exported model is used with the JSON file "
        "`echolab export` wrote with it (a Lightning checkpoint ends in .ckpt)"
    )


def read_sidecar(path: str | Path) -> tuple[dict, Path]:
    """The sidecar of the exported model `path` names, and the folder its files are in."""
    found = find_sidecar(path)
    try:
        sidecar = json.loads(found.read_text())
    except (OSError, ValueError) as err:
        raise ExportError(
            f"{found} is not a readable export sidecar ({err}); export the checkpoint again"
        ) from None
    if not isinstance(sidecar, dict) or sidecar.get("sidecar_version") != SIDECAR_VERSION:
        raise ExportError(
            f"{found} is not an echolab export sidecar of version {SIDECAR_VERSION}; "
            "export the checkpoint again with this echolab"
        )
    missing = [
        spec["file"] for spec in sidecar["parts"].values() if not (found.parent / spec["file"]).is_file()
    ]
    if missing:
        raise ExportError(
            f"{found} names model files that are missing beside it: {', '.join(sorted(set(missing)))}"
        )
    return sidecar, found.parent


def describe(task: str, hparams: dict) -> dict:
    """The task-specific, human-readable fields of a sidecar, from a checkpoint's hyper-parameters."""
    preprocess = hparams["preprocess"]
    if task == "view":
        return {
            "classes": list(hparams["classes"]),
            "preprocessing": _preprocessing(preprocess, eval_transform(preprocess)),
            "clips": _view_clips(preprocess),
            "fusion": _fusion(hparams["fusion"], hparams["loss"], hparams["prior_weight"]),
        }
    return {
        "classes": ["ED", "ES"],  # the two curves, in output order
        "preprocessing": _preprocessing(preprocess, keyframe_eval_transform(preprocess)),
        "sliding_window": {"window": clip_frames(preprocess), "stride": 1, "rule": SLIDING_WINDOW_RULE},
        "peaks": {**vars(PeakSettings(**hparams["peaks"])), "sigma": preprocess["sigma"], "rule": PEAK_RULE},
    }


def _preprocessing(preprocess: dict, transform) -> dict:
    """Decoded RGB frames -> normalised model input, step by step (io/cache.py, then the evaluation transform)."""
    cache_size = preprocess["cache_size"]
    return {
        "frames": "RGB, uint8, (T, H, W, 3), in video order",
        "steps": [
            *(
                [{"resize_shorter_side": cache_size, "interpolation": "area (cv2.INTER_AREA)"}]
                if cache_size
                else []
            ),
            {"resize_shorter_side": transform.eval_resize, "interpolation": "bilinear (cv2.INTER_LINEAR)"},
            {"centre_crop": transform.size},
            {
                "normalise": "(pixel / 255 - mean) / std per RGB channel",
                "mean": transform.mean,
                "std": transform.std,
            },
        ],
        "resize_rule": "scale = target / min(H, W); new size = (max(1, round(W * scale)), max(1, round(H * scale))); "
        "unchanged when already that size; centre crop offset = (size_before - crop) // 2",
        "size": transform.size,
    }


def _view_clips(preprocess: dict) -> dict:
    placement = preprocess.get("placement", "start")  # checkpoints from before placement existed used starts
    return {
        "frames": preprocess["clip"]["frames"],
        "stride": preprocess["clip"].get("stride", 1),
        "per_video": preprocess["eval_clips"],
        "placement": placement,
        "first_frames": preprocess.get("eval_frames") if placement == "centre" else None,
        "indices": PLACEMENT_RULES[placement],
        "batch": "the clips of one video, (per_video, 3, frames, size, size), one model call",
    }


def _fusion(rule: str, loss: str, prior_weight: float) -> dict:
    # tasks/view/losses.py evidence_prior: classic EDL reads ReLU evidence with prior 1; the others softplus.
    classic = loss.startswith("edl_")
    return {
        "rule": rule,
        "formula": FUSION_RULES[rule],
        "evidence": "relu(logits)" if classic else "softplus(logits)",
        "prior": 1.0 if classic else prior_weight,
        "clip_probabilities": "softmax(logits)" if loss == "ce" else "alpha / sum(alpha)",
        "trained_with_loss": loss,
    }


def build(task: str, format_name: str, hparams: dict, parts: dict[str, dict], provenance: dict) -> dict:
    """The whole sidecar: task, format, parts, the human-readable fields, provenance, echolab's own."""
    return {
        "sidecar_version": SIDECAR_VERSION,
        "task": task,
        "format": format_name,
        "model": dict(hparams["model"]),
        "parts": parts,
        **describe(task, hparams),
        "exported": {"echolab": echolab.__version__, **provenance},
        "echolab": {"hyper_parameters": json.loads(json.dumps(dict(hparams)))},
    }
