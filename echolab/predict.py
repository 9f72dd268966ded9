"""predict(ckpt, video): run a checkpoint on videos of any codec and size, print and save the answers."""

from __future__ import annotations

from pathlib import Path

import lightning as L

from echolab.callbacks.view_report import write_view_predictions
from echolab.data.datamodules import predict_loader
from echolab.data.video import expand_video_inputs
from echolab.errors import EcholabError
from echolab.keyframes.predict import predict_keyframes
from echolab.runs import create_run_dir
from echolab.tasks.base import checkpoint_header
from echolab.tasks.keyframe import KeyframeTask
from echolab.tasks.recipes import RECIPES


def load_task(ckpt: str | Path) -> L.LightningModule:
    """Rebuild any echolab task from its checkpoint alone."""
    path = Path(ckpt)
    if not path.is_file():
        raise EcholabError(f"checkpoint {path} does not exist; point ckpt= at a run's checkpoints/best.ckpt")
    task = checkpoint_header(path).get("echolab_task")
    if task not in RECIPES:
        raise EcholabError(f"{path} is not an echolab checkpoint (it names no known task: {task!r})")
    return RECIPES[task].module_class.load_from_checkpoint(path, map_location="cpu").eval()


def predict(
    ckpt: str | Path,
    video,
    *,
    out: str | Path | None = None,
    runs_root: str | Path = "runs",
    cache_dir: str | Path = ".cache/frames",
    batch_size: int = 1,
) -> Path:
    """Predict every video `video` names; one printed line per video; returns the CSV's path."""
    if out and Path(out).exists():
        raise EcholabError(f"{out} exists; choose another out= (echolab never overwrites outputs)")
    module = load_task(ckpt)
    paths = expand_video_inputs(video)
    if isinstance(module, KeyframeTask):
        return predict_keyframes(module, paths, out=out, runs_root=runs_root, cache_dir=cache_dir)
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
