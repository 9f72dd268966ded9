"""STFM: the dual-stream model, the task's evidential training and fusion, the bank callback, end to end."""

import csv
import json

import lightning as L
import pytest
import torch

from echolab.callbacks.uncertainty_sampling import UncertaintySampling
from echolab.cli import main
from echolab.config import load_experiment, to_plain
from echolab.data.samplers import UNVISITED, SegmentBankSampler
from echolab.errors import ConfigError
from echolab.models import create_model
from echolab.tasks.registry import task_entry
from echolab.train import train
from tests.run_words import ONE_STEP


def stfm(**arguments):
    torch.manual_seed(0)
    return create_model("stfm", num_classes=3, backbone="resnet10t", lstm_hidden=16, **arguments).eval()


@pytest.mark.parametrize(("temporal_stream", "changes"), [(True, True), (False, False)])
def test_only_the_temporal_stream_sees_frames_other_than_the_centre(temporal_stream, changes):
    model = stfm(temporal_stream=temporal_stream)
    clip = torch.randn(2, 3, 5, 64, 64)
    moved = clip.clone()
    moved[:, :, 0] = torch.randn(2, 3, 64, 64)  # an edge frame differs
    recentred = clip.clone()
    recentred[:, :, 2] = torch.randn(2, 3, 64, 64)  # the centre frame differs
    with torch.no_grad():
        base = model(clip)
        assert not torch.allclose(base, model(recentred))
        assert torch.allclose(base, model(moved)) != changes


@pytest.mark.parametrize(
    ("backbone", "stage", "channels"), [("resnet10t", 1, 64), ("vit_tiny_patch16_224", 0, 192)]
)
def test_stem_ends_at_the_first_quarter_resolution_stage(backbone, stage, channels):
    model = create_model("stfm", num_classes=2, backbone=backbone, lstm_hidden=8)
    assert model.stem_stage == stage
    assert model.frame_encoder[0][0].in_channels == channels


def test_frame_difference_shows_the_spatial_stream_the_centre_frames_motion():
    model = stfm(frame_difference=True, temporal_stream=False)
    assert model.backbone.conv1[0].in_channels == 6
    clip = torch.randn(1, 3, 5, 64, 64)
    before_centre = clip.clone()
    before_centre[:, :, 1] += 1.0  # only the centre frame's difference changes
    after_centre = clip.clone()
    after_centre[:, :, 3] += 1.0  # nothing the spatial stream sees changes
    with torch.no_grad():
        assert not torch.allclose(model(clip), model(before_centre))
        assert torch.allclose(model(clip), model(after_centre))


def test_bad_stem_stage_is_refused():
    with pytest.raises(ConfigError, match="stem_stage must be in 0..4"):
        create_model("stfm", num_classes=2, backbone="resnet10t", stem_stage=7)


def test_initialisation_follows_the_paper():
    model = stfm()
    hidden = model.lstm.hidden_size
    assert torch.equal(model.lstm.bias_ih_l0[hidden : 2 * hidden], torch.ones(hidden))
    assert torch.equal(model.lstm.bias_hh_l1, torch.zeros(4 * hidden))
    assert all(
        torch.equal(layer.bias, torch.zeros_like(layer.bias))
        for layer in model.head
        if hasattr(layer, "bias")
    )
    assert model.lstm.num_layers == 2 and model.lstm.dropout == pytest.approx(0.3)


# --- the task with the bank callback -----------------------------------------------------------------


@pytest.fixture
def stfm_parts(smoke_overrides):
    plain = to_plain(load_experiment("stfm_synthetic", smoke_overrides))
    entry = task_entry("view")
    datamodule = entry.datamodule(plain["data"])
    datamodule.prepare_data()
    datamodule.setup("fit")
    return plain, datamodule, entry.module.from_config(plain, datamodule)


