"""PretrainTask: which networks each method builds, and a test for each defect of the reference code
(DISCOVR.md K1-K3, N1-N8) that would have caught it."""

import warnings

import lightning as L
import pytest
import torch
from torch.utils.data import DataLoader

from echolab.errors import ConfigError
from echolab.models.pretrain.heads import TokenDecoder
from echolab.tasks.pretrain.masking import hidden_tokens, tube_mask
from echolab.tasks.pretrain.module import encoder_config
from tests.tasks.pretrain.tiny import tiny_clips, tiny_config, tiny_task

ONLY = {  # task.weights of each method, as overrides
    "videomae": [
        "task.weights={reconstruction: 1, latent: 0, cluster: 0, cluster_reverse: 0, image_dino: 0, video_dino: 0}"
    ],
    "jepa": [
        "task.weights={reconstruction: 0, latent: 1, cluster: 0, cluster_reverse: 0, image_dino: 0, video_dino: 0}"
    ],
    "image_dino": [
        "task.weights={reconstruction: 0, latent: 0, cluster: 0, cluster_reverse: 0, image_dino: 1, video_dino: 0}"
    ],
}


def fit(module, *, batches: int = 2, epochs: int = 1, callbacks=()) -> L.Trainer:
    data = [{"clip": clip, "index": i} for i, clip in enumerate(tiny_clips(2 * batches, seed=5))]
    trainer = L.Trainer(
        max_epochs=epochs,
        limit_val_batches=0,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        accelerator="cpu",
        devices=1,
        callbacks=list(callbacks),
    )
    with warnings.catch_warnings():  # no validation loader here, on purpose
        warnings.filterwarnings("ignore", message=".*no `val_dataloader`")
        trainer.fit(module, train_dataloaders=DataLoader(data, batch_size=2))
    return trainer


# --- what each method builds and computes --------------------------------------------------------


def test_discovr_computes_its_four_terms_and_nothing_else():
    terms, monitors = tiny_task().loss_terms(tiny_clips())
    assert set(terms) == {"cluster", "cluster_reverse", "image_dino", "video_dino"}
    assert all(torch.isfinite(v) and v > 0 for v in terms.values())
    assert {"feature_std", "image_teacher_entropy", "video_teacher_entropy", "code_counts"} <= set(monitors)
    assert int(monitors["code_counts"].sum()) == 2 * 2 * 16 - 2 * 2 * 2  # hidden tokens of 2 clips


@pytest.mark.parametrize("method", ["videomae", "jepa", "image_dino"])
def test_a_method_builds_only_the_networks_its_terms_need(method):
    module = tiny_task("discovr_synthetic", *ONLY[method])
    terms, _ = module.loss_terms(tiny_clips())
    assert (
        set(terms)
        == {"videomae": {"reconstruction"}, "jepa": {"latent"}, "image_dino": {"image_dino"}}[method]
    )
    built = {name for name, _ in module.named_children()}
    expected = {
        "videomae": {"encoder", "encoder_ema", "decoder", "pixel_head"},
        "jepa": {"encoder", "encoder_ema", "decoder", "latent_head"},
        "image_dino": {
            "encoder",
            "encoder_ema",
            "image_encoder",
            "image_encoder_ema",
            "image_head",
            "image_head_ema",
            "image_centre",
        },
    }[method]
    assert built == expected


def test_the_jepa_target_is_the_stop_gradient_ema_teacher():
    module = tiny_task("discovr_synthetic", *ONLY["jepa"])
    module.loss_terms(tiny_clips())[0]["latent"].backward()
    assert all(p.grad is None for p in module.encoder_ema.parameters())
    assert module.encoder.embed.weight.grad.abs().sum() > 0


def test_image_dino_alone_trains_the_image_encoder_and_not_the_video_one():
    """Why the probes read DISCOVR's image teacher (`image_teacher/*`): in an image-DINO-only run the video
    encoder the other feature sets read gets no gradient and stays at its initialisation."""
    module = tiny_task("discovr_synthetic", *ONLY["image_dino"])
    module.loss_terms(tiny_clips())[0]["image_dino"].backward()
    assert all(p.grad is None for p in module.encoder.parameters())
    assert module.image_encoder.embed.weight.grad.abs().sum() > 0


