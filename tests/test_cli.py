"""The command line: help, errors without tracebacks, data-summary, synth, config, auto-synthesis."""

import json
from pathlib import Path

from echolab.cli import main


def test_help_lists_every_command(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("train", "evaluate", "predict", "synth", "data-summary", "config", "bench"):
        assert command in out


def test_unknown_command_and_missing_arguments(capsys):
    assert main(["trian"]) == 2
    assert main(["evaluate", "exp=view_synthetic"]) == 2
    assert "needs ckpt=" in capsys.readouterr().err


def test_config_prints_the_composed_yaml(capsys):
    assert main(["config", "exp=view_synthetic", "model.dropout=0.77"]) == 0
    assert "dropout: 0.77" in capsys.readouterr().out


def test_config_error_is_one_clear_line(capsys):
    assert main(["config", "exp=view_synthetic", "optim.lrr=1"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "optim.lr" in err


def test_data_summary_json_shape(tiny_ev9v, capsys):
    assert main(["data-summary", "data=ev9v", f"data.root={tiny_ev9v}", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["format"] == "ev9v" and len(summary["classes"]) == 9
    assert {s: summary["splits"][s]["videos"] for s in ("train", "val", "test")} == {
        "train": 27,
        "val": 9,
        "test": 9,
    }
    assert summary["splits"]["test"]["per_class"]["A4C"] == 1
    assert summary["bad"] == []
    video = summary["videos"][0]
    assert set(video) == {"name", "split", "label", "frames", "fps", "ed", "es"}
    assert 16 <= video["frames"] <= 20 and video["label"] in summary["classes"]


def test_data_summary_reports_a_corrupt_video(tiny_ev9v, tmp_path, capsys):
    import shutil

    root = tmp_path / "ev9v"
    shutil.copytree(tiny_ev9v, root)
    victim = sorted((root / "Images").iterdir())[0]
    for frame in victim.iterdir():
        frame.write_bytes(b"not a jpeg")
    assert main(["data-summary", "data=ev9v", f"data.root={root}", "--json"]) == 1
    bad = json.loads(capsys.readouterr().out)["bad"]
    assert len(bad) == 1 and victim.name in bad[0]["path"]


def test_missing_root_names_the_layout_and_the_synth_command(tmp_path, capsys):
    missing = tmp_path / "EV9V"
    assert (
        main(
            [
                "train",
                "exp=view_synthetic",
                "profile=smoke",
                f"data.root={missing}",
                "data.synthetic=null",
                f"run.root={tmp_path}",
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert str(missing) in err and "labels.csv" in err and "echolab synth ev9v" in err
    assert not (tmp_path / "view_synthetic").exists()  # no run folder for a run that never started


def test_synth_writes_a_dataset_that_data_summary_accepts(tmp_path, capsys):
    out = tmp_path / "manifest"
    assert (
        main(
            [
                "synth",
                "manifest",
                "--out",
                str(out),
                "--videos-per-class",
                "2",
                "--size",
                "48",
                "--min-frames",
                "12",
                "--max-frames",
                "14",
                "--seed",
                "3",
            ]
        )
        == 0
    )
    assert (out / "manifest.csv").is_file()
    assert str(out) in capsys.readouterr().out  # the closing line says where data went
    assert main(["data-summary", "data=manifest", f"data.root={out}", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["format"] == "manifest" and len(summary["classes"]) == 9
    assert sum(summary["splits"][s]["videos"] for s in ("train", "val", "test")) == 18
    assert main(["synth", "manifest", "--out", str(out)]) == 2  # refuses to overwrite


def test_train_generates_missing_synthetic_data_first(tmp_path):
    from echolab.config import load_experiment
    from echolab.train import train

    root = tmp_path / "gen"
    overrides = [
        "profile=smoke",
        f"data.root={root}",
        f"data.synthetic.root={root}",  # moving the experiment's own synthetic folder is an explicit ask
        f"run.root={tmp_path / 'runs'}",
        f"data.cache_dir={tmp_path / 'cache'}",
        "data.synthetic.size=48",
        "trainer.limit_train_batches=1",
        "trainer.limit_val_batches=1",
        "trainer.limit_test_batches=1",
    ]
    result = train(load_experiment("view_synthetic", overrides), overrides)
    assert (root / "labels.csv").is_file() and (root / "Images").is_dir()
    assert Path(result.run_dir, "metrics.json").is_file()


def test_a_list_split_by_the_shell_is_one_override_again(capsys):
    assert main(["config", "exp=view_synthetic", "data.classes=[A4C,", "PLHLA]"]) == 0
    assert "classes:\n  - A4C\n  - PLHLA\n" in capsys.readouterr().out


def test_makefile_quotes_paths_and_lists():
    import subprocess

    shown = subprocess.run(
        ["make", "-n", "-W", ".venv/.installed", "predict", "CKPT=my run/best.ckpt", "VIDEO=[a.mp4, b.mp4]"],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    ).stdout
    assert '"ckpt=my run/best.ckpt" "video=[a.mp4, b.mp4]"' in shown
