"""build_callbacks builds exactly the callbacks an experiment lists under `callbacks:`."""

import pytest
from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint

from echolab.callbacks.standard import build_callbacks
from echolab.callbacks.uncertainty_sampling import UncertaintySampling
from echolab.config import list_experiments, load_experiment, to_plain
from echolab.errors import ConfigError


def built(exp: str, tmp_path, *overrides: str):
    return build_callbacks(to_plain(load_experiment(exp, ["profile=smoke", *overrides])), tmp_path)


def test_every_experiment_builds_its_callbacks(tmp_path):
    for exp in list_experiments():
        callbacks, checkpoint = built(exp, tmp_path)
        assert checkpoint in callbacks and sum(isinstance(c, EarlyStopping) for c in callbacks) <= 1


def test_the_checkpoint_keeps_best_by_the_configured_monitor_and_last_every_epoch(tmp_path):
    callbacks, checkpoint = built("keyframe_synthetic", tmp_path)
    assert (checkpoint.monitor, checkpoint.mode, checkpoint.save_last) == ("val/loss", "min", None)
    assert checkpoint.filename == "best" and checkpoint.dirpath == str(tmp_path / "checkpoints")
    (last,) = [c for c in callbacks if isinstance(c, ModelCheckpoint) and c is not checkpoint]
    assert (last.filename, last.monitor, last.save_top_k, last.every_n_epochs) == ("last", None, 1, 1)
    assert last._save_on_train_epoch_end  # every epoch, also those not validated
    assert callbacks.index(last) > callbacks.index(checkpoint)  # saved after best: holds its state
    _, checkpoint = built("view_synthetic", tmp_path, "callbacks.checkpoint.monitor=val/macro_f1")
    assert (checkpoint.monitor, checkpoint.mode) == ("val/macro_f1", "max")


def test_early_stopping_is_removed_or_tuned_by_override(tmp_path):
    callbacks, _ = built("view_synthetic", tmp_path, "~callbacks.early_stopping")
    assert not any(isinstance(c, EarlyStopping) for c in callbacks)
    callbacks, _ = built("view_synthetic", tmp_path, "callbacks.early_stopping=null")  # the suites' way
    assert not any(isinstance(c, EarlyStopping) for c in callbacks)
    callbacks, _ = built("view_synthetic", tmp_path, "callbacks.early_stopping.patience=3")
    (stopping,) = [c for c in callbacks if isinstance(c, EarlyStopping)]
    assert (stopping.patience, stopping.monitor) == (3, "val/acc")


def test_the_uncertainty_sampler_without_its_callback_names_the_fix(tmp_path):
    with pytest.raises(ConfigError, match=r"callbacks=\[checkpoint,early_stopping,uncertainty_sampling\]"):
        built("view_synthetic", tmp_path, "data.sampler=uncertainty")


def test_uncertainty_sampling_feeds_only_the_uncertainty_sampler(tmp_path):
    callbacks, _ = built("stfm_synthetic", tmp_path)
    assert any(isinstance(c, UncertaintySampling) for c in callbacks)
    callbacks, _ = built("stfm_synthetic", tmp_path, "data.sampler=random")  # an ablation: no bank to feed
    assert not any(isinstance(c, UncertaintySampling) for c in callbacks)


def test_an_unknown_or_missing_callback_is_a_config_error(tmp_path):
    plain = to_plain(load_experiment("view_synthetic"))
    with pytest.raises(ConfigError, match="unknown callback.*swa.*known: checkpoint, early_stopping"):
        build_callbacks(plain | {"callbacks": {**plain["callbacks"], "swa": {}}}, tmp_path)
    with pytest.raises(ConfigError, match="callbacks.checkpoint is missing"):
        build_callbacks(plain | {"callbacks": {}}, tmp_path)
    assert isinstance(build_callbacks(plain, tmp_path)[1], ModelCheckpoint)


def test_sliding_window_evaluation_is_added_and_tuned_by_override(tmp_path):
    from echolab.callbacks.sliding_window import SlidingWindowEvaluation

    swap = "callbacks=[checkpoint,early_stopping,sliding_window]"
    callbacks, _ = built("view_synthetic", tmp_path, swap, "callbacks.sliding_window.stride=2")
    (dense,) = [c for c in callbacks if isinstance(c, SlidingWindowEvaluation)]
    assert (dense.stride, dense.every_n_epochs) == (2, 1)
    callbacks, _ = built("view_synthetic", tmp_path)
    assert not any(isinstance(c, SlidingWindowEvaluation) for c in callbacks)
    with pytest.raises(ConfigError, match="stride >= 1"):
        built("view_synthetic", tmp_path, swap, "callbacks.sliding_window.stride=0")
