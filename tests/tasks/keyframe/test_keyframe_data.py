"""Keyframe data: the EchoNet ES/ED convention, training clips, evaluation videos, the data module."""

import csv
from pathlib import Path

import numpy as np
import pytest

from echolab.data.clips import WholeVideo
from echolab.data.formats import read_dataset
from echolab.data.samplers import TrainDraw
from echolab.data.transforms import ClipTransform
from echolab.errors import ConfigError, DatasetError
from echolab.io.cache import FrameCache
from echolab.tasks.keyframe.datamodule import KeyframeDataModule
from echolab.tasks.keyframe.datasets import (
    CurveSettings,
    KeyframeTrainClips,
    KeyframeVideos,
    train_clip_sampler,
)

SIZE = 32


def frames_of(tmp_path) -> FrameCache:
    return FrameCache(tmp_path / "cache", size=SIZE)


def train_clips(records, frames, labels="all", strides=(1,), clip_frames=16) -> KeyframeTrainClips:
    transform = ClipTransform(SIZE, train=True, rotate=0, brightness=0, contrast=0, scale=(1, 1))
    return KeyframeTrainClips(
        records,
        frames,
        transform,
        sampler=train_clip_sampler(labels, clip_frames, strides),
        curves=CurveSettings(labels=labels),
    )


def test_echonet_first_traced_frame_is_es_and_last_is_ed(tiny_echonet):
    index = read_dataset("echonet_dynamic", tiny_echonet)
    with open(tiny_echonet / "VolumeTracings.csv") as handle:
        rows = list(csv.DictReader(handle))
    for video in index.videos:
        traced = [int(r["Frame"]) for r in rows if r["FileName"] == f"{video.name}.avi"]
        assert video.es == (traced[0],) and video.ed == (traced[-1],)
        assert video.fps == 50.0
    # The synthetic tracer draws the ES frame with the smaller LV: its traced beat is an ES and an ED.
    every = {Path(r["path"]).stem: r for r in csv.DictReader(open(tiny_echonet / "manifest.csv"))}
    for video in index.videos:
        assert str(video.es[0]) in every[video.name]["es"].split(";")
        assert str(video.ed[0]) in every[video.name]["ed"].split(";")


def test_training_clip_targets_follow_the_curves(tiny_echonet, tmp_path):
    records = read_dataset("manifest", tiny_echonet).videos
    item = train_clips(records, frames_of(tmp_path))[TrainDraw(0, seed=0)]
    assert item["clip"].shape == (3, 16, SIZE, SIZE)
    assert item["target"].shape == (16, 2) and item["mask"].all()
    assert item["target"].max() <= 1.0 and item["target"].min() >= 0.0


