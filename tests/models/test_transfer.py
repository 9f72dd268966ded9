"""Transfer models (vit_video, vit_keyframe): started from a pretraining checkpoint's encoder, refused
when the encoders differ, frozen when asked."""

import pytest
import torch

from echolab.checkpoints import TASK_KEY
from echolab.errors import ConfigError, EcholabError
from echolab.models import create_model
from tests.tasks.pretrain.tiny import save_checkpoint, tiny_task

# the smoke encoder of discovr_synthetic (tests/tasks/pretrain/tiny.py): 4 frames of 32 px
SMOKE = {"frames": 4, "size": 32, "patch": 8, "tubelet": 2, "dim": 24, "depth": 1, "heads": 2}


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory):
    module = tiny_task()
    with torch.no_grad():  # a student that differs from its EMA teacher
        for parameter in module.encoder.parameters():
            parameter.add_(0.05 * torch.randn_like(parameter))
    return save_checkpoint(module, tmp_path_factory.mktemp("pretrained") / "pretrain.ckpt"), module


def _clips(batch: int = 2) -> torch.Tensor:
    return torch.randn(batch, 3, 4, 32, 32, generator=torch.Generator().manual_seed(0))


@pytest.mark.parametrize(
    ("name", "task", "classes"), [("vit_video", "view", 9), ("vit_keyframe", "keyframe", 2)]
)
def test_init_copies_the_chosen_encoder(pretrained, name, task, classes):
    path, module = pretrained
    teacher = create_model(name, num_classes=classes, task=task, init=str(path), **SMOKE)
    student = create_model(name, num_classes=classes, task=task, init=str(path), init_from="student", **SMOKE)
    scratch = create_model(name, num_classes=classes, task=task, **SMOKE)
    for model, source in ((teacher, module.encoder_ema), (student, module.encoder)):
        expected = source.state_dict()
        assert all(torch.equal(value, expected[key]) for key, value in model.encoder.state_dict().items())
    assert not torch.equal(scratch.encoder.embed.weight, teacher.encoder.embed.weight)


def test_an_encoder_of_other_shape_is_refused_naming_every_key(pretrained):
    with pytest.raises(
        ConfigError,
        match=r"model.init .*pretrain.ckpt: its encoder has size=32, dim=24, but this vit_video has size=64, "
        r"dim=48; build the same encoder \(data.size=32 model.dim=24\)",
    ):
        create_model(
            "vit_video",
            num_classes=9,
            task="view",
            init=str(pretrained[0]),
            **(SMOKE | {"size": 64, "dim": 48}),
        )


def test_a_checkpoint_of_another_task_or_a_bad_choice_is_refused(pretrained, tmp_path):
    other = torch.load(pretrained[0], weights_only=False)
    other[TASK_KEY] = "view"
    torch.save(other, tmp_path / "view.ckpt")
    with pytest.raises(EcholabError, match="is a view checkpoint, not a pretraining one"):
        create_model("vit_video", num_classes=9, task="view", init=str(tmp_path / "view.ckpt"), **SMOKE)
    with pytest.raises(ConfigError, match="model.init_from 'ema' is unknown; choose one of teacher, student"):
        create_model("vit_video", num_classes=9, task="view", init_from="ema", **SMOKE)
    with pytest.raises(EcholabError, match="does not exist"):
        create_model(
            "vit_keyframe", num_classes=2, task="keyframe", init=str(tmp_path / "gone.ckpt"), **SMOKE
        )


@pytest.mark.parametrize(
    ("name", "task", "classes"), [("vit_video", "view", 9), ("vit_keyframe", "keyframe", 2)]
)
def test_a_frozen_encoder_gets_no_gradient_and_keeps_its_weights(pretrained, name, task, classes):
    model = create_model(
        name, num_classes=classes, task=task, init=str(pretrained[0]), freeze_encoder=True, **SMOKE
    )
    before = {key: value.clone() for key, value in model.state_dict().items()}
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.1, weight_decay=0.5)
    model(_clips()).square().mean().backward()
    assert all(p.grad is None for p in model.encoder.parameters())
    assert all(p.grad is not None for p in model.head.parameters())
    optimizer.step()
    after = model.state_dict()
    assert all(torch.equal(before[key], after[key]) for key in before if key.startswith("encoder."))
    assert not torch.equal(before["head.weight"], after["head.weight"])


def test_keyframe_logits_come_per_frame_from_each_tubelet():
    model = create_model("vit_keyframe", num_classes=2, task="keyframe", **SMOKE).eval()
    assert not model.reuses_frame_features  # tokens see the whole window: one pass per window
    logits = model(_clips())
    assert logits.shape == (2, 4, 2)
    assert not torch.equal(logits[:, 0], logits[:, 1])  # the two frames of a tubelet get their own logits
    with pytest.raises(ValueError, match="num_classes must be 2"):
        create_model("vit_keyframe", num_classes=3, task="keyframe", **SMOKE)
    with pytest.raises(ConfigError, match="model.pool 'max' is unknown"):
        create_model("vit_video", num_classes=9, task="view", pool="max", **SMOKE)
