"""`echolab compare`: suite files, their errors, and smoke-sized suites trained end to end."""

import json
import shutil
from pathlib import Path

import pytest
import torch
import yaml

from echolab.cli import main as cli_main
from echolab.compare import measure, runner
from echolab.compare.suite import load_suite, max_time
from echolab.config import experiments_dir
from echolab.errors import ConfigError
from echolab.models import create_model
from echolab.models.complexity import count_parameters
from tests.run_words import ONE_STEP

PAIR = ["test.per_class.PMASA.f1", "test.per_class.PPMLSA.f1"]


def write_suite(tmp_path, **changes) -> str:
    body = {
        "description": "two smoke models",
        "budget": {"minutes": 1.5},
        "overrides": ["model.dropout=0.1"],
        "entries": [
            {"exp": "view_synthetic", "name": "frame", "overrides": ["model=frame_cnn"]},
            {"exp": "view_synthetic", "name": "tsm"},
        ],
        "measure": {"clips_per_video": 3, "repeats": 2},
        "columns": [
            {"name": "accuracy", "metric": "test.acc"},
            {"name": "pair F1", "mean_of": PAIR},
            {"name": "params (M)", "computed": "parameters_m", "digits": 4},
            {"name": "GFLOPs", "computed": "gflops_per_clip"},
            {"name": "ms/video", "computed": "cpu_ms_per_video", "digits": 1},
        ],
    } | changes
    path = tmp_path / "suite.yaml"
    path.write_text(yaml.safe_dump(body, sort_keys=False))
    return str(path)


def test_the_shipped_suites_load_and_compose(smoke_overrides):
    for path in (experiments_dir() / "suites").glob("*.yaml"):
        suite = load_suite(str(path))
        planned = runner.plan(suite, smoke_overrides)
        runs = [(p["entry"].name, p["seed"]) for p in planned]
        assert runs == [(entry.name, seed) for seed in suite.seeds or (None,) for entry in suite.entries]


def test_budget_becomes_lightning_max_time_and_run_max_cpu_s(tmp_path):
    suite = load_suite(write_suite(tmp_path))
    (planned, _) = runner.plan(suite, ["profile=smoke"])
    assert planned["cfg"].trainer.max_time == "00:00:01:30" and planned["cfg"].run.max_cpu_s is None
    assert planned["cfg"].model.name == "frame_cnn" and planned["cfg"].model.dropout == 0.1
    assert max_time(24 * 60 + 61 / 60) == "01:00:01:01"
    suite = load_suite(write_suite(tmp_path, budget={"cpu_s": 210}))
    (planned, _) = runner.plan(suite, ["profile=smoke"])
    assert planned["cfg"].run.max_cpu_s == 210 and planned["cfg"].trainer.max_time is None
    assert suite.budget.describe().startswith("210 CPU s of training per run")


def test_seeds_run_every_entry_once_per_seed_seed_by_seed(tmp_path):
    suite = load_suite(write_suite(tmp_path, seeds=[3, 7], reference="tsm"))
    planned = runner.plan(suite, ["profile=smoke"])
    assert [(p["entry"].name, p["seed"], p["cfg"].seed) for p in planned] == [
        ("frame", 3, 3),
        ("tsm", 3, 3),
        ("frame", 7, 7),
        ("tsm", 7, 7),
    ]
    again = suite.with_options(seeds=[0, 1, 2], reference="frame")
    assert again.seeds == (0, 1, 2) and again.reference == "frame" and again.body["seeds"] == [0, 1, 2]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"budjet": {"minutes": 1}}, r"unknown key\(s\) \['budjet'\]"),
        ({"entries": []}, r"`entries:` must be a non-empty list"),
        ({"entries": [{"experiment": "view_synthetic"}]}, r"entries\[0\] must be"),
        ({"entries": ["view_synthetic", "view_synthetic"]}, "entry names must be unique"),
        ({"budget": {"minutes": -2}}, "budget must look like"),
        ({"budget": {"cpu_seconds": 60}}, "budget must look like"),
        ({"seeds": [0, 0]}, "seeds must be a non-empty list of distinct integers"),
        ({"seeds": 3}, "seeds must be a non-empty list"),
        ({"reference": "resnet"}, "reference 'resnet' is not an entry; entries: frame, tsm"),
        ({"columns": [{"name": "acc"}]}, "exactly one of"),
        ({"columns": [{"name": "acc", "metric": "test.acc", "computed": "parameters_m"}]}, "exactly one of"),
        ({"columns": [{"name": "speed", "computed": "fps"}]}, "computed must be one of"),
        ({"columns": [{"name": "pair", "mean_of": "test.acc"}]}, "mean_of takes a list"),
        ({"measure": {"repeats": 0}}, "measure.repeats"),
    ],
)
def test_bad_suite_files_name_the_file_and_the_key(tmp_path, changes, message):
    path = write_suite(tmp_path, **changes)
    with pytest.raises(ConfigError, match=message) as raised:
        load_suite(path)
    assert path in str(raised.value)


