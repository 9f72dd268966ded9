"""A run killed (SIGKILL) or stopped (SIGTERM) in the middle of an epoch and resumed with
`echolab train resume=RUN_DIR` ends with the numbers of the same run never interrupted: metrics.json
and every logged value of metrics.csv, equal (docs/reliability.md)."""

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from echolab.atomic import DiskFullError
from echolab.cli import main
from echolab.config import load_experiment
from echolab.train import train
from tests.e2e.outcomes import logged, numbers
from tests.run_words import smoke_words

REPO = Path(__file__).resolve().parents[2]
EPOCHS = 3
STOP_IN_EPOCH = 2  # 0-based: two epochs are done and checkpointed when the signal comes
# STFM's bank decides the centres from the second epoch on (the first explores), so a resumed run that
# lost its bank would draw other clips.
STFM = ["data.uncertainty.explore_epochs=1"]
# The final numbers judge best.ckpt; validation loss improves every epoch here, so best is the last epoch.
LAST_IS_BEST = ["callbacks.checkpoint.monitor=val/loss", "callbacks.checkpoint.mode=min"]


@pytest.fixture(autouse=True)
def _no_wandb(monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "disabled")


def _words(data_root: Path, tmp_path: Path, *extra: str) -> list[str]:
    return smoke_words(data_root, tmp_path, f"trainer.max_epochs={EPOCHS}", *LAST_IS_BEST, *extra)


def _uninterrupted(exp: str, words: list[str], tmp_path: Path) -> Path:
    words = [*words, f"run.root={tmp_path / 'uninterrupted'}"]
    return train(load_experiment(exp, words), words).run_dir


def _interrupted(exp: str, words: list[str], tmp_path: Path, signum: int) -> tuple[Path, str, int]:
    """A real `echolab train` process, sent `signum` in the middle of epoch STOP_IN_EPOCH."""
    ready, runs = tmp_path / "ready", tmp_path / "interrupted"
    command = [sys.executable, "-m", "tests.e2e.interrupted_train", str(ready), str(STOP_IN_EPOCH)]
    # as many threads as the runs in this process: float sums split over other thread counts round apart
    environment = os.environ | {"PYTHONPATH": str(REPO), "OMP_NUM_THREADS": str(torch.get_num_threads())}
    process = subprocess.Popen(
        [*command, f"exp={exp}", *words, f"run.root={runs}"],
        cwd=REPO,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 300
    while not ready.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    if not ready.exists():
        process.kill()
        pytest.fail(f"the run never reached epoch {STOP_IN_EPOCH}:\n{process.communicate()[0][-3000:]}")
    process.send_signal(signum)
    output = process.communicate(timeout=300)[0]
    (run_dir,) = (runs / exp).iterdir()
    return run_dir, output, process.returncode


def _resume(run_dir: Path, *overrides: str) -> None:
    assert main(["train", f"resume={run_dir}", *overrides]) == 0


def _same_run(resumed: Path, uninterrupted: Path) -> None:
    resumed_numbers = numbers(resumed)
    assert resumed_numbers.pop("resumed_after_epochs") == STOP_IN_EPOCH
    assert resumed_numbers == numbers(uninterrupted)
    assert logged(resumed) == logged(uninterrupted)


def _stfm(request, tmp_path):
    return "stfm_synthetic", _words(request.getfixturevalue("tiny_ev9v"), tmp_path, *STFM)


def _keyframe(request, tmp_path):
    return "keyframe_synthetic", _words(request.getfixturevalue("tiny_echonet"), tmp_path)


def _pretrain(request, tmp_path):
    """DISCOVR: the EMA teachers, the centres and the per-step schedules must all come back."""
    return "discovr_synthetic", _words(request.getfixturevalue("tiny_echonet"), tmp_path)


def test_stfm_run_stopped_by_sigterm_resumes_to_the_same_numbers(request, tmp_path):
    exp, words = _stfm(request, tmp_path)
    run_dir, output, status = _interrupted(exp, words, tmp_path, signal.SIGTERM)
    assert status == 128 + signal.SIGTERM
    assert f"stopped by SIGTERM in epoch {STOP_IN_EPOCH + 1}" in output
    assert f"holds the end of epoch {STOP_IN_EPOCH}" in output
    assert f"echolab train exp={exp} resume={run_dir}" in output
    assert not (run_dir / "metrics.json").exists()
    _resume(run_dir)
    _same_run(run_dir, _uninterrupted(exp, words, tmp_path))


def test_keyframe_run_killed_resumes_to_the_same_numbers(request, tmp_path):
    exp, words = _keyframe(request, tmp_path)
    run_dir, _, status = _interrupted(exp, words, tmp_path, signal.SIGKILL)
    assert status == -signal.SIGKILL
    _resume(run_dir)
    _same_run(run_dir, _uninterrupted(exp, words, tmp_path))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("task", "signum", "status"),
    [
        (_stfm, signal.SIGKILL, -signal.SIGKILL),
        (_keyframe, signal.SIGTERM, 128 + signal.SIGTERM),
        (_keyframe, signal.SIGINT, 1),  # Ctrl-C: Lightning's exit status
        (_pretrain, signal.SIGKILL, -signal.SIGKILL),
    ],
)
def test_every_way_of_stopping_resumes_to_the_same_numbers(task, signum, status, request, tmp_path):
    exp, words = task(request, tmp_path)
    run_dir, output, returncode = _interrupted(exp, words, tmp_path, signum)
    assert returncode == status
    if signum != signal.SIGKILL:
        assert f"echolab train exp={exp} resume={run_dir}" in output
    _resume(run_dir)
    _same_run(run_dir, _uninterrupted(exp, words, tmp_path))


