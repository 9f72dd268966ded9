"""EMA copies and their schedules, the DINO teacher temperature and centre."""

import math

import pytest
import torch
from torch import nn

from echolab.errors import ConfigError
from echolab.tasks.pretrain.teachers import (
    Centre,
    ema_copy,
    ema_momentum,
    ema_update,
    initial_share,
    teacher_temperature,
)


def test_ema_momentum_ramps_from_start_to_end_with_a_cosine():  # N5
    values = [ema_momentum(step, 100, 0.996, 1.0) for step in range(101)]
    assert values[0] == 0.996 and values[-1] == 1.0
    assert values[50] == pytest.approx(0.998)
    assert all(a <= b for a, b in zip(values, values[1:], strict=False))
    assert ema_momentum(500, 100, 0.996, 1.0) == 1.0  # past the end it holds
    assert ema_momentum(37, 100, 0.99, 0.99) == 0.99  # start == end: constant


def test_the_initial_share_is_the_product_of_the_momenta_of_the_run():
    assert initial_share(3, 0.5, 0.5) == pytest.approx(0.125)
    assert initial_share(176, 0.99, 1.0) == pytest.approx(0.411, abs=1e-3)  # the 8-epoch CPU bar runs
    assert initial_share(125_000, 0.996, 1.0) < 1e-6  # DINO's ImageNet schedule leaves nothing
    assert initial_share(0, 0.99, 1.0) == 1.0


def test_teacher_temperature_warms_up_then_holds_at_any_epoch():  # N6
    assert teacher_temperature(0, 0.04, 0.07, 30) == 0.04
    assert teacher_temperature(15, 0.04, 0.07, 30) == pytest.approx(0.055)
    assert teacher_temperature(30, 0.04, 0.07, 30) == 0.07
    assert teacher_temperature(10_000, 0.04, 0.07, 30) == 0.07  # the reference raised IndexError at 400
    assert teacher_temperature(0, 0.04, 0.07, 0) == 0.07


def test_ema_update_moves_the_teacher_by_one_minus_momentum():
    student = nn.Linear(3, 2)
    teacher = ema_copy(student)
    assert not any(p.requires_grad for p in teacher.parameters())
    before = teacher.weight.clone()
    with torch.no_grad():
        student.weight.add_(1.0)
    ema_update(teacher, student, 0.9)
    assert torch.allclose(teacher.weight, 0.9 * before + 0.1 * student.weight)


def test_the_centre_averages_raw_logits_not_probabilities():  # N4
    centre = Centre(4, momentum=0.75)
    logits = torch.tensor([[10.0, 0.0, 0.0, -2.0], [6.0, 2.0, 0.0, -2.0]])
    centre.update(logits)
    assert torch.allclose(centre.centre, 0.25 * logits.mean(0, keepdim=True))
    probabilities = centre.probabilities(logits, 0.5)
    assert torch.allclose(probabilities, torch.softmax((logits - centre.centre) / 0.5, -1))
    with pytest.raises(ConfigError, match=r"task.dino.centre_momentum must be in \[0, 1\], got 1.5"):
        Centre(4, momentum=1.5)


def test_a_centred_teacher_stays_away_from_one_hot_collapse():
    # A teacher that always prefers output 0 is pulled back towards uniform by the centre over steps.
    centre = Centre(8, momentum=0.5)
    logits = torch.zeros(16, 8)
    logits[:, 0] = 5.0
    for _ in range(20):
        centre.update(logits)
    assert centre.probabilities(logits, 0.04)[0].max() < 0.2
    assert math.isclose(float(centre.centre[0, 0]), 5.0, rel_tol=1e-4)
