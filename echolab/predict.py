"""predict(ckpt, video): run a checkpoint of any task on videos of any format, print and save the answers.

One path for every task: the checkpoint names its task, the task's entry (tasks/registry.py) gives the
loader of unlabelled inputs and the writer of its predictions, and Lightning's `Trainer.predict` runs
the module's own `predict_step` between them. An exported model (echolab/export/) comes back as the
same task module around the exported network, so it takes the same path. A raw DICOM input is shown
(printed lines, predictions.csv, the list of unreadable inputs) by the pseudonym `echolab prepare dicom`
gives it, never by its path.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import lightning as L

from echolab.checkpoints import TASK_KEY, read_header
from echolab.data.records import BadVideo
from echolab.dicom.naming import public_names, redact
from echolab.errors import EcholabError
from echolab.export.sidecar import is_exported
from echolab.io import expand_video_inputs
from echolab.io.cache import FrameCache
from echolab.runs import create_run_dir
from echolab.tasks.registry import TASKS


@dataclass(frozen=True)
class PredictResult:
    csv: Path  # predictions.csv of the videos that could be read
    failed: list[BadVideo]  # the inputs that could not be read, with the reason


def load_task(ckpt: str | Path) -> L.LightningModule:
    """Rebuild any echolab task from its checkpoint alone, or around an exported model (.onnx, .pt, .json)."""
    path = Path(ckpt)
    if is_exported(path):
        from echolab.export.runtime import load_exported  # onnxruntime and torch.jit only when asked for

        return load_exported(path)
    task = read_header(path)[TASK_KEY]
    if task not in TASKS:
        raise EcholabError(f"{path} is a checkpoint of task {task!r}, which this echolab does not know")
    return TASKS[task].module.load_from_checkpoint(path, map_location="cpu").eval()


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
    entry = TASKS[module.task_name]
    preprocess = module.hparams.preprocess
    cache = FrameCache(cache_dir, size=preprocess["cache_size"])
    inputs = expand_video_inputs(video)
    shown = public_names(inputs)  # DICOM inputs by pseudonym: their paths may name the patient
    failed = [_shown(item, shown) for item in cache.ensure(inputs, skip_bad=True)]  # listed, not fatal
    unreadable = {item.path for item in failed}
    paths = [p for p in inputs if str(shown[p]) not in unreadable]
    if not paths:
        raise EcholabError(
            "no input could be read:\n" + "\n".join(f"  {item.path}: {item.error}" for item in failed)
        )
    trainer = L.Trainer(
        accelerator="auto",
        devices=1,
        logger=False,
        enable_checkpointing=False,
        enable_model_summary=False,
        enable_progress_bar=len(paths) > 1,
    )
    outputs = trainer.predict(module, entry.predict_loader(paths, preprocess, cache, batch_size))
    csv_path = Path(out) if out else create_run_dir(runs_root, "predict", subdirs=()) / "predictions.csv"
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    entry.write_predictions(csv_path, [shown[p] for p in paths], outputs, module)
    print(f"predictions written to {csv_path}")
    if failed:
        print(f"{len(failed)} of {len(inputs)} inputs could not be read:")
        for item in failed:
            print(f"  {item.path}: {item.error}")
    return PredictResult(csv_path, failed)


def _shown(item: BadVideo, shown: dict[Path, Path]) -> BadVideo:
    name = shown[Path(item.path)]
    return BadVideo(str(name), redact(item.error, Path(item.path), name))
