"""View classification end to end: train -> run folder -> checkpoint -> evaluate -> predict."""

import csv
import json
from pathlib import Path

import pytest
import torch
import yaml

from echolab.cli import main
from echolab.config import load_experiment
from echolab.errors import ConfigError, EcholabError
from echolab.predict import load_task
from echolab.stats.run_scores import read_test_scores
from echolab.tasks.view.module import ViewClassificationTask
from echolab.train import evaluate, train


@pytest.fixture(scope="module")
def trained(tiny_ev9v, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("trained")
    overrides = [
        "profile=smoke",
        f"data.root={tiny_ev9v}",
        f"run.root={tmp / 'runs'}",
        f"data.cache_dir={tmp / 'cache'}",
        "data.synthetic=null",
        "trainer.max_epochs=2",
        "trainer.limit_val_batches=1.0",
        "trainer.limit_test_batches=1.0",
    ]
    result = train(load_experiment("view_synthetic", overrides), overrides)
    return result, overrides


def test_run_folder_holds_every_output(trained):
    result, overrides = trained
    run = result.run_dir
    assert run.parent.name == "view_synthetic"
    for name in (
        "config.yaml",
        "overrides.txt",
        "metrics.json",
        "predictions.csv",
        "csv/metrics.csv",
        "checkpoints/best.ckpt",
        "checkpoints/last.ckpt",
        "plots/confusion_matrix.png",
        "plots/per_class.png",
    ):
        assert (run / name).is_file(), name
    assert (run / "overrides.txt").read_text().split() == overrides
    metrics = json.loads((run / "metrics.json").read_text())
    for split in ("val", "test"):
        assert 0.0 <= metrics[split]["acc"] <= 1.0 and 0.0 <= metrics[split]["macro_f1"] <= 1.0
    assert len(metrics["test"]["per_class"]) == 9
    assert sum(map(sum, metrics["test"]["confusion_matrix"])) == 9  # one test video per class
    assert metrics["epochs"] == 2
    assert metrics["stopped_by"] == "max_epochs" and metrics["fit_cpu_seconds"] > 0


def test_every_headline_test_metric_has_an_interval_from_the_saved_video_rows(trained, tiny_ev9v):
    result, _ = trained
    test = json.loads((result.run_dir / "metrics.json").read_text())["test"]
    assert test["bootstrap"] | {"method": ""} == {
        "method": "",
        "level": 0.95,
        "resamples": 1000,
        "seed": 0,
        "videos": 9,
    }
    rows, scores = read_test_scores(result.run_dir)
    assert sorted(row["video"] for row in rows) == sorted((Path(tiny_ev9v) / "test.txt").read_text().split())
    recomputed = scores(rows)  # the per-video rows give the recorded numbers back
    intervals = test["intervals"]
    for name in ("acc", "macro_f1", "macro_precision", "macro_recall", "ece"):
        assert recomputed[name] == pytest.approx(test[name], abs=1e-6), name
        low, high = intervals[name]
        assert 0.0 <= low <= high <= 1.0, name
    for name, values in test["per_class"].items():
        assert recomputed[f"per_class.{name}.f1"] == pytest.approx(values["f1"], abs=1e-6)
        assert len(intervals["per_class"][name]["f1"]) == 2
    auroc = test["uncertainty_auroc"]  # None when every test video is right (or every one wrong)
    assert recomputed["uncertainty_auroc"] == (None if auroc is None else pytest.approx(auroc))
    assert "uncertainty_auroc" in intervals


def test_task_bootstrap_0_turns_intervals_off_and_a_bad_value_fails_before_training(trained, tmp_path):
    result, overrides = trained
    cfg = load_experiment("view_synthetic", [*overrides, "task.bootstrap=0"])
    again = evaluate(cfg, result.metrics["checkpoint"], overrides)
    assert "intervals" not in again.metrics["test"] and (again.run_dir / "video_scores.json").is_file()
    words = [*overrides, f"run.root={tmp_path}", "task.bootstrap=many"]
    with pytest.raises(ConfigError, match=r"task.bootstrap must be a whole number .* got 'many'"):
        train(load_experiment("view_synthetic", words), words)
    assert not list(tmp_path.iterdir())  # refused before a run folder was made


def test_predictions_csv_has_one_row_per_test_video(trained, tiny_ev9v):
    result, _ = trained
    rows = list(csv.DictReader((result.run_dir / "predictions.csv").open()))
    test_names = (Path(tiny_ev9v) / "test.txt").read_text().split()
    assert sorted(r["file"] for r in rows) == sorted(test_names)
    for row in rows:
        probs = [float(row[k]) for k in row if k.startswith("p_")]
        assert len(probs) == 9 and abs(sum(probs) - 1) < 1e-3
        # the predicted class has the largest probability (ties are possible at the CSV's 4 decimals)
        assert float(row[f"p_{row['prediction']}"]) == max(probs)
        assert 0.0 <= float(row["uncertainty"]) <= 1.0


def test_checkpoint_rebuilds_the_model_without_config(trained):
    result, _ = trained
    task = ViewClassificationTask.load_from_checkpoint(
        result.run_dir / "checkpoints" / "best.ckpt", map_location="cpu"
    )
    assert task.classes[0] == "PLHLA" and task.hparams.model["name"] == "tsm"
    clips = torch.randn(1, 2, 3, 4, 32, 32)
    probs, uncertainty = task.eval().video_probabilities(clips)
    assert probs.shape == (1, 9) and torch.allclose(probs.sum(-1), torch.ones(1))
    assert load_task(result.run_dir / "checkpoints" / "best.ckpt").hparams.preprocess["size"] == 32


def test_evaluate_reproduces_the_test_metrics_in_a_new_run(trained):
    result, overrides = trained
    ckpt = result.metrics["checkpoint"]
    again = evaluate(load_experiment("view_synthetic", overrides), ckpt, overrides)
    assert again.run_dir != result.run_dir
    assert again.metrics["test"]["acc"] == pytest.approx(result.metrics["test"]["acc"])
    assert again.metrics["test"]["confusion_matrix"] == result.metrics["test"]["confusion_matrix"]


def test_predict_accepts_frame_folders_lists_and_globs(trained, tiny_ev9v, tmp_path, capsys):
    result, _ = trained
    ckpt = result.run_dir / "checkpoints" / "best.ckpt"
    names = (Path(tiny_ev9v) / "test.txt").read_text().split()[:2]
    folders = [str(Path(tiny_ev9v) / "Images" / n) for n in names]
    out = tmp_path / "pred.csv"
    assert (
        main(
            [
                "predict",
                f"ckpt={ckpt}",
                f"video=[{folders[0]},{folders[1]}]",
                f"out={out}",
                f"cache_dir={tmp_path / 'cache'}",
            ]
        )
        == 0
    )
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith(tuple(names))]
    assert [line.split()[0] for line in lines] == names
    assert len(list(csv.DictReader(out.open()))) == 2
    assert main(["predict", f"ckpt={ckpt}", f"video={out}", f"out={out}"]) == 2  # never overwrites
    glob = str(Path(tiny_ev9v) / "Images" / f"{names[0][:-1]}*")
    assert (
        main(
            [
                "predict",
                f"ckpt={ckpt}",
                f"video={glob}",
                f"runs_root={tmp_path / 'runs'}",
                f"cache_dir={tmp_path / 'cache'}",
            ]
        )
        == 0
    )
    assert list((tmp_path / "runs" / "predict").glob("*/predictions.csv"))


