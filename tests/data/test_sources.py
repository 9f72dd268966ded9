"""echolab writes synthetic data only into folders it owns, never into a user's, and never in place of
data the user asked for. Every folder here is written by the real writers (as `echolab synth` does)."""

import hashlib
import json
from pathlib import Path

import pytest

from echolab.cli import main
from echolab.config import load_experiment
from echolab.data.sources import data_provenance, ensure_dataset
from echolab.data.synthetic.marker import MARKER_FILE, read_marker
from echolab.errors import ConfigError, DatasetError

OPTIONS = {
    "writer": "ev9v",
    "videos_per_class": 1,
    "size": 48,
    "min_frames": 4,
    "max_frames": 5,
    "progress": False,
}


def _data(root, home=None, **changes):
    """A `data:` block whose experiment keeps its synthetic data at `home` (default: `root`)."""
    synthetic = {**OPTIONS, **changes, "root": str(home or root)}
    return {"root": str(root), "synthetic": synthetic}


def _files(root: Path) -> dict[str, str]:
    """Every file under `root` with the SHA-1 of its bytes: a folder's full contents, to compare."""
    return {
        str(p.relative_to(root)): hashlib.sha1(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _synth(*words) -> None:
    assert main(["synth", *words, "--no-progress", "--workers", "1"]) == 0


def test_generates_at_the_experiments_own_root_once(tmp_path):
    root = tmp_path / "ev9v"
    ensure_dataset(_data(root))
    marker = read_marker(root)
    assert marker["writer"] == "ev9v" and marker["options"]["videos_per_class"] == 1
    before = _files(root)
    ensure_dataset(_data(root))
    assert _files(root) == before  # it fits: reused, not rewritten


def test_a_missing_root_the_user_set_is_an_error_not_a_place_to_generate(tmp_path):
    typo = tmp_path / "typo" / "EV9V"
    ensure_dataset(_data(typo, home=tmp_path / "data" / "synthetic" / "ev9v"))
    assert not typo.exists() and not (tmp_path / "typo").exists()


def test_cli_train_on_a_missing_data_root_fails_and_creates_nothing(tmp_path, capsys):
    typo = tmp_path / "typo" / "EV9V"
    code = main(["train", "profile=smoke", f"data.root={typo}", f"run.root={tmp_path / 'runs'}"])
    assert code == 2
    error = capsys.readouterr().err
    assert str(typo) in error and "Expected layout" in error and "echolab synth ev9v" in error
    assert not (tmp_path / "typo").exists() and not (tmp_path / "runs").exists()


def test_echolab_synth_writes_the_marker_an_experiment_reuses(tmp_path):
    root = tmp_path / "made_by_synth"
    _synth(
        "ev9v",
        "--out",
        str(root),
        "--videos-per-class",
        "1",
        "--size",
        "48",
        "--min-frames",
        "4",
        "--max-frames",
        "5",
    )
    marker = json.loads((root / MARKER_FILE).read_text())
    assert marker["options"]["fps"] == 30.0 and marker["options"]["split"] == [
        0.6,
        0.2,
        0.2,
    ]  # defaults filled
    before = _files(root)
    ensure_dataset(_data(root))  # same options as the synth command: fits
    assert _files(root) == before


def test_training_never_rewrites_a_manifest_folder_made_by_synth(tmp_path, capsys):
    root = tmp_path / "D"
    _synth(
        "manifest", "--out", str(root), "--videos-per-class", "1", "--min-frames", "4", "--max-frames", "5"
    )
    before = _files(root)
    code = main(
        ["train", "profile=smoke", "data=manifest", f"data.root={root}", f"run.root={tmp_path / 'runs'}"]
    )
    assert code == 2
    error = capsys.readouterr().err
    assert "writer: 'manifest' -> 'ev9v'" in error and "data.synthetic.regenerate=true" in error
    assert _files(root) == before


def test_training_never_rewrites_an_ev9v_folder_made_with_other_options(tmp_path, capsys):
    root = tmp_path / "ev9v"
    _synth(
        "ev9v",
        "--out",
        str(root),
        "--videos-per-class",
        "2",
        "--size",
        "48",
        "--min-frames",
        "4",
        "--max-frames",
        "5",
    )
    before = _files(root)
    with pytest.raises(DatasetError, match=r"videos_per_class: 2 -> 1.*regenerate=true.*another folder"):
        ensure_dataset(_data(root))
    assert _files(root) == before


def test_regenerate_moves_the_stale_folder_aside(tmp_path, monkeypatch):
    root = tmp_path / "ev9v"
    ensure_dataset(_data(root))
    before = _files(root)
    monkeypatch.setattr("echolab.data.synthetic.phantom.GENERATOR_VERSION", 999)
    with pytest.raises(DatasetError, match="generator_version"):
        ensure_dataset(_data(root))
    ensure_dataset(_data(root, regenerate=True))
    assert read_marker(root)["generator_version"] == 999
    (aside,) = tmp_path.glob("ev9v.stale-*")
    assert _files(aside) == before  # moved, byte for byte, not deleted


def test_a_folder_without_the_marker_is_never_touched(tmp_path, monkeypatch):
    root = tmp_path / "EV9V"
    root.mkdir()
    (root / "labels.csv").write_text("names,labels\n")

    def refuse(out, **options):
        pytest.fail("a user's folder must not be written")

    monkeypatch.setattr("echolab.data.synthetic.write_ev9v", refuse)
    ensure_dataset(_data(root, regenerate=True))
    assert _files(root) == {"labels.csv": hashlib.sha1(b"names,labels\n").hexdigest()}


def test_provenance_tells_synthetic_from_real(tmp_path):
    root = tmp_path / "ev9v"
    ensure_dataset(_data(root))
    assert data_provenance(root)["synthetic"] is True and data_provenance(root)["writer"] == "ev9v"
    assert data_provenance(tmp_path) == {"synthetic": False}


def test_the_config_pins_the_experiments_own_synthetic_root_before_overrides():
    cfg = load_experiment("view_synthetic", ["profile=smoke", "data.root=/elsewhere"])
    assert cfg.data.root == "/elsewhere"
    assert cfg.data.synthetic.root == "data/synthetic/ev9v-smoke" and cfg.data.synthetic.regenerate is False


def test_unknown_writer_is_named(tmp_path):
    with pytest.raises(ConfigError, match="writer 'avi'"):
        ensure_dataset(_data(tmp_path / "x", writer="avi"))
