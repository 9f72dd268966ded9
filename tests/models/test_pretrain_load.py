"""load_encoder: the video encoder of a pretraining checkpoint, and a one-line error for anything else."""

import pytest
import torch

from echolab.checkpoints import TASK_KEY
from echolab.errors import ConfigError, EcholabError
from echolab.models.pretrain import VideoViT
from echolab.models.pretrain.load import load_encoder, load_image_teacher
from tests.tasks.pretrain.tiny import save_checkpoint, tiny_clips, tiny_task


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    module = tiny_task()
    with torch.no_grad():  # the student moves away from its EMA teacher, as after training
        for parameter in module.encoder.parameters():
            parameter.add_(0.01 * torch.randn_like(parameter))
    return save_checkpoint(module, tmp_path_factory.mktemp("ckpt") / "pretrain.ckpt"), module


def test_teacher_and_student_encoders_come_back_with_their_preprocess(checkpoint):
    path, module = checkpoint
    clips = tiny_clips()
    teacher, preprocess = load_encoder(path)
    student, _ = load_encoder(path, which="student")
    assert isinstance(teacher, VideoViT) and not teacher.training
    with torch.no_grad():
        assert torch.equal(teacher(clips), module.encoder_ema.eval()(clips))
        assert torch.equal(student(clips), module.encoder.eval()(clips))
        assert not torch.equal(teacher(clips), student(clips))
    assert preprocess == {
        "size": 32,
        "clip": {"frames": 4, "stride": 2},
        "cache_size": 32,
        "mean": [0.485, 0.456, 0.406],
        "std": [0.229, 0.224, 0.225],
        "eval_resize_ratio": 1.0,
    }


def test_a_bad_which_is_named(checkpoint):
    with pytest.raises(ConfigError, match="which 'ema' is unknown; choose one of teacher, student"):
        load_encoder(checkpoint[0], which="ema")


def test_missing_foreign_and_other_task_files_are_refused(checkpoint, tmp_path):
    with pytest.raises(EcholabError, match="does not exist"):
        load_encoder(tmp_path / "nothing.ckpt")
    (tmp_path / "text.ckpt").write_text("not a checkpoint")
    with pytest.raises(EcholabError, match="is not a readable PyTorch checkpoint"):
        load_encoder(tmp_path / "text.ckpt")
    torch.save({"state_dict": {}}, tmp_path / "plain.ckpt")
    with pytest.raises(EcholabError, match="is not an echolab checkpoint"):
        load_encoder(tmp_path / "plain.ckpt")
    other = torch.load(checkpoint[0], weights_only=False)
    other[TASK_KEY] = "view"
    torch.save(other, tmp_path / "view.ckpt")
    with pytest.raises(EcholabError, match="is a view checkpoint, not a pretraining one"):
        load_encoder(tmp_path / "view.ckpt")


def test_the_image_teacher_encodes_the_first_frame_of_each_tubelet_and_averages(tmp_path):
    module = tiny_task()
    path = save_checkpoint(module, tmp_path / "discovr.ckpt")
    image_teacher = load_image_teacher(path)
    clips = tiny_clips()
    frames = module._target_frames(clips)  # (B · T / tubelet, C, 1, H, W), clip by clip
    slots = clips.shape[2] // module.hparams.model["tubelet"]
    with torch.no_grad():
        got = image_teacher.features(clips)
        tokens = module.image_encoder_ema.eval()(frames)
    expected_cls = tokens[:, 0].view(len(clips), slots, -1).mean(1)
    expected_mean = tokens[:, 1:].mean(1).view(len(clips), slots, -1).mean(1)
    assert torch.allclose(got["cls"], expected_cls, atol=1e-6)
    assert torch.allclose(got["mean"], expected_mean, atol=1e-6)


def test_a_run_without_an_image_branch_has_no_image_teacher(tmp_path):
    path = save_checkpoint(tiny_task("videomae_synthetic"), tmp_path / "videomae.ckpt")
    assert load_image_teacher(path) is None
