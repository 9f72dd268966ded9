"""Every notebook in notebooks/ executes, against a tiny run made here, and draws its figures."""

from pathlib import Path

import jupytext
import pytest
from nbclient import NotebookClient

from echolab.config import load_experiment
from echolab.train import train
from tests.run_words import smoke_words

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
# two test batches, so the notebooks have more than one video to draw
SHORT_RUN = ["trainer.limit_train_batches=1", "trainer.limit_val_batches=1", "trainer.limit_test_batches=2"]


@pytest.fixture(scope="module")
def view_run(tiny_ev9v, tmp_path_factory):
    out = tmp_path_factory.mktemp("view_run")
    overrides = smoke_words(tiny_ev9v, out, *SHORT_RUN)
    return train(load_experiment("view_synthetic", overrides), overrides).run_dir


@pytest.fixture(scope="module")
def keyframe_run(tmp_path_factory):
    """A keyframe run whose untrained curves still yield keyframes (no prominence needed), so every
    figure of the notebook has points to draw."""
    from echolab.data.synthetic import write_echonet

    out = tmp_path_factory.mktemp("keyframe_run")
    root = write_echonet(out / "echonet", videos=5, seed=0, min_frames=61, max_frames=70, progress=False)
    overrides = smoke_words(
        root, out, "task.peaks.prominence=0.0", "task.peaks.min_distance_s=0.1", *SHORT_RUN
    )
    return train(load_experiment("keyframe_synthetic", overrides), overrides).run_dir


@pytest.fixture(scope="module")
def embeddings(tmp_path_factory):
    """`echolab embed` of raw pixels on a tiny EchoNet-layout set with EFs on both sides of 50 %."""
    from echolab.data.synthetic import write_echonet
    from echolab.probe.arms import PixelArm
    from echolab.probe.command import embed, load_probe_experiment

    out = tmp_path_factory.mktemp("embed")
    root = write_echonet(
        out / "echonet", videos=12, seed=0, min_frames=61, max_frames=70, ef_range=(20, 75), progress=False
    )
    words = ["profile=smoke", f"data.root={root}", "data.synthetic=null", f"data.cache_dir={out / 'cache'}"]
    return embed(load_probe_experiment("resnet_vst_echonet", words), PixelArm(), out / "pixels.npz")


def execute(name: str, run_dir: Path, monkeypatch, variable: str = "ECHOLAB_RUN") -> list[dict]:
    """Run the notebook in a fresh kernel with `variable` set to `run_dir`; returns its code cells' outputs."""
    monkeypatch.setenv(variable, str(run_dir))
    notebook = jupytext.read(NOTEBOOKS / f"{name}.py")
    NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    ).execute()
    return [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]


def _images(outputs: list[dict]) -> int:
    return sum("image/png" in output.get("data", {}) for output in outputs)


def _text(outputs: list[dict]) -> str:
    return "".join(output.get("text", "") for output in outputs)


def test_every_notebook_is_covered_here():
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.py")) == [
        "embeddings",
        "keyframe_predictions",
        "view_predictions",
    ]


def test_view_notebook_draws_its_figures(view_run, monkeypatch):
    outputs = execute("view_predictions", view_run, monkeypatch)
    # confusion matrix, per-view bars, up to two galleries of frame strips, uncertainty vs error
    assert _images(outputs) >= 4
    text = _text(outputs)
    assert f"run {view_run}" in text and "test videos, 9 views" in text


def test_keyframe_notebook_draws_its_figures(keyframe_run, monkeypatch):
    outputs = execute("keyframe_predictions", keyframe_run, monkeypatch)
    assert _images(outputs) == 2  # AFD distribution (histogram + per-video scatter), worst videos' curves
    text = _text(outputs)
    assert f"run {keyframe_run}" in text and "afd_ed" in text and "spurious" in text


def test_embeddings_notebook_maps_the_videos(embeddings, monkeypatch):
    outputs = execute("embeddings", embeddings, monkeypatch, "ECHOLAB_EMBEDDINGS")
    assert _images(outputs) == 2  # by EF category, by EF
    text = _text(outputs)
    assert f"embeddings {embeddings}" in text and "12 videos, feature pixels (512 values each)" in text
