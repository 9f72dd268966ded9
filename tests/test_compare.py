"""`echolab compare`: suite files, their errors, and a smoke-sized suite trained end to end."""

import json
from pathlib import Path

import pytest
import torch
import yaml

from echolab import compare
from echolab.cli import main as cli_main
from echolab.config import experiments_dir
from echolab.errors import ConfigError
from echolab.models import create_model
from echolab.models.complexity import count_parameters

ONE_STEP = ["trainer.limit_train_batches=1", "trainer.limit_val_batches=1", "trainer.limit_test_batches=1"]
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
        suite = compare.load_suite(str(path))
        planned = compare.plan(suite, smoke_overrides)
        assert [p["entry"].name for p in planned] == [e.name for e in suite.entries]


def test_budget_becomes_lightning_max_time(tmp_path):
    suite = compare.load_suite(write_suite(tmp_path))
    (planned, _) = compare.plan(suite, ["profile=smoke"])
    assert planned["cfg"].trainer.max_time == "00:00:01:30"
    assert planned["cfg"].model.name == "frame_cnn" and planned["cfg"].model.dropout == 0.1
    assert compare._max_time(24 * 60 + 61 / 60) == "01:00:01:01"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"budjet": {"minutes": 1}}, r"unknown key\(s\) \['budjet'\]"),
        ({"entries": []}, r"`entries:` must be a non-empty list"),
        ({"entries": [{"experiment": "view_synthetic"}]}, r"entries\[0\] must be"),
        ({"entries": ["view_synthetic", "view_synthetic"]}, "entry names must be unique"),
        ({"budget": {"minutes": -2}}, "budget must look like"),
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
        compare.load_suite(path)
    assert path in str(raised.value)


def test_unknown_suite_lists_the_available_ones():
    with pytest.raises(ConfigError, match=r"unknown suite 'view_synthetic'.*available: .*views_synthetic"):
        compare.load_suite("view_synthetic")


def test_a_bad_entry_fails_before_anything_trains(tmp_path):
    suite = compare.load_suite(write_suite(tmp_path, entries=["view_synthetic", "frame_cnn_ev9w"]))
    with pytest.raises(ConfigError, match=r"entry 'frame_cnn_ev9w': unknown experiment"):
        compare.run_suite(suite, ["profile=smoke"], out_root=tmp_path / "runs")
    assert not (tmp_path / "runs").exists()


def test_smoke_suite_trains_every_entry_and_writes_the_table(tmp_path, smoke_overrides):
    suite = compare.load_suite(write_suite(tmp_path))
    out = compare.run_suite(suite, [*smoke_overrides, *ONE_STEP], out_root=tmp_path / "out")
    assert out.parent == tmp_path / "out" / "compare" / "suite"
    table = json.loads((out / "table.json").read_text())
    assert [row["name"] for row in table["rows"]] == ["frame", "tsm"]
    assert table["columns"] == ["accuracy", "pair F1", "params (M)", "GFLOPs", "ms/video"]
    for row in table["rows"]:
        assert row["status"] == "trained" and row["load_1min"] >= 0
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
    assert "| model | experiment | accuracy | pair F1 | params (M) | GFLOPs | ms/video |" in markdown
    assert f"| frame | view_synthetic | {table['rows'][0]['values']['accuracy']:.3f} |" in markdown
    assert "Command: `echolab compare suite=suite profile=smoke" in markdown
    assert "Machine load (1-minute average) as each entry finished training: frame " in markdown

    again = compare.run_suite(
        compare.load_suite(write_suite(tmp_path, entries=["view_synthetic"])),
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
    assert "| broken | view_synthetic | failed: ValueError" in (out / "table.md").read_text()


def test_dry_run_prints_the_plan_and_trains_nothing(tmp_path, capsys):
    path = write_suite(tmp_path)
    assert cli_main(["compare", f"suite={path}", "--dry-run", "profile=smoke", f"run.root={tmp_path}/r"]) == 0
    printed = capsys.readouterr().out
    assert (
        "frame: echolab train exp=view_synthetic trainer.max_time='00:00:01:30' model.dropout=0.1" in printed
    )
    assert "model=frame_cnn profile=smoke" in printed and "nothing trained" in printed
    assert not (tmp_path / "r").exists()


def test_compare_without_a_suite_is_a_clear_error(capsys):
    assert cli_main(["compare"]) == 2
    assert "needs suite=NAME" in capsys.readouterr().err


def test_cpu_latency_is_a_median_of_forward_passes():
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 2 * 4 * 4, 5))
    assert count_parameters(model) == 3 * 2 * 4 * 4 * 5 + 5
    assert compare.cpu_ms_per_batch(model, (2, 3, 2, 4, 4), repeats=3) > 0


def test_finish_completes_the_table_of_an_interrupted_suite(tmp_path, smoke_overrides, monkeypatch):
    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(compare, "measure_run", interrupted)
    path = write_suite(tmp_path, entries=["view_synthetic"])
    with pytest.raises(KeyboardInterrupt):
        compare.run_suite(compare.load_suite(path), [*smoke_overrides, *ONE_STEP], out_root=tmp_path / "o")
    (out,) = (tmp_path / "o" / "compare" / "suite").iterdir()
    (partial,) = json.loads((out / "table.json").read_text())["rows"]
    assert 0 <= partial["values"]["accuracy"] <= 1 and partial["values"]["params (M)"] is None
    monkeypatch.undo()
    write_suite(tmp_path, entries=["view_synthetic", {"exp": "view_synthetic", "name": "second"}])

    assert cli_main(["compare", f"finish={out}"]) == 1  # one entry never trained
    rows = json.loads((out / "table.json").read_text())["rows"]
    assert rows[0]["values"]["accuracy"] == partial["values"]["accuracy"]
    assert rows[0]["values"]["params (M)"] > 0
    assert rows[1]["name"] == "second" and rows[1]["status"].startswith("not trained")
    markdown = (out / "table.md").read_text()
    assert "| second | view_synthetic | not trained: the suite was interrupted" in markdown
    assert "Command: `echolab compare suite=suite profile=smoke" in markdown


def test_finish_needs_a_suite_folder(tmp_path):
    with pytest.raises(ConfigError, match="holds no table.json"):
        compare.finish_suite(tmp_path)
