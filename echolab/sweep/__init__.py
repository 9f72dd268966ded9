"""Sweeps in W&B's own format: checked against their experiment, run on W&B or locally with its engine."""

from echolab.sweep.spec import SweepSpec, check_against_experiment, read_sweep

__all__ = ["SweepSpec", "check_against_experiment", "read_sweep"]