def test_unknown_suite_lists_the_available_ones():
    with pytest.raises(ConfigError, match=r"unknown suite 'view_synthetic'.*available: .*views_synthetic"):
        load_suite("view_synthetic")


def test_a_bad_entry_fails_before_anything_trains(tmp_path):
    suite = load_suite(write_suite(tmp_path, entries=["view_synthetic", "frame_cnn_ev9w"]))
    with pytest.raises(ConfigError, match=r"entry 'frame_cnn_ev9w': unknown experiment"):
        runner.run_suite(suite, ["profile=smoke"], out_root=tmp_path / "runs")
    assert not (tmp_path / "runs").exists()


def test_smoke_suite_trains_every_entry_and_writes_the_table(tmp_path, smoke_overrides):
    suite = load_suite(write_suite(tmp_path))
    out = runner.run_suite(suite, [*smoke_overrides, *ONE_STEP], out_root=tmp_path / "out")
    assert out.parent == tmp_path / "out" / "compare" / "suite"
    table = json.loads((out / "table.json").read_text())
    assert [row["name"] for row in table["rows"]] == ["frame", "tsm"]
    assert table["columns"] == ["accuracy", "pair F1", "params (M)", "GFLOPs", "ms/video"]
    for row in table["rows"]:
        assert row["status"] == "trained" and row["load_1min"] >= 0 and row["seed"] is None
        assert row["stopped_by"] in ("time budget", "max_epochs") and row["fit_cpu_seconds"] > 0
        run_dir = Path(row["run_dir"])
        assert run_dir.parent.parent == out / "runs"
        metrics = json.loads((run_dir / "metrics.json").read_text())
        values = row["values"]
        assert values["accuracy"] == metrics["test"]["acc"]
        pair = [metrics["test"]["per_class"][c]["f1"] for c in ("PMASA", "PPMLSA")]
        assert values["pair F1"] == pytest.approx(sum(pair) / 2)
        config = yaml.safe_load((run_dir / "config.yaml").read_text())
        arguments = {k: v for k, v in config["model"].items() if k != "name"}
        model = create_model(config["model"]["name"], num_classes=9, **arguments)
        assert values["params (M)"] == count_parameters(model) / 1e6
        assert values["GFLOPs"] > 0 and values["ms/video"] > 0
        assert config["trainer"]["max_time"] == "00:00:01:30" and config["model"]["dropout"] == 0.1

    markdown = (out / "table.md").read_text()
    header = "| model | experiment | seeds | accuracy | pair F1 | params (M) | GFLOPs | ms/video | fit CPU s | stopped by |"
    assert header in markdown
    assert f"| frame | view_synthetic | 1 | {table['rows'][0]['values']['accuracy']:.3f} |" in markdown
    assert "Command: `echolab compare suite=suite profile=smoke" in markdown
    assert "Budget: 1.5 min of wall-clock training per run (`trainer.max_time`)" in markdown
    assert "Machine load (1-minute average) as each run finished training: frame " in markdown
    assert "Paired differences" not in markdown  # no reference entry

    again = runner.run_suite(
        load_suite(write_suite(tmp_path, entries=["view_synthetic"])),
        [*smoke_overrides, *ONE_STEP],
        out_root=tmp_path / "out",
    )
    assert again != out and (out / "table.json").read_text() == json.dumps(table, indent=2) + "\n"


