"""Collecting per-video results from every process of a multi-process (DDP) run."""

from __future__ import annotations

import torch.distributed as dist


def gather_rows(rows: list[dict], key: str = "index") -> list[dict]:
    """Every process's rows, one per `key`, in `key` order; the rows as they are without DDP.

    Lightning's DistributedSampler repeats a few items so every process gets as many; the repeats
    carry the same key and are kept once.
    """
    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        everyone: list[list[dict] | None] = [None] * dist.get_world_size()
        dist.all_gather_object(everyone, rows)
        rows = [row for part in everyone for row in part or []]
    unique = {row[key]: row for row in rows}
    return [unique[k] for k in sorted(unique)]
