"""Raw-pixel features, the test-time perturbations, and the probe targets."""

from pathlib import Path

import cv2
import numpy as np
import pytest

from echolab.data.records import VideoRecord
from echolab.errors import ConfigError, DatasetError
from echolab.io.cache import FrameCache
from echolab.probe.features import pixel_features
from echolab.probe.perturb import Perturbation
from echolab.probe.targets import EF_CLASSES, ef_category, probe_target
from tests.fixture_writers import fixture_frame, write_video


def _record(path: Path, *, label=0, ef=None) -> VideoRecord:
    return VideoRecord(name=path.stem, path=path, split="test", label=label, fps=25.0, ef=ef)


def test_pixel_features_are_the_temporal_mean_and_std_of_small_grey_frames(tmp_path):
    records = [_record(write_video(tmp_path / f"v{i}.avi", n_frames=6 + i)) for i in range(2)]
    features = pixel_features(records, FrameCache(tmp_path / "cache"), size=4)["pixels"]
    assert features.shape == (2, 2 * 4 * 4) and features.dtype == np.float32
    # fixture frames are flat colours: every pixel follows the grey level of its frame
    grey = np.array([cv2.cvtColor(fixture_frame(i, 1, 1), cv2.COLOR_RGB2GRAY)[0, 0] for i in range(6)]) / 255
    assert features[0, :16] == pytest.approx(np.full(16, grey.mean()), abs=0.03)
    assert features[0, 16:] == pytest.approx(np.full(16, grey.std()), abs=0.03)


def test_perturbations_degrade_as_the_scanner_would(tmp_path):
    frames = np.full((3, 32, 40, 3), 200, np.uint8)
    frames[:, :, :4] = 0  # outside the sector
    indices = np.arange(3)
    gain = Perturbation("gain", severity=0.5)(frames, indices, 0)
    # intensity x 0.375 before the scanner's compression (grey = 255 intensity^0.8): grey x 0.375^0.8
    assert gain[:, :, 4:] == pytest.approx(np.full((3, 32, 36, 3), 200 * 0.375**0.8), abs=1)
    depth = Perturbation("depth", severity=0.5)(frames, indices, 0).astype(int)
    assert depth[0, 0, 10, 0] == 200 and depth[0, -1, 10, 0] < 200 * np.exp(-0.9) ** 0.8 + 1
    assert (np.diff(depth[0, :, 10, 0]) <= 0).all()
    speckled = Perturbation("speckle", severity=0.5, seed=1)(frames, indices, 0)
    assert (speckled[:, :, :4] == 0).all()  # black stays black: speckle multiplies echoes
    assert speckled[:, :, 4:].std() > 5 and abs(speckled[:, :, 4:].astype(float).mean() - 200) < 20
    again = Perturbation("speckle", severity=0.5, seed=1)(frames, indices, 0)
    other_video = Perturbation("speckle", severity=0.5, seed=1)(frames, indices, 1)
    assert np.array_equal(speckled, again) and not np.array_equal(speckled, other_video)
    assert not np.array_equal(speckled[0], speckled[2])  # the grain evolves from frame to frame
    with pytest.raises(ConfigError, match="perturbation 'fog' is unknown"):
        Perturbation("fog")


def test_ef_category_and_targets(tmp_path):
    assert [ef_category(ef) for ef in (20.0, 49.99, 50.0, 75.0)] == [0, 0, 1, 1]
    assert EF_CLASSES == ["Abnormal", "Normal"]
    records = [_record(tmp_path / f"{i}.avi", label=i % 2, ef=ef) for i, ef in enumerate((35.0, 62.0, 50.0))]
    assert probe_target("ef_category", ["A4C"]).values(records, "here").tolist() == [0, 1, 1]
    assert probe_target("ef", ["A4C"]).values(records, "here").tolist() == [35.0, 62.0, 50.0]
    assert probe_target("view", ["x", "y"]).values(records, "here").tolist() == [0, 1, 0]
    assert not probe_target("ef", ["A4C"]).is_classification
    unknown = [*records, _record(tmp_path / "n.avi", ef=None)]
    with pytest.raises(
        DatasetError, match=r"here: probe.target=ef_category needs an EF .* 1 have none \(first: n\)"
    ):
        probe_target("ef_category", ["A4C"]).values(unknown, "here")
    with pytest.raises(ConfigError, match="probe.target 'fraction' is unknown"):
        probe_target("fraction", ["A4C"])
