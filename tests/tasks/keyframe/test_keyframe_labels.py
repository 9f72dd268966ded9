"""Keyframe target curves, label masks and mirroring."""

import numpy as np
import pytest

from echolab.tasks.keyframe.targets import Beat, beat_mask, cycle_length, event_curves, mirrored_frames


def test_curve_is_one_at_events_and_gaussian_in_between():
    curves = event_curves(100, Beat(ed=(10, 50, 90), es=(30, 70)), sigma=10.0)
    assert curves.shape == (100, 2) and curves.dtype == np.float32
    assert curves[[10, 50, 90], 0].tolist() == [1.0, 1.0, 1.0]
    assert curves[[30, 70], 1].tolist() == [1.0, 1.0]
    assert curves[15, 0] == pytest.approx(np.exp(-25 / 200), rel=1e-6)
    assert curves[30, 0] == pytest.approx(np.exp(-400 / 200), rel=1e-6)  # 20 frames from either ED


def test_events_outside_the_video_follow_the_cycle():
    # REFERENCE §2's example: 58 frames, ED at 20 (and 66 by the cycle), ES at 43 (and -3 by the cycle).
    beat = Beat(ed=(20,), es=(43,))
    assert cycle_length(beat) == 46
    curves = event_curves(58, beat, sigma=10.0)
    assert curves[57, 0] == pytest.approx(np.exp(-(9**2) / 200), rel=1e-6)  # nearest ED is 66, not 20
    assert curves[0, 1] == pytest.approx(np.exp(-(3**2) / 200), rel=1e-6)  # nearest ES is -3


def test_cycle_from_repeated_events_is_their_median_gap():
    assert cycle_length(Beat(ed=(0, 30, 62), es=(15,))) == 31
    assert cycle_length(Beat(ed=(), es=())) is None


def test_unannotated_kind_gives_a_zero_curve_and_no_labelled_frames():
    curves = event_curves(20, Beat(ed=(5,), es=()))
    assert curves[:, 1].max() == 0.0 and curves[5, 0] == 1.0
    assert not beat_mask(20, Beat(ed=(5,), es=()), "masked").any()


def test_masks_per_label_mode():
    beat = Beat(ed=(40,), es=(25,))  # EchoNet lists ES first: order does not matter
    masked = beat_mask(60, beat, "masked")
    assert masked.nonzero()[0].tolist() == list(range(25, 41))
    assert beat_mask(60, beat, "all").all() and beat_mask(60, beat, "mirror").all()
    with pytest.raises(ValueError, match="unknown keyframe label mode"):
        beat_mask(60, beat, "some")


def test_mirrored_sequence_plays_the_stretch_back_and_forth():
    frames, events = mirrored_frames(Beat(ed=(2,), es=(5,)), 14)
    assert frames.tolist() == [2, 3, 4, 5, 4, 3, 2, 3, 4, 5, 4, 3, 2, 3]
    assert events == Beat(ed=(0, 6, 12), es=(3, 9))
    frames, events = mirrored_frames(Beat(ed=(9,), es=(7,)), 6)  # ES before ED
    assert frames.tolist() == [7, 8, 9, 8, 7, 8]
    assert events == Beat(ed=(2,), es=(0, 4))
    with pytest.raises(ValueError, match="two distinct keyframes"):
        mirrored_frames(Beat(ed=(3,), es=(3,)), 10)


def test_sigma_must_be_positive():
    with pytest.raises(ValueError, match="sigma must be positive"):
        event_curves(10, Beat(ed=(1,), es=(5,)), sigma=0)
