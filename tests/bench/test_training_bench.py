"""The training benchmarks: Lightning's per-step overhead and the share of an epoch spent waiting for
data, on smoke-sized copies of the default experiments (structure and arithmetic, not speed)."""

import pytest

from echolab.bench.data_wait import bench_data_wait
from echolab.bench.default_experiments import SMALLER, prepare
from echolab.bench.lightning_overhead import PLAIN_LOSS, bench_lightning_overhead
from echolab.bench.run import BENCHMARKS
from echolab.tasks.registry import TASKS

SMOKE = {  # few batches an epoch
    "view_synthetic": ["profile=smoke", "data.synthetic.videos_per_class=3", "data.clips_per_video=1"],
    "keyframe_synthetic": ["profile=smoke", "data.synthetic.videos=5", "data.clips_per_video=1"],
}


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    work = tmp_path_factory.mktemp("bench")
    return {exp: (prepare(exp, work, SMOKE[exp]), work) for exp in SMALLER}


# the keyframe side is the same code on another task: slow, to keep the fast suite short
@pytest.mark.parametrize(
    "exp", [pytest.param(exp, marks=pytest.mark.slow if exp != "view_synthetic" else ()) for exp in SMALLER]
)
def test_lightning_overhead_times_both_sides_and_divides(prepared, exp):
    (plain, entry, datamodule), work = prepared[exp]
    result = bench_lightning_overhead(plain, entry, datamodule, work, steps=3, repeats=2, warmup=1)
    assert result["steps_timed_per_side"] == 2 * 2  # 2 rounds of 3 steps, 1 warm-up each
    assert result["batch_size"] == plain["data"]["batch_size"]
    assert result["ratio"] == result["lightning_s_per_step"] / result["plain_s_per_step"]
    assert result["cpu_ratio"] == result["lightning_cpu_s_per_step"] / result["plain_cpu_s_per_step"]
    assert result["plain_s_per_step"] > 0 and result["plain_cpu_s_per_step"] > 0


@pytest.mark.parametrize("exp", list(SMALLER))
def test_data_wait_splits_each_epoch_into_waits_and_steps(prepared, exp):
    (plain, entry, datamodule), _ = prepared[exp]
    result = bench_data_wait(plain, entry, datamodule, epochs=2)
    assert len(result["epochs"]) == 2 and result["loader"]["batch_size"] == plain["data"]["batch_size"]
    for epoch in result["epochs"]:
        assert epoch["steps"] == len(datamodule.train_dataloader())  # a whole epoch
        assert 0 < epoch["first_wait_seconds"] <= epoch["wait_seconds"] < epoch["seconds"]
        assert epoch["wait_fraction"] == epoch["wait_seconds"] / epoch["seconds"]
    assert result["wait_fraction"] == result["epochs"][-1]["wait_fraction"]


def test_every_benchmarked_task_has_a_plain_loss_and_the_benchmarks_are_registered():
    from echolab.config import load_experiment

    benchmarked = {load_experiment(exp, []).task.name for exp in SMALLER}
    assert benchmarked == {"view", "keyframe"} and benchmarked <= set(PLAIN_LOSS) <= set(TASKS)
    assert {"lightning_overhead", "data_wait"} <= set(BENCHMARKS)
