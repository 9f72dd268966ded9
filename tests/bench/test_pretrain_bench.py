"""The pretraining benchmark's steps: a real training step of each method, timed, with its memory."""

import pytest
import torch

from echolab.bench.pretrain import METHODS, measure_steps


@pytest.mark.parametrize("method", sorted(METHODS))
def test_measured_steps_train_each_method_and_report_memory(method):
    before = torch.get_num_threads()
    result = measure_steps(METHODS[method], steps=1, threads=1, overrides=("profile=smoke",))
    torch.set_num_threads(before)
    assert result["exp"] == METHODS[method] and result["clip"] == "4x32x32" and result["batch"] == 2
    assert result["tokens"] == 2 * 4 * 4
    assert result["clips_per_s"] > 0 and result["step_s"] > 0
    assert result["peak_rss_mb"] >= result["rss_before_model_mb"] > 0 and result["cuda_peak_mb"] is None
