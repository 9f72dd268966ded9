"""Finding an echolab checkout and its newest run of a task (what the notebooks open by default)."""

import os
import time
from pathlib import Path

import pytest
import yaml

from echolab.runs import checkout_root, create_run_dir, format_summary, newest_run, notebook_run


def make_run(root, exp: str, task: str):
    run = create_run_dir(root / "runs", exp)
    (run / "config.yaml").write_text(yaml.safe_dump({"task": {"name": task}}))
    (run / "predictions.csv").write_text("video\n")
    return run


def test_newest_run_of_the_task_is_found_and_other_tasks_are_ignored(tmp_path):
    older = make_run(tmp_path, "view_synthetic", "view")
    keyframe = make_run(tmp_path, "keyframe_synthetic", "keyframe")
    newer = make_run(tmp_path, "stfm_synthetic", "view")
    now = time.time()
    for age, run in ((30, older), (20, newer), (10, keyframe)):
        os.utime(run / "predictions.csv", (now - age, now - age))
    assert newest_run(tmp_path, "view") == newer
    assert newest_run(tmp_path, "keyframe") == keyframe


def test_no_run_of_the_task_says_what_to_do(tmp_path):
    make_run(tmp_path, "view_synthetic", "view")
    with pytest.raises(FileNotFoundError, match="no keyframe run .* run `make train` first"):
        newest_run(tmp_path, "keyframe")


def test_checkout_root_is_the_folder_with_experiments(tmp_path):
    (tmp_path / "experiments").mkdir()
    (tmp_path / "notebooks" / "deep").mkdir(parents=True)
    assert checkout_root(tmp_path / "notebooks" / "deep") == tmp_path
    assert checkout_root(tmp_path.parent) == tmp_path.parent


def _run(folder: Path, task: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "config.yaml").write_text(yaml.safe_dump({"task": {"name": task}}))
    (folder / "predictions.csv").write_text("file\n")
    return folder


def test_a_notebooks_relative_run_is_found_from_the_shells_folder(tmp_path, monkeypatch):
    run = _run(tmp_path / "runs" / "view_synthetic" / "r1", "view")
    kernel = tmp_path / "elsewhere"  # a kernel starts in the notebook's folder, not the shell's
    kernel.mkdir()
    monkeypatch.chdir(kernel)
    monkeypatch.setenv("PWD", str(tmp_path))
    assert notebook_run("runs/view_synthetic/r1", "view") == run.resolve()
    assert notebook_run("", "view") == run


def test_a_notebooks_missing_run_names_every_place_tried(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PWD", str(tmp_path / "shell"))
    with pytest.raises(FileNotFoundError) as err:
        notebook_run("runs/nope", "view")
    assert str(tmp_path / "shell" / "runs" / "nope") in str(err.value)
    assert str(tmp_path / "runs" / "nope") in str(err.value)


def test_the_summary_prints_a_value_with_its_interval(tmp_path):
    text = format_summary(
        "trained x", tmp_path, {"test/acc": (0.98611, [0.95833, 1.0]), "val/acc": 0.9, "test/n": None}
    )
    assert "  test/acc     0.986 [0.958, 1.000]" in text.splitlines()
    assert (
        "  val/acc      0.900" in text.splitlines()
        and "  test/n       undefined (see metrics.json)" in text.splitlines()
    )
