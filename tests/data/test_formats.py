import shutil

import pytest

from echolab.data.formats import EV9V_CLASSES, FORMATS, read_dataset
from echolab.data.records import BadVideo
from echolab.errors import ConfigError, DatasetError
from tests.fixture_writers import write_echonet, write_ev9v, write_frame_folder, write_manifest, write_video

EV9V_VIDEOS = {
    "2022-01-01_a_1": ("A4C", "train"),
    "2022-01-01_b_2": ("PLHLA", "train"),
    "2022-01-02_c_1": ("SC4C", "validation"),
    "2022-01-03_d_1": ("A5C", "test"),
}


# ---- EV9V -------------------------------------------------------------------------------------


def test_ev9v_index(tmp_path):
    root = write_ev9v(tmp_path / "ev9v", EV9V_VIDEOS)
    index = read_dataset("ev9v", root)
    assert index.format == "ev9v" and index.root == root
    assert index.classes == list(EV9V_CLASSES) and index.bad == []
    by_name = {video.name: video for video in index.videos}
    assert set(by_name) == set(EV9V_VIDEOS)
    a4c = by_name["2022-01-01_a_1"]
    assert (a4c.split, a4c.label, a4c.path) == ("train", 4, root / "Images" / "2022-01-01_a_1")
    assert a4c.path.is_absolute() and a4c.fps is None and a4c.ed == a4c.es == ()
    assert [v.name for v in index.split("val")] == ["2022-01-02_c_1"]
    assert [v.label for v in index.split("test")] == [EV9V_CLASSES.index("A5C")]


def test_ev9v_custom_classes(tmp_path):
    root = write_ev9v(tmp_path / "ev9v", {"v1": ("A2C", "train"), "v2": ("A4C", "test")})
    index = read_dataset("ev9v", root, classes=["A4C", "A2C"])
    assert {v.name: v.label for v in index.videos} == {"v1": 1, "v2": 0}


def test_missing_root_shows_the_layout_and_the_synth_command(tmp_path):
    with pytest.raises(DatasetError) as error:
        read_dataset("ev9v", tmp_path / "nowhere")
    message = str(error.value)
    assert "nowhere does not exist" in message
    assert (
        "labels.csv" in message
        and "validation.txt" in message
        and "Images/<video>/frame_000001.jpg" in message
    )
    assert f"echolab synth ev9v --out {tmp_path / 'nowhere'}" in message


def test_ev9v_missing_split_file_is_named(tmp_path):
    root = write_ev9v(tmp_path / "ev9v", EV9V_VIDEOS)
    (root / "validation.txt").unlink()
    with pytest.raises(
        DatasetError, match=r"is not an EV9V dataset: it lacks validation.txt(.|\n)*echolab synth ev9v"
    ):
        read_dataset("ev9v", root)


def test_ev9v_wrong_header_names_file_found_and_expected(tmp_path):
    root = write_ev9v(tmp_path / "ev9v", EV9V_VIDEOS)
    rows = (root / "labels.csv").read_text().splitlines()
    (root / "labels.csv").write_text("\n".join(["name,label", *rows[1:]]))
    with pytest.raises(
        DatasetError, match=r"labels.csv: the header is name,label; expected exactly names,labels"
    ):
        read_dataset("ev9v", root)


def test_ev9v_unknown_label_names_row_video_and_suggests_classes(tmp_path):
    root = write_ev9v(tmp_path / "ev9v", {**EV9V_VIDEOS, "extra": ("A2C", "train")})
    with pytest.raises(DatasetError) as error:
        read_dataset("ev9v", root)
    message = str(error.value)
    assert "labels.csv, line 6: video 'extra' has label 'A2C'" in message
    assert "PLHLA, PMASA" in message
    assert f"data.classes=[{','.join(EV9V_CLASSES)},A2C]" in message


