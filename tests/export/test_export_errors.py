"""What cannot be exported, or used, says so in one line: the model, the format, why, and the fix."""

import sys

import pytest
import torch
from torch import nn

from echolab.cli import main
from echolab.errors import ExportError
from echolab.export.exporter import export_checkpoint
from echolab.export.formats import check_format
from echolab.models import registry
from echolab.predict import load_task
from tests.export.checkpoints import view_checkpoint

FRAME_CNN = {"name": "frame_cnn", "backbone": "resnet10t"}


class BatchOfTwoOnly(nn.Module):
    """Takes another path for a batch of two (the export example's size): tracing records that path."""

    def __init__(self, num_classes: int):
        super().__init__()
        self.head = nn.Linear(3, num_classes)

    def forward(self, clip: torch.Tensor) -> torch.Tensor:
        pooled = self.head(clip.mean(dim=(2, 3, 4)))
        return pooled * 2 if clip.shape[0] == 2 else pooled


class NoOnnxOperator(nn.Module):
    """Uses the Hurwitz zeta function, which the ONNX exporter cannot translate (TorchScript can trace it)."""

    def __init__(self, num_classes: int):
        super().__init__()
        self.head = nn.Linear(3, num_classes)

    def forward(self, clip: torch.Tensor) -> torch.Tensor:
        pooled = clip.mean(dim=(2, 3, 4))
        return self.head(torch.special.zeta(pooled.abs() + 2, torch.ones_like(pooled)))


@pytest.fixture
def registered(monkeypatch):
    """Registers a view model for one test only (the registry is global)."""

    def register(name, factory):
        monkeypatch.setitem(registry._REGISTRY, name, registry._Entry(factory, "view"))
        return {"name": name}

    return register


def test_a_model_whose_trace_depends_on_the_batch_size_is_refused_in_both_formats(registered, tmp_path):
    ckpt = view_checkpoint(tmp_path / "m.ckpt", registered("batch_of_two", BatchOfTwoOnly))
    for format_name, suffix in (("torchscript", ".pt"), ("onnx", ".onnx")):
        with pytest.raises(
            ExportError, match=f"model batch_of_two cannot be exported to {format_name}: "
        ) as error:
            export_checkpoint(ckpt, format_name, tmp_path / f"m{suffix}")
        # TorchScript runs the traced path on any batch; the ONNX exporter fixed the batch size at 2
        reason = (
            "on an input it was not traced with"
            if format_name == "torchscript"
            else "does not run on a batch of 3"
        )
        assert reason in str(error.value) and "\n" not in str(error.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "m.ckpt"
    ]  # no file left behind, not even a partial one


def test_a_model_onnx_cannot_translate_is_refused_for_onnx_only(registered, tmp_path, capsys):
    ckpt = view_checkpoint(tmp_path / "m.ckpt", registered("zeta_model", NoOnnxOperator))
    assert main(["export", f"ckpt={ckpt}", "format=onnx"]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"echolab export: error: {ckpt}: model zeta_model cannot be exported to onnx: ")
    assert "zeta" in line.split("onnx: ", 1)[1]  # the exporter's own reason, not its generic banner
    assert line.endswith("try the other format=, or predict with the checkpoint itself")
    assert not (tmp_path / "m.onnx").exists() and not (tmp_path / "m.onnx.json").exists()
    assert main(["export", f"ckpt={ckpt}", "format=torchscript"]) == 0
    assert (tmp_path / "m.pt").is_file() and (tmp_path / "m.pt.json").is_file()


@pytest.mark.parametrize(
    ("words", "message"),
    [
        (["format=keras"], "format 'keras' is unknown; choose one of onnx, torchscript"),
        (["format=onnx", "out={tmp}/model.pt"], "a onnx model file ends in .onnx; pass out=NAME.onnx"),
        (["format=onnx", "colour=red"], "does not take ['colour=red']; it takes ckpt=, format=, out="),
        ([], "`echolab export` needs format=..."),
    ],
)
def test_bad_export_words_are_one_line_errors(words, message, tmp_path, capsys):
    ckpt = view_checkpoint(tmp_path / "m.ckpt", FRAME_CNN)
    assert main(["export", f"ckpt={ckpt}", *(w.format(tmp=tmp_path) for w in words)]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert message in line


def test_export_never_overwrites_and_refuses_what_is_not_a_checkpoint(tmp_path, capsys):
    ckpt = view_checkpoint(tmp_path / "m.ckpt", FRAME_CNN)
    (tmp_path / "m.pt.json").write_text("mine")
    assert main(["export", f"ckpt={ckpt}", "format=torchscript"]) == 2
    assert "m.pt.json exists; choose another out=" in capsys.readouterr().err
    assert (tmp_path / "m.pt.json").read_text() == "mine" and not (tmp_path / "m.pt").exists()
    assert main(["export", f"ckpt={tmp_path / 'm.pt.json'}", "format=onnx"]) == 2
    assert "m.pt.json is an exported model already; export from its checkpoint" in capsys.readouterr().err
    (tmp_path / "junk.ckpt").write_text("not a checkpoint")
    assert main(["export", f"ckpt={tmp_path / 'junk.ckpt'}", "format=torchscript"]) == 2
    assert "junk.ckpt is not a readable PyTorch checkpoint" in capsys.readouterr().err


@pytest.mark.parametrize("missing", ["onnx", "onnxscript", "onnxruntime"])
def test_onnx_without_the_export_extra_says_how_to_install_it(missing, monkeypatch):
    monkeypatch.setitem(sys.modules, missing, None)  # import now raises ImportError
    with pytest.raises(
        ExportError, match=rf"needs {missing}, which is not installed; .*`uv sync --extra export`"
    ):
        check_format("onnx")
    check_format("torchscript")  # needs nothing extra


def test_predicting_with_an_onnx_model_without_onnxruntime_says_how_to_install_it(tmp_path, monkeypatch):
    ckpt = view_checkpoint(tmp_path / "m.ckpt", FRAME_CNN)
    export_checkpoint(ckpt, "onnx", tmp_path / "m.onnx")
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(
        ExportError, match=r"needs onnxruntime, which is not installed; .*`uv sync --extra export`"
    ):
        load_task(tmp_path / "m.onnx")


def test_an_exported_model_without_its_sidecar_or_files_is_refused(tmp_path):
    ckpt = view_checkpoint(tmp_path / "m.ckpt", FRAME_CNN)
    export_checkpoint(ckpt, "torchscript", tmp_path / "m.pt")
    (tmp_path / "m.pt.json").rename(tmp_path / "elsewhere.json")
    with pytest.raises(ExportError, match=r"m.pt: no export sidecar .*m.pt.json beside it"):
        load_task(tmp_path / "m.pt")
    (tmp_path / "elsewhere.json").rename(tmp_path / "m.pt.json")
    (tmp_path / "m.pt").unlink()
    with pytest.raises(ExportError, match=r"m.pt.json names model files that are missing beside it: m.pt"):
        load_task(tmp_path / "m.pt.json")
