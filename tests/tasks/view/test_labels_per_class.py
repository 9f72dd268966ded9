"""data.labels_per_class: training on N labelled videos of each view, a seeded choice."""

from collections import Counter

import pytest

from echolab.config import load_experiment, to_plain
from echolab.errors import ConfigError, DatasetError
from echolab.tasks.view.datamodule import ViewDataModule


def _datamodule(smoke_overrides, *extra: str) -> ViewDataModule:
    data = to_plain(load_experiment("view_synthetic", [*smoke_overrides, *extra]))["data"]
    datamodule = ViewDataModule(data)
    datamodule.prepare_data()
    return datamodule


def _train_names(datamodule) -> set[str]:
    return {record.name for record in datamodule.records("train")}


def test_n_videos_of_each_class_are_kept_for_training_only(smoke_overrides):
    full = _datamodule(smoke_overrides)
    two = _datamodule(smoke_overrides, "data.labels_per_class=2")
    assert Counter(r.label for r in full.records("train")) == dict.fromkeys(
        range(9), 3
    )  # tiny_ev9v: 3 per view
    assert Counter(r.label for r in two.records("train")) == dict.fromkeys(range(9), 2)
    assert _train_names(two) < _train_names(full)
    for split in ("val", "test"):
        assert two.records(split) == full.records(split)
    # the same seed chooses the same videos; other seeds choose others
    assert _train_names(_datamodule(smoke_overrides, "data.labels_per_class=2")) == _train_names(two)
    others = {
        frozenset(
            _train_names(_datamodule(smoke_overrides, "data.labels_per_class=2", f"data.labels_seed={s}"))
        )
        for s in (1, 2, 3)
    }
    assert others != {frozenset(_train_names(two))}


def test_more_labels_than_a_class_has_or_none_are_refused(smoke_overrides):
    with pytest.raises(
        DatasetError, match=r"labels_per_class=4 needs 4 training videos of every class; PLHLA has 3"
    ):
        _datamodule(smoke_overrides, "data.labels_per_class=4")
    with pytest.raises(ConfigError, match="data.labels_per_class must be a positive number"):
        _datamodule(smoke_overrides, "data.labels_per_class=0")
