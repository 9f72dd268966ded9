import numpy as np
import pytest

from echolab.data.clips import (
    CLIP_SAMPLERS,
    CentredClip,
    ClipSpec,
    EvenCentres,
    MaskedRandomClip,
    MirroredBeatClip,
    RandomClip,
    RandomStride,
    SlidingWindows,
    UniformClips,
    WholeVideo,
    build_clip_sampler,
    clip_indices,
    gather_clip,
)
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


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def test_random_clip_keeps_the_whole_clip_inside_and_varies():
    spec = ClipSpec(8, 2)  # spans 15 frames
    sampler = RandomClip(spec)
    generator = rng()
    starts = [int(sampler(40, generator)[0]) for _ in range(300)]
    assert min(starts) == 0 and max(starts) == 25
    assert sampler(40, rng(3)).tolist() == sampler(40, rng(3)).tolist()
    assert sampler(40, rng(3)).tolist() == clip_indices(40, int(rng(3).integers(0, 26)), spec).tolist()


def test_random_clip_of_a_short_video_starts_at_zero_and_pads():
    assert RandomClip(ClipSpec(16, 2), pad="zero")(5, rng()).tolist()[:4] == [0, 2, 4, -1]
    assert RandomClip(ClipSpec(4, 2))(5, rng()).tolist() == [0, 2, 4, 4]  # clamped by default


def test_a_video_exactly_one_clip_long_has_one_start():
    spec = ClipSpec(4, 3)  # spans 10 frames
    assert {tuple(RandomClip(spec)(10, rng(seed)).tolist()) for seed in range(20)} == {(0, 3, 6, 9)}
    assert [c.tolist() for c in UniformClips(spec, 3)(10)] == [[0, 3, 6, 9]] * 3
    assert SlidingWindows(10).starts(10) == [0]


def test_masked_random_clip_always_overlaps_the_labelled_stretch():
    spec = ClipSpec(4, 2)  # spans 7 frames
    sampler = MaskedRandomClip(spec, pad="zero")
    generator = rng()
    starts = {int(sampler(100, generator, labelled=(40, 50))[0]) for _ in range(500)}
    assert starts == set(range(34, 51))  # the last frame of the first clip is 40; the last starts at 50
    # Near the end, starts stop where the clip still fits; a stretch at frame 0 starts at 0.
    assert {int(sampler(20, generator, labelled=(15, 19))[0]) for _ in range(200)} == set(range(9, 14))
    assert sampler(30, rng(), labelled=(0, 0)).tolist() == [0, 2, 4, 6]
    assert sampler(5, rng(), labelled=(1, 3)).tolist() == [0, 2, 4, -1]  # shorter than a clip


def test_mirrored_beat_clip_gives_positions_along_the_back_and_forth_playback():
    sampler = MirroredBeatClip(ClipSpec(4, 3))
    positions = sampler(100, rng(2), labelled=(10, 15))
    offset = int(rng(2).integers(0, 10))  # one phase of the 10-frame mirrored cycle
    assert positions.tolist() == [offset, offset + 3, offset + 6, offset + 9]
    generator = rng()
    assert {int(sampler(100, generator, labelled=(10, 15))[0]) for _ in range(300)} == set(range(10))


def test_centred_clip_gives_stfm_motion_context():
    sampler = CentredClip(ClipSpec(5, 5))
    assert sampler.at(100, 50).tolist() == [40, 45, 50, 55, 60]
    assert sampler.at(100, 3).tolist() == [0, 0, 3, 8, 13]
    assert sampler.at(12, 10).tolist() == [0, 5, 10, 11, 11]
    assert sampler.at(3, 1).tolist() == [0, 0, 1, 2, 2]  # shorter than a clip: clamped both ways
    centre = int(rng(4).integers(100))
    assert sampler(100, rng(4)).tolist() == sampler.at(100, centre).tolist()


