"""CAMUS NIfTI reader on tiny CAMUS-layout fixtures written here (no synthetic CAMUS writer exists)."""

import json

import numpy as np
import pytest

from echolab.cli import main
from echolab.config import load_experiment
from echolab.data.formats import read_dataset
from echolab.errors import DatasetError, VideoReadError
from echolab.io import probe_video, read_video
from echolab.io.cache import FrameCache
from echolab.train import train
from tests.fixture_writers import tiny_camus
from tests.run_words import ONE_STEP


def test_reader_gives_zero_based_keyframes_views_and_splits(tmp_path):
    index = read_dataset("camus", tiny_camus(tmp_path / "camus"))
    assert index.classes == ["2CH", "4CH"]
    assert [v.name for v in index.split("train")] == [
        "patient0001_2CH",
        "patient0001_4CH",
        "patient0002_2CH",
        "patient0002_4CH",
    ]
    assert len(index.split("val")) == len(index.split("test")) == 2
    video = index.split("test")[1]
    assert (video.ed, video.es, video.fps, video.label) == ((0,), (11,), 25.0, 1)
    assert video.path.name == "patient0004_4CH_half_sequence.nii.gz"


def test_data_classes_pick_the_views(tmp_path):
    root = tiny_camus(tmp_path / "camus")
    index = read_dataset("camus", root, classes=["4CH"])
    assert index.classes == ["4CH"] and {v.name[-3:] for v in index.videos} == {"4CH"}
    assert {v.label for v in index.videos} == {0}
    with pytest.raises(DatasetError, match="data.classes has 3CH"):
        read_dataset("camus", root, classes=["3CH"])


def test_nifti_frames_are_time_first_rgb_uint8(tmp_path):
    index = read_dataset("camus", tiny_camus(tmp_path / "camus"))
    frames, fps = read_video(index.videos[0].path)
    assert frames.shape == (12, 40, 48, 3) and frames.dtype == np.uint8 and fps is None
    assert frames[-1].mean() > frames[0].mean()  # the fixture brightens from ED to ES
    info = probe_video(index.videos[0].path)
    assert (info.frames, info.height, info.width) == (12, 40, 48)
    cache = FrameCache(tmp_path / "cache", size=20)
    resized = cache.frames(index.videos[0].path)
    assert isinstance(resized, np.memmap) and resized.shape == (12, 20, 24, 3)  # cached like any video


def test_missing_sequence_is_a_bad_video_naming_the_folder(tmp_path):
    root = tiny_camus(tmp_path / "camus")
    (root / "database_nifti" / "patient0003" / "patient0003_2CH_half_sequence.nii.gz").unlink()
    with pytest.raises(DatasetError, match="patient0003.*lacks patient0003_2CH_half_sequence"):
        read_dataset("camus", root)
    with pytest.warns(UserWarning, match="leaving out 1 video"):
        index = read_dataset("camus", root, skip_bad=True)
    assert len(index.split("val")) == 1


@pytest.mark.parametrize(
    ("info", "message"),
    [
        ("ES: 12\nNbFrame: 12\n", "no ED line"),
        ("ED: zero\nES: 12\n", "'zero' is not a frame number"),
        ("ED: 0\nES: 12\n", "CAMUS frames count from 1"),
        ("ED: 1\nES: 20\nNbFrame: 12\n", "beyond NbFrame 12"),
        ("ED 1\n", "expected `Key: value`"),
    ],
)
def test_bad_info_file_names_file_and_problem(tmp_path, info, message):
    root = tiny_camus(tmp_path / "camus")
    (root / "database_nifti" / "patient0001" / "Info_4CH.cfg").write_text(info)
    with pytest.raises(DatasetError, match=message):
        read_dataset("camus", root)


def test_layout_errors(tmp_path):
    with pytest.raises(DatasetError, match="does not exist"):
        read_dataset("camus", tmp_path / "nowhere")
    root = tiny_camus(tmp_path / "camus")
    (root / "database_split" / "subgroup_testing.txt").unlink()
    with pytest.raises(DatasetError, match="subgroup_testing.txt is missing"):
        read_dataset("camus", root)
    (root / "database_split" / "subgroup_testing.txt").write_text("patient0001\n")
    with pytest.raises(DatasetError, match="patient0001 is also listed"):
        read_dataset("camus", root)


def test_unreadable_nifti_is_a_video_error(tmp_path):
    broken = tmp_path / "broken.nii.gz"
    broken.write_bytes(b"not a nifti file")
    with pytest.raises(VideoReadError, match="broken.nii.gz: cannot read this NIfTI"):
        read_video(broken)
    with pytest.raises(VideoReadError, match="broken.nii.gz: cannot read this NIfTI"):
        probe_video(broken)


def test_data_summary_reads_a_camus_folder(tmp_path, capsys):
    root = tiny_camus(tmp_path / "camus")
    assert main(["data-summary", "data=camus", f"data.root={root}", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["bad"] == [] and len(summary["videos"]) == 8
    assert {v["frames"] for v in summary["videos"]} == {12}


@pytest.mark.parametrize(
    ("exp", "extra", "headline"),
    [
        ("view_synthetic", ["data=camus", "data.size=32", "data.cache_size=40"], "macro_f1"),
        ("resnet_vst_camus", [], "afd"),
    ],
)
def test_camus_trains_view_classification_and_keyframes_alike(tmp_path, exp, extra, headline):
    root = tiny_camus(tmp_path / "camus")
    overrides = [
        "profile=smoke",
        *extra,
        f"data.root={root}",
        f"run.root={tmp_path / 'runs'}",
        f"data.cache_dir={tmp_path / 'cache'}",
        *ONE_STEP,
    ]
    result = train(load_experiment(exp, overrides), overrides)
    assert headline in result.metrics["test"]
    assert result.metrics["data_source"] == {"synthetic": False}