def test_long_stride_pads_zero_frames_at_the_end_and_masks_them(tiny_echonet, tmp_path):
    records = read_dataset("manifest", tiny_echonet).videos
    # 20 frames every 4th span 77 frames: longer than every video (61-70), so the end is padded.
    item = train_clips(records, frames_of(tmp_path), strides=(4,), clip_frames=20)[TrainDraw(0, seed=0)]
    real = -(-len(frames_of(tmp_path).frames(records[0].path)) // 4)
    assert item["mask"].tolist() == [True] * real + [False] * (20 - real)
    assert (item["target"][real:] == 0).all()
    padded = item["clip"][:, real:]
    assert padded.flatten(1).std(1).max() < 1e-6 and padded.mean() < -1.5  # black frames, normalised


def test_masked_labels_only_trust_the_annotated_stretch(tiny_echonet, tmp_path):
    records = read_dataset("echonet_dynamic", tiny_echonet).videos
    dataset = train_clips(records, frames_of(tmp_path), labels="masked", strides=(1, 2, 4))
    for item in (dataset[TrainDraw(i % len(dataset), seed=i)] for i in range(12)):
        assert item["mask"].any()  # every clip overlaps the traced beat
        first, last = sorted((*records[item["index"]].ed, *records[item["index"]].es))
        assert item["mask"].sum() <= last - first + 1


def test_mirrored_labels_put_whole_curves_on_every_frame(tiny_echonet, tmp_path):
    records = read_dataset("echonet_dynamic", tiny_echonet).videos
    dataset = train_clips(records, frames_of(tmp_path), labels="mirror", clip_frames=40)
    item = dataset[TrainDraw(0, seed=0)]
    assert item["mask"].all()
    ed, es = records[0].ed[0], records[0].es[0]
    # 40 consecutive frames of a sequence with period 2|ED-ES| hold at least one event of each kind.
    if 2 * abs(ed - es) <= 40:
        assert item["target"][:, 0].max() == 1.0 and item["target"][:, 1].max() == 1.0


def test_evaluation_item_pads_a_short_video_to_one_window(tiny_echonet, tmp_path):
    records = read_dataset("manifest", tiny_echonet).videos
    transform = ClipTransform(SIZE, train=False, eval_resize_ratio=1.0)
    videos = KeyframeVideos(
        records, frames_of(tmp_path), transform, sampler=WholeVideo(128), curves=CurveSettings()
    )
    item = videos[0]
    n = item["n_frames"]
    assert n < 128 and item["video"].shape == (3, 128, SIZE, SIZE)
    assert item["target"].shape == (n, 2) and item["mask"].all() and item["fps"] == 50.0


def test_missing_fps_falls_back_to_the_video_file_rate(tiny_echonet, tmp_path):
    root = tmp_path / "copy"
    root.mkdir()
    for name in ("Videos",):
        (root / name).symlink_to(tiny_echonet / name)
    lines = (tiny_echonet / "FileList.csv").read_text().splitlines()
    header = lines[0].split(",")
    rows = [line.split(",") for line in lines[1:]]
    for row in rows:
        row[header.index("FPS")] = "0"
    (root / "FileList.csv").write_text("\n".join([lines[0], *(",".join(r) for r in rows)]) + "\n")
    (root / "VolumeTracings.csv").symlink_to(tiny_echonet / "VolumeTracings.csv")
    records = read_dataset("echonet_dynamic", root).videos
    assert records[0].fps is None
    transform = ClipTransform(SIZE, train=False, eval_resize_ratio=1.0)
    item = KeyframeVideos(
        records, frames_of(tmp_path), transform, sampler=WholeVideo(16), curves=CurveSettings()
    )[0]
    assert item["fps"] == pytest.approx(50.0)


def _manifest_without_labels(tiny_echonet: Path, tmp_path: Path, drop) -> Path:
    """A manifest of the same videos without ED/ES on the rows (number, row) where `drop` is true."""
    rows = list(csv.DictReader(open(tiny_echonet / "manifest.csv")))
    for number, row in enumerate(rows):
        if drop(number, row):
            row["ed"] = row["es"] = ""
    for row in rows:
        row["path"] = str(tiny_echonet / row["path"])
    path = tmp_path / "manifest.csv"
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return tmp_path


def _data(root: Path, tmp_path: Path, **changes) -> dict:
    data = {
        "format": "manifest",
        "root": str(root),
        "manifest": "manifest.csv",
        "classes": None,
        "skip_bad": False,
        "synthetic": None,
        "cache_dir": str(tmp_path / "cache"),
        "cache_size": SIZE,
        "size": SIZE,
        "clip": {"frames": 8, "strides": [1, 2, 4]},
        "sigma": 10.0,
        "labels": "all",
        "clips_per_video": 1,
        "batch_size": 2,
        "num_workers": 0,
        "augment": {"scale": [0.8, 1.0], "rotate": 10, "brightness": 0.2, "contrast": 0.2},
    }
    return data | changes


def test_videos_without_an_annotated_beat_are_left_out_of_training_only(tiny_echonet, tmp_path):
    rows = list(csv.DictReader(open(tiny_echonet / "manifest.csv")))
    first_train = next(i for i, row in enumerate(rows) if row["split"] == "train")
    root = _manifest_without_labels(
        tiny_echonet, tmp_path, lambda i, row: i == first_train or row["split"] == "test"
    )
    module = KeyframeDataModule(_data(root, tmp_path))
    with pytest.warns(UserWarning, match="1 training videos have no usable annotated beat"):
        module.setup("fit")
    train = [row for row in rows if row["split"] == "train"]
    assert len(module.records("train")) == len(train) - 1
    assert len(module.records("test")) == sum(row["split"] == "test" for row in rows)  # kept, unlabelled


def test_no_annotated_beat_at_all_is_a_clear_error(tiny_echonet, tmp_path):
    root = _manifest_without_labels(tiny_echonet, tmp_path, lambda i, row: True)
    with pytest.raises(DatasetError, match="no training video has both an ED and an ES"):
        KeyframeDataModule(_data(root, tmp_path)).setup("fit")


def test_unannotated_evaluation_video_gives_an_all_false_mask(tiny_echonet, tmp_path):
    root = _manifest_without_labels(tiny_echonet, tmp_path, lambda i, row: True)
    records = read_dataset("manifest", root).videos
    transform = ClipTransform(SIZE, train=False, eval_resize_ratio=1.0)
    item = KeyframeVideos(
        records, frames_of(tmp_path), transform, sampler=WholeVideo(16), curves=CurveSettings()
    )[0]
    assert not item["mask"].any() and (item["target"] == 0).all()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"labels": "some"}, "data.labels 'some' is unknown"),
        ({"clip": {"frames": 8, "strides": [0, 2]}}, "data.clip.strides must list positive temporal strides"),
    ],
)
def test_bad_data_settings_are_config_errors(tmp_path, change, message):
    with pytest.raises(ConfigError, match=message):
        KeyframeDataModule(_data(tmp_path, tmp_path, **change))


def test_frames_are_shared_read_only_memmaps(tiny_echonet, tmp_path):
    records = read_dataset("manifest", tiny_echonet).videos
    frames = frames_of(tmp_path).frames(records[0].path)
    assert isinstance(frames, np.memmap) and frames.shape[1:] == (SIZE, SIZE, 3)


def test_the_window_length_reads_the_clip_vocabulary_and_older_checkpoints():
    from echolab.tasks.keyframe.datamodule import clip_frames, keyframe_preprocess

    data = {
        "size": 32,
        "cache_size": 32,
        "clip": {"frames": 12, "strides": [1]},
        "sigma": 5.0,
        "labels": "all",
    }
    assert clip_frames(keyframe_preprocess(data)) == 12
    assert clip_frames({"window": 16}) == 16  # the key checkpoints saved before data.clip
