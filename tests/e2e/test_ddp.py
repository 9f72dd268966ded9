"""`trainer.devices=2 trainer.strategy=ddp trainer.accelerator=cpu` (gloo): a real `echolab train` over
two processes writes one run folder (rank 0's), and its metrics count each video once: they equal one
process's evaluation of the same checkpoint."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from echolab.config import load_experiment
from echolab.train import evaluate, train
from tests.run_words import smoke_words

REPO = Path(__file__).resolve().parents[2]
TWO_PROCESSES = ["trainer.devices=2", "trainer.strategy=ddp", "trainer.accelerator=cpu"]
EVERY_VIDEO = ["trainer.limit_val_batches=1.0", "trainer.limit_test_batches=1.0"]
FLOAT_TOLERANCE = 1e-6  # one checkpoint: only the batching of videos differs between the two evaluations
TRAINED_TOLERANCE = 1e-5  # two trainings that differ in the order of float sums (measured: 6e-8)


@pytest.fixture(scope="module")
def echonet_with_three_test_videos(tmp_path_factory) -> Path:
    """15 videos: 9 train, 3 val, 3 test; an odd split, so DistributedSampler repeats a video."""
    from echolab.data.synthetic import write_echonet

    root = tmp_path_factory.mktemp("ddp") / "echonet"
    return write_echonet(root, videos=15, seed=5, min_frames=61, max_frames=70, progress=False)


@pytest.fixture(autouse=True)
def _no_wandb(monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "disabled")


def _train_on_two_processes(exp: str, words: list[str], runs: Path, launcher="lightning") -> tuple[Path, str]:
    """`echolab train` on two processes: Lightning's launcher starts the second one (re-running the
    command), or torchrun starts both."""
    echolab = ["-m", "echolab", "train", f"exp={exp}", *words, *TWO_PROCESSES, f"run.root={runs}"]
    torchrun = [str(Path(sys.executable).parent / "torchrun"), "--standalone", "--nproc-per-node=2"]
    command = [sys.executable, *echolab] if launcher == "lightning" else [*torchrun, *echolab]
    # each process as many threads as this one: float sums split over other thread counts round apart
    environment = os.environ | {"OMP_NUM_THREADS": str(torch.get_num_threads()), "PYTHONPATH": str(REPO)}
    done = subprocess.run(command, cwd=REPO, env=environment, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (run_dir,) = (runs / exp).iterdir()  # one folder, not one per process
    return run_dir, done.stdout


def _close(a, b, path: str = "", tolerance: float = FLOAT_TOLERANCE) -> list[str]:
    """Where two metrics.json entries differ: counts and labels exactly, other floats beyond `tolerance`."""
    if isinstance(a, dict) and isinstance(b, dict):
        keys = sorted(set(a) | set(b))
        return [d for key in keys for d in _close(a.get(key), b.get(key), f"{path}/{key}", tolerance)]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        pairs = enumerate(zip(a, b, strict=True))
        return [d for i, (x, y) in pairs for d in _close(x, y, f"{path}[{i}]", tolerance)]
    if isinstance(a, float) and isinstance(b, float) and not (a.is_integer() and b.is_integer()):
        return [] if abs(a - b) <= tolerance else [f"{path}: {a} vs {b}"]
    return [] if a == b else [f"{path}: {a} vs {b}"]


def _judged_alone(run_dir: Path, exp: str, words: list[str], tmp_path: Path) -> Path:
    """The run folder of one process's evaluation of the two-process run's best checkpoint."""
    words = [*words, f"run.root={tmp_path / 'alone'}"]
    return evaluate(load_experiment(exp, words), run_dir / "checkpoints" / "best.ckpt", words).run_dir


def _check_counted_once(exp: str, words: list[str], tmp_path: Path, launcher="lightning") -> Path:
    run_dir, printed = _train_on_two_processes(exp, words, tmp_path / "runs", launcher)
    assert printed.count("── trained") == 1  # rank 0 alone reports
    alone_run = _judged_alone(run_dir, exp, words, tmp_path)
    metrics, alone = (json.loads((folder / "metrics.json").read_text()) for folder in (run_dir, alone_run))
    for split in ("val", "test"):
        assert _close(metrics[split], alone[split]) == []
    assert (run_dir / "predictions.csv").read_text() == (alone_run / "predictions.csv").read_text()
    return run_dir


@pytest.mark.slow
def test_keyframe_run_on_two_processes(echonet_with_three_test_videos, tmp_path):
    words = smoke_words(echonet_with_three_test_videos, tmp_path, *EVERY_VIDEO)
    run_dir = _check_counted_once("keyframe_synthetic", words, tmp_path)
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["test"]["videos"] == 3 and metrics["val"]["videos"] == 3
    assert metrics["test"]["ed_true"] + metrics["test"]["es_true"] == sum(
        len(row.split(",")[3].split(";")) + len(row.split(",")[4].split(";"))
        for row in (run_dir / "predictions.csv").read_text().splitlines()[1:]
    )


@pytest.mark.slow
def test_keyframe_run_started_by_torchrun(echonet_with_three_test_videos, tmp_path):
    """torchrun starts both processes: the second learns rank 0's folder only once they connect."""
    words = smoke_words(echonet_with_three_test_videos, tmp_path, *EVERY_VIDEO)
    _check_counted_once("keyframe_synthetic", words, tmp_path, launcher="torchrun")
    assert sorted(p.name for p in (tmp_path / "runs").rglob("checkpoints")) == ["checkpoints"]