@pytest.mark.parametrize("problem", ["not_in_labels", "two_splits", "missing_folder", "empty_folder"])
def test_ev9v_bad_video_raises_or_is_skipped(tmp_path, problem):
    root = write_ev9v(tmp_path / "ev9v", EV9V_VIDEOS)
    if problem == "not_in_labels":
        (root / "test.txt").write_text("2022-01-03_d_1\nghost\n")
        culprit, reason = root / "Images" / "ghost", "test.txt lists it but labels.csv has no row for it"
    elif problem == "two_splits":
        (root / "test.txt").write_text("2022-01-03_d_1\n2022-01-01_a_1\n")
        culprit, reason = root / "Images" / "2022-01-01_a_1", "listed in train.txt and test.txt"
    elif problem == "missing_folder":
        shutil.rmtree(root / "Images" / "2022-01-02_c_1")
        culprit, reason = root / "Images" / "2022-01-02_c_1", "does not exist"
    else:
        for frame in (root / "Images" / "2022-01-02_c_1").iterdir():
            frame.unlink()
        culprit, reason = root / "Images" / "2022-01-02_c_1", "holds no images"

    with pytest.raises(DatasetError) as error:
        read_dataset("ev9v", root)
    assert str(culprit) in str(error.value) and reason in str(error.value)
    assert "data.skip_bad=true" in str(error.value)

    with pytest.warns(UserWarning, match="leaving out 1 video") as warned:
        index = read_dataset("ev9v", root, skip_bad=True)
    assert len(warned) == 1
    assert [item.path for item in index.bad] == [str(culprit)]
    assert culprit.name not in {video.name for video in index.videos}
    assert len(index.videos) == (4 if problem == "not_in_labels" else 3)


# ---- EchoNet-Dynamic --------------------------------------------------------------------------

ECHONET_VIDEOS = [("0X1A", "TRAIN", [7, 2]), ("0X2B", "VAL", [1, 8]), ("0X3C", "TEST", [])]


def test_echonet_index_with_keyframes(tmp_path):
    root = write_echonet(tmp_path / "echonet", ECHONET_VIDEOS)
    index = read_dataset("echonet_dynamic", root)
    assert index.classes == ["A4C"] and index.bad == []
    by_name = {video.name: video for video in index.videos}
    assert [by_name[name].split for name in ("0X1A", "0X2B", "0X3C")] == ["train", "val", "test"]
    first = by_name["0X1A"]
    # First traced frame listed = ES, last = ED.
    assert (first.es, first.ed) == ((7,), (2,))
    assert (by_name["0X2B"].es, by_name["0X2B"].ed) == ((1,), (8,))
    assert by_name["0X3C"].ed == by_name["0X3C"].es == ()
    assert first.label == 0 and first.fps == 50.0 and first.path == root / "Videos" / "0X1A.avi"
    assert first.ef == 55.0  # FileList.csv's EF, the target of EF probes


def test_echonet_ef_empty_is_unknown_and_a_wrong_one_names_the_row(tmp_path):
    root = write_echonet(tmp_path / "echonet", ECHONET_VIDEOS)
    lines = (root / "FileList.csv").read_text().splitlines()
    lines[1] = lines[1].replace(",55.0,", ",,")
    lines[2] = lines[2].replace(",55.0,", ",high,")
    lines[3] = lines[3].replace(",55.0,", ",155,")
    (root / "FileList.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(
        DatasetError, match=r"(?s)line 3: EF 'high' is not a number.*line 4: EF 155 is not a percentage"
    ):
        read_dataset("echonet_dynamic", root)
    with pytest.warns(UserWarning, match="2 video"):
        index = read_dataset("echonet_dynamic", root, skip_bad=True)
    assert [(video.name, video.ef) for video in index.videos] == [("0X1A", None)]


def test_echonet_accepts_file_names_with_avi(tmp_path):
    root = write_echonet(tmp_path / "echonet", ECHONET_VIDEOS)
    text = (root / "FileList.csv").read_text().replace("0X1A,", "0X1A.avi,")
    (root / "FileList.csv").write_text(text)
    index = read_dataset("echonet_dynamic", root)
    assert {video.name for video in index.videos} == {"0X1A", "0X2B", "0X3C"}
    assert next(v for v in index.videos if v.name == "0X1A").es == (7,)


def test_echonet_missing_root_shows_the_layout_and_the_synth_command(tmp_path):
    with pytest.raises(
        DatasetError, match=r"(?s)FileList.csv.*VolumeTracings.csv.*echolab synth echonet --out"
    ):
        read_dataset("echonet_dynamic", tmp_path / "nowhere")


def test_echonet_wrong_header_names_the_missing_column(tmp_path):
    root = write_echonet(tmp_path / "echonet", ECHONET_VIDEOS)
    text = (root / "FileList.csv").read_text().replace("Split", "Fold", 1)
    (root / "FileList.csv").write_text(text)
    with pytest.raises(
        DatasetError, match=r"FileList.csv: the header is FileName,.*,Fold \(missing: Split\)"
    ):
        read_dataset("echonet_dynamic", root)


