"""Shared fixtures: tiny synthetic datasets in the published formats (files written by tests/fixture_writers.py)."""

import os
from pathlib import Path

import pytest

from tests.run_words import smoke_words

os.environ.setdefault("WANDB_SILENT", "true")
os.environ.pop("WANDB_MODE", None)  # tests choose the W&B mode themselves (disabled or offline)


@pytest.fixture(scope="session", autouse=True)
def dicom_pseudonym_key(tmp_path_factory):
    """The key `echolab predict` names raw DICOM inputs with: a test key, never the user's own."""
    path = tmp_path_factory.mktemp("dicom-key") / "dicom-pseudonym.key"
    previous = os.environ.get("ECHOLAB_DICOM_KEY")
    os.environ["ECHOLAB_DICOM_KEY"] = str(path)
    yield path
    if previous is None:
        os.environ.pop("ECHOLAB_DICOM_KEY", None)
    else:
        os.environ["ECHOLAB_DICOM_KEY"] = previous


@pytest.fixture(scope="session")
def tiny_ev9v(tmp_path_factory):
    """EV9V layout, 5 videos per class (3 train / 1 val / 1 test), 64 px, 16-20 frames."""
    from echolab.data.synthetic import write_ev9v

    return write_ev9v(
        tmp_path_factory.mktemp("data") / "ev9v",
        videos_per_class=5,
        seed=1,
        size=64,
        min_frames=16,
        max_frames=20,
        progress=False,
    )


@pytest.fixture
def smoke_overrides(tiny_ev9v, tmp_path):
    """Overrides that point a view experiment at the tiny dataset and keep all outputs in tmp_path."""
    return smoke_words(tiny_ev9v, tmp_path)


@pytest.fixture(scope="module")
def tiny_echonet(tmp_path_factory) -> Path:
    """EchoNet-Dynamic layout (+ manifest.csv with every ED/ES): 5 videos of 61-70 frames at 50 fps."""
    from echolab.data.synthetic import write_echonet

    return write_echonet(
        tmp_path_factory.mktemp("kf") / "echonet",
        videos=5,
        seed=3,
        min_frames=61,
        max_frames=70,
        progress=False,
    )