def test_nan_loss_stops_with_a_clear_error(trained):
    result, _ = trained
    task = ViewClassificationTask.load_from_checkpoint(result.metrics["checkpoint"], map_location="cpu")
    batch = {"clip": torch.full((2, 3, 4, 32, 32), float("nan")), "label": torch.tensor([0, 1])}
    with pytest.raises(EcholabError, match="lower optim.lr"):
        task.training_step(batch, 0)


def test_two_runs_never_share_a_folder(smoke_overrides):
    overrides = smoke_overrides + [
        "trainer.limit_train_batches=1",
        "trainer.limit_val_batches=1",
        "trainer.limit_test_batches=1",
    ]
    first = train(load_experiment("view_synthetic", overrides), overrides)
    second = train(load_experiment("view_synthetic", overrides), overrides)
    assert first.run_dir != second.run_dir and first.run_dir.parent == second.run_dir.parent


def test_checkpoint_of_a_pretrained_model_restores_offline(trained, tmp_path):
    result, _ = trained
    checkpoint = torch.load(result.metrics["checkpoint"], map_location="cpu", weights_only=False)
    checkpoint["hyper_parameters"]["model"]["pretrained"] = True  # as if trained from ImageNet weights
    path = tmp_path / "pretrained.ckpt"
    torch.save(checkpoint, path)
    task = load_task(path)  # no download: the weights are in the file
    weights = checkpoint["state_dict"]["model.backbone.conv1.0.weight"]
    assert torch.equal(task.state_dict()["model.backbone.conv1.0.weight"], weights)


def test_metrics_config_and_summary_say_the_data_was_synthetic(trained):
    result, _ = trained
    metrics = json.loads((result.run_dir / "metrics.json").read_text())
    assert metrics["data_source"]["synthetic"] is True and metrics["data_source"]["writer"] == "ev9v"
    config = yaml.safe_load((result.run_dir / "config.yaml").read_text())
    assert config["data_source"] == metrics["data_source"]


def test_evaluate_without_exp_uses_the_experiment_stored_in_the_checkpoint(trained, tmp_path, capsys):
    result, _ = trained
    ckpt = result.metrics["checkpoint"]
    assert main(["evaluate", f"ckpt={ckpt}", f"run.root={tmp_path / 'runs'}"]) == 0
    assert "SYNTHETIC" in capsys.readouterr().out
    (run,) = (tmp_path / "runs" / "view_synthetic").iterdir()
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["test"]["confusion_matrix"] == result.metrics["test"]["confusion_matrix"]


