"""Every experiment YAML and every model fragment trains for one step under profile=smoke."""

import json

import pytest

from echolab.config import fragment_options, list_experiments, load_experiment, load_fragment
from echolab.models import model_info
from echolab.train import train
from tests.run_words import ONE_STEP

# The view experiments and view-model fragments run here on the tiny EV9V set; the keyframe ones run
# on EchoNet-layout and CAMUS fixtures in tests/test_keyframe_e2e.py.
VIEW_EXPERIMENTS = [
    e for e in list_experiments() if load_experiment(e, ["profile=smoke"]).task.name == "view"
]
VIEW_MODELS = [
    m for m in fragment_options("model") if model_info(load_fragment("model", m).model.name)["task"] == "view"
]


def _train(exp: str, smoke_overrides: list[str], *extra: str) -> dict:
    overrides = [*smoke_overrides, *ONE_STEP, *extra]
    result = train(load_experiment(exp, overrides), overrides)
    return json.loads((result.run_dir / "metrics.json").read_text())


@pytest.mark.parametrize("exp", VIEW_EXPERIMENTS)
def test_experiment_runs_one_step(exp, smoke_overrides):
    metrics = _train(exp, smoke_overrides)
    assert metrics["exp"] == exp and metrics["profile"] == "smoke"
    assert set(metrics) >= {"val", "test", "checkpoint"}


@pytest.mark.parametrize("model", VIEW_MODELS)
def test_model_fragment_composes_with_the_default_experiment(model):
    composed = load_experiment("view_synthetic", ["profile=smoke", f"model={model}"])
    assert composed.model.name == load_fragment("model", model).model.name


def test_every_model_fragment_trains_in_some_experiment():
    """So the experiments' one-step runs train every model a fragment names (no second training here)."""
    trained = {load_experiment(e, ["profile=smoke"]).model.name for e in VIEW_EXPERIMENTS}
    assert {load_fragment("model", m).model.name for m in VIEW_MODELS} <= trained


def test_every_experiment_and_model_fragment_is_exercised_somewhere():
    from tests.e2e import test_keyframe_e2e, test_pretrain_e2e

    others = set(list_experiments()) - set(VIEW_EXPERIMENTS)
    assert others <= set(test_keyframe_e2e.KEYFRAME_EXPERIMENTS) | set(test_pretrain_e2e.PRETRAIN_EXPERIMENTS)


def test_a_model_of_another_task_is_refused_by_name(smoke_overrides):
    from echolab.errors import ConfigError

    overrides = [*smoke_overrides, "model=resnet_vst"]
    with pytest.raises(
        ConfigError, match="model 'resnet_vst' is a keyframe model, but this is a view experiment"
    ):
        train(load_experiment("view_synthetic", overrides), overrides)
