"""Bad videos met while training: a clear error naming the file, or a skip with a warning listing it."""

import shutil

import pytest

from echolab.config import load_experiment
from echolab.errors import EcholabError
from echolab.train import train
from tests.run_words import ONE_STEP, smoke_words


@pytest.fixture
def ev9v_with_corrupt_video(tiny_ev9v, tmp_path):
    root = tmp_path / "ev9v"
    shutil.copytree(tiny_ev9v, root)
    victim = sorted((root / "Images").iterdir())[0]
    for frame in victim.iterdir():
        frame.write_bytes(b"\x00" * 64)
    return root, victim


def _overrides(root, tmp_path, *extra):
    return smoke_words(root, tmp_path, *ONE_STEP, *extra)


def test_corrupt_video_fails_naming_the_file_and_the_fix(ev9v_with_corrupt_video, tmp_path):
    root, victim = ev9v_with_corrupt_video
    overrides = _overrides(root, tmp_path)
    with pytest.raises(EcholabError) as err:
        train(load_experiment("view_synthetic", overrides), overrides)
    assert victim.name in str(err.value) and "skip_bad" in str(err.value)


def test_skip_bad_trains_without_the_corrupt_video_and_says_so(ev9v_with_corrupt_video, tmp_path):
    root, victim = ev9v_with_corrupt_video
    overrides = _overrides(root, tmp_path, "data.skip_bad=true")
    with pytest.warns(UserWarning, match=victim.name):
        result = train(load_experiment("view_synthetic", overrides), overrides)
    assert (result.run_dir / "metrics.json").is_file()


def test_wandb_offline_run_lands_in_the_run_folder(tiny_ev9v, tmp_path):
    overrides = _overrides(tiny_ev9v, tmp_path, "logger.wandb.mode=offline")
    result = train(load_experiment("view_synthetic", overrides), overrides)
    offline_runs = list((result.run_dir / "wandb").glob("offline-run-*"))
    assert len(offline_runs) == 1 and any(offline_runs[0].rglob("*.wandb"))


def test_unlabelled_manifest_rows_are_refused_by_the_view_task(tmp_path):
    from echolab.data.synthetic import write_manifest_dataset

    root = write_manifest_dataset(
        tmp_path / "m", videos_per_class=2, size=48, min_frames=12, max_frames=14, progress=False
    )
    manifest = root / "manifest.csv"
    lines = manifest.read_text().splitlines()
    first = lines[1].split(",")
    first[1] = ""
    manifest.write_text("\n".join([lines[0], ",".join(first), *lines[2:]]) + "\n")
    overrides = _overrides(root, tmp_path, "data=manifest", "data.manifest=manifest.csv")
    with pytest.raises(EcholabError, match="needs a label for every video"):
        train(load_experiment("view_synthetic", overrides), overrides)
