"""The view latency benchmark: per-video timings with clip fusion, side by side, as a ratio."""

import pytest

from echolab.bench.run import BENCHMARKS
from echolab.bench.view_latency import DEFAULT_MODELS, LatencyModel, bench_view_latency
from echolab.models import create_model
from echolab.models.complexity import count_parameters, gflops_per_clip

TINY = {
    "stfm_tiny": LatencyModel(
        "stfm", {"backbone": "resnet10t"}, clip_frames=3, fusion="alpha_sum", loss="re_edl"
    ),
    "frame_tiny": LatencyModel("frame_cnn", {"backbone": "resnet10t"}, clip_frames=2),
}


def test_latency_of_each_model_per_video_and_the_ratio():
    result = bench_view_latency(TINY, size=32, clips_per_video=3, repeats=2, num_classes=4)
    assert (result["input_px"], result["clips_per_video"], result["repeats"]) == (32, 3, 2)
    assert result["load_1min"]["before"] >= 0 and result["load_1min"]["after"] >= 0
    assert list(result["models"]) == ["stfm_tiny", "frame_tiny"] and result["ratio_base"] == "stfm_tiny"
    for label, measured in result["models"].items():
        assert len(measured["ms_per_video_all"]) == 2 and measured["ms_per_video"] > 0
        model = create_model(TINY[label].name, num_classes=4, **TINY[label].arguments)
        assert measured["parameters_m"] == count_parameters(model) / 1e6
        per_clip = gflops_per_clip(model, (1, 3, TINY[label].clip_frames, 32, 32))
        assert measured["gflops_per_video"] == pytest.approx(3 * per_clip)
    frame, stfm = result["models"]["frame_tiny"], result["models"]["stfm_tiny"]
    assert result["ratio"] == {"stfm_tiny": 1.0, "frame_tiny": frame["ms_per_video"] / stfm["ms_per_video"]}


def test_default_pair_is_stfm_resnet18_against_slowfast_r50_and_is_registered():
    stfm, slowfast = DEFAULT_MODELS["stfm_resnet18"], DEFAULT_MODELS["slowfast_r50"]
    assert (stfm.name, stfm.arguments, stfm.fusion) == ("stfm", {"backbone": "resnet18"}, "alpha_sum")
    assert (slowfast.name, slowfast.arguments, slowfast.clip_frames) == ("slowfast", {"depth": 50}, 32)
    assert "view_latency" in BENCHMARKS
