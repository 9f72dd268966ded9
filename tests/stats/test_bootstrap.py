"""Bootstrap intervals over test videos and paired differences, on synthetic per-video rows."""

import numpy as np
import pytest

from echolab.stats.bootstrap import bootstrap_intervals, paired_differences, resample_indices
from echolab.tasks.keyframe.metrics import score_video
from echolab.tasks.keyframe.metrics import video_scores as keyframe_scores
from echolab.tasks.view.metrics import video_scores

CLASSES = ["A", "B", "C"]


def view_rows(videos: int, seed: int = 0, right: float = 0.8) -> list[dict]:
    """Videos of three classes, about `right` of them predicted right, the wrong ones more uncertain."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(videos):
        label = i % 3
        correct = rng.random() < right
        predicted = label if correct else (label + 1 + rng.integers(2)) % 3
        probs = rng.dirichlet([1.0, 1.0, 1.0]) * 0.4
        probs[predicted] += 0.6
        uncertainty = rng.uniform(0.0, 0.6) + (0.0 if correct else 0.3)
        rows.append(
            {"video": f"v{i:04d}", "label": label, "probs": probs.tolist(), "uncertainty": uncertainty}
        )
    return rows


def keyframe_rows(videos: int, seed: int = 0) -> list[dict]:
    """Videos with 3 true ED and ES each, predicted a few frames off, now and then one missed or one extra."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(videos):
        true = {"ed": [10, 60, 110], "es": [35, 85, 135]}
        predicted = {
            k: [f + int(rng.integers(-3, 4)) for f in v if rng.random() > 0.1] for k, v in true.items()
        }
        if rng.random() < 0.2:
            predicted["es"].append(148)
        score = score_video(true, predicted, fps=50.0, tolerance=10, frame_range=(0, 149))
        rows.append({"video": f"k{i:04d}"} | score)
    return rows


def view_metrics(rows):
    return video_scores(rows, CLASSES, calibration_bins=10)


def width(interval: list[float]) -> float:
    return interval[1] - interval[0]


def test_resampling_draws_videos_with_replacement_from_a_fixed_seed():
    draws = resample_indices(5, resamples=200, seed=3)
    assert draws.shape == (200, 5) and draws.min() == 0 and draws.max() == 4
    assert (draws == resample_indices(5, resamples=200, seed=3)).all()
    assert any(len(set(line)) < 5 for line in draws)  # with replacement: repeats happen


@pytest.mark.parametrize(
    ("rows", "metrics_fn"), [(view_rows(150), view_metrics), (keyframe_rows(40), keyframe_scores)]
)
def test_every_interval_contains_its_point_estimate(rows, metrics_fn):
    point = metrics_fn(rows)
    intervals = bootstrap_intervals(rows, metrics_fn, resamples=300)
    assert set(intervals) == set(point)
    for name, value in point.items():
        low, high = intervals[name]
        assert low <= value <= high, name
        assert low < high, name  # every metric varies with the videos drawn


def test_view_intervals_cover_the_headline_metrics_by_name():
    intervals = bootstrap_intervals(view_rows(60), view_metrics, resamples=50)
    assert {"acc", "macro_f1", "ece", "uncertainty_auroc", "per_class.A.f1", "per_class.C.f1"} <= set(
        intervals
    )


@pytest.mark.parametrize(
    ("make", "metrics_fn", "names"),
    [
        (view_rows, view_metrics, ["acc", "macro_f1", "per_class.B.f1", "ece", "uncertainty_auroc"]),
        (keyframe_rows, keyframe_scores, ["afd_ed", "afd_es", "detection_rate"]),
    ],
)
def test_intervals_shrink_as_the_test_set_grows(make, metrics_fn, names):
    small = bootstrap_intervals(make(40), metrics_fn, resamples=300)
    large = bootstrap_intervals(make(400), metrics_fn, resamples=300)
    for name in names:
        assert width(large[name]) < 0.6 * width(small[name]), name  # about 1/sqrt(10) in theory