def test_echonet_unknown_split_names_the_row(tmp_path):
    root = write_echonet(tmp_path / "echonet", [("0X1A", "FOLD3", [1, 2])])
    with pytest.raises(DatasetError, match=r"FileList.csv, line 2: unknown split 'FOLD3'"):
        read_dataset("echonet_dynamic", root)


def test_echonet_missing_video_raises_or_is_skipped(tmp_path):
    root = write_echonet(tmp_path / "echonet", ECHONET_VIDEOS)
    (root / "Videos" / "0X2B.avi").unlink()
    with pytest.raises(
        DatasetError, match=r"(?s)0X2B.avi: .*FileList.csv lists 0X2B but the video file is missing"
    ):
        read_dataset("echonet_dynamic", root)
    with pytest.warns(UserWarning, match="0X2B.avi"):
        index = read_dataset("echonet_dynamic", root, skip_bad=True)
    assert [video.name for video in index.videos] == ["0X1A", "0X3C"]
    assert index.bad == [BadVideo(str(root / "Videos" / "0X2B.avi"), index.bad[0].error)]


def test_echonet_takes_no_classes(tmp_path):
    root = write_echonet(tmp_path / "echonet", ECHONET_VIDEOS)
    with pytest.raises(ConfigError, match="takes no option classes.*leave data.classes unset"):
        read_dataset("echonet_dynamic", root, classes=["A2C"])


# ---- manifest ---------------------------------------------------------------------------------


def manifest_dataset(root):
    write_video(root / "videos" / "p1.avi", 6)
    write_video(root / "videos" / "p2.mp4", 5, fourcc="mp4v")
    write_frame_folder(root / "frames" / "p3", 4)
    write_video(root / "other" / "p1.avi", 6)  # same stem as videos/p1.avi
    return [
        {
            "path": "videos/p1.avi",
            "label": "A4C",
            "split": "train",
            "fps": "30",
            "ed": "0;5",
            "es": "3",
            "site": "x",
        },
        {
            "path": "videos/p2.mp4",
            "label": "A2C",
            "split": "validation",
            "fps": "",
            "ed": "",
            "es": "",
            "site": "y",
        },
        {"path": "frames/p3", "label": "", "split": "test", "fps": "", "ed": "1", "es": "", "site": "x"},
        {
            "path": str(root / "other" / "p1.avi"),
            "label": "A4C",
            "split": "TEST",
            "fps": "",
            "ed": "",
            "es": "",
            "site": "z",
        },
    ]


def test_manifest_index(tmp_path):
    root = tmp_path / "data"
    write_manifest(root, manifest_dataset(root))
    index = read_dataset("manifest", root)
    assert index.classes == ["A2C", "A4C"] and index.bad == []
    names = [video.name for video in index.videos]
    assert names == ["videos/p1", "p2", "p3", "other/p1"]
    p1, p2, p3, other = index.videos
    assert (p1.label, p1.split, p1.fps, p1.ed, p1.es) == (1, "train", 30.0, (0, 5), (3,))
    assert (p2.label, p2.split, p2.fps, p2.ed) == (0, "val", None, ())
    assert (p3.label, p3.path) == (None, root / "frames" / "p3")
    assert (other.split, other.path) == ("test", root / "other" / "p1.avi")


def test_manifest_given_classes_fix_the_order(tmp_path):
    root = tmp_path / "data"
    write_manifest(root, manifest_dataset(root), name="list.csv")
    index = read_dataset("manifest", root, manifest="list.csv", classes=["A4C", "A2C", "PLAX"])
    assert [video.label for video in index.videos] == [0, 1, None, 0]


def test_manifest_classes_sort_naturally(tmp_path):
    labels = {"a.avi": "10", "b.avi": "2", "c.avi": "1"}
    for name in labels:
        write_video(tmp_path / name, 2)
    write_manifest(
        tmp_path, [{"path": name, "label": label, "split": "train"} for name, label in labels.items()]
    )
    assert read_dataset("manifest", tmp_path).classes == ["1", "2", "10"]


