"""CPU-second budgets: the clock counts this process and its children; the callback stops fitting."""

import multiprocessing
import subprocess
import sys
import time

import lightning as L
import pytest
from lightning.pytorch.demos.boring_classes import BoringModel

from echolab.callbacks.budget import CpuBudget, cpu_seconds, fit_record
from echolab.callbacks.standard import build_callbacks
from echolab.config import load_experiment, to_plain
from echolab.errors import ConfigError

BURN = "import time\nwhile time.process_time() < {seconds}: pass\nprint(time.process_time())"


def _burn_then_wait(seconds: float, done, stop) -> None:
    while time.process_time() < seconds:
        pass
    done.set()
    stop.wait()


def test_the_clock_counts_finished_and_running_child_processes():
    before = cpu_seconds()
    child = subprocess.run([sys.executable, "-c", BURN.format(seconds=0.3)], capture_output=True, text=True)
    assert cpu_seconds() - before >= float(child.stdout)  # a child that has exited

    context = multiprocessing.get_context("fork")  # as DataLoader workers are on Linux
    done, stop = context.Event(), context.Event()
    worker = context.Process(target=_burn_then_wait, args=(0.3, done, stop))
    before = cpu_seconds()
    worker.start()
    try:
        assert done.wait(timeout=120)
        assert cpu_seconds() - before >= 0.3  # a child that is still running
    finally:
        stop.set()
        worker.join()


def fit(callbacks: list, **trainer) -> L.Trainer:
    fitted = L.Trainer(
        callbacks=callbacks,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        accelerator="cpu",
        **trainer,
    )
    fitted.fit(BoringModel())
    return fitted


def test_the_budget_stops_fitting_once_its_cpu_seconds_are_spent():
    budget = CpuBudget(0.2)
    trainer = fit([budget], max_epochs=100_000)
    assert budget.reached and trainer.current_epoch < 100_000
    assert budget.used >= 0.2
    assert fit_record(trainer) == {"fit_cpu_seconds": round(budget.used, 1), "stopped_by": "cpu budget"}


def test_without_a_budget_the_clock_only_measures():
    clock = CpuBudget()
    trainer = fit([clock], max_epochs=2, limit_train_batches=3, limit_val_batches=1)
    assert not clock.reached and trainer.current_epoch == 2 and clock.used > 0
    assert fit_record(trainer)["stopped_by"] == "max_epochs"


def test_a_wall_clock_budget_is_told_apart():
    trainer = fit([CpuBudget()], max_epochs=100_000, max_time={"seconds": 0})
    assert fit_record(trainer)["stopped_by"] == "time budget"


def test_every_run_gets_the_clock_and_run_max_cpu_s_sets_its_budget(tmp_path):
    plain = to_plain(load_experiment("view_synthetic", ["profile=smoke", "run.max_cpu_s=90"]))
    (clock,) = [c for c in build_callbacks(plain, tmp_path)[0] if isinstance(c, CpuBudget)]
    assert clock.seconds == 90
    plain = to_plain(load_experiment("view_synthetic", ["profile=smoke"]))
    (clock,) = [c for c in build_callbacks(plain, tmp_path)[0] if isinstance(c, CpuBudget)]
    assert clock.seconds is None


@pytest.mark.parametrize("value", [0, -5, "ten", True])
def test_a_bad_cpu_budget_is_a_config_error(value):
    with pytest.raises(ConfigError, match="run.max_cpu_s must be a positive number of CPU seconds or null"):
        CpuBudget(value)
