"""predict(ckpt, video): run a checkpoint on videos of any codec and size, print and save the answers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import lightning as L

from echolab.checkpoints import TASK_KEY, read_header
from echolab.data.records import BadVideo
from echolab.errors import EcholabError
from echolab.io import expand_video_inputs
from echolab.io.cache import FrameCache
from echolab.runs import create_run_dir
from echolab.tasks.keyframe.module import KeyframeTask
from echolab.tasks.keyframe.predict import predict_keyframes
from echolab.tasks.registry import RECIPES
from echolab.tasks.view.datamodule import predict_loader
from echolab.tasks.view.report import write_view_predictions


def load_task(ckpt: str | Path) -> L.LightningModule:
    """Rebuild any echolab task from its checkpoint alone."""
    path = Path(ckpt)
    task = read_header(path)[TASK_KEY]
    if task not in RECIPES:
        raise EcholabError(f"{path} is a checkpoint of task {task!r}, which this echolab does not know")
    return RECIPES[task].module_class.load_from_checkpoint(path, map_location="cpu").eval()


@dataclass(frozen=True)
class PredictResult:
    csv: Path  # predictions.csv of the videos that could be read
    failed: list[BadVideo]  # the inputs that could not be read, with the reason


def _readable(paths: list[Path], cache_dir, cache_size) -> tuple[list[Path], list[BadVideo]]:
    """Decode every input once (into the frame cache), keeping those that fail apart."""
    failed = FrameCache(cache_dir, size=cache_size).ensure(paths, skip_bad=True)
    unreadable = {item.path for item in failed}
    return [p for p in paths if str(p) not in unreadable], failed


def predict(
    ckpt: str | Path,
    video,
    *,
    out: str | Path | None = None,
    runs_root: str | Path = "runs",
    cache_dir: str | Path = ".cache/frames",
    batch_size: int = 1,
) -> PredictResult:
    """Predict every video `video` names, one printed line each; inputs that cannot be read are
    listed at the end (the CLI then exits 1) and do not stop the others."""
    if out and Path(out).exists():
        raise EcholabError(f"{out} exists; choose another out= (echolab never overwrites outputs)")
    module = load_task(ckpt)
    paths, failed = _readable(expand_video_inputs(video), cache_dir, module.hparams.preprocess["cache_size"])
    if not paths:
        raise EcholabError(
            "no input could be read:\n" + "\n".join(f"  {item.path}: {item.error}" for item in failed)
        )
    if isinstance(module, KeyframeTask):
        csv_path = predict_keyframes(module, paths, out=out, runs_root=runs_root, cache_dir=cache_dir)
    else:
        csv_path = _predict_views(module, paths, out, runs_root, cache_dir, batch_size)
    if failed:
        print(f"{len(failed)} of {len(paths) + len(failed)} inputs could not be read:")
        for item in failed:
            print(f"  {item.path}: {item.error}")
    return PredictResult(csv_path, failed)


def _predict_views(module, paths: list[Path], out, runs_root, cache_dir, batch_size: int) -> Path:
    loader = predict_loader(paths, module.hparams.preprocess, cache_dir, batch_size=batch_size)
    trainer = L.Trainer(
        accelerator="auto",
        devices=1,
        logger=False,
        enable_checkpointing=False,
        enable_model_summary=False,
        enable_progress_bar=len(paths) > 1,
    )
    rows = []
    for batch in trainer.predict(module, loader):
        for index, probs, uncertainty in zip(
            batch["index"], batch["probs"], batch["uncertainty"], strict=True
        ):
            rows.append(
                {"index": int(index), "label": -1, "probs": probs.tolist(), "uncertainty": float(uncertainty)}
            )
    names = [paths[row["index"]].name for row in rows]
    for name, row in zip(names, rows, strict=True):
        probs = row["probs"]
        best = max(range(len(probs)), key=probs.__getitem__)
        print(f"{name}  {module.classes[best]}  p={probs[best]:.3f}  uncertainty={row['uncertainty']:.3f}")
    out_path = Path(out) if out else create_run_dir(runs_root, "predict", subdirs=()) / "predictions.csv"
    out_path.parent.mkdir(parents=True, exist_ok=True)
    write_view_predictions(out_path, [str(p) for p in paths], rows, module.classes)
    print(f"predictions written to {out_path}")
    return out_path