def test_manifest_errors_name_file_and_row(tmp_path):
    root = tmp_path / "data"
    rows = manifest_dataset(root)
    write_manifest(root, [{k: v for k, v in row.items() if k != "split"} for row in rows])
    with pytest.raises(
        DatasetError, match=r"manifest.csv: the header is path,label,fps,ed,es,site \(missing: split\)"
    ):
        read_dataset("manifest", root)

    write_manifest(root, [rows[0], {**rows[1], "ed": "4;x"}])
    with pytest.raises(DatasetError, match=r"manifest.csv, line 3: ed '4;x' must be 0-based frame numbers"):
        read_dataset("manifest", root)

    write_manifest(root, [rows[0], {**rows[1], "split": "holdout"}])
    with pytest.raises(DatasetError, match=r"manifest.csv, line 3: unknown split 'holdout'"):
        read_dataset("manifest", root)

    (root / "manifest.csv").write_text("path,label,split\nvideos/p1.avi,A4C\n")
    with pytest.raises(DatasetError, match=r"manifest.csv, line 2: unknown split ''"):
        read_dataset("manifest", root)
    (root / "manifest.csv").write_text("path,label,split\nvideos/a,b.avi,A4C,train\n")
    with pytest.raises(DatasetError, match=r"manifest.csv, line 2: 4 cells but the header has 3 columns"):
        read_dataset("manifest", root)

    write_manifest(root, rows)
    with pytest.raises(
        DatasetError, match=r"manifest.csv, line 3: video 'videos/p2.mp4' has label 'A2C'.*A4C"
    ):
        read_dataset("manifest", root, classes=["A4C"])


def test_manifest_missing_or_repeated_video_raises_or_is_skipped(tmp_path):
    root = tmp_path / "data"
    rows = manifest_dataset(root)
    write_manifest(root, [*rows, {**rows[1], "split": "test"}, {**rows[0], "path": "videos/gone.avi"}])
    with pytest.raises(DatasetError) as error:
        read_dataset("manifest", root)
    assert "lists it on lines 3, 6" in str(error.value) and "gone.avi" in str(error.value)
    with pytest.warns(UserWarning, match="leaving out 2 video"):
        index = read_dataset("manifest", root, skip_bad=True)
    assert {item.path for item in index.bad} == {
        str(root / "videos" / "p2.mp4"),
        str(root / "videos" / "gone.avi"),
    }
    assert [video.name for video in index.videos] == ["videos/p1", "p3", "other/p1"]


def test_manifest_unknown_label_row_is_listed_not_fatal_under_skip_bad(tmp_path):
    root = tmp_path / "data"
    write_manifest(root, manifest_dataset(root))
    with pytest.warns(UserWarning, match="leaving out 1 video") as warned:
        index = read_dataset("manifest", root, classes=["A4C"], skip_bad=True)
    assert len(warned) == 1 and "p2.mp4" in str(warned[0].message)
    assert index.bad == [
        BadVideo(
            str(root / "videos" / "p2.mp4"),
            f"{root / 'manifest.csv'}, line 3: video 'videos/p2.mp4' has label 'A2C', which is not one of "
            "the classes (A4C). If the dataset has other classes, list them all, e.g. data.classes=[A4C,A2C]",
        )
    ]
    assert [video.name for video in index.videos] == ["videos/p1", "p3", "other/p1"]


def test_echonet_bad_split_row_leaves_out_that_video_under_skip_bad(tmp_path):
    root = write_echonet(tmp_path / "echonet", [*ECHONET_VIDEOS[:2], ("0X3C", "FOLD3", [])])
    with pytest.warns(UserWarning, match="0X3C.avi"):
        index = read_dataset("echonet_dynamic", root, skip_bad=True)
    assert [video.name for video in index.videos] == ["0X1A", "0X2B"]
    assert [item.path for item in index.bad] == [str(root / "Videos" / "0X3C.avi")]
    assert "FileList.csv, line 4: unknown split 'FOLD3'" in index.bad[0].error


def test_manifest_missing_file_shows_layout_and_synth_command(tmp_path):
    (tmp_path / "data").mkdir()
    with pytest.raises(
        DatasetError, match=r"(?s)manifest.csv does not exist.*path,label,split.*echolab synth manifest"
    ):
        read_dataset("manifest", tmp_path / "data")


# ---- dispatch ---------------------------------------------------------------------------------


def test_unknown_format_lists_the_formats():
    assert set(FORMATS) == {"ev9v", "echonet_dynamic", "manifest", "camus"}
    with pytest.raises(
        DatasetError, match=f"unknown dataset format 'hmc_qu'; echolab reads {', '.join(FORMATS)}"
    ):
        read_dataset("hmc_qu", "/data")


def test_unknown_option_lists_the_valid_ones(tmp_path):
    with pytest.raises(ConfigError, match="takes no option manifest; its options are: classes"):
        read_dataset("ev9v", tmp_path, manifest="x.csv")
