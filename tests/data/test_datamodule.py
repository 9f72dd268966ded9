"""The data module base: every task's `data:` keys live in one typed place (DataSettings and its
subclasses), and a block with a key no task reads, or without one it needs, is refused by name."""

import pytest

from echolab.config import load_experiment, to_plain
from echolab.errors import ConfigError
from echolab.tasks.keyframe.datamodule import KeyframeDataModule, KeyframeSettings
from echolab.tasks.view.datamodule import ViewDataModule, ViewSettings


def _block(exp: str) -> dict:
    return to_plain(load_experiment(exp, ["profile=smoke"]))["data"]


def test_each_experiments_data_block_is_exactly_its_tasks_settings():
    assert ViewSettings.from_block(_block("view_synthetic")).sampler == "random"
    assert KeyframeSettings.from_block(_block("keyframe_synthetic")).clip["strides"] == [1, 2, 4]


def test_a_mistyped_key_names_the_closest_one():
    block = _block("view_synthetic") | {"smapler": "random"}
    with pytest.raises(ConfigError, match=r"ViewSettings reads no data.smapler \(closest: data.sampler\)"):
        ViewDataModule(block)


def test_a_view_key_in_a_keyframe_block_and_a_missing_key_are_refused():
    with pytest.raises(ConfigError, match="KeyframeSettings reads no data.eval_clips"):
        KeyframeDataModule(_block("keyframe_synthetic") | {"eval_clips": 4})
    block = _block("keyframe_synthetic")
    del block["sigma"]
    with pytest.raises(ConfigError, match="lacks data.sigma"):
        KeyframeDataModule(block)
