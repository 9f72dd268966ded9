"""Per-video rows from two DDP processes (gloo on CPU) come back whole, once each, in order."""

import torch.distributed as dist
import torch.multiprocessing as mp

from echolab.distributed import gather_rows


def _worker(rank: int, rendezvous: str, results) -> None:
    # A file rendezvous needs no free TCP port, which another test process could take first.
    dist.init_process_group("gloo", init_method=f"file://{rendezvous}", rank=rank, world_size=2)
    try:
        # DistributedSampler's split of 5 videos over 2 processes: 0 2 4 | 1 3 0 (video 0 repeated)
        mine = [{"index": i, "video": f"v{i}", "rank": rank} for i in ((0, 2, 4), (1, 3, 0))[rank]]
        results[rank] = [(row["index"], row["video"]) for row in gather_rows(mine)]
    finally:
        dist.destroy_process_group()


def test_rows_of_both_processes_are_gathered_once_each_in_index_order(tmp_path):
    results = mp.Manager().dict()
    mp.spawn(_worker, args=(str(tmp_path / "rendezvous"), results), nprocs=2, join=True)
    expected = [(i, f"v{i}") for i in range(5)]
    assert results[0] == expected and results[1] == expected


def test_without_ddp_rows_are_sorted_and_unchanged():
    rows = [{"index": 2, "video": "b"}, {"index": 0, "video": "a"}]
    assert gather_rows(rows) == [rows[1], rows[0]]
