"""Files appear whole or not at all: a failed or disk-full write leaves the old file, or nothing."""

import errno
import json

import pytest
import torch

from echolab import atomic
from echolab.atomic import DiskFullError, atomic_path, write_text_atomic
from echolab.checkpoints import AtomicCheckpointIO
from echolab.runs import write_config, write_metrics


def _hidden_temporaries(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_a_written_file_replaces_the_old_one_whole(tmp_path):
    target = write_text_atomic(tmp_path / "metrics.json", "old")
    write_text_atomic(target, "new")
    assert target.read_text() == "new" and _hidden_temporaries(tmp_path) == []


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = write_text_atomic(tmp_path / "predictions.csv", "old,rows\n")
    with pytest.raises(RuntimeError), atomic_path(target) as temporary:
        temporary.write_text("half of the ne")
        raise RuntimeError("killed mid-write")
    assert target.read_text() == "old,rows\n" and _hidden_temporaries(tmp_path) == []


def test_a_full_disk_is_a_clear_error_and_leaves_nothing(tmp_path):
    with pytest.raises(DiskFullError, match=r"no space left .*metrics\.json.*Free some space"):
        with atomic_path(tmp_path / "metrics.json") as temporary:
            temporary.write_text('{"val": ')
            raise OSError(errno.ENOSPC, "No space left on device")
    assert list(tmp_path.iterdir()) == []


def test_run_files_are_written_through_a_temporary_name(tmp_path, monkeypatch):
    written = []
    real_replace = atomic.os.replace
    monkeypatch.setattr(atomic.os, "replace", lambda a, b: (written.append((a, b)), real_replace(a, b)))
    write_config(tmp_path, {"exp": "x"}, ["seed=1"])
    write_metrics(tmp_path, {"test": {"acc": float("nan")}})
    assert [b.name for _, b in written] == ["config.yaml", "overrides.txt", "metrics.json"]
    assert all(a.parent == b.parent and a.name.startswith(".") for a, b in written)
    assert json.loads((tmp_path / "metrics.json").read_text()) == {"test": {"acc": None}}


def test_a_checkpoint_that_fills_the_disk_leaves_the_previous_one_whole(tmp_path, monkeypatch):
    path = tmp_path / "checkpoints" / "last.ckpt"
    io = AtomicCheckpointIO()
    io.save_checkpoint({"epoch": 0, "weights": torch.arange(4.0)}, path)
    real_save = torch.save

    def save_half_then_fill(obj, target):
        real_save(obj, target)
        with open(target, "r+b") as handle:  # the bytes that made it before the disk filled
            handle.truncate(10)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(torch, "save", save_half_then_fill)
    with pytest.raises(DiskFullError, match="last.ckpt"):
        io.save_checkpoint({"epoch": 1, "weights": torch.zeros(4)}, path)
    kept = torch.load(path, weights_only=True)
    assert kept["epoch"] == 0 and torch.equal(kept["weights"], torch.arange(4.0))
    assert _hidden_temporaries(path.parent) == []
