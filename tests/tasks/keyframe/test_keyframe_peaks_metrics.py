"""Peak picking scaled by frame rate, keyframe matching and the AFD / detection metrics."""

import math

import numpy as np
import pytest

from echolab.errors import ConfigError
from echolab.tasks.keyframe.metrics import KeyframeMetrics, match_keyframes, score_video
from echolab.tasks.keyframe.peaks import PeakSettings, distance_frames, pick_peaks
from echolab.tasks.keyframe.targets import Beat, event_curves

SETTINGS = PeakSettings(min_distance_s=0.25, prominence=0.1, fallback_fps=40.0)


def test_peaks_of_clean_curves_are_the_events_including_the_edges():
    curves = event_curves(100, Beat(ed=(0, 40, 80), es=(20, 60, 99)))
    assert pick_peaks(curves[:, 0], 50, SETTINGS) == [0, 40, 80]
    assert pick_peaks(curves[:, 1], 50, SETTINGS) == [20, 60, 99]


def test_edge_is_no_keyframe_when_the_event_lies_outside_the_video():
    curves = event_curves(100, Beat(ed=(3, 43, 83), es=(23, 63)))  # next ES at 103, previous at -17
    assert pick_peaks(curves[:, 1], 50, SETTINGS) == [23, 63]
    assert pick_peaks(curves[:, 0], 50, SETTINGS) == [3, 43, 83]


def test_refined_keyframes_find_gaussian_centres_that_wobble_moves_the_argmax_off():
    rng = np.random.default_rng(0)
    frames = np.arange(120)
    centres = rng.uniform(10, 110, size=200)
    argmax_errors, refined_errors = [], []
    for centre in centres:
        curve = np.exp(-((frames - centre) ** 2) / (2 * 10.0**2)) + rng.normal(0, 0.02, size=120)
        (argmax,) = pick_peaks(curve, 50, PeakSettings(refine=False))
        (refined,) = pick_peaks(curve, 50, PeakSettings())
        argmax_errors.append(abs(argmax - centre))
        refined_errors.append(abs(refined - centre))
    # Rounding alone leaves 0.25 frames on average.
    assert np.mean(refined_errors) < 0.4 < 0.8 < np.mean(argmax_errors)
    assert max(refined_errors) < 1.0 < 2.0 < max(argmax_errors)


def test_refinement_keeps_spikes_and_clean_events_in_place():
    curve = np.zeros(60)
    curve[[10, 40]] = [1.0, 0.9]
    assert pick_peaks(curve, 50, SETTINGS) == [10, 40]
    curves = event_curves(100, Beat(ed=(0, 40, 80), es=(20, 60, 99)))
    assert pick_peaks(curves[:, 0], 50, SETTINGS, sigma=10.0) == [0, 40, 80]


def test_minimum_distance_follows_the_frame_rate():
    curve = np.zeros(60)
    curve[[10, 20]] = [1.0, 0.9]  # 10 frames apart
    assert distance_frames(50, SETTINGS) == 12 and distance_frames(20, SETTINGS) == 5
    assert pick_peaks(curve, 50, SETTINGS) == [10]  # 0.2 s apart: too close at 50 fps
    assert pick_peaks(curve, 20, SETTINGS) == [10, 20]  # 0.5 s apart at 20 fps


@pytest.mark.parametrize("fps", [0, None, float("nan"), -5])
def test_unusable_fps_falls_back_with_a_warning(fps):
    with pytest.warns(UserWarning, match="assumes 40 fps"):
        assert distance_frames(fps, SETTINGS, name="clip.avi") == 10


def test_prominence_ignores_small_bumps_and_flat_curves():
    curve = 0.5 + 0.02 * np.sin(np.arange(80) / 2.0)
    assert pick_peaks(curve, 50, SETTINGS) == []
    assert pick_peaks(np.zeros(30), 50, SETTINGS) == [] and pick_peaks(np.zeros(0), 50, SETTINGS) == []


def test_bad_settings_are_config_errors():
    with pytest.raises(ConfigError, match="task.peaks"):
        PeakSettings(min_distance_s=0)


def test_matching_is_one_to_one_nearest_first_within_tolerance():
    assert match_keyframes([10, 40], [12, 13, 70], tolerance=5) == [(10, 12)]
    assert match_keyframes([10, 14], [13], tolerance=5) == [(14, 13)]
    assert match_keyframes([], [3], tolerance=5) == []


def test_metrics_afd_in_frames_and_ms_detection_missed_spurious():
    metric = KeyframeMetrics()
    metric.update(
        score_video(
            {"ed": [10, 50], "es": [30]},
            {"ed": [12, 51], "es": [30, 70]},
            fps=50.0,
            tolerance=5,
            frame_range=(0, 99),
        )
    )
    metric.update(
        score_video(
            {"ed": [20], "es": [40]}, {"ed": [], "es": [43]}, fps=None, tolerance=5, frame_range=(0, 60)
        )
    )
    values = metric.compute()
    assert values["afd_ed"] == pytest.approx(1.5) and values["afd_ed_std"] == pytest.approx(0.5)
    assert values["afd_es"] == pytest.approx(1.5)  # errors 0 and 3
    assert values["afd_ed_ms"] == pytest.approx(30.0)  # only the 50 fps video has times
    assert values["afd_es_ms"] == pytest.approx(0.0)
    assert (values["missed"], values["spurious"]) == (1, 1)  # ED 20 missed; ES 70 spurious
    assert values["detection_rate"] == pytest.approx(5 / 5)
    assert values["videos"] == 2


def test_metrics_count_only_keyframes_inside_the_judged_range():
    metric = KeyframeMetrics()
    metric.update(
        score_video(
            {"ed": [40], "es": [25]},
            {"ed": [5, 41], "es": [24, 90]},
            fps=50,
            tolerance=3,
            frame_range=(22, 43),
        )
    )
    values = metric.compute()
    assert (values["spurious"], values["missed"], values["detection_rate"]) == (0, 0, 1.0)


# computing before any update is the point of this test: torchmetrics warns about it
@pytest.mark.filterwarnings("ignore:The ``compute`` method of metric KeyframeMetrics")
def test_metrics_without_any_keyframe_are_nan_not_an_error():
    values = KeyframeMetrics().compute()
    assert math.isnan(values["afd_ed"]) and math.isnan(values["detection_rate"])