def test_bad_weights_are_all_named():
    config = tiny_config()
    task = config["task"]
    with pytest.raises(ConfigError) as error:
        tiny_task("discovr_synthetic", "task.weights.image_dino=0")
    assert "cluster targets come from the image teacher" in str(error.value)
    from echolab.tasks.pretrain.module import PretrainTask

    weights = {"pixels": 1.0, "latent": -1.0}
    with pytest.raises(ConfigError) as error:
        PretrainTask(
            config["model"] | {"frames": 4, "size": 32},
            config["optim"],
            {},
            weights,
            *[task[k] for k in ("mask", "ema", "decoder", "image", "dino", "cluster", "collapse")],
        )
    assert "task.weights.pixels is unknown" in str(
        error.value
    ) and "task.weights.latent=-1.0 is negative" in str(error.value)
    assert "at least one loss term" in str(error.value)


def test_the_encoder_size_comes_from_the_data_block():
    assert encoder_config(tiny_config()) == dict(tiny_task().hparams.model)
    assert tiny_task().hparams.model["frames"] == 4 and tiny_task().hparams.model["size"] == 32
    with pytest.raises(ConfigError, match="model.frames come from the data block: set data.clip.frames"):
        tiny_task("discovr_synthetic", "+model.frames=8")


# --- the reference's defects -------------------------------------------------------------------


def test_k1_decoder_tokens_land_at_their_own_grid_positions():
    torch.manual_seed(0)
    decoder = TokenDecoder((2, 2, 2), in_dim=6, dim=6, depth=0, heads=1)
    visible = torch.randn(2, 3, 6)
    keep = torch.tensor([[1, 4, 6], [0, 2, 7]])
    out = decoder(visible, keep)
    placed = decoder.norm(decoder.embed(visible) + decoder.positions[0, keep])
    for b in range(2):
        assert torch.allclose(out[b, keep[b]], placed[b], atol=1e-6)
        hidden = hidden_tokens(keep, 8)[b]
        assert torch.allclose(
            out[b, hidden], decoder.norm(decoder.mask_token[0] + decoder.positions[0, hidden]), atol=1e-6
        )


@pytest.mark.parametrize("method", ["videomae", "discovr"])
def test_n2_per_token_losses_see_only_hidden_tokens(method):
    module = tiny_task("discovr_synthetic", *ONLY.get(method, []))
    torch.manual_seed(3)
    captured = {}

    def keep_grad(_module, _inputs, output):
        output.retain_grad()
        captured["out"] = output

    module.decoder.register_forward_hook(keep_grad)
    torch.manual_seed(4)
    keep = tube_mask(2, module.encoder.grid, 0.9)
    torch.manual_seed(4)  # the module draws the same global mask
    terms, _ = module.loss_terms(tiny_clips())
    term = "reconstruction" if method == "videomae" else "cluster"
    terms[term].backward()
    grad = captured["out"].grad.abs().sum(-1)
    hidden = hidden_tokens(keep, module.encoder.num_patches)
    assert grad[~hidden].max() == 0 and grad[hidden].min() > 0


def test_k2_the_image_branch_sees_the_first_frame_of_each_tubelet_in_token_order():
    module = tiny_task()
    clips = torch.arange(4.0)[None, None, :, None, None].expand(2, 3, 4, 32, 32).clone()
    clips[1] += 10  # clip 1's frames read 10-13
    frames = module._target_frames(clips)
    assert frames.shape == (4, 3, 1, 32, 32)
    assert frames[:, 0, 0, 0, 0].tolist() == [0.0, 2.0, 10.0, 12.0]  # (clip, slot) order, frames 0 and 2


def test_k3_n5_ema_and_centre_momenta_come_from_the_config():
    module = tiny_task(
        "discovr_synthetic", "task.ema.momentum=0.9", "task.ema.final=0.9", "task.dino.centre_momentum=0.5"
    )
    before = module.encoder.embed.weight.detach().clone()
    logits = []
    module.image_head_ema.register_forward_hook(lambda _m, _i, out: logits.append(out.detach().clone()))
    fit(module, batches=1)
    after = module.encoder.embed.weight.detach()
    assert torch.allclose(module.encoder_ema.embed.weight, 0.9 * before + 0.1 * after, atol=1e-6)
    assert module.image_centre.momentum == 0.5
    assert torch.allclose(module.image_centre.centre, 0.5 * logits[0].mean(0, keepdim=True), atol=1e-5)


