"""The sliding-window benchmark: both sides agree, and the thread setting is put back."""

import torch

from echolab.bench.sliding_window import bench_sliding_window


def test_bench_reports_equal_outputs_and_restores_threads(tiny_echonet, tmp_path):
    before = torch.get_num_threads()
    video = sorted((tiny_echonet / "Videos").glob("*.avi"))[0]
    result = bench_sliding_window([video], cache_dir=tmp_path / "cache", size=32)
    assert torch.get_num_threads() == before
    assert result["max_abs_difference"] <= 1e-5
    assert result["videos"] == 1 and 61 <= result["frames"] <= 70 and result["torch_threads"] == 1
    assert result["ratio"] > 0 and result["naive_frames_per_s"] > 0