def test_the_same_rows_and_seed_give_identical_intervals():
    rows = view_rows(50)
    first = bootstrap_intervals(rows, view_metrics, resamples=100, seed=0)
    assert bootstrap_intervals(rows, view_metrics, resamples=100, seed=0) == first
    assert bootstrap_intervals(rows, view_metrics, resamples=100, seed=1) != first


def test_no_resamples_or_no_rows_give_no_intervals():
    assert bootstrap_intervals(view_rows(10), view_metrics, resamples=0) == {}
    assert bootstrap_intervals([], view_metrics) == {}
    with pytest.raises(ValueError, match="resamples must be a whole number"):
        bootstrap_intervals(view_rows(10), view_metrics, resamples=-1)
    with pytest.raises(ValueError, match="level must lie between 0 and 1"):
        bootstrap_intervals(view_rows(10), view_metrics, level=95)


def test_a_metric_no_resample_defines_has_no_interval():
    rows = view_rows(30, right=1.0)  # nothing wrong: the AUROC of uncertainty has nothing to rank
    intervals = bootstrap_intervals(rows, view_metrics, resamples=50)
    assert view_metrics(rows)["uncertainty_auroc"] is None and intervals["uncertainty_auroc"] is None
    assert intervals["acc"] == [1.0, 1.0]


def test_a_wider_level_gives_a_wider_interval():
    rows = view_rows(80)
    narrow = bootstrap_intervals(rows, view_metrics, resamples=300, level=0.5)["acc"]
    wide = bootstrap_intervals(rows, view_metrics, resamples=300, level=0.99)["acc"]
    assert wide[0] < narrow[0] and narrow[1] < wide[1]


def fixed(rows: list[dict], count: int) -> list[dict]:
    """The same predictions with the first `count` wrong videos predicted right (confidently)."""
    out, left = [], count
    for row in rows:
        probs = row["probs"]
        if left and max(range(3), key=probs.__getitem__) != row["label"]:
            probs = [0.9 if k == row["label"] else 0.05 for k in range(3)]
            left -= 1
        out.append(row | {"probs": probs})
    return out


def test_paired_difference_of_a_system_against_itself_is_exactly_zero():
    rows = view_rows(60)
    diff = paired_differences([rows], [rows], view_metrics, resamples=100)
    assert diff["acc"] == {"difference": 0.0, "interval": [0.0, 0.0]}


def test_paired_difference_finds_a_small_real_improvement():
    reference = view_rows(200)
    better = fixed(reference, 10)
    diff = paired_differences([better], [reference], view_metrics, resamples=200)
    assert diff["acc"]["difference"] == pytest.approx(10 / 200)
    low, high = diff["acc"]["interval"]
    assert 0 < low < 10 / 200 < high  # paired: only the 10 changed videos vary the difference
    # Unpaired, the two accuracies' own intervals overlap: they alone could not call it real.
    own = [bootstrap_intervals(r, view_metrics, resamples=200)["acc"] for r in (better, reference)]
    assert own[0][0] < own[1][1]


def test_paired_difference_averages_over_seeds():
    reference = [view_rows(60, seed=s) for s in (1, 2)]
    system = [fixed(reference[0], 3), fixed(reference[1], 6)]  # seed 1 fixes 3 videos, seed 2 fixes 6
    diff = paired_differences(system, reference, view_metrics, resamples=50)
    assert diff["acc"]["difference"] == pytest.approx((3 + 6) / 2 / 60)
    means = [np.mean([view_metrics(run)["macro_f1"] for run in runs]) for runs in (system, reference)]
    assert diff["macro_f1"]["difference"] == pytest.approx(means[0] - means[1])


def test_paired_rows_are_matched_by_video_not_by_position():
    rows = view_rows(40)
    diff = paired_differences([list(reversed(rows))], [rows], view_metrics, resamples=20)
    assert diff["macro_f1"]["interval"] == [0.0, 0.0]


def test_paired_differences_need_the_same_test_videos():
    with pytest.raises(ValueError, match="tested on different videos"):
        paired_differences([view_rows(30)], [view_rows(31)], view_metrics, resamples=10)
