"""The export latency benchmark: eager, TorchScript and onnxruntime side by side on one video's clips."""

import pytest

from echolab.bench.export_latency import DEFAULT_EXPERIMENTS, bench_export_latency
from echolab.bench.run import BENCHMARKS

RUNTIMES = ["eager", "torchscript", "onnxruntime"]


@pytest.mark.slow  # three runtimes timed on two models; the exports' equality is tested in tests/export/
def test_each_runtime_timed_per_video_as_a_ratio_to_eager_with_equal_outputs():
    result = bench_export_latency(
        ("view_synthetic",), overrides=("data.size=32", "data.eval_clips=2"), repeats=2
    )
    assert result["repeats"] == 2 and result["device"] == "cpu" and result["load_1min"]["before"] >= 0
    (measured,) = result["experiments"].values()
    assert measured["model"]["name"] == "tsm" and measured["fusion"] == "prob_mean"
    assert measured["input"] == [2, 3, 6, 32, 32]  # eval_clips clips of the experiment's clip length and size
    assert list(measured["ms_per_video"]) == RUNTIMES
    for runtime in RUNTIMES:
        assert len(measured["ms_per_video_all"][runtime]) == 2 and measured["ms_per_video"][runtime] > 0
        ratio = measured["ms_per_video"][runtime] / measured["ms_per_video"]["eager"]
        assert measured["ratio_to_eager"][runtime] == pytest.approx(ratio)
        assert measured["max_difference_from_eager"][runtime] <= 1e-4


def test_default_pair_is_the_default_view_model_and_stfm_and_is_registered():
    assert DEFAULT_EXPERIMENTS == ("view_synthetic", "stfm_synthetic")
    assert "export_latency" in BENCHMARKS
