"""The W&B upload after a test pass: summary = metrics.json's numbers, every plot, the report tables."""

import json

import pytest
import wandb

from echolab.callbacks.wandb_upload import read_table, scalar_summary
from echolab.config import load_experiment
from echolab.train import train


def test_scalar_summary_keeps_only_the_numbers_of_each_report():
    reports = {
        "val": {"acc": 0.5, "loss": 1},
        "test": {
            "acc": 0.25,
            "afd": float("nan"),
            "per_class": {"A": {"f1": 1.0}},
            "confusion_matrix": [[1]],
            "flag": True,
        },
    }
    assert scalar_summary(reports) == {"val/acc": 0.5, "val/loss": 1.0, "test/acc": 0.25}


def test_scalar_summary_gives_each_interval_as_its_two_bounds():
    intervals = {"acc": [0.2, 0.3], "afd": None, "per_class": {"A": {"f1": [0.9, 1.0]}}}
    summary = scalar_summary({"test": {"acc": 0.25, "intervals": intervals}})
    assert summary == {
        "test/acc": 0.25,
        "test/acc_ci_low": 0.2,
        "test/acc_ci_high": 0.3,
        "test/per_class/A/f1_ci_low": 0.9,
        "test/per_class/A/f1_ci_high": 1.0,
    }


def test_read_table_turns_numeric_cells_into_numbers(tmp_path):
    path = tmp_path / "predictions.csv"
    path.write_text("file,label,confidence,correct\nv1,A4C,0.75,1\nv2,PLAX,0.5,\n")
    columns, rows = read_table(path)
    assert columns == ["file", "label", "confidence", "correct"]
    assert rows == [["v1", "A4C", 0.75, 1.0], ["v2", "PLAX", 0.5, None]]


def test_read_table_keeps_a_column_that_mixes_numbers_and_text_as_text(tmp_path):
    path = tmp_path / "predictions.csv"
    path.write_text("video,pred_ed\nv1,40\nv2,3;40\n")  # W&B refuses a column of numbers and text
    assert read_table(path)[1] == [["v1", "40"], ["v2", "3;40"]]


@pytest.fixture
def finished_runs(monkeypatch):
    """The config and summary of every W&B run as it finishes (offline runs keep them in a binary log)."""
    seen = []
    original = wandb.Run.finish

    def spy(run, *args, **kwargs):
        seen.append({"config": dict(run.config), "summary": dict(run.summary)})
        return original(run, *args, **kwargs)

    monkeypatch.setattr(wandb.Run, "finish", spy)
    return seen


def test_offline_run_gets_config_summary_plots_and_tables(smoke_overrides, finished_runs):
    overrides = [*smoke_overrides, "logger.wandb.mode=offline", "trainer.limit_train_batches=1"]
    result = train(load_experiment("view_synthetic", overrides), overrides)

    assert wandb.run is None, "the W&B run is finished, so the next run in this process starts its own"
    assert len(finished_runs) == 1
    run = finished_runs[0]
    metrics = json.loads((result.run_dir / "metrics.json").read_text())
    assert run["config"]["exp"] == "view_synthetic" and run["config"]["profile"] == "smoke"
    assert run["summary"]["val/acc"] == pytest.approx(metrics["val"]["acc"])
    assert run["summary"]["test/macro_f1"] == pytest.approx(metrics["test"]["macro_f1"])
    low, high = metrics["test"]["intervals"]["macro_f1"]
    assert (run["summary"]["test/macro_f1_ci_low"], run["summary"]["test/macro_f1_ci_high"]) == (low, high)

    (offline,) = (result.run_dir / "wandb").glob("offline-run-*")
    media = offline / "files" / "media"
    plots = sorted(p.stem for p in (result.run_dir / "plots").glob("*.png"))
    assert plots == ["confusion_matrix", "per_class"]
    for stem in plots:
        assert list((media / "images" / "plots").glob(f"{stem}_*.png")), f"plot {stem} not uploaded"
    for table in ("predictions", "per_class", "confusion_matrix"):
        (uploaded,) = (media / "table" / "test").glob(f"{table}_*.table.json")
        content = json.loads(uploaded.read_text())
        assert content["data"], f"table {table} is empty"
    predictions = json.loads(next((media / "table" / "test").glob("predictions_*.table.json")).read_text())
    with (result.run_dir / "predictions.csv").open() as handle:
        assert len(predictions["data"]) == sum(1 for _ in handle) - 1