def test_random_stride_draws_one_sampler_per_clip():
    sampler = RandomStride([RandomClip(ClipSpec(3, 1)), RandomClip(ClipSpec(3, 4))])
    generator = rng()
    steps = {int(np.diff(sampler(50, generator))[0]) for _ in range(100)}
    assert steps == {1, 4}
    generator = rng(7)
    chosen = sampler.samplers[int(generator.choice(2))]
    assert sampler(50, rng(7)).tolist() == chosen(50, generator).tolist()
    positions = RandomStride([MirroredBeatClip(ClipSpec(2, 5))])(50, rng(), labelled=(3, 9))
    assert np.diff(positions).tolist() == [5]  # the stretch reaches the sampler that needs it


def test_uniform_clips_spread_from_first_to_last_fitting_start():
    spec = ClipSpec(16, 2)
    assert [c[0] for c in UniformClips(spec, 4)(100)] == [0, 23, 46, 69]
    assert [c.tolist() for c in UniformClips(spec, 1)(100)] == [clip_indices(100, 0, spec).tolist()]
    assert [c.tolist() for c in UniformClips(ClipSpec(3, 2), 2)(4)] == [[0, 2, 3]] * 2  # short: clamped


def test_even_centres_spread_over_the_first_frames():
    spec = ClipSpec(3, 5)
    clips = EvenCentres(spec, num_clips=4, first_frames=31)(200)
    assert [c.tolist() for c in clips] == [[0, 0, 5], [5, 10, 15], [15, 20, 25], [25, 30, 30]]
    assert [c[1] for c in EvenCentres(spec, num_clips=3)(21)] == [0, 10, 20]  # None: the whole video
    assert [c.tolist() for c in EvenCentres(spec, num_clips=2, first_frames=300)(4)] == [[0, 0, 3], [0, 3, 3]]


def test_sliding_windows_cover_every_frame_and_end_at_the_last():
    windows = SlidingWindows(16, stride=8)
    assert windows.starts(50) == [0, 8, 16, 24, 32, 34]
    clips = windows(50)
    assert set(np.concatenate(clips).tolist()) == set(range(50)) and clips[-1][-1] == 49
    assert SlidingWindows(16).starts(50) == list(range(35))
    assert SlidingWindows(4, stride=2).starts(8) == [0, 2, 4]  # already ends at the last frame


def test_sliding_windows_of_a_short_video_are_one_padded_window():
    assert [c.tolist() for c in SlidingWindows(6, stride=2)(4)] == [[0, 1, 2, 3, -1, -1]]


def test_whole_video_is_padded_to_one_window():
    assert [c.tolist() for c in WholeVideo(6)(4)] == [[0, 1, 2, 3, -1, -1]]
    assert [c.tolist() for c in WholeVideo(3)(5)] == [[0, 1, 2, 3, 4]]


def test_samplers_are_built_by_name():
    assert isinstance(build_clip_sampler("sliding", window=8), SlidingWindows)
    sampler = build_clip_sampler("even_centres", spec=ClipSpec(5, 5), num_clips=3, first_frames=10)
    assert isinstance(sampler, EvenCentres) and len(sampler(40)) == 3
    with pytest.raises(ConfigError, match="unknown clip sampler 'middle'.*random.*sliding"):
        build_clip_sampler("middle", spec=ClipSpec(4))
    assert set(CLIP_SAMPLERS) >= {"random", "centred", "uniform", "even_centres", "sliding"}


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
    with pytest.raises(ConfigError, match="num_clips >= 1"):
        UniformClips(ClipSpec(4), 0)
    with pytest.raises(ConfigError, match="first_frames >= 1"):
        EvenCentres(ClipSpec(4), 2, first_frames=0)
    with pytest.raises(ConfigError, match="stride >= 1"):
        SlidingWindows(4, stride=0)
    with pytest.raises(ConfigError, match="unknown clip padding 'edge'.*clamp"):
        clip_indices(10, 0, ClipSpec(4), pad="edge")
    with pytest.raises(ValueError, match="at least one frame"):
        clip_indices(0, 0, ClipSpec(4))
    with pytest.raises(ValueError, match="at least one frame"):
        RandomClip(ClipSpec(4))(0, rng())