def test_a_failing_entry_is_recorded_and_the_others_still_train(tmp_path, smoke_overrides, capsys):
    entries = [
        {"exp": "view_synthetic", "name": "broken", "overrides": ["model.dropout=5"]},
        "view_synthetic",
    ]
    path = write_suite(tmp_path, entries=entries, columns=[{"name": "accuracy", "metric": "test.acc"}])
    code = cli_main(["compare", f"suite={path}", f"out={tmp_path / 'out'}", *smoke_overrides, *ONE_STEP])
    assert code == 1
    (out,) = (tmp_path / "out" / "compare" / "suite").iterdir()
    rows = json.loads((out / "table.json").read_text())["rows"]
    assert rows[0]["status"].startswith("failed: ValueError") and rows[0]["values"] == {"accuracy": None}
    assert rows[1]["status"] == "trained" and 0 <= rows[1]["values"]["accuracy"] <= 1
    assert "| broken | view_synthetic | 0 of 1 | failed: ValueError" in (out / "table.md").read_text()


def test_dry_run_prints_the_plan_and_trains_nothing(tmp_path, capsys):
    path = write_suite(tmp_path)
    assert cli_main(["compare", f"suite={path}", "--dry-run", "profile=smoke", f"run.root={tmp_path}/r"]) == 0
    printed = capsys.readouterr().out
    assert (
        "frame: echolab train exp=view_synthetic trainer.max_time='00:00:01:30' model.dropout=0.1" in printed
    )
    assert "model=frame_cnn profile=smoke" in printed and "2 runs compose; nothing trained" in printed
    assert not (tmp_path / "r").exists()
    assert cli_main(["compare", f"suite={path}", "--dry-run", "seeds=3", "profile=smoke"]) == 0
    printed = capsys.readouterr().out
    assert "tsm (seed 2): echolab train exp=view_synthetic trainer.max_time='00:00:01:30' seed=2 " in printed
    assert "6 runs compose" in printed
    assert cli_main(["compare", f"suite={path}", "--dry-run", "seeds=many"]) == 2
    assert "seeds=many: give a number of seeds" in capsys.readouterr().err


def test_compare_without_a_suite_is_a_clear_error(capsys):
    assert cli_main(["compare"]) == 2
    assert "needs suite=NAME" in capsys.readouterr().err


def test_cpu_latency_is_a_median_of_forward_passes():
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 2 * 4 * 4, 5))
    assert count_parameters(model) == 3 * 2 * 4 * 4 * 5 + 5
    assert measure.cpu_ms_per_batch(model, (2, 3, 2, 4, 4), repeats=3) > 0


def test_finish_completes_the_table_of_an_interrupted_suite(tmp_path, smoke_overrides, monkeypatch):
    from echolab import train as training

    calls = []

    def interrupted_at_the_third_run(*args):
        calls.append(args)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return train_for_real(*args)

    train_for_real = training.train
    monkeypatch.setattr(training, "train", interrupted_at_the_third_run)
    path = write_suite(tmp_path, seeds=[0, 1])
    with pytest.raises(KeyboardInterrupt):
        runner.run_suite(load_suite(path), [*smoke_overrides, *ONE_STEP], out_root=tmp_path / "o")
    (out,) = (tmp_path / "o" / "compare" / "suite").iterdir()
    partial = json.loads((out / "table.json").read_text())["rows"]
    assert [(r["name"], r["seed"], r["status"]) for r in partial] == [
        ("frame", 0, "trained"),
        ("tsm", 0, "trained"),
        ("frame", 1, "pending"),
        ("tsm", 1, "pending"),
    ]
    assert 0 <= partial[0]["values"]["accuracy"] <= 1 and partial[0]["values"]["params (M)"] is None
    monkeypatch.undo()
    Path(path).unlink()  # finish= needs only the folder: table.json keeps the suite

    assert cli_main(["compare", f"finish={out}"]) == 1  # two runs never trained
    rows = json.loads((out / "table.json").read_text())["rows"]
    assert rows[0]["values"]["accuracy"] == partial[0]["values"]["accuracy"]
    assert rows[0]["values"]["params (M)"] > 0 and rows[1]["values"]["params (M)"] > 0
    assert rows[2]["status"] == runner.NOT_REACHED and rows[3]["values"]["params (M)"] is None
    markdown = (out / "table.md").read_text()
    assert "| frame | view_synthetic | 1 of 2 |" in markdown
    assert f"- tsm seed 1: {runner.NOT_REACHED}" in markdown
    assert "Command: `echolab compare suite=suite profile=smoke" in markdown


def test_finish_needs_a_suite_folder(tmp_path):
    with pytest.raises(ConfigError, match="holds no table.json"):
        runner.finish_suite(tmp_path)


