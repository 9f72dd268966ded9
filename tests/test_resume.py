"""`resume=` refuses, in one line naming the file and the fix: a folder that is not a run, a run with
nothing to resume, a corrupt checkpoint or one of another task, an override that would change the run."""

import subprocess
from pathlib import Path

import pytest
import torch
import yaml

from echolab.checkpoints import TASK_KEY
from echolab.cli import main
from echolab.config import load_experiment, to_plain
from echolab.resume import resume_point

REPO = Path(__file__).resolve().parents[1]


def _run_folder(tmp_path: Path, *, task="view", model="tsm", epoch=1, finished=False) -> Path:
    run = tmp_path / "runs" / "view_synthetic" / "20250101-000000-000000-abcdef"
    (run / "checkpoints").mkdir(parents=True)
    config = to_plain(load_experiment("view_synthetic", ["profile=smoke", "trainer.max_epochs=3"]))
    (run / "config.yaml").write_text(yaml.safe_dump(config | {"data_source": {"synthetic": True}}))
    (run / "overrides.txt").write_text("profile=smoke\ntrainer.max_epochs=3\n")
    header = {
        TASK_KEY: task,
        "hyper_parameters": {"model": {"name": model}},
        "epoch": epoch,
        "global_step": 8,
    }
    torch.save(header, run / "checkpoints" / "last.ckpt")
    if finished:
        (run / "metrics.json").write_text("{}\n")
    return run


def _error(words: list[str], capsys) -> str:
    assert main(["train", *words]) == 2
    message = capsys.readouterr().err.strip()
    assert "\n" not in message
    return message


def test_the_resume_point_is_the_runs_config_and_last_checkpoint(tmp_path):
    run = _run_folder(tmp_path)
    cfg, point = resume_point(run, ["trainer.max_epochs=5", "profile=smoke", "logger.wandb.mode=disabled"])
    assert (
        cfg.exp == "view_synthetic" and cfg.trainer.max_epochs == 5 and cfg.trainer.limit_train_batches == 2
    )
    assert (point.checkpoint, point.epochs_done, point.global_step) == (
        run / "checkpoints" / "last.ckpt",
        2,
        8,
    )
    assert point.overrides == [
        "profile=smoke",
        "trainer.max_epochs=3",
        "trainer.max_epochs=5",
        "profile=smoke",
        "logger.wandb.mode=disabled",
    ]


def test_a_folder_that_is_not_a_run(tmp_path, capsys):
    assert "no such folder" in _error([f"resume={tmp_path / 'nope'}"], capsys)
    message = _error([f"resume={tmp_path}"], capsys)
    assert f"resume={tmp_path} is not an echolab run folder (it has no config.yaml)" in message
    assert "resume=runs/<exp>/<run>" in message


def test_a_run_stopped_before_its_first_checkpoint(tmp_path, capsys):
    run = _run_folder(tmp_path)
    (run / "checkpoints" / "last.ckpt").unlink()
    message = _error([f"resume={run}"], capsys)
    assert (
        "no checkpoints/last.ckpt" in message
        and "start it again with `echolab train exp=view_synthetic" in message
    )


def test_a_corrupt_checkpoint(tmp_path, capsys):
    run = _run_folder(tmp_path)
    (run / "checkpoints" / "last.ckpt").write_bytes(b"PK\x03\x04 truncated")
    message = _error([f"resume={run}"], capsys)
    assert f"{run / 'checkpoints' / 'last.ckpt'} is not a readable PyTorch checkpoint" in message
    assert "cannot resume run" in message and "put the run's own last.ckpt back" in message


@pytest.mark.parametrize(
    ("task", "model", "says"),
    [("keyframe", "resnet_vst", "is a keyframe checkpoint"), ("view", "x3d", "holds a x3d model")],
)
def test_a_checkpoint_of_another_task_or_model(task, model, says, tmp_path, capsys):
    run = _run_folder(tmp_path, task=task, model=model)
    message = _error([f"resume={run}"], capsys)
    assert says in message and "config.yaml: experiment view_synthetic" in message


def test_overrides_that_change_the_run_are_refused_by_name(tmp_path, capsys):
    run = _run_folder(tmp_path)
    message = _error([f"resume={run}", "optim.lr=0.1", "seed=3", "trainer.max_epochs=4"], capsys)
    assert "overriding optim.lr, seed would change what the run computes" in message
    assert "trainer.max_epochs" in message.split("may change")[1]
    for swap in ("profile=cpu", "model=x3d"):
        assert f"{swap} would swap a fragment or profile of the run (trained with profile=smoke)" in _error(
            [f"resume={run}", swap], capsys
        )
    assert "may be raised, not lowered (2 < 3)" in _error([f"resume={run}", "trainer.max_epochs=2"], capsys)
    assert "is a run of experiment view_synthetic, not stfm_synthetic" in _error(
        ["exp=stfm_synthetic", f"resume={run}"], capsys
    )


def test_a_finished_run_needs_more_epochs(tmp_path, capsys):
    run = _run_folder(tmp_path, epoch=2, finished=True)
    assert "has finished" in _error([f"resume={run}"], capsys)
    _, point = resume_point(run, ["trainer.max_epochs=6"])
    assert point.epochs_done == 3


def test_make_train_resumes_with_the_runs_own_experiment_unless_exp_is_given():
    def shown(*words: str) -> str:
        make = ["make", "-n", "--no-print-directory", "-W", ".venv/.installed", "train", *words]
        printed = subprocess.run(make, capture_output=True, text=True, check=True, cwd=REPO).stdout
        return next(line for line in printed.splitlines() if "echolab train" in line)

    assert shown("ARGS=resume=runs/a/b").split()[1:] == ["train", "resume=runs/a/b"]
    assert '"exp=stfm_synthetic" resume=runs/a/b' in shown("EXP=stfm_synthetic", "ARGS=resume=runs/a/b")
    assert '"exp=view_synthetic"' in shown("ARGS=seed=1")
