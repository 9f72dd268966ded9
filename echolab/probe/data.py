"""The videos a probe reads: the experiment's dataset, decoded at the size the arm's encoder expects."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from echolab.data.records import SPLITS, DatasetIndex, VideoRecord
from echolab.data.sources import data_provenance, open_decoded_dataset
from echolab.errors import DatasetError
from echolab.io.cache import FrameCache


@dataclass(frozen=True)
class ProbeData:
    index: DatasetIndex
    cache: FrameCache
    splits: dict[str, list[VideoRecord]]
    provenance: dict

    @property
    def root(self) -> Path:
        return self.index.root


def open_probe_data(data: dict, cache_size: int | None) -> ProbeData:
    """The dataset of an experiment's `data:` block (synthesised first where echolab may), every video
    decoded into the frame cache at `cache_size` (a checkpoint's own; None: the block's)."""
    data = dict(data) if cache_size is None else {**data, "cache_size": cache_size}
    cache = FrameCache(data["cache_dir"], size=data["cache_size"])
    index = open_decoded_dataset(data, cache)
    splits = {split: index.split(split) for split in SPLITS}
    empty = [split for split, videos in splits.items() if not videos]
    if empty:
        raise DatasetError(
            f"{index.root}: the {', '.join(empty)} split(s) hold no usable videos; the probes need train "
            "(the bank and the linear probe's fit), val (its weight decay) and test (the queries)"
        )
    return ProbeData(index, cache, splits, data_provenance(index.root))