def test_evaluate_refuses_a_checkpoint_of_another_model_in_one_line(trained, capsys):
    result, overrides = trained
    ckpt = result.metrics["checkpoint"]
    assert main(["evaluate", "exp=stfm_synthetic", f"ckpt={ckpt}", *overrides]) == 2
    error = capsys.readouterr().err.strip()
    assert "holds a tsm model, but experiment stfm_synthetic builds stfm" in error
    assert len(error.splitlines()) == 1


def test_evaluate_records_the_checkpoints_own_model_config(trained):
    result, overrides = trained
    # the experiment asks for another backbone; the weights decide what is evaluated and recorded
    cfg = load_experiment("view_synthetic", [*overrides, "model.backbone=resnet18"])
    again = evaluate(cfg, result.metrics["checkpoint"], overrides)
    recorded = yaml.safe_load((again.run_dir / "config.yaml").read_text())["model"]
    assert recorded["backbone"] == "resnet10t"


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda path: None, "does not exist"),
        (lambda path: path.write_bytes(b"not a checkpoint"), "not a readable PyTorch checkpoint"),
        (lambda path: torch.save({"state_dict": {}}, path), "not an echolab checkpoint"),
    ],
)
def test_a_bad_checkpoint_is_one_line_for_evaluate_and_predict(tmp_path, capsys, make, message):
    path = tmp_path / "model.ckpt"
    make(path)
    assert main(["evaluate", "exp=view_synthetic", f"ckpt={path}"]) == 2
    assert main(["predict", f"ckpt={path}", f"video={tmp_path}"]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 2 and all(message in line for line in errors)


def test_predict_goes_on_past_unreadable_inputs_and_lists_them(trained, tiny_ev9v, tmp_path, capsys):
    result, _ = trained
    good = Path(tiny_ev9v) / "Images" / (Path(tiny_ev9v) / "test.txt").read_text().split()[0]
    broken = tmp_path / "broken.avi"
    broken.write_bytes(b"\0" * 100)
    dicom = tmp_path / "cine.dcm"
    dicom.write_bytes(b"DICM")
    out = tmp_path / "pred.csv"
    words = [f"video=[{broken},{good},{dicom}]", f"out={out}", f"cache_dir={tmp_path / 'cache'}"]
    assert main(["predict", f"ckpt={result.metrics['checkpoint']}", *words]) == 1
    printed = capsys.readouterr().out
    assert "2 of 3 inputs could not be read" in printed
    # a DICOM input is shown by its pseudonym (its folders may be named after the patient)
    assert str(dicom) not in printed and "DICOM: not a DICOM file" in printed
    assert f"{broken}: " in printed
    assert [row["file"] for row in csv.DictReader(out.open())] == [str(good)]


def test_trainer_arguments_leave_out_only_lightnings_default_batch_limits():
    from echolab.train import _trainer_arguments

    arguments = _trainer_arguments({"limit_train_batches": 1.0, "limit_val_batches": 1, "max_epochs": 2})
    assert arguments == {"enable_model_summary": False, "limit_val_batches": 1, "max_epochs": 2}


def test_sliding_window_evaluation_reports_dense_metrics_beside_the_sampled_clips(smoke_overrides):
    overrides = [
        *smoke_overrides,
        "callbacks=[checkpoint,sliding_window]",
        "callbacks.sliding_window.stride=4",
        "trainer.limit_train_batches=1",
    ]
    metrics = train(load_experiment("view_synthetic", overrides), overrides).metrics
    for split in ("val", "test"):
        assert 0.0 <= metrics[split]["dense_acc"] <= 1.0 and 0.0 <= metrics[split]["dense_macro_f1"] <= 1.0
        assert "acc" in metrics[split]  # the sampled-clip numbers stay


def test_dense_report_with_two_windows_equals_the_two_clip_evaluation(trained, tiny_ev9v, tmp_path):
    """The smoke run evaluates eval_clips=2 clips placed at the first and the last start; a stride longer
    than any video gives exactly those two windows, so the dense numbers must equal the ordinary ones."""
    from echolab.data.formats import read_dataset
    from echolab.io.cache import FrameCache

    result, _ = trained
    task = ViewClassificationTask.load_from_checkpoint(
        result.metrics["checkpoint"], map_location="cpu"
    ).eval()
    assert task.hparams.preprocess["eval_clips"] == 2 and task.hparams.preprocess["placement"] == "start"
    records = read_dataset("ev9v", tiny_ev9v).split("test")
    cache = FrameCache(tmp_path / "cache", size=task.hparams.preprocess["cache_size"])
    dense = task.dense_report(records, cache, stride=1000)
    assert dense["acc"] == pytest.approx(result.metrics["test"]["acc"])
    assert dense["macro_f1"] == pytest.approx(result.metrics["test"]["macro_f1"])


def test_sliding_window_evaluation_refuses_a_task_without_sliding_windows():
    from echolab.callbacks.sliding_window import SlidingWindowEvaluation
    from echolab.errors import ConfigError

    class NoClips:
        task_name = "pretrain"

    with pytest.raises(ConfigError, match="has no sliding-window evaluation"):
        SlidingWindowEvaluation().setup(None, NoClips(), "fit")