def test_seeded_suite_shows_mean_sd_and_paired_differences_and_report_regenerates_it(
    tmp_path, smoke_overrides, capsys
):
    columns = [
        {"name": "accuracy", "metric": "test.acc"},
        {"name": "pair F1", "mean_of": PAIR},
        {"name": "val accuracy", "metric": "val.acc"},
    ]
    path = write_suite(tmp_path, budget={"cpu_s": 600}, columns=columns, seeds=[0, 1], reference="tsm")
    words = [*smoke_overrides, "trainer.limit_train_batches=1", "trainer.limit_val_batches=1"]
    assert cli_main(["compare", f"suite={path}", f"out={tmp_path / 'out'}", *words]) == 0
    (out,) = (tmp_path / "out" / "compare" / "suite").iterdir()
    table = json.loads((out / "table.json").read_text())
    assert [(r["name"], r["seed"]) for r in table["rows"]] == [
        ("frame", 0),
        ("tsm", 0),
        ("frame", 1),
        ("tsm", 1),
    ]
    assert table["budget"] == {"minutes": None, "cpu_s": 600.0} and table["seeds"] == [0, 1]

    accuracies = [r["values"]["accuracy"] for r in table["rows"] if r["name"] == "frame"]
    summary = table["summary"]["frame"]["accuracy"]
    assert summary["mean"] == pytest.approx(sum(accuracies) / 2)
    assert summary["sd"] == pytest.approx(abs(accuracies[0] - accuracies[1]) / 2**0.5)
    markdown = (out / "table.md").read_text()
    assert f"| frame | view_synthetic | 2 | {summary['mean']:.3f} ± {summary['sd']:.3f} |" in markdown
    assert "Budget: 600 CPU s of training per run" in markdown and "Seeds: 0, 1" in markdown

    paired = table["paired"]
    assert paired["reference"] == "tsm" and paired["columns"] == ["accuracy", "pair F1"]  # val: not per video
    tested = json.loads((Path(table["rows"][0]["run_dir"]) / "metrics.json").read_text())["test"]["bootstrap"]
    assert paired["videos"] == tested["videos"] == 4 and paired["resamples"] == 1000  # smoke: 2 test batches
    difference = paired["entries"]["frame"]["accuracy"]
    tsm = [r["values"]["accuracy"] for r in table["rows"] if r["name"] == "tsm"]
    assert difference["difference"] == pytest.approx(sum(accuracies) / 2 - sum(tsm) / 2)
    low, high = difference["interval"]
    assert low <= difference["difference"] <= high
    assert "Paired differences from **tsm**" in markdown
    assert f"| frame | {difference['difference']:+.3f} [{low:+.3f}, {high:+.3f}]" in markdown

    capsys.readouterr()
    assert cli_main(["report", str(out)]) == 0
    assert capsys.readouterr().out == markdown + "\n"  # regenerated from the run folders alone
    moved = tmp_path / "moved"
    shutil.move(out, moved)  # a suite folder moved elsewhere still finds its runs inside it
    assert cli_main(["report", str(moved)]) == 0
    assert capsys.readouterr().out == markdown + "\n"
    out = moved
    table = json.loads((out / "table.json").read_text())

    run_dir = out / "runs" / "view_synthetic" / Path(table["rows"][0]["run_dir"]).name
    assert cli_main(["report", str(run_dir)]) == 0
    printed = capsys.readouterr().out
    test = json.loads((run_dir / "metrics.json").read_text())["test"]
    low, high = test["intervals"]["acc"]
    assert f"| acc | {test['acc']:.3f} | [{low:.3f}, {high:.3f}] |" in printed
    assert "| per_class.PMASA.f1 |" in printed and "confusion_matrix" not in printed


def test_report_needs_a_run_or_compare_folder(tmp_path, capsys):
    assert cli_main(["report", str(tmp_path)]) == 2
    assert "holds neither table.json" in capsys.readouterr().err


def test_runs_without_per_video_scores_get_a_note_not_a_crash(tmp_path):
    from echolab.compare.paired import paired_table
    from echolab.compare.table import Row

    suite = load_suite(write_suite(tmp_path, reference="tsm"))
    rows = [Row(entry, status="trained", run_dir=tmp_path) for entry in suite.entries]
    paired = paired_table(suite, rows)
    assert paired["columns"] == [] and "no video_scores.json" in paired["notes"]["tsm"]
    assert load_suite(write_suite(tmp_path)).reference is None
    assert paired_table(load_suite(write_suite(tmp_path)), rows) is None
