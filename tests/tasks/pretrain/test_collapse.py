"""Collapse monitors and the conditions that warn."""

import math

import torch

from echolab.tasks.pretrain.collapse import collapse_problems, feature_spread

LIMITS = {"min_prototype_fraction": 0.1, "entropy_band": [0.02, 0.98], "min_feature_std": 0.05}


def test_feature_spread_is_about_one_when_spread_and_zero_when_collapsed():
    torch.manual_seed(0)
    assert 0.9 < float(feature_spread(torch.randn(512, 64))) < 1.1
    assert float(feature_spread(torch.ones(512, 64) + 1e-6 * torch.randn(512, 64))) < 1e-3


def test_healthy_monitors_raise_nothing():
    healthy = {
        "prototypes_used": 60.0,
        "image_teacher_entropy": 3.0,
        "video_teacher_entropy": 4.0,
        "feature_std": 0.6,
    }
    assert collapse_problems(healthy, LIMITS, prototypes=128, dino_out=1024) == []
    assert collapse_problems({}, LIMITS, prototypes=128, dino_out=1024) == []  # monitors a method lacks


def test_each_collapse_is_named():
    uniform = 0.99 * math.log(1024)
    problems = collapse_problems(
        {
            "prototypes_used": 12.0,
            "image_teacher_entropy": 0.01,
            "video_teacher_entropy": uniform,
            "feature_std": 0.01,
        },
        LIMITS,
        prototypes=128,
        dino_out=1024,
    )
    assert len(problems) == 4
    assert problems[0].startswith("only 12 of 128 prototypes are in use")
    assert "every clip the same code" in problems[1] and "teacher is uniform" in problems[2]
    assert "task.ema.momentum" in problems[3]
