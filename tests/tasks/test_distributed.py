"""Two DDP processes (gloo on CPU, spawned here): per-video rows come back whole and once each, the
tasks' validation and test numbers count every video once, and the uncertainty bank stays the same in
every process; the run folder belongs to rank 0."""

import pickle
import warnings
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from echolab.callbacks.uncertainty_sampling import UncertaintySampling
from echolab.data.samplers import SegmentBankSampler
from echolab.distributed import gather_rows
from echolab.runs import RUN_DIR_VARIABLE, claim_run_dir
from echolab.tasks.keyframe.metrics import score_video
from echolab.tasks.keyframe.module import KeyframeTask
from echolab.tasks.view.module import ViewClassificationTask

# DistributedSampler's split of 5 videos over 2 processes: 0 2 4 | 1 3 0 (video 0 repeated)
SHARES = ((0, 2, 4), (1, 3, 0))


@pytest.fixture(scope="module")
def two_processes(tmp_path_factory) -> dict:
    """What each of two DDP processes computed, by rank (`_worker`). Spawned once for every test below:
    a spawned process imports echolab's tasks again, which takes seconds; a forked one could inherit a
    lock another thread of this process holds (pytest-xdist runs threads) and wait on it forever."""
    folder = tmp_path_factory.mktemp("ddp")
    mp.spawn(_worker, args=(str(folder),), nprocs=2, join=True)
    return {rank: pickle.loads((folder / f"rank{rank}.pkl").read_bytes()) for rank in (0, 1)}


def _worker(rank: int, folder: str) -> None:
    warnings.filterwarnings("ignore", message="You are trying to `self.log")  # no Trainer here to log to
    # A file rendezvous needs no free TCP port, which another test process could take first.
    dist.init_process_group("gloo", init_method=f"file://{folder}/rendezvous", rank=rank, world_size=2)
    try:
        results = {"rows": _rows_worker(rank), "tasks": _task_worker(rank), "bank": _bank_worker(rank)}
    finally:
        dist.destroy_process_group()
    Path(folder, f"rank{rank}.pkl").write_bytes(pickle.dumps(results))


def _rows_worker(rank: int):
    mine = [{"index": i, "video": f"v{i}", "rank": rank} for i in SHARES[rank]]
    return [(row["index"], row["video"]) for row in gather_rows(mine)]


def test_rows_of_both_processes_are_gathered_once_each_in_index_order(two_processes):
    expected = [(i, f"v{i}") for i in range(5)]
    assert two_processes[0]["rows"] == two_processes[1]["rows"] == expected


def test_without_ddp_rows_are_sorted_and_unchanged():
    rows = [{"index": 2, "video": "b"}, {"index": 0, "video": "a"}]
    assert gather_rows(rows) == [rows[1], rows[0]]


def _view_rows(videos) -> list[dict]:
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(3), size=5)
    return [
        {"index": i, "label": i % 3, "probs": probs[i].tolist(), "uncertainty": float(probs[i].min())}
        for i in videos
    ]


def _view_task() -> ViewClassificationTask:
    model = {"name": "frame_cnn", "backbone": "resnet10t", "pretrained": False}
    return ViewClassificationTask(model, ["A", "B", "C"], optim={}, preprocess={})


def _view_reports(videos) -> tuple[dict, dict]:
    task = _view_task()
    task.val_rows = task.test_rows = _view_rows(videos)
    task.on_validation_epoch_end()
    task.on_test_epoch_end()
    return task.val_report, task.test_report


def _keyframe_rows(videos) -> list[dict]:
    truth = {"ed": [10, 40], "es": [25]}
    predicted = {i: {"ed": [10 + i, 40], "es": [25 - i]} for i in videos}  # video i is i frames off
    return [
        {
            "index": i,
            "score": score_video(truth, predicted[i], fps=50.0, tolerance=10.0, frame_range=(0, 60)),
            "loss": 0.1 * i,
        }
        for i in videos
    ]


def _keyframe_report(videos) -> dict:
    task = KeyframeTask({"name": "resnet_lstm", "backbone": "resnet10t"}, optim={}, preprocess={}, peaks={})
    return task._finish(task.gather(_keyframe_rows(videos)), "test")


def _task_worker(rank: int):
    return _view_reports(SHARES[rank]), _keyframe_report(SHARES[rank])


@pytest.mark.filterwarnings("ignore:You are trying to `self.log\\(\\)`")  # no Trainer here to log to
def test_each_video_counts_once_in_the_tasks_numbers(two_processes):
    (view_val, view_test), keyframe = _view_reports(range(5)), _keyframe_report(range(5))
    assert keyframe["videos"] == 5 and keyframe["ed_true"] == 10
    assert sum(map(sum, view_test["confusion_matrix"])) == 5
    for rank, result in two_processes.items():
        view, keyframe_two = result["tasks"]
        assert view == (view_val, view_test), rank
        assert keyframe_two == keyframe, rank


def _bank_worker(rank: int):
    sampler = SegmentBankSampler([0, 1, 2], [40, 40, 40], seed=0, segment_frames=10)
    trainer = SimpleNamespace(datamodule=SimpleNamespace(train_sampler=sampler))
    # Both processes update video 1's first segment in the same step: rank order decides the average.
    batch = {"index": torch.tensor([rank, 1]), "centre": torch.tensor([5 + 10 * rank, 3])}
    outputs = {"uncertainty": torch.tensor([0.25 + 0.25 * rank, 0.5 - 0.25 * rank])}
    UncertaintySampling().on_train_batch_end(trainer, None, outputs, batch, 0)
    return [segments.tolist() for segments in sampler.bank]


def test_every_process_applies_every_processs_bank_updates_in_rank_order(two_processes):
    alone = SegmentBankSampler([0, 1, 2], [40, 40, 40], seed=0, segment_frames=10)
    alone.update([0, 1], [5, 3], [0.25, 0.5])
    alone.update([1, 1], [15, 3], [0.5, 0.25])
    expected = [segments.tolist() for segments in alone.bank]
    assert two_processes[0]["bank"] == two_processes[1]["bank"] == expected


def test_rank_zero_makes_the_run_folder_and_hands_it_to_the_processes_it_starts(tmp_path, monkeypatch):
    for name in ("RANK", "SLURM_PROCID", "NODE_RANK", "LOCAL_RANK", RUN_DIR_VARIABLE):
        monkeypatch.delenv(name, raising=False)
    made = claim_run_dir(tmp_path / "runs", "exp")
    assert made.is_dir() and made.parent == tmp_path / "runs" / "exp"
    # Lightning's launcher starts the second process with the first one's environment and LOCAL_RANK=1
    monkeypatch.setenv("LOCAL_RANK", "1")
    assert claim_run_dir(tmp_path / "runs", "exp") == made
    assert list((tmp_path / "runs" / "exp").iterdir()) == [made]
    # started by torchrun beside rank 0: nothing to read yet, nothing made
    monkeypatch.delenv(RUN_DIR_VARIABLE)
    monkeypatch.setenv("RANK", "1")
    assert claim_run_dir(tmp_path / "runs", "exp") == tmp_path / "runs" / "exp"
    assert list((tmp_path / "runs" / "exp").iterdir()) == [made]
