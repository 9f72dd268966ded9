"""Training samplers; they run in the main process, so workers stay stateless.

Every sampler draws from the same list of training items: each video once, plus `extra_copies`
more of every video of a class (the STFM recipe's answer to class imbalance), times
`clips_per_video`. They differ in how they draw:

random:          the items in a new random order every epoch.
class_balanced:  as many draws, with replacement, each class equally likely (TTESlowFast's
                 sampling balance); within a class, items are equally likely.
uncertainty:     the items in random order, each with the centre frame of its clip chosen from
                 the video's segment bank (STFM's uncertainty-guided sampling, REFERENCE §1.4).

Each draw is a TrainDraw: the video, a seed for every random choice the dataset then makes for its
clip (placement, augmentation), and, from the uncertainty sampler, the clip's centre frame. An
epoch's draws come from a generator seeded by (the run's seed, the epoch), which Lightning passes
to `set_epoch` before each training epoch: a clip depends on neither the DataLoader worker that cuts
it nor the process that trains on it, and a run resumed at an epoch boundary draws exactly what the
uninterrupted run drew (docs/reliability.md).

Because a DataLoader asks its sampler for indices in the main process, lazily, batch after batch,
bank updates made between training steps reach the clips drawn after them, even with persistent
worker processes; a prefetched batch (at most num_workers × prefetch_factor ahead) was chosen with
the bank as it was then.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import NamedTuple

import numpy as np
from torch.utils.data import Sampler

from echolab.errors import ConfigError, check_choice

SAMPLERS = ("random", "class_balanced", "uncertainty")
BANK_MODES = ("representative", "hard", "random")
CENTRE_MODES = ("random", "middle")
UNVISITED = -0.1  # a never-scored segment's bank value: below any certainty, above none


class TrainDraw(NamedTuple):
    """One training item as a sampler drew it (what a training dataset is indexed by)."""

    index: int  # the video (or, for a dataset of several clips per video, the item)
    seed: int  # seeds every random choice the dataset makes for this clip
    centre: int | None = None  # the uncertainty sampler's centre frame


class EpochSampler(Sampler[TrainDraw]):
    """A sampler whose every draw in an epoch comes from a generator seeded by (seed, epoch)."""

    def __init__(self, items: Sequence[int], seed: int):
        self.items = np.asarray(items, dtype=np.int64)
        self.seed = int(seed)
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.items)

    def _epoch_generator(self) -> np.random.Generator:
        return np.random.default_rng([self.seed, self.epoch])

    @staticmethod
    def _draws(videos: np.ndarray, rng: np.random.Generator) -> Iterator[TrainDraw]:
        seeds = rng.integers(2**63, size=len(videos))
        yield from (TrainDraw(int(v), int(s)) for v, s in zip(videos, seeds, strict=True))


def training_items(
    labels: Sequence[int], classes: Sequence[str], extra_copies: dict | None, clips_per_video: int = 1
) -> list[int]:
    """Video indices to train on per epoch: each video 1 + extra_copies[its class] times, × clips_per_video."""
    extra_copies = dict(extra_copies or {})
    unknown = sorted(set(extra_copies) - set(classes))
    if unknown:
        # YAML reads {PPMLSA:2} (no space after the colon) as one key "PPMLSA:2".
        hint = " Write {CLASS: n} with a space after the colon." if any(":" in k for k in unknown) else ""
        raise ConfigError(
            f"data.extra_copies names unknown class(es) {', '.join(unknown)}; the classes are "
            f"{', '.join(classes)}.{hint}"
        )
    bad = {name: n for name, n in extra_copies.items() if not isinstance(n, int) or n < 0}
    if bad:
        raise ConfigError(f"data.extra_copies must map classes to integers >= 0, got {bad}")
    if clips_per_video < 1:
        raise ConfigError(f"data.clips_per_video must be >= 1, got {clips_per_video}")
    copies = [1 + extra_copies.get(classes[label], 0) for label in labels]
    return [video for video, n in enumerate(copies) for _ in range(n * clips_per_video)]


class RandomItemSampler(EpochSampler):
    """The training items, reshuffled every epoch."""

    def __iter__(self) -> Iterator[TrainDraw]:
        rng = self._epoch_generator()
        yield from self._draws(rng.permutation(self.items), rng)


class ClassBalancedSampler(EpochSampler):
    """len(items) draws with replacement; every class equally likely, items equally likely within a class."""

    def __init__(self, items: Sequence[int], labels: Sequence[int], seed: int):
        super().__init__(items, seed)
        item_labels = np.asarray(labels, dtype=np.int64)[self.items]
        counts = np.bincount(item_labels)
        weights = 1.0 / counts[item_labels]
        self.probabilities = weights / weights.sum()

    def __iter__(self) -> Iterator[TrainDraw]:
        rng = self._epoch_generator()
        yield from self._draws(
            rng.choice(self.items, size=len(self.items), replace=True, p=self.probabilities), rng
        )


class SegmentBankSampler(EpochSampler):
    """STFM's uncertainty-guided segment sampling, owning one certainty bank per video.

    Each video of n frames is cut into ceil(n / segment_frames) segments, each holding a certainty
    initialised to −0.1 (never visited). For each item, with probability ε a random segment is taken
    (explore), else the best one by `mode`: `representative` the most certain (the paper), `hard` the
    least certain, `random` always a random one (ablation). The clip's centre is uniform inside the
    segment (`centre="random"`) or its middle frame. After a training step, `update` stores c = 1 − u:
    bank = c on a first visit, else momentum·bank + (1 − momentum)·c.
    ε is `explore_epsilon` for the first `explore_epochs` epochs, then `epsilon` (set_epoch, which
    Lightning calls before each training epoch).
    """

    def __init__(
        self,
        items: Sequence[int],
        lengths: Sequence[int],
        seed: int,
        *,
        segment_frames: int = 20,
        mode: str = "representative",
        centre: str = "random",
        explore_epochs: int = 5,
        explore_epsilon: float = 1.0,
        epsilon: float = 0.2,
        momentum: float = 0.7,
    ):
        check_choice("data.uncertainty.mode", mode, BANK_MODES)
        check_choice("data.uncertainty.centre", centre, CENTRE_MODES)
        if segment_frames < 1:
            raise ConfigError(f"data.uncertainty.segment_frames must be >= 1, got {segment_frames}")
        for name, value in (
            ("explore_epsilon", explore_epsilon),
            ("epsilon", epsilon),
            ("momentum", momentum),
        ):
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"data.uncertainty.{name} must be in [0, 1], got {value}")
        super().__init__(items, seed)
        self.lengths = [int(n) for n in lengths]
        self.segment_frames = segment_frames
        self.mode, self.centre = mode, centre
        self.explore_epochs, self.explore_epsilon = explore_epochs, explore_epsilon
        self.momentum = momentum
        self.epsilon = explore_epsilon if explore_epochs > 0 else epsilon
        self.exploit_epsilon = epsilon
        self.bank = [np.full(-(-n // segment_frames), UNVISITED) for n in self.lengths]
        self.rng = self._epoch_generator()

    def set_epoch(self, epoch: int) -> None:
        super().set_epoch(epoch)
        self.epsilon = self.explore_epsilon if epoch < self.explore_epochs else self.exploit_epsilon

    def __iter__(self) -> Iterator[TrainDraw]:
        self.rng = self._epoch_generator()
        for draw in self._draws(self.rng.permutation(self.items), self.rng):
            yield draw._replace(centre=self.choose_centre(draw.index))

    def choose_segment(self, video: int) -> int:
        bank = self.bank[video]
        if self.mode == "random" or self.rng.random() < self.epsilon:
            return int(self.rng.integers(len(bank)))
        best = bank.max() if self.mode == "representative" else bank.min()
        return int(self.rng.choice(np.flatnonzero(bank == best)))  # ties (all unvisited) at random

    def choose_centre(self, video: int) -> int:
        segment = self.choose_segment(video)
        first = segment * self.segment_frames
        last = min(first + self.segment_frames, self.lengths[video]) - 1
        if self.centre == "middle":
            return (first + last) // 2
        return int(self.rng.integers(first, last + 1))

    def update(self, videos: Sequence[int], centres: Sequence[int], uncertainties: Sequence[float]) -> None:
        """Record the certainty 1 − u the model had on each trained clip, in its centre's segment."""
        for video, centre, uncertainty in zip(videos, centres, uncertainties, strict=True):
            bank = self.bank[int(video)]
            segment = min(int(centre) // self.segment_frames, len(bank) - 1)
            certainty = 1.0 - float(uncertainty)
            if bank[segment] < 0:
                bank[segment] = certainty
            else:
                bank[segment] = self.momentum * bank[segment] + (1.0 - self.momentum) * certainty

    def state_dict(self) -> dict:
        """The bank, as a checkpoint keeps it (plain lists: loadable with torch.load(weights_only=True))."""
        return {"bank": [segments.tolist() for segments in self.bank]}

    def load_state_dict(self, state: dict) -> None:
        sizes = [len(segments) for segments in state["bank"]]
        if sizes != [len(segments) for segments in self.bank]:
            raise ConfigError(
                f"the checkpoint's segment bank has {len(sizes)} videos of {sum(sizes)} segments, but this run's "
                f"training set has {len(self.bank)} of {sum(map(len, self.bank))}: the data or "
                "data.uncertainty.segment_frames changed since it was written"
            )
        self.bank = [np.asarray(segments, dtype=np.float64) for segments in state["bank"]]