def test_a_run_too_short_for_its_ema_momentum_is_warned_about():
    """0.99 over a handful of steps leaves the teachers the probes read mostly at their random init."""
    with pytest.warns(UserWarning, match=r"keep \d+% of their random initial weights"):
        fit(tiny_task("discovr_synthetic", *ONLY["jepa"], "task.ema.momentum=0.99"), batches=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.filterwarnings("ignore", message=r"(?!.*random initial weights)")
        fit(
            tiny_task("discovr_synthetic", *ONLY["jepa"], "task.ema.momentum=0.1", "task.ema.final=0.1"),
            batches=2,
        )


def test_n3_the_learning_rate_warms_up_then_decays_every_step():
    module = tiny_task("discovr_synthetic", "optim.warmup_epochs=1", "optim.lr=0.001")
    rates = []

    class Record(L.Callback):
        def on_train_batch_start(self, trainer, *_):
            rates.append(trainer.optimizers[0].param_groups[0]["lr"])

    fit(module, batches=4, epochs=3, callbacks=[Record()])
    assert len(rates) == 12
    assert rates[0] == pytest.approx(1e-4)  # warmup_start_factor 0.1
    assert all(a < b for a, b in zip(rates[:4], rates[1:5], strict=True))
    assert all(a > b for a, b in zip(rates[4:], rates[5:], strict=False))
    assert rates[-1] < 0.1 * rates[4]
    assert {g["weight_decay"] for g in module.trainer.optimizers[0].param_groups} == {0.05, 0.0}


def test_n1_the_reverse_term_trains_the_prototypes():
    module = tiny_task()
    terms, _ = module.loss_terms(tiny_clips())
    terms["cluster_reverse"].backward()
    assert module.prototypes.grad is not None and module.prototypes.grad.abs().sum() > 0
    assert module.decoder.embed.weight.grad is None  # the teacher side is fixed: only prototypes learn
    one_way = tiny_task("discovr_synthetic", "task.weights.cluster_reverse=0")
    assert "cluster_reverse" not in one_way.loss_terms(tiny_clips())[0]


def test_n7_dino_is_one_mean_over_every_sample_and_view():
    module = tiny_task().eval()
    student, teacher = torch.randn(2, 6, 64), torch.randn(6, 64)
    whole, _ = module._dino(student, teacher, module.image_centre)
    parts = [
        module._dino(student[:, n : n + 1], teacher[n : n + 1], module.image_centre)[0] for n in range(6)
    ]
    assert torch.allclose(whole, torch.stack(parts).mean(), atol=1e-6)


def test_n8_the_image_teacher_runs_once_per_step():
    module = tiny_task()
    calls = []
    module.image_encoder_ema.register_forward_hook(lambda *_: calls.append(1))
    fit(module, batches=3)
    assert len(calls) == 3


def test_a_collapse_is_warned_about_once_with_what_to_try():
    module = tiny_task("discovr_synthetic", "task.collapse.after_epochs=3")
    collapsed = {"prototypes_used": 1.0, "image_teacher_entropy": 0.0, "feature_std": 0.001}
    fit(module, batches=1, epochs=2)  # attaches a trainer, now at its epoch 2
    module._warned = False  # (whatever the two tiny epochs looked like)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        module.trainer.fit_loop.epoch_progress.current.completed = 1  # epoch 1: before after_epochs
        module._warn_on_collapse(collapsed)
    module.trainer.fit_loop.epoch_progress.current.completed = 2
    with pytest.warns(UserWarning, match="pretraining looks collapsed at epoch 2") as record:
        module._warn_on_collapse(collapsed)
    message = str(record[0].message)
    assert "only 1 of 16 prototypes" in message and "task.cluster.prototypes" in message
    assert "image_teacher_entropy is 0.000" in message and "feature_std is 0.001" in message
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a second one would raise here
        module._warn_on_collapse(collapsed)