def test_training_steps_feed_the_segment_bank(stfm_parts):
    plain, datamodule, module = stfm_parts
    assert plain["task"]["loss"] == "re_edl" and plain["data"]["sampler"] == "uncertainty"
    updates = []
    trainer = L.Trainer(
        max_epochs=1,
        limit_train_batches=2,
        limit_val_batches=0,
        callbacks=[UncertaintySampling()],
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        accelerator="cpu",
    )
    original_update = SegmentBankSampler.update

    def spy(self, videos, centres, uncertainties):
        updates.append((list(videos), list(centres), list(uncertainties)))
        original_update(self, videos, centres, uncertainties)

    SegmentBankSampler.update = spy
    try:
        trainer.fit(module, datamodule=datamodule)
    finally:
        SegmentBankSampler.update = original_update
    sampler = datamodule.train_sampler
    batch = plain["data"]["batch_size"]
    assert [len(v) for v, _, _ in updates] == [batch, batch]
    for videos, centres, uncertainties in updates:
        for video, centre, u in zip(videos, centres, uncertainties, strict=True):
            assert 0.0 < u <= 1.0
            assert sampler.bank[video][centre // sampler.segment_frames] != UNVISITED
    visited = sum(int((b != UNVISITED).sum()) for b in sampler.bank)
    assert 1 <= visited <= 2 * batch


def test_the_callback_refuses_a_sampler_without_a_bank(smoke_overrides):
    plain = to_plain(load_experiment("stfm_synthetic", [*smoke_overrides, "data.sampler=random"]))
    entry = task_entry("view")
    datamodule = entry.datamodule(plain["data"])
    datamodule.prepare_data()
    trainer = L.Trainer(
        max_epochs=1,
        limit_train_batches=1,
        limit_val_batches=0,
        callbacks=[UncertaintySampling()],
        logger=False,
    )
    with pytest.raises(ConfigError, match="data.sampler=uncertainty"):
        trainer.fit(entry.module.from_config(plain, datamodule), datamodule=datamodule)


def test_video_probabilities_use_the_fusion_rule(stfm_parts):
    _, _, module = stfm_parts
    module.eval()
    clips = torch.randn(2, 3, 3, 5, 32, 32)
    with torch.no_grad():
        logits = module(clips.flatten(0, 1)).view(2, 3, -1)
        probs, uncertainty = module.video_probabilities(clips)
    alpha = torch.nn.functional.softplus(logits) + 0.8
    assert torch.allclose(probs, alpha.sum(1) / alpha.sum((1, 2)).unsqueeze(-1), atol=1e-6)
    assert torch.allclose(uncertainty, 9 * 3 * 0.8 / alpha.sum((1, 2)), atol=1e-6)


# --- end to end ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stfm_run(tiny_ev9v, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("stfm")
    overrides = [
        "profile=smoke",
        f"data.root={tiny_ev9v}",
        f"run.root={tmp / 'runs'}",
        f"data.cache_dir={tmp / 'cache'}",
        "data.synthetic=null",
        "trainer.limit_val_batches=1.0",
        "trainer.limit_test_batches=1.0",
    ]
    return train(load_experiment("stfm_synthetic", overrides), overrides), tmp


def test_metrics_report_calibration_and_uncertainty_quality(stfm_run):
    result, _ = stfm_run
    metrics = json.loads((result.run_dir / "metrics.json").read_text())
    for split in ("val", "test"):
        assert 0.0 <= metrics[split]["ece"] <= 1.0
        assert 0.0 < metrics[split]["mean_uncertainty"] <= 1.0
        auroc = metrics[split]["uncertainty_auroc"]
        assert auroc is None or 0.0 <= auroc <= 1.0
    rows = list(csv.DictReader((result.run_dir / "predictions.csv").open()))
    assert len(rows) == 9
    assert all(0.0 < float(r["uncertainty"]) <= 1.0 for r in rows)
    mean = sum(float(r["uncertainty"]) for r in rows) / len(rows)
    assert mean == pytest.approx(metrics["test"]["mean_uncertainty"], abs=1e-3)


def test_predict_prints_the_fused_uncertainty(stfm_run, tiny_ev9v, capsys):
    result, tmp = stfm_run
    name = (tiny_ev9v / "test.txt").read_text().split()[0]
    out = tmp / "predicted.csv"
    ckpt = result.metrics["checkpoint"]
    video = tiny_ev9v / "Images" / name
    assert (
        main(["predict", f"ckpt={ckpt}", f"video={video}", f"out={out}", f"cache_dir={tmp / 'cache'}"]) == 0
    )
    line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith(name))
    (row,) = csv.DictReader(out.open())
    printed = float(line.split("uncertainty=")[1])  # 3 decimals, the CSV 4: equal up to rounding
    assert printed == pytest.approx(float(row["uncertainty"]), abs=1e-3)
    expected = {r["file"]: r for r in csv.DictReader((result.run_dir / "predictions.csv").open())}[name]
    assert row["prediction"] == expected["prediction"]
    assert float(row["uncertainty"]) == pytest.approx(float(expected["uncertainty"]), abs=1e-3)


@pytest.mark.parametrize(
    "ablation",
    [
        [
            "task.loss=edl_digamma",
            "task.fusion=dempster_shafer",
            "model.temporal_stream=false",
            "data.uncertainty.mode=hard",
        ],
        [
            "task.loss=ce",
            "task.fusion=prob_mean",
            "data.sampler=class_balanced",
            "data.extra_copies={PPMLSA: 2}",
        ],
    ],
)
def test_ablations_run_by_override(ablation, smoke_overrides):
    overrides = [*smoke_overrides, *ONE_STEP, *ablation]
    result = train(load_experiment("stfm_synthetic", overrides), overrides)
    saved = json.loads((result.run_dir / "metrics.json").read_text())
    assert 0.0 <= saved["test"]["acc"] <= 1.0
    config = (result.run_dir / "config.yaml").read_text()
    assert all(
        f"{key.split('.')[-1]}: {value}" in config for key, value in (a.split("=", 1) for a in ablation[:2])
    )