@pytest.mark.slow
def test_stfm_run_with_its_uncertainty_bank_on_two_processes(tiny_ev9v, tmp_path):
    words = smoke_words(tiny_ev9v, tmp_path, *EVERY_VIDEO, "data.uncertainty.explore_epochs=0")
    run_dir = _check_counted_once("stfm_synthetic", words, tmp_path)
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert sum(map(sum, metrics["test"]["confusion_matrix"])) == 9  # nine test videos, each once


@pytest.mark.slow
def test_two_processes_with_half_the_batch_train_what_one_process_does(tiny_ev9v, tmp_path):
    """The samplers' draws are dealt out in their own order, so two processes with half the batch each
    train on the batches one process trains on; DDP averages their gradients into the one-process
    gradient. A model without BatchNorm or dropout (TimeSformer, LayerNorm) then learns the same weights
    up to the order of float sums (BatchNorm would see half batches: trainer.sync_batchnorm=true fixes
    that on GPUs; torch's SyncBatchNorm has no CPU implementation)."""
    words = smoke_words(tiny_ev9v, tmp_path, *EVERY_VIDEO, "trainer.max_epochs=2")
    words += ["model=timesformer", "model.head_dropout=0.0"]
    one_run = train(
        load_experiment("view_synthetic", [*words, f"run.root={tmp_path / 'one'}"]), words
    ).run_dir
    batch = load_experiment("view_synthetic", words).data.batch_size
    assert batch % 2 == 0
    halves = [*words, f"data.batch_size={batch // 2}"]
    two_run, _ = _train_on_two_processes("view_synthetic", halves, tmp_path / "two")
    one, two = (json.loads((run / "metrics.json").read_text()) for run in (one_run, two_run))
    for split in ("val", "test"):
        assert _close(one[split], two[split], tolerance=TRAINED_TOLERANCE) == []


@pytest.mark.slow
def test_pretraining_run_on_two_processes(echonet_with_three_test_videos, tmp_path):
    """DISCOVR on two processes: one run folder, one summary, every loss term and monitor averaged over
    the processes (the evaluation masks are random, so its numbers are not compared with one process's)."""
    words = smoke_words(echonet_with_three_test_videos, tmp_path, *EVERY_VIDEO)
    run_dir, printed = _train_on_two_processes("discovr_synthetic", words, tmp_path / "runs")
    assert printed.count("── trained") == 1
    metrics = json.loads((run_dir / "metrics.json").read_text())
    for split in ("val", "test"):
        terms = {"loss", "cluster", "cluster_reverse", "image_dino", "video_dino", "prototypes_used"}
        assert terms <= set(metrics[split]) and all(metrics[split][t] > 0 for t in terms)
    assert {p.name for p in (run_dir / "checkpoints").iterdir()} == {"best.ckpt", "last.ckpt"}
