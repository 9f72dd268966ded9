"""The shared optimizer + schedule: warm-up, then cosine or multi-step decay, stepped per batch."""

import pytest
import torch

from echolab.errors import ConfigError
from echolab.tasks.optim import configure_optimization

BASE = {"name": "adam", "lr": 1.0, "weight_decay": 0.0, "warmup_epochs": 1, "warmup_start_factor": 0.1}


def learning_rates(optim: dict, total_steps: int, max_epochs: int) -> list[float]:
    weight = torch.nn.Parameter(torch.zeros(1))
    answer = configure_optimization([weight], optim, total_steps, max_epochs)
    optimizer, schedule = answer["optimizer"], answer["lr_scheduler"]["scheduler"]
    rates = []
    for _ in range(total_steps):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        schedule.step()
    return rates


def test_multistep_warms_up_then_drops_tenfold_at_each_milestone_epoch():
    rates = learning_rates({**BASE, "scheduler": "multistep", "milestones": [4, 7], "gamma": 0.1}, 100, 10)
    assert rates[0] == pytest.approx(0.1)  # warm-up starts at warmup_start_factor
    assert rates[10:40] == pytest.approx([1.0] * 30)  # epochs 1-3 at the full rate
    assert rates[40:70] == pytest.approx([0.1] * 30)  # from epoch 4
    assert rates[70:] == pytest.approx([0.01] * 30)  # from epoch 7


def test_cosine_decays_to_zero_after_warm_up():
    rates = learning_rates({**BASE, "scheduler": "cosine"}, 100, 10)
    assert rates[10] == pytest.approx(1.0) and rates[-1] < 0.01
    assert all(a >= b for a, b in zip(rates[10:-1], rates[11:], strict=True))


def test_unknown_scheduler_and_multistep_without_milestones_are_config_errors():
    with pytest.raises(ConfigError, match="cosine, multistep or none"):
        learning_rates({**BASE, "scheduler": "step"}, 10, 1)
    with pytest.raises(ConfigError, match="optim.milestones"):
        learning_rates({**BASE, "scheduler": "multistep", "milestones": []}, 10, 1)
