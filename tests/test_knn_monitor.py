"""The kNN monitor of pretraining: the score it logs is the probes' kNN on the EMA encoder, it leaves
training's random streams alone, and it refuses what it cannot watch."""

import csv
from pathlib import Path

import pytest
import torch

from echolab.config import load_experiment, to_plain
from echolab.data.clips import ClipSpec
from echolab.errors import ConfigError, DatasetError
from echolab.models.pretrain.load import load_encoder
from echolab.probe.features import encoder_features
from echolab.probe.knn import knn_predict
from echolab.probe.metrics import classification_metrics
from echolab.probe.targets import probe_target
from echolab.tasks.pretrain.datamodule import PretrainDataModule, eval_transform
from echolab.train import train
from tests.run_words import smoke_words


@pytest.fixture(scope="module")
def ef_echonet(tmp_path_factory) -> Path:
    from echolab.data.synthetic import write_echonet

    root = tmp_path_factory.mktemp("monitor") / "echonet"
    return write_echonet(
        root, videos=12, seed=0, fps=25.0, min_frames=32, max_frames=40, ef_range=(20, 75), progress=False
    )


def _words(root: Path, tmp_path: Path, *extra: str) -> list[str]:
    return smoke_words(
        root,
        tmp_path,
        "trainer.max_epochs=2",
        "trainer.limit_train_batches=2",
        "trainer.limit_val_batches=1",
        "trainer.limit_test_batches=1",
        *extra,
    )


def _logged(run: Path) -> list[dict]:
    with open(run / "csv" / "metrics.csv", newline="") as handle:
        return [row for row in csv.DictReader(handle) if row.get("knn/ef_category_macro_f1")]


def test_logged_score_is_the_probes_knn_of_the_ema_encoder_and_training_is_unchanged(ef_echonet, tmp_path):
    monitored = _words(
        ef_echonet, tmp_path, "callbacks=[checkpoint,knn_monitor]", "callbacks.knn_monitor.every_n_epochs=2"
    )
    result = train(load_experiment("discovr_synthetic", monitored), monitored)
    (row,) = _logged(result.run_dir)  # epoch 2 only
    # by hand from the last checkpoint's EMA encoder (saved after the epoch the score was taken at)
    teacher, preprocess = load_encoder(result.run_dir / "checkpoints" / "last.ckpt")
    datamodule = PretrainDataModule(to_plain(load_experiment("discovr_synthetic", monitored))["data"])
    datamodule.prepare_data()
    target = probe_target("ef_category", datamodule.classes)
    features, values = {}, {}
    for split in ("train", "val"):
        records = datamodule.records(split)
        features[split] = encoder_features(
            {"t": teacher},
            records,
            datamodule.cache,
            spec=ClipSpec(**preprocess["clip"]),
            transform=eval_transform(preprocess),
            clips=1,
        )["t/cls"]
        values[split] = target.values(records, "here")
    predicted, _ = knn_predict(
        features["train"], values["train"], features["val"], k=20, temperature=0.07, num_classes=2
    )
    assert float(row["knn/ef_category_macro_f1"]) == pytest.approx(
        classification_metrics(values["val"], predicted, target.classes)["macro_f1"], abs=1e-6
    )
    # the same run without the monitor ends with the same weights
    plain = _words(ef_echonet, tmp_path / "plain", "callbacks=[checkpoint]")
    unmonitored = train(load_experiment("discovr_synthetic", plain), plain)
    weights = [
        torch.load(r.run_dir / "checkpoints" / "last.ckpt", weights_only=False)["state_dict"]
        for r in (result, unmonitored)
    ]
    assert all(torch.equal(weights[0][key], weights[1][key]) for key in weights[0])


def test_task_monitor_may_name_the_score_that_is_logged_every_epoch(ef_echonet, tmp_path):
    words = _words(
        ef_echonet,
        tmp_path,
        "callbacks=[checkpoint,knn_monitor]",
        "callbacks.knn_monitor.every_n_epochs=1",
        "task.monitor=knn/ef_category_macro_f1",
        "task.monitor_mode=max",
    )
    result = train(load_experiment("discovr_synthetic", words), words)
    assert len(_logged(result.run_dir)) == 2 and result.metrics["checkpoint"].endswith("best.ckpt")
    sparse = [*words[:-3], "callbacks.knn_monitor.every_n_epochs=2", *words[-2:]]
    with pytest.raises(
        ConfigError, match="scored every 2 epochs, but the checkpoint callback looks for it every epoch"
    ):
        train(load_experiment("discovr_synthetic", sparse), sparse)


def test_a_task_without_an_ema_encoder_or_data_without_the_target_is_refused(ef_echonet, tiny_ev9v, tmp_path):
    view = smoke_words(tiny_ev9v, tmp_path, "callbacks=[checkpoint,knn_monitor]")
    with pytest.raises(ConfigError, match="watches a pretraining task's EMA encoder; the view task has none"):
        train(load_experiment("view_synthetic", view), view)
    words = _words(tiny_ev9v, tmp_path / "ev9v", "callbacks=[checkpoint,knn_monitor]", "data=ev9v")
    with pytest.raises(
        DatasetError, match=r"\(train split\): callbacks.knn_monitor.target=ef_category needs an EF"
    ):
        train(load_experiment("discovr_synthetic", words), words)
