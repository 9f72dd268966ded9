"""What a run needs to know about its processes under DDP: whether this one is the first before
torch.distributed has started, and what every process holds once it has."""

from __future__ import annotations

import os

import torch.distributed as dist

# Set by launchers for the processes they start: torchrun (RANK), SLURM (SLURM_PROCID), and Lightning's
# own DDP launcher (NODE_RANK on every machine but the first, LOCAL_RANK on every process it starts).
RANK_VARIABLES = ("RANK", "SLURM_PROCID", "NODE_RANK", "LOCAL_RANK")


def launched_as_rank_zero() -> bool:
    """Whether this process is its run's first (global rank 0), as its launcher announced it; a process
    no launcher started is. Lightning knows the rank only once training starts, later than the run
    folder is made."""
    return all(int(os.environ.get(name) or 0) == 0 for name in RANK_VARIABLES)


def rank_and_world() -> tuple[int, int]:
    """This process's rank and the number of processes; (0, 1) without DDP."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def from_every_process(value) -> list:
    """`value` as each process holds it, in rank order; `[value]` without DDP."""
    _, world = rank_and_world()
    if world == 1:
        return [value]
    everyone: list = [None] * world
    dist.all_gather_object(everyone, value)
    return everyone


def gather_rows(rows: list[dict], key: str = "index") -> list[dict]:
    """Every process's rows, one per `key`, in `key` order; the rows as they are without DDP.

    Lightning's DistributedSampler repeats a few items so every process gets as many; the repeats
    carry the same key and are kept once.
    """
    unique = {row[key]: row for part in from_every_process(rows) for row in part or []}
    return [unique[k] for k in sorted(unique)]
