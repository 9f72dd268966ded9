"""Training samplers: extra copies, class balance, and the uncertainty segment bank driving real workers."""

from collections import Counter

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from echolab.data.clips import CentredClip, ClipSpec, EvenCentres
from echolab.data.records import VideoRecord
from echolab.data.samplers import (
    UNVISITED,
    ClassBalancedSampler,
    RandomItemSampler,
    SegmentBankSampler,
    TrainDraw,
    training_items,
)
from echolab.errors import ConfigError
from echolab.tasks.view.datasets import TrainClips, VideoClips, eval_clip_sampler, train_clip_sampler

CLASSES = ["A", "B", "C"]


class FrameNumberCache:
    """Stands in for FrameCache: every pixel of frame i holds i, so a clip shows which frames it took."""

    def __init__(self, lengths: dict[str, int]):
        self.lengths = lengths

    def frames(self, path) -> np.ndarray:
        n = self.lengths[str(path)]
        return np.broadcast_to(np.arange(n, dtype=np.uint8)[:, None, None, None], (n, 2, 2, 3))


def as_tensor(clip: np.ndarray, seed: int | None = None) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(clip))


def frame_numbers(clip: torch.Tensor) -> list[int]:
    return clip[:, 0, 0, 0].tolist()


def test_extra_copies_repeat_each_video_of_a_class():
    labels = [0, 1, 1, 2]
    items = training_items(labels, CLASSES, {"B": 2, "C": 1}, clips_per_video=2)
    assert Counter(items) == {0: 2, 1: 6, 2: 6, 3: 4}
    assert training_items(labels, CLASSES, None) == [0, 1, 2, 3]


def test_extra_copies_refuse_unknown_classes_and_negative_counts():
    with pytest.raises(ConfigError, match="data.extra_copies names unknown class.*PPMLSA.*A, B, C"):
        training_items([0], CLASSES, {"PPMLSA": 5})
    with pytest.raises(ConfigError, match="space after the colon"):
        training_items([0], CLASSES, {"A:2": None})
    with pytest.raises(ConfigError, match="integers >= 0"):
        training_items([0], CLASSES, {"A": -1})


def epoch_draws(sampler, epoch: int) -> list[TrainDraw]:
    sampler.set_epoch(epoch)
    return list(sampler)


def test_random_sampler_reshuffles_the_same_items_every_epoch():
    sampler = RandomItemSampler([0, 1, 1, 2, 3, 3, 3], seed=0)
    first, second = epoch_draws(sampler, 0), epoch_draws(sampler, 1)
    videos = [[d.index for d in draws] for draws in (first, second)]
    assert sorted(videos[0]) == sorted(videos[1]) == [0, 1, 1, 2, 3, 3, 3] and videos[0] != videos[1]
    assert len({d.seed for d in first + second}) == 14  # every clip its own seed


def test_an_epochs_draws_depend_only_on_the_seed_and_the_epoch():
    """What makes a resumed run draw what the uninterrupted one drew (docs/reliability.md)."""
    labels = [0, 0, 1, 2]
    for build in (
        lambda seed: RandomItemSampler([0, 1, 2, 3], seed),
        lambda seed: ClassBalancedSampler([0, 1, 2, 3], labels, seed),
        lambda seed: SegmentBankSampler([0, 1, 2, 3], [40] * 4, seed, segment_frames=8),
    ):
        ran_through = build(0)
        for epoch in range(3):
            epoch_draws(ran_through, epoch)
        resumed = build(0)
        assert epoch_draws(ran_through, 3) == epoch_draws(resumed, 3)
        assert epoch_draws(build(1), 3) != epoch_draws(resumed, 3)


def test_class_balanced_sampler_draws_every_class_equally_often():
    labels = [0] * 90 + [1] * 9 + [2] * 1  # 90:9:1 imbalance
    sampler = ClassBalancedSampler(list(range(100)), labels, seed=0)
    draws = [labels[d.index] for epoch in range(60) for d in epoch_draws(sampler, epoch)]
    shares = np.bincount(draws) / len(draws)
    assert len(sampler) == 100 and np.allclose(shares, 1 / 3, atol=0.02)


def bank_sampler(**kwargs) -> SegmentBankSampler:
    options = dict(segment_frames=20, explore_epochs=0, epsilon=0.0) | kwargs
    return SegmentBankSampler(options.pop("items", [0, 1]), options.pop("lengths", [100, 45]), 0, **options)


def test_bank_starts_unvisited_with_one_value_per_segment():
    sampler = bank_sampler()
    assert [len(b) for b in sampler.bank] == [5, 3]  # 45 frames: segments 0-19, 20-39, 40-44
    assert all((b == UNVISITED).all() for b in sampler.bank)


def test_bank_update_rule():
    sampler = bank_sampler()
    sampler.update([0], [25], [0.4])  # first visit: certainty 0.6 stored as it is
    assert sampler.bank[0][1] == pytest.approx(0.6)
    sampler.update([0], [39], [0.0])  # same segment again: 0.3 * 1.0 + 0.7 * 0.6
    assert sampler.bank[0][1] == pytest.approx(0.72)
    assert sampler.bank[0][0] == UNVISITED and (sampler.bank[1] == UNVISITED).all()


@pytest.mark.parametrize(("mode", "segment"), [("representative", 3), ("hard", 1)])
def test_exploiting_picks_the_most_or_least_certain_segment(mode, segment):
    sampler = bank_sampler(mode=mode)
    for s, certainty in enumerate([0.5, 0.2, 0.6, 0.9, 0.4]):
        sampler.update([0], [s * 20], [1 - certainty])
    centres = [sampler.choose_centre(0) for _ in range(50)]
    assert all(segment * 20 <= c < segment * 20 + 20 for c in centres)
    assert len(set(centres)) > 5  # uniform inside the segment


