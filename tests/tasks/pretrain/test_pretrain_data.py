"""The pretraining data module: unlabelled clips from any reader, labels kept for the probes."""

import pytest
import torch

from echolab.data.synthetic import write_manifest_dataset
from echolab.errors import ConfigError
from echolab.tasks.pretrain.datamodule import PretrainDataModule, PretrainSettings, eval_transform
from tests.tasks.pretrain.tiny import tiny_config


def data_block(root, fmt: str, tmp_path, **extra) -> dict:
    block = tiny_config()["data"] | {"root": str(root), "format": fmt, "synthetic": None}
    return block | {"cache_dir": str(tmp_path / "cache"), "classes": None} | extra


def ready(block: dict) -> PretrainDataModule:
    module = PretrainDataModule(block)
    module.prepare_data()
    module.setup("fit")
    return module


def test_training_batches_hold_clips_and_indices_only(tiny_echonet, tmp_path):
    module = ready(data_block(tiny_echonet, "echonet_dynamic", tmp_path))
    batch = next(iter(module.train_dataloader()))
    assert set(batch) == {"clip", "index"}
    assert batch["clip"].shape == (2, 3, 4, 32, 32) and batch["clip"].dtype == torch.float32
    assert batch["index"].tolist() and all(
        0 <= i < len(module.records("train")) for i in batch["index"].tolist()
    )


def test_evaluation_clips_are_the_same_every_time(tiny_echonet, tmp_path):
    module = ready(data_block(tiny_echonet, "echonet_dynamic", tmp_path))
    first, second = (next(iter(module.val_dataloader())) for _ in range(2))
    assert torch.equal(first["clip"], second["clip"])


def test_labels_stay_in_the_records_of_a_labelled_dataset(tiny_ev9v, tmp_path):
    block = data_block(tiny_ev9v, "ev9v", tmp_path, cache_size=64, clips_per_video=2)
    module = ready(block)
    assert {record.label for record in module.records("train")} == set(range(9))
    assert len(module.train_dataloader().sampler) == 2 * len(module.records("train"))


def test_unlabelled_manifest_rows_are_used(tmp_path):
    root = write_manifest_dataset(
        tmp_path / "manifest",
        videos_per_class=3,
        seed=0,
        size=64,
        min_frames=16,
        max_frames=20,
        progress=False,
    )
    lines = (root / "manifest.csv").read_text().splitlines()
    header = lines[0].split(",")
    rows = [line.split(",") for line in lines[1:]]
    for row in rows:
        row[header.index("label")] = ""
    (root / "manifest.csv").write_text("\n".join(",".join(r) for r in [header, *rows]) + "\n")
    module = ready(data_block(root, "manifest", tmp_path, manifest="manifest.csv", cache_size=64))
    assert all(record.label is None for record in module.records("train"))
    assert next(iter(module.train_dataloader()))["clip"].shape == (2, 3, 4, 32, 32)


def test_the_evaluation_transform_keeps_the_whole_frame():
    preprocess = {"size": 32, "mean": [0.0] * 3, "std": [1 / 255] * 3, "eval_resize_ratio": 1.0}
    frame = torch.zeros(1, 64, 64, 3, dtype=torch.uint8)
    frame[:, :, :2] = 255  # a bright left edge survives: no centre crop cuts the fan's sides
    clip = eval_transform(preprocess)(frame.numpy())
    assert clip.shape == (3, 1, 32, 32) and clip[0, 0, :, 0].min() > 100


def test_settings_refuse_a_view_key():
    with pytest.raises(ConfigError, match="PretrainSettings reads no data.eval_clips"):
        PretrainSettings.from_block(tiny_config()["data"] | {"eval_clips": 2})
