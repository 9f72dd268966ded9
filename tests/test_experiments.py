"""Every experiment YAML and every model fragment trains for one step under profile=smoke."""

import json

import pytest

from echolab.config import fragment_options, list_experiments, load_experiment
from echolab.train import train

ONE_STEP = ["trainer.limit_train_batches=1", "trainer.limit_val_batches=1", "trainer.limit_test_batches=1"]


def _train(exp: str, smoke_overrides: list[str], *extra: str) -> dict:
    overrides = [*smoke_overrides, *ONE_STEP, *extra]
    result = train(load_experiment(exp, overrides), overrides)
    return json.loads((result.run_dir / "metrics.json").read_text())


@pytest.mark.parametrize("exp", list_experiments())
def test_experiment_runs_one_step(exp, smoke_overrides):
    metrics = _train(exp, smoke_overrides)
    assert metrics["exp"] == exp and metrics["profile"] == "smoke"
    assert set(metrics) >= {"val", "test", "checkpoint"}


@pytest.mark.parametrize("model", fragment_options("model"))
def test_model_fragment_runs_one_step(model, smoke_overrides):
    metrics = _train("view_synthetic", smoke_overrides, f"model={model}")
    assert 0.0 <= metrics["test"]["acc"] <= 1.0