def test_middle_centre_and_short_last_segment():
    sampler = bank_sampler(centre="middle", mode="hard")
    sampler.update([1, 1], [0, 20], [0.1, 0.1])  # segment 2 (frames 40-44) stays least certain
    assert {sampler.choose_centre(1) for _ in range(10)} == {42}


def test_random_mode_and_exploration_ignore_the_bank():
    for sampler in (bank_sampler(mode="random"), bank_sampler(epsilon=1.0)):
        sampler.update([0], [70], [0.0])
        segments = Counter(sampler.choose_centre(0) // 20 for _ in range(500))
        assert set(segments) == {0, 1, 2, 3, 4} and min(segments.values()) > 60


def test_epsilon_schedule_explores_then_exploits():
    sampler = bank_sampler(explore_epochs=5, explore_epsilon=1.0, epsilon=0.2)
    assert sampler.epsilon == 1.0
    sampler.set_epoch(4)
    assert sampler.epsilon == 1.0
    sampler.set_epoch(5)
    assert sampler.epsilon == 0.2


def test_bad_bank_options_name_the_key():
    with pytest.raises(ConfigError, match="data.uncertainty.mode"):
        bank_sampler(mode="easy")
    with pytest.raises(ConfigError, match="data.uncertainty.epsilon"):
        bank_sampler(epsilon=1.5)


def records(names: list[str]) -> list[VideoRecord]:
    return [VideoRecord(name=name, path=name, split="train", label=0) for name in names]


def test_train_clips_are_built_around_the_sampled_centre():
    spec = ClipSpec(frames=5, stride=5)
    dataset = TrainClips(records(["v"]), FrameNumberCache({"v": 40}), CentredClip(spec), as_tensor)
    item = dataset[TrainDraw(0, seed=0, centre=2)]
    assert item["centre"] == 2 and frame_numbers(item["clip"]) == [0, 0, 2, 7, 12]  # clamped at the start
    assert frame_numbers(dataset[TrainDraw(0, 0, 38)]["clip"]) == CentredClip(spec).at(40, 38).tolist()


def test_evaluation_centres_spread_over_the_first_frames():
    spec = ClipSpec(frames=3, stride=5)
    centres = EvenCentres(spec, num_clips=4, first_frames=31)
    dataset = VideoClips(records(["v"]), FrameNumberCache({"v": 200}), centres, as_tensor)
    clips = dataset[0]["clips"]
    assert [frame_numbers(c)[1] for c in clips] == [0, 10, 20, 30]  # floor(linspace(0, 30, 4))
    assert max(max(frame_numbers(c)) for c in clips) == 30  # clamped to the first 31 frames


def test_placement_names_the_clip_samplers_and_bad_settings_name_the_key():
    spec = ClipSpec(frames=3, stride=5)
    assert isinstance(train_clip_sampler("centre", spec), CentredClip)
    centres = eval_clip_sampler("centre", spec, num_clips=4, eval_frames=31)
    assert isinstance(centres, EvenCentres) and centres.first_frames == 31
    with pytest.raises(ConfigError, match="data.placement 'middle' is unknown; choose one of start, centre"):
        train_clip_sampler("middle", spec)
    with pytest.raises(ConfigError, match="data.eval_clips"):
        eval_clip_sampler("start", spec, num_clips=0, eval_frames=None)
    with pytest.raises(ConfigError, match="data.eval_frames"):
        eval_clip_sampler("centre", spec, num_clips=2, eval_frames=0)


def test_persistent_workers_serve_the_segments_the_bank_chooses_between_batches():
    """The bank lives in the main process; two persistent workers cut whatever centres it picks."""
    videos = 8
    lengths = {f"v{i}": 100 for i in range(videos)}
    spec = ClipSpec(frames=3, stride=2)
    dataset = TrainClips(records(list(lengths)), FrameNumberCache(lengths), CentredClip(spec), as_tensor)
    sampler = SegmentBankSampler(
        training_items([0] * videos, CLASSES, None, clips_per_video=4),
        list(lengths.values()),
        0,
        segment_frames=20,
        explore_epochs=0,
        epsilon=0.0,
    )
    loader = DataLoader(
        dataset, batch_size=2, sampler=sampler, num_workers=2, persistent_workers=True, prefetch_factor=1
    )
    in_flight = 2 * 1  # num_workers x prefetch_factor batches may be chosen before an update lands

    def served_segments(batch) -> list[int]:
        middles = batch["clip"][:, 1, 0, 0, 0]  # the clip's middle frame number, read from its pixels
        assert torch.equal(middles, batch["centre"])
        return (middles // 20).tolist()

    sampler.update(range(videos), [65] * videos, [0.1] * videos)  # segment 3 is the most certain
    first_epoch = [served_segments(batch) for batch in loader]
    assert len(first_epoch) == 16 and {s for batch in first_epoch for s in batch} == {3}
    first_pids = [w.pid for w in loader._iterator._workers]

    second_epoch = []
    for step, batch in enumerate(loader):
        second_epoch.append(served_segments(batch))
        if step == 3:  # mid-epoch, as the callback does after a training step: segment 1 now wins
            sampler.update(range(videos), [25] * videos, [0.01] * videos)
    assert {s for batch in second_epoch[:4] for s in batch} == {3}
    assert {s for batch in second_epoch[4 + in_flight :] for s in batch} == {1}
    assert [w.pid for w in loader._iterator._workers] == first_pids  # the same two persistent workers
