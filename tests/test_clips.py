import numpy as np
import pytest

from echolab.data.clips import ClipSpec, centred_clip, clip_indices, clip_starts, gather_clip
from echolab.errors import ConfigError


def test_clip_indices_inside_the_video():
    assert clip_indices(100, 10, ClipSpec(4, 3)).tolist() == [10, 13, 16, 19]


@pytest.mark.parametrize(
    ("pad", "expected"),
    [("clamp", [3, 5, 6, 6, 6]), ("zero", [3, 5, -1, -1, -1]), ("loop", [3, 5, 0, 2, 4])],
)
def test_clip_indices_pad_past_the_end(pad, expected):
    assert clip_indices(7, 3, ClipSpec(5, 2), pad=pad).tolist() == expected


def test_clip_indices_before_the_start_are_padded_too():
    assert clip_indices(10, -4, ClipSpec(4, 2), pad="clamp").tolist() == [0, 0, 0, 2]
    assert clip_indices(10, -4, ClipSpec(4, 2), pad="zero").tolist() == [-1, -1, 0, 2]


def test_centred_clip_gives_stfm_motion_context():
    spec = ClipSpec(5, 5)
    assert centred_clip(100, 50, spec).tolist() == [40, 45, 50, 55, 60]
    assert centred_clip(100, 3, spec).tolist() == [0, 0, 3, 8, 13]
    assert centred_clip(12, 10, spec).tolist() == [0, 5, 10, 11, 11]


def test_random_start_keeps_the_whole_clip_inside_and_varies():
    spec = ClipSpec(8, 2)  # spans 15 frames
    rng = np.random.default_rng(0)
    starts = [clip_starts(40, spec, "random", rng=rng)[0] for _ in range(300)]
    assert min(starts) == 0 and max(starts) == 25
    assert clip_starts(40, spec, "random", rng=np.random.default_rng(3)) == clip_starts(
        40, spec, "random", rng=np.random.default_rng(3)
    )


def test_uniform_starts_spread_from_first_to_last_fitting_start():
    assert clip_starts(100, ClipSpec(16, 2), "uniform", num_clips=4) == [0, 23, 46, 69]
    assert clip_starts(100, ClipSpec(16, 2), "uniform", num_clips=1) == [0]


def test_centred_start_puts_the_clip_in_the_middle():
    [start] = clip_starts(101, ClipSpec(11, 1), "centred")
    assert start == 45 and start + 5 == 50


def test_sliding_windows_cover_every_frame_and_end_at_the_last():
    spec = ClipSpec(16, 1)
    starts = clip_starts(50, spec, "sliding", window_stride=8)
    assert starts == [0, 8, 16, 24, 32, 34]
    covered = set(np.concatenate([clip_indices(50, start, spec) for start in starts]).tolist())
    assert covered == set(range(50))
    assert clip_starts(50, spec, "sliding") == list(range(35))


@pytest.mark.parametrize("mode", ["random", "uniform", "centred", "sliding"])
def test_a_video_shorter_than_the_clip_starts_at_zero(mode):
    spec = ClipSpec(16, 2)
    assert set(clip_starts(5, spec, mode, num_clips=3)) == {0}
    assert clip_indices(5, 0, spec, pad="zero")[:4].tolist() == [0, 2, 4, -1]


def test_gather_clip_takes_frames_in_order_and_blacks_out_padding(tmp_path):
    frames = np.arange(6, dtype=np.uint8)[:, None, None, None] * np.ones((1, 2, 3, 3), np.uint8) + 1
    stored = np.memmap(tmp_path / "frames.u8", dtype=np.uint8, mode="w+", shape=frames.shape)
    stored[:] = frames
    readonly = np.memmap(tmp_path / "frames.u8", dtype=np.uint8, mode="r", shape=frames.shape)
    clip = gather_clip(readonly, np.array([4, 1, -1, 5]))
    assert clip.shape == (4, 2, 3, 3) and clip.dtype == np.uint8
    assert clip[:, 0, 0, 0].tolist() == [5, 2, 0, 6]
    clip[0] = 99  # a clip is the caller's own array, never a view into the cache
    assert readonly[4, 0, 0, 0] == 5


def test_bad_settings_are_config_errors():
    with pytest.raises(ConfigError, match="frames >= 1"):
        ClipSpec(0)
    with pytest.raises(ConfigError, match="unknown clip sampling mode 'middle'.*centred"):
        clip_starts(10, ClipSpec(4), "middle")
    with pytest.raises(ConfigError, match="unknown clip padding 'edge'.*clamp"):
        clip_indices(10, 0, ClipSpec(4), pad="edge")
    with pytest.raises(ValueError, match="at least one frame"):
        clip_indices(0, 0, ClipSpec(4))
