import json

import pytest

from echolab.data.formats import read_dataset
from echolab.data.summary import format_summary, summarize
from tests.fixtures_video import write_echonet, write_ev9v, write_manifest, write_video


@pytest.fixture
def ev9v_index(tmp_path):
    videos = {
        "v1": ("A4C", "train"),
        "v2": ("A4C", "train"),
        "v3": ("PLHLA", "train"),
        "v4": ("SC4C", "validation"),
        "v5": ("A4C", "test"),
    }
    return read_dataset("ev9v", write_ev9v(tmp_path / "ev9v", videos, n_frames=5))


def test_summary_has_the_documented_shape(ev9v_index):
    summary = summarize(ev9v_index, progress=False)
    assert list(summary) == ["format", "root", "classes", "splits", "bad", "videos"]
    assert summary["format"] == "ev9v" and summary["root"] == str(ev9v_index.root)
    assert list(summary["splits"]) == ["train", "val", "test"]
    train = summary["splits"]["train"]
    assert train["videos"] == 3
    assert train["per_class"] == {name: {"A4C": 2, "PLHLA": 1}.get(name, 0) for name in summary["classes"]}
    assert summary["splits"]["val"]["per_class"]["SC4C"] == 1
    assert summary["bad"] == []
    v1 = next(video for video in summary["videos"] if video["name"] == "v1")
    assert v1 == {
        "name": "v1",
        "split": "train",
        "label": "A4C",
        "frames": 5,
        "fps": None,
        "ed": [],
        "es": [],
    }
    json.dumps(summary)  # JSON-ready


def test_without_checking_videos_frames_are_unknown(ev9v_index):
    summary = summarize(ev9v_index, check_videos=False, progress=False)
    assert {video["frames"] for video in summary["videos"]} == {None}


def test_undecodable_video_and_out_of_range_keyframes_are_bad(tmp_path):
    root = write_echonet(
        tmp_path / "echonet", [("ok", "TRAIN", [1, 8]), ("late", "VAL", [3, 12]), ("junk", "TEST", [])]
    )
    (root / "Videos" / "junk.avi").write_bytes(b"\x00" * 3000)
    summary = summarize(read_dataset("echonet_dynamic", root), progress=False)
    errors = {item["path"]: item["error"] for item in summary["bad"]}
    assert set(errors) == {str(root / "Videos" / "late.avi"), str(root / "Videos" / "junk.avi")}
    assert (
        "ED/ES frame(s) 12 are past the last frame (the video has 10 frames"
        in errors[str(root / "Videos" / "late.avi")]
    )
    assert "cannot decode" in errors[str(root / "Videos" / "junk.avi")]
    videos = {video["name"]: video for video in summary["videos"]}
    assert (videos["ok"]["frames"], videos["ok"]["fps"], videos["ok"]["es"], videos["ok"]["ed"]) == (
        10,
        50.0,
        [1],
        [8],
    )
    assert videos["junk"]["frames"] is None


def test_bad_videos_of_the_index_are_carried_over(tmp_path):
    write_video(tmp_path / "a.avi", 3)
    write_manifest(
        tmp_path,
        [{"path": "a.avi", "label": "", "split": "train"}, {"path": "b.avi", "label": "", "split": "test"}],
    )
    with pytest.warns(UserWarning):
        index = read_dataset("manifest", tmp_path, skip_bad=True)
    summary = summarize(index, progress=False)
    assert [item["path"] for item in summary["bad"]] == [str(tmp_path / "b.avi")]
    assert summary["videos"][0]["label"] is None
    assert summary["splits"]["train"] == {"videos": 1, "per_class": {}}


def test_format_summary_tabulates_classes_by_split_and_lists_bad_files(ev9v_index):
    summary = summarize(ev9v_index, progress=False)
    summary["bad"].append({"path": "/data/broken.avi", "error": "cannot decode this video"})
    text = format_summary(summary)
    lines = text.splitlines()
    assert lines[0].startswith("ev9v dataset at ") and "5 videos, 9 classes" in lines[0]
    assert lines[2].split() == ["class", "train", "val", "test"]
    assert next(line for line in lines if line.startswith("A4C")).split() == ["A4C", "2", "0", "1"]
    assert next(line for line in lines if line.startswith("total")).split() == ["total", "3", "1", "1"]
    assert "Bad files: 1" in text and "/data/broken.avi" in text and "cannot decode this video" in text


def test_format_summary_counts_unlabelled_videos(tmp_path):
    write_video(tmp_path / "a.avi", 3)
    write_manifest(tmp_path, [{"path": "a.avi", "label": "", "split": "train"}])
    text = format_summary(summarize(read_dataset("manifest", tmp_path), progress=False))
    assert "(none)" in text and "Bad files: none" in text
