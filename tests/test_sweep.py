"""Sweep files in W&B's format: checked against their experiment, proposed by W&B's engine, run locally."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from echolab.config import experiments_dir
from echolab.errors import ConfigError
from echolab.sweep import check_against_experiment, read_sweep
from echolab.sweep.leaderboard import ranked
from echolab.sweep.local import Trial, metric_value, propose, run_local_sweep

SWEEPS = sorted(p.stem for p in (experiments_dir() / "sweeps").glob("*.yaml"))


def _write_sweep(tmp_path: Path, **changes) -> Path:
    config = {
        "method": "grid",
        "metric": {"name": "val/acc", "goal": "maximize"},
        "parameters": {"optim.lr": {"values": [0.001, 0.01]}},
        "command": ["${env}", "echolab", "train", "exp=view_synthetic", "${args_no_hyphens}"],
    } | changes
    path = tmp_path / "demo.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.mark.parametrize("name", SWEEPS)
def test_every_sweep_file_is_valid_wandb_and_fits_its_experiment(name):
    spec = read_sweep(name)
    assert spec.config["command"][:3] == ["${env}", "echolab", "train"]
    check_against_experiment(spec)  # raises on a parameter its experiment does not have


def test_command_words_become_fixed_overrides_around_the_agent_arguments(tmp_path):
    command = [
        "${env}",
        "echolab",
        "train",
        "exp=view_synthetic",
        "profile=cpu",
        "${args_no_hyphens}",
        "seed=3",
    ]
    spec = read_sweep(str(_write_sweep(tmp_path, command=command)))
    assert (spec.exp, spec.before, spec.after) == ("view_synthetic", ["profile=cpu"], ["seed=3"])
    assert spec.trial_words({"optim.lr": 0.01}) == ["profile=cpu", "optim.lr=0.01", "seed=3"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"command": ["${env}", "python", "train.py", "${args}"]}, "must run `echolab train`"),
        ({"command": ["${env}", "echolab", "train", "${args_no_hyphens}"]}, "exp=NAME"),
        ({"metric": {"name": "val/acc", "goal": "up"}}, "not a valid W&B sweep"),
        ({"method": "annealing"}, "not a valid W&B sweep"),
    ],
)
def test_malformed_sweep_files_are_refused_naming_the_file(tmp_path, changes, message):
    path = _write_sweep(tmp_path, **changes)
    with pytest.raises(ConfigError, match=message) as err:
        read_sweep(str(path))
    assert str(path) in str(err.value)


def test_unknown_parameter_is_rejected_before_any_trial_runs(tmp_path, monkeypatch):
    path = _write_sweep(tmp_path, parameters={"optim.learning_rate": {"values": [0.1]}})
    monkeypatch.setattr(subprocess, "call", lambda *a, **k: pytest.fail("a trial ran"))
    with pytest.raises(ConfigError, match="optim.learning_rate") as err:
        run_local_sweep(read_sweep(str(path)), trials=2, extra=[f"run.root={tmp_path / 'runs'}"])
    assert str(path) in str(err.value) and "Closest valid keys" in str(err.value)
    assert not (tmp_path / "runs").exists()


def test_a_swept_key_given_again_on_the_command_line_is_refused(tmp_path):
    spec = read_sweep(str(_write_sweep(tmp_path)))
    with pytest.raises(ConfigError, match="optim.lr"):
        check_against_experiment(spec, ["optim.lr=0.5"])
    with pytest.raises(ConfigError, match="names its experiment"):
        check_against_experiment(spec, ["exp=stfm_synthetic"])


def test_metric_names_are_paths_into_metrics_json():
    metrics = {"val": {"acc": 0.75, "per_class": {}}, "test": {"afd": 2}, "val/loss": 0.5, "seconds": 3}
    assert metric_value(metrics, "val/acc") == 0.75
    assert metric_value(metrics, "test/afd") == 2.0
    assert metric_value(metrics, "val/loss") == 0.5  # a flat key first
    assert metric_value(metrics, "val/f1") is None and metric_value(metrics, "val/per_class") is None


def _trial(number, values, metric):
    state = "finished" if metric is not None else "failed"
    return Trial(number, values, state, metric, 1.0, None, Path(f"trial-{number:02d}.log"))


def test_grid_proposals_cover_the_grid_then_stop(tmp_path):
    spec = read_sweep(str(_write_sweep(tmp_path)))
    first = propose(spec, [])
    second = propose(spec, [_trial(1, first, 0.5)])
    assert {first["optim.lr"], second["optim.lr"]} == {0.001, 0.01}
    assert propose(spec, [_trial(1, first, 0.5), _trial(2, second, None)]) is None


# three trials are too few for the Gaussian process to settle its length scale; the test checks the proposals
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_bayes_proposals_learn_from_past_trials_and_stay_in_range(tmp_path):
    parameters = {"optim.lr": {"distribution": "log_uniform_values", "min": 1e-4, "max": 1e-2}}
    spec = read_sweep(str(_write_sweep(tmp_path, method="bayes", parameters=parameters)))
    past = [
        _trial(1, {"optim.lr": 1e-4}, 0.2),
        _trial(2, {"optim.lr": 1e-2}, 0.9),
        _trial(3, {"optim.lr": 1e-3}, None),
    ]
    value = propose(spec, past)["optim.lr"]
    assert isinstance(value, float) and 1e-4 <= value <= 1e-2


def test_leaderboard_ranks_by_goal_and_puts_failed_trials_last():
    trials = [_trial(1, {}, 0.2), _trial(2, {}, None), _trial(3, {}, 0.9)]
    assert [t.number for t in ranked(trials, "maximize")] == [3, 1, 2]
    assert [t.number for t in ranked(trials, "minimize")] == [1, 3, 2]


def test_local_sweep_feeds_each_trials_metrics_back_and_writes_the_leaderboard(tmp_path, monkeypatch):
    """The trial processes are replaced by a fake that writes metrics.json: val/acc = 10 * lr."""
    calls = []

    def fake_train(command, stdout, **kwargs):
        words = dict(w.split("=", 1) for w in command[4:])
        calls.append(command)
        run = Path(words["run.root"]) / words["exp"] / "20260101-000000-000000-abcdef"
        run.mkdir(parents=True)
        (run / "metrics.json").write_text(json.dumps({"val": {"acc": 10 * float(words["optim.lr"])}}))
        stdout.write("trained\n")
        return 0

    monkeypatch.setattr(subprocess, "call", fake_train)
    spec = read_sweep(str(_write_sweep(tmp_path)))
    sweep_dir, trials = run_local_sweep(
        spec, trials=5, extra=[f"run.root={tmp_path / 'runs'}", "profile=smoke"]
    )

    assert len(trials) == 2, "a 2-point grid stops after 2 trials"
    assert calls[0][:4] == [sys.executable, "-m", "echolab", "train"]
    assert "exp=view_synthetic" in calls[0] and "profile=smoke" in calls[0]
    assert sweep_dir.parent == tmp_path / "runs" / "sweeps" / "demo"
    assert (sweep_dir / "sweep.yaml").read_text() == spec.path.read_text()
    lines = (sweep_dir / "leaderboard.csv").read_text().splitlines()
    assert lines[0] == "rank,trial,val/acc,optim.lr,state,seconds,run"
    assert [line.split(",")[2] for line in lines[1:]] == ["0.1000", "0.0100"]
    assert "| 1 | " in (sweep_dir / "leaderboard.md").read_text()
    assert (sweep_dir / "trial-01.log").read_text().endswith("trained\n")


def test_failed_trial_is_reported_and_the_sweep_goes_on(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(subprocess, "call", lambda command, stdout, **kw: stdout.write("boom\n") and 1)
    spec = read_sweep(str(_write_sweep(tmp_path)))
    sweep_dir, trials = run_local_sweep(spec, trials=2, extra=[f"run.root={tmp_path / 'runs'}"])
    assert [t.state for t in trials] == ["failed", "failed"]
    assert "FAILED (optim.lr=" in capsys.readouterr().out
    assert (sweep_dir / "leaderboard.md").is_file()


@pytest.mark.slow
def test_two_trial_local_sweep_of_a_synthetic_twin_runs_to_the_end(tiny_ev9v, tmp_path):
    """The bar: stfm_synthetic (twin of stfm_ev9v) as real `echolab train` processes, both ranked by val/acc."""
    runs = tmp_path / "runs"
    words = ["profile=smoke", f"data.root={tiny_ev9v}", "data.synthetic=null", f"run.root={runs}"]
    words += [f"data.cache_dir={tmp_path / 'cache'}", "trainer.limit_train_batches=1"]
    command = [sys.executable, "-m", "echolab", "sweep", "stfm_synthetic", "--local", "--trials", "2", *words]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (board,) = runs.glob("sweeps/stfm_synthetic/*/leaderboard.csv")
    rows = [line.split(",") for line in board.read_text().splitlines()[1:]]
    assert sorted(row[1] for row in rows) == ["trial-01", "trial-02"]
    assert all(row[-3] == "finished" and 0.0 <= float(row[2]) <= 1.0 for row in rows)
    assert all((Path(row[-1]) / "metrics.json").is_file() for row in rows)


def test_cli_checks_a_sweep_and_says_how_to_run_it(capsys):
    from echolab.cli import main

    assert main(["sweep", "view_synthetic"]) == 0
    out = capsys.readouterr().out
    assert "OK (random search of experiment view_synthetic" in out
    assert "make sweep SWEEP=view_synthetic" in out and "--local --trials N" in out


def test_cli_local_sweep_needs_a_trial_count(capsys):
    from echolab.cli import main

    assert main(["sweep", "view_synthetic", "--local"]) == 2
    assert "--trials N" in capsys.readouterr().err


def test_trial_that_finishes_without_the_metric_is_ranked_last(tmp_path, monkeypatch):
    """A keyframe run that matched nothing has afd null in metrics.json: finished, but unranked."""

    def fake_train(command, stdout, **kwargs):
        words = dict(w.split("=", 1) for w in command[4:])
        run = Path(words["run.root"]) / words["exp"] / "run"
        run.mkdir(parents=True)
        acc = None if float(words["optim.lr"]) == 0.001 else 0.5
        (run / "metrics.json").write_text(json.dumps({"val": {"acc": acc}}))
        return 0

    monkeypatch.setattr(subprocess, "call", fake_train)
    spec = read_sweep(str(_write_sweep(tmp_path)))
    sweep_dir, trials = run_local_sweep(spec, trials=2, extra=[f"run.root={tmp_path / 'runs'}"])
    assert [(t.state, t.metric) for t in trials] == [("finished", None), ("finished", 0.5)]
    rows = [line.split(",") for line in (sweep_dir / "leaderboard.csv").read_text().splitlines()[1:]]
    assert [(row[0], row[1], row[2]) for row in rows] == [("1", "trial-02", "0.5000"), ("-", "trial-01", "")]


def test_ctrl_c_keeps_the_leaderboard_of_the_finished_trials(tmp_path, monkeypatch):
    def fake_train(command, stdout, **kwargs):
        words = dict(w.split("=", 1) for w in command[4:])
        if words["run.root"].endswith("trial-02"):
            raise KeyboardInterrupt
        run = Path(words["run.root"]) / words["exp"] / "run"
        run.mkdir(parents=True)
        (run / "metrics.json").write_text(json.dumps({"val": {"acc": 0.25}}))
        return 0

    monkeypatch.setattr(subprocess, "call", fake_train)
    sweep_dir, trials = run_local_sweep(
        read_sweep(str(_write_sweep(tmp_path))), trials=2, extra=[f"run.root={tmp_path / 'runs'}"]
    )
    assert [t.name for t in trials] == ["trial-01"]
    assert (sweep_dir / "leaderboard.csv").read_text().splitlines()[1].startswith("1,trial-01,0.2500")