def test_a_checkpoint_that_fills_the_disk_leaves_the_previous_one_to_resume_from(
    tiny_echonet, tmp_path, monkeypatch, capsys
):
    exp, words = "keyframe_synthetic", _words(tiny_echonet, tmp_path)
    real_save = torch.save

    def disk_fills_at_the_second_last_ckpt(obj, target):
        real_save(obj, target)
        if Path(target).name.startswith(".last.") and obj["epoch"] == 1:
            with open(target, "r+b") as handle:
                handle.truncate(100)  # what reached the disk before it filled
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(torch, "save", disk_fills_at_the_second_last_ckpt)
    words_here = [*words, f"run.root={tmp_path / 'full'}"]
    with pytest.raises(DiskFullError, match=r"no space left .*last\.ckpt"):
        train(load_experiment(exp, words_here), words_here)
    (run_dir,) = (tmp_path / "full" / exp).iterdir()
    assert "holds the end of epoch 1" in capsys.readouterr().out
    assert sorted(p.name for p in (run_dir / "checkpoints").iterdir()) == ["best.ckpt", "last.ckpt"]

    monkeypatch.setattr(torch, "save", real_save)  # space freed
    _resume(run_dir)
    resumed = numbers(run_dir)
    assert resumed.pop("resumed_after_epochs") == 1
    assert resumed == numbers(_uninterrupted(exp, words, tmp_path))


def test_a_finished_run_goes_on_only_with_more_epochs_on_a_stretched_schedule(tiny_echonet, tmp_path, capsys):
    exp, words = "keyframe_synthetic", _words(tiny_echonet, tmp_path, "trainer.max_epochs=2")
    words = [*words, f"run.root={tmp_path / 'runs'}"]
    run_dir = train(load_experiment(exp, words), words).run_dir
    assert main(["train", f"resume={run_dir}"]) == 2
    assert "has finished" in capsys.readouterr().err
    _resume(run_dir, "trainer.max_epochs=4")
    assert numbers(run_dir)["epochs"] == 4
    assert "trainer.max_epochs=4" in (run_dir / "overrides.txt").read_text().split()
    rates = [float(row.split(",")[1]) for row in logged(run_dir).splitlines()[1:] if row.split(",")[1]]
    warmed = rates[rates.index(max(rates)) :]
    # cosine decay planned for 4 epochs from the restored point: it keeps falling, it does not rise again
    assert len(warmed) > 4 and all(b <= a for a, b in zip(warmed, warmed[1:], strict=False))
