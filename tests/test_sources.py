"""Datasets an experiment generates on first use: made once, regenerated only when they are stale."""

import json

import pytest

from echolab.data import sources
from echolab.data.sources import PROVENANCE_FILE, ensure_dataset
from echolab.errors import ConfigError

OPTIONS = {
    "writer": "ev9v",
    "videos_per_class": 1,
    "size": 48,
    "min_frames": 4,
    "max_frames": 5,
    "split": [1.0, 0.0, 0.0],
    "progress": False,
}


def _data(root, **changes):
    return {"root": str(root), "synthetic": {**OPTIONS, **changes}}


def test_generates_once_and_records_provenance(tmp_path):
    root = tmp_path / "ev9v"
    ensure_dataset(_data(root))
    marker = json.loads((root / PROVENANCE_FILE).read_text())
    assert marker["writer"] == "ev9v" and marker["options"]["videos_per_class"] == 1
    stamp = (root / "labels.csv").stat().st_mtime_ns
    ensure_dataset(_data(root))
    assert (root / "labels.csv").stat().st_mtime_ns == stamp  # up to date: not rewritten


def test_regenerates_when_generator_version_or_options_change(tmp_path, monkeypatch):
    root = tmp_path / "ev9v"
    ensure_dataset(_data(root))
    ensure_dataset(_data(root, videos_per_class=2))
    assert len((root / "labels.csv").read_text().splitlines()) == 1 + 2 * 9
    monkeypatch.setattr("echolab.data.synthetic.GENERATOR_VERSION", 999)
    ensure_dataset(_data(root, videos_per_class=2))
    assert json.loads((root / PROVENANCE_FILE).read_text())["generator_version"] == 999


def test_synthetic_data_from_before_provenance_is_regenerated(tmp_path):
    root = tmp_path / "ev9v"
    ensure_dataset(_data(root))
    (root / PROVENANCE_FILE).unlink()
    ensure_dataset(_data(root))
    assert (root / PROVENANCE_FILE).is_file()


def test_a_real_dataset_is_never_touched(tmp_path, monkeypatch):
    root = tmp_path / "EV9V"
    root.mkdir()
    (root / "labels.csv").write_text("names,labels\n")
    monkeypatch.setattr(sources, "_writers", lambda: pytest.fail("a real dataset must not be regenerated"))
    ensure_dataset(_data(root))
    assert not (root / PROVENANCE_FILE).exists()


def test_unknown_writer_is_named(tmp_path):
    with pytest.raises(ConfigError, match="writer 'avi'"):
        ensure_dataset(_data(tmp_path / "x", writer="avi"))
