import json

import pytest

from echolab.data.formats import EV9V_CLASSES, read_dataset
from echolab.data.summary import format_summary, summarize
from echolab.errors import DatasetError
from tests.fixture_writers import write_echonet, write_ev9v, write_manifest, write_video


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


# ---- every problem of a folder, in one pass ---------------------------------------------------


@pytest.fixture(params=["no_images", "zero_byte_frames"])
def ev9v_with_three_faults(request, tmp_path):
    """An EV9V folder with a corrupt video, an empty video and a row whose label is not a class."""
    from echolab.data.synthetic import write_ev9v as write_synthetic_ev9v

    root = write_synthetic_ev9v(
        tmp_path / "ev9v", videos_per_class=1, size=48, min_frames=4, max_frames=5, progress=False
    )
    corrupt, empty, mislabelled = sorted((root / "Images").iterdir())[:3]
    for frame in corrupt.iterdir():
        frame.write_bytes(b"not a jpeg")
    for frame in empty.iterdir():
        frame.unlink() if request.param == "no_images" else frame.write_bytes(b"")
    lines = (root / "labels.csv").read_text().splitlines()
    line = next(n for n, text in enumerate(lines, start=1) if text.startswith(f"{mislabelled.name},"))
    lines[line - 1] = f"{mislabelled.name},A2C"
    (root / "labels.csv").write_text("\n".join(lines) + "\n")
    # A folder without images is caught by the reader; 0-byte images only when summarize probes them.
    empty_found_by_reader = request.param == "no_images"
    return root, {
        "corrupt": corrupt,
        "empty": empty,
        "empty_reason": "holds no images" if empty_found_by_reader else "frame image is empty (0 bytes)",
        "mislabelled": mislabelled,
        "label_line": line,
        "left_out_by_reader": {mislabelled.name, *([empty.name] if empty_found_by_reader else [])},
    }


def test_data_summary_lists_every_fault_of_the_folder(ev9v_with_three_faults, capsys):
    from echolab.cli import main

    root, faults = ev9v_with_three_faults
    with pytest.warns(UserWarning):
        assert main(["data-summary", "data=ev9v", f"data.root={root}", "--json"]) == 1
    summary = json.loads(capsys.readouterr().out)
    errors = {item["path"]: item["error"] for item in summary["bad"]}
    assert len(summary["bad"]) == 3
    assert set(errors) == {str(faults[kind]) for kind in ("corrupt", "empty", "mislabelled")}
    assert errors[str(faults["mislabelled"])].startswith(
        f"{root / 'labels.csv'}, line {faults['label_line']}: video '{faults['mislabelled'].name}' "
        "has label 'A2C', which is not one of the classes"
    )
    assert errors[str(faults["mislabelled"])].endswith(f"data.classes=[{','.join(EV9V_CLASSES)},A2C]")
    assert "cannot decode this image" in errors[str(faults["corrupt"])]
    assert faults["empty_reason"] in errors[str(faults["empty"])]
    probed = {video["name"] for video in summary["videos"]}
    assert probed == {folder.name for folder in (root / "Images").iterdir()} - faults["left_out_by_reader"]


def test_training_refuses_the_unknown_label_naming_the_row_and_the_fix(ev9v_with_three_faults):
    root, faults = ev9v_with_three_faults
    with pytest.raises(DatasetError) as error:
        read_dataset("ev9v", root)
    message = str(error.value)
    assert (
        f"labels.csv, line {faults['label_line']}: video '{faults['mislabelled'].name}' has label 'A2C'"
        in (message)
    )
    assert f"data.classes=[{','.join(EV9V_CLASSES)},A2C]" in message
    assert "data.skip_bad=true" in message


def test_skip_bad_leaves_the_mislabelled_video_out_with_one_warning(ev9v_with_three_faults):
    root, faults = ev9v_with_three_faults
    with pytest.warns(UserWarning, match="leaving out") as warned:
        index = read_dataset("ev9v", root, skip_bad=True)
    assert len(warned) == 1 and faults["mislabelled"].name in str(warned[0].message)
    assert {item.path for item in index.bad} == {
        str(root / "Images" / name) for name in faults["left_out_by_reader"]
    }
    assert {video.name for video in index.videos} == (
        {folder.name for folder in (root / "Images").iterdir()} - faults["left_out_by_reader"]
    )
