"""Self-supervised pretraining of a video ViT: DISCOVR, VideoMAE and V-JEPA as weighted loss terms.

One training step masks the clip with a tube mask and encodes the visible tokens with the student
encoder (`encoder`); its EMA copy (`encoder_ema`) is the video teacher. The loss is the weighted sum of
the terms whose weight (`task.weights`) is above 0; only the networks those terms need are built:

reconstruction   VideoMAE: the decoder predicts the normalised pixels of each hidden tubelet (MSE)
latent           V-JEPA: the decoder (a narrow predictor) predicts the layer-normed EMA-teacher tokens of
                 each hidden tubelet from the visible ones (L1)
cluster          DISCOVR's semantic cluster distillation: Sinkhorn codes of the image teacher's patch
                 tokens, predicted by the decoder at each hidden token (cross-entropy at temperature τ)
cluster_reverse  the "vice versa" term: the image teacher's tokens scored against the prototypes must
                 predict the decoder's own codes; the teacher is fixed, so it trains the prototypes
image_dino       DINO on frames: the image teacher on the whole frame, the image student on masked views
video_dino       DINO on clips: the video teacher's CLS on the whole clip, the student's CLS on local
                 tube masks

DISCOVR = cluster + cluster_reverse + image_dino + video_dino; VideoMAE = reconstruction; JEPA = latent.
The image branch (an image ViT with the encoder's sizes and its EMA teacher) sees only the first frame of
each tubelet, the frame whose tokens line up with the video tokens (DISCOVR.md K2), and its teacher runs
once per step for both of its uses (N8). How every defect of the reference is avoided: docs/pretraining.md.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from lightning.pytorch.utilities import rank_zero_warn
from torch import nn

from echolab.errors import ConfigError
from echolab.models import create_model
from echolab.models.pretrain.heads import DINOHead, TokenDecoder
from echolab.tasks.base import EcholabTask
from echolab.tasks.optim import configure_optimization
from echolab.tasks.pretrain.collapse import collapse_problems, feature_spread
from echolab.tasks.pretrain.datamodule import pretrain_preprocess
from echolab.tasks.pretrain.losses import (
    entropy,
    masked_mean,
    normalised_pixels,
    patchify,
    sinkhorn,
    soft_cross_entropy,
    standardise_over_tokens,
)
from echolab.tasks.pretrain.masking import hidden_tokens, tube_mask
from echolab.tasks.pretrain.teachers import (
    Centre,
    check_momentum,
    ema_copy,
    ema_momentum,
    ema_update,
    initial_share,
    teacher_temperature,
)

# The share of their random initialisation the EMA teachers may keep at the end of a run without a warning.
MAX_INITIAL_SHARE = 0.05
TERMS = ("reconstruction", "latent", "cluster", "cluster_reverse", "image_dino", "video_dino")
DECODER_TERMS = ("reconstruction", "latent", "cluster", "cluster_reverse")
# Parameters kept out of weight decay besides biases and norms (1-D): learned tokens and the prototypes,
# whose scale normalisation removes anyway.
NO_DECAY = ("cls_token", "mask_token", "prototypes")
HISTORY_KEY = "echolab_pretrain_history"  # per-epoch loss terms and monitors, kept across a resume


class PretrainTask(EcholabTask):
    """Every constructor argument is a plain value (the experiment's `model:`, `optim:` and `task:`
    blocks), so `load_from_checkpoint(path)` needs no config.

    model:      the encoder, `{"name": "video_vit", frames, size, patch, tubelet, dim, depth, heads, ...}`
    preprocess: how clips are made (datamodule.pretrain_preprocess), for probes and embeddings
    weights, mask, ema, decoder, image, dino, cluster, collapse: the `task:` block (task/pretrain.yaml)
    """

    task_name = "pretrain"

    def __init__(
        self,
        model: dict,
        optim: dict,
        preprocess: dict,
        weights: dict,
        mask: dict,
        ema: dict,
        decoder: dict,
        image: dict,
        dino: dict,
        cluster: dict,
        collapse: dict,
    ):
        super().__init__()
        _check_weights(weights)
        check_momentum("task.ema.momentum", ema["momentum"])
        check_momentum("task.ema.final", ema["final"])
        self.save_hyperparameters()
        self.weights = {term: float(weights.get(term, 0.0)) for term in TERMS}
        arguments = {k: v for k, v in model.items() if k != "name"}
        self.encoder = create_model(model["name"], task="pretrain", **arguments)
        self.encoder_ema = ema_copy(self.encoder)
        dim = self.encoder.dim
        if self.uses(*DECODER_TERMS):
            self.decoder = TokenDecoder(
                self.encoder.grid, dim, decoder["dim"], decoder["depth"], decoder["heads"]
            )
        if self.uses("reconstruction"):
            pixels = model["tubelet"] * model["patch"] ** 2 * model.get("in_chans", 3)
            self.pixel_head = nn.Linear(decoder["dim"], pixels)
        if self.uses("latent"):
            self.latent_head = nn.Linear(decoder["dim"], dim)
        if self.uses("cluster", "cluster_reverse"):
            self.cluster_head = nn.Linear(decoder["dim"], dim)
            self.prototypes = nn.Parameter(F.normalize(torch.randn(cluster["prototypes"], dim), dim=-1))
        if self.uses("image_dino", "cluster", "cluster_reverse"):
            frame = {**arguments, "frames": 1, "tubelet": 1}
            self.image_encoder = create_model(model["name"], task="pretrain", **frame)
            self.image_encoder_ema = ema_copy(self.image_encoder)
        head = (dino["hidden"], dino["bottleneck"], dino["out"])
        if self.uses("image_dino"):
            self.image_head = DINOHead(dim, *head)
            self.image_head_ema = ema_copy(self.image_head)
            self.image_centre = Centre(dino["out"], dino["centre_momentum"])
        if self.uses("video_dino"):
            self.video_head = DINOHead(dim, *head)
            self.video_head_ema = ema_copy(self.video_head)
            self.video_centre = Centre(dino["out"], dino["centre_momentum"])
        # The epoch the weights were trained in, saved with them: the teacher temperature of an evaluation
        # follows the checkpoint, not a trainer's epoch counter (0 in `echolab evaluate`).
        self.register_buffer("trained_epoch", torch.zeros((), dtype=torch.long))
        self.history: list[dict] = []  # one entry per training epoch: its mean terms and monitors
        self.val_report: dict = {}
        self.test_report: dict = {}
        self._epoch = {stage: EpochMeans() for stage in ("train", "val", "test")}
        self._val_epoch: dict | None = None
        self._warned = False

    @classmethod
    def from_config(cls, cfg: dict, datamodule) -> PretrainTask:
        blocks = ("weights", "mask", "ema", "decoder", "image", "dino", "cluster", "collapse")
        return cls(
            model=encoder_config(cfg),
            optim=cfg["optim"],
            preprocess=pretrain_preprocess(cfg["data"]),
            **{key: cfg["task"][key] for key in blocks},
        )

    def uses(self, *terms: str) -> bool:
        """Whether any of `terms` has a weight above 0 (and so is computed, and its networks built)."""
        return any(self.weights[term] > 0 for term in terms)

    # --- the loss terms ------------------------------------------------------------------------

    def loss_terms(
        self, clips: torch.Tensor, generator: torch.Generator | None = None
    ) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        """The unweighted loss terms of a batch of clips, and its collapse monitors.

        Masks are drawn from `generator` (evaluation passes give a seeded one, so every epoch scores
        the same masks) or torch's global RNG (training, seeded by `seed=`). DINO centres move only in
        training mode.
        """
        encoder, task = self.encoder, self.hparams
        patches = encoder.embed_patches(clips)
        keep = self._mask(len(clips), encoder.grid, task.mask["ratio"], task.mask["kind"], generator)
        tokens = encoder.encode(patches, keep)
        hidden = hidden_tokens(keep, encoder.num_patches)
        terms: dict[str, torch.Tensor] = {}
        monitors = {"feature_std": feature_spread(tokens[:, 1:].mean(dim=1))} if len(clips) > 1 else {}

        teacher = None
        if self.uses("latent", "video_dino"):
            with torch.no_grad():
                teacher = self.encoder_ema(clips)
        decoded = self.decoder(tokens[:, 1:], keep) if self.uses(*DECODER_TERMS) else None
        if self.uses("reconstruction"):
            target = normalised_pixels(
                patchify(clips, self.hparams.model["tubelet"], self.hparams.model["patch"])
            )
            errors = (self.pixel_head(decoded) - target).pow(2).mean(dim=-1)
            terms["reconstruction"] = masked_mean(errors, hidden)
        if self.uses("latent"):
            target = F.layer_norm(teacher[:, 1:], (encoder.dim,))  # V-JEPA normalises its targets
            errors = (self.latent_head(decoded) - target).abs().mean(dim=-1)
            terms["latent"] = masked_mean(errors, hidden)
        if self.uses("video_dino"):
            views = task.mask["local_views"]
            local = self._mask(
                len(clips) * views, encoder.grid, task.mask["ratio"], task.mask["kind"], generator
            )
            student = self.video_head(encoder.encode(patches.repeat(views, 1, 1), local)[:, 0])
            teacher_logits = self.video_head_ema(teacher[:, 0])
            terms["video_dino"], monitors["video_teacher_entropy"] = self._dino(
                student.view(views, len(clips), -1), teacher_logits, self.video_centre
            )
        if self.uses("image_dino", "cluster", "cluster_reverse"):
            frames = self._target_frames(clips)
            with torch.no_grad():
                image_teacher = self.image_encoder_ema(frames)  # once per step, for both uses
            if self.uses("image_dino"):
                terms["image_dino"], monitors["image_teacher_entropy"] = self._image_dino(
                    frames, image_teacher[:, 0], generator
                )
            if self.uses("cluster", "cluster_reverse"):
                targets = standardise_over_tokens(image_teacher[:, 1:]).reshape(len(clips), -1, encoder.dim)
                cluster_terms, monitors["code_counts"] = self._cluster(
                    self.cluster_head(decoded)[hidden], targets[hidden]
                )
                terms |= cluster_terms
        return terms, monitors

    def _mask(self, batch: int, grid, ratio: float, kind: str, generator) -> torch.Tensor:
        return tube_mask(batch, grid, ratio, kind=kind, generator=generator).to(self.device)

    def _target_frames(self, clips: torch.Tensor) -> torch.Tensor:
        """(B, C, T, H, W) -> (B·T/tubelet, C, 1, H, W): the first frame of every tubelet, in (clip, slot)
        order, so frame tokens reshaped to (B, t·h·w) line up with the video tokens index by index."""
        frames = clips[:, :, :: self.hparams.model["tubelet"]]
        b, c, t, h, w = frames.shape
        return frames.permute(0, 2, 1, 3, 4).reshape(b * t, c, 1, h, w)

    def _image_dino(self, frames: torch.Tensor, teacher_cls: torch.Tensor, generator) -> tuple:
        image = self.hparams.image
        views = image["views"]
        keep = self._mask(
            len(frames) * views, self.image_encoder.grid, image["mask_ratio"], "random", generator
        )
        patches = self.image_encoder.embed_patches(frames).repeat(views, 1, 1)
        student = self.image_head(self.image_encoder.encode(patches, keep)[:, 0])
        return self._dino(
            student.view(views, len(frames), -1), self.image_head_ema(teacher_cls), self.image_centre
        )

    def _dino(self, student: torch.Tensor, teacher: torch.Tensor, centre: Centre) -> tuple:
        """DINO cross-entropy of the student's (views, N, K) logits against the centred, sharpened teacher
        (N, K): one mean over every view and every sample (N7), and the teacher's entropy."""
        dino = self.hparams.dino
        temperature = teacher_temperature(
            int(self.trained_epoch),
            dino["teacher_temperature"],
            dino["teacher_temperature_final"],
            dino["teacher_warmup_epochs"],
        )
        target = centre.probabilities(teacher.float(), temperature)
        loss = soft_cross_entropy(target, student.float() / dino["student_temperature"])
        if self.training:
            centre.update(teacher)
        return loss, entropy(target)

    def _cluster(self, student: torch.Tensor, teacher: torch.Tensor) -> tuple[dict, torch.Tensor]:
        """Cluster distillation on the hidden tokens' (M, D) decoder and image-teacher features; and how
        often each prototype was the teacher's code."""
        cluster = self.hparams.cluster
        prototypes = F.normalize(self.prototypes, dim=-1)  # unit rows
        student_scores = F.normalize(student.float(), dim=-1) @ prototypes.t()
        teacher_scores = F.normalize(teacher.float(), dim=-1) @ prototypes.t()
        teacher_codes = sinkhorn(
            teacher_scores, cluster["sinkhorn_eps"], cluster["sinkhorn_iterations"]
        ).argmax(-1)
        terms = {"cluster": F.cross_entropy(student_scores / cluster["temperature"], teacher_codes)}
        if self.uses("cluster_reverse"):
            student_codes = sinkhorn(
                student_scores, cluster["sinkhorn_eps"], cluster["sinkhorn_iterations"]
            ).argmax(-1)
            terms["cluster_reverse"] = F.cross_entropy(teacher_scores / cluster["temperature"], student_codes)
        return terms, torch.bincount(teacher_codes, minlength=len(prototypes))

    def weighted(self, terms: dict[str, torch.Tensor]) -> torch.Tensor:
        return sum(self.weights[name] * value for name, value in terms.items())

    # --- training ------------------------------------------------------------------------------

    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        terms, monitors = self.loss_terms(batch["clip"])
        loss = self.checked(self.weighted(terms))
        batch_size = len(batch["clip"])
        self.log("train/loss", loss, prog_bar=True, batch_size=batch_size)  # the terms: the CSV log and W&B
        self.log_dict({f"train/{k}": v for k, v in terms.items()}, batch_size=batch_size)
        self.log("train/ema_momentum", self.ema_momentum(), batch_size=batch_size)
        self._epoch["train"].add({"loss": loss, **terms}, monitors)
        return loss

    def ema_momentum(self) -> float:
        """The EMA momentum of the coming update: task.ema.momentum ramped to task.ema.final (cosine)."""
        ema = self.hparams.ema
        return ema_momentum(
            self.global_step, self.trainer.estimated_stepping_batches, ema["momentum"], ema["final"]
        )

    def optimizer_step(self, *args, **kwargs) -> None:
        momentum = self.ema_momentum()
        super().optimizer_step(*args, **kwargs)
        for teacher, student in self.ema_pairs():
            ema_update(teacher, student, momentum)

    def ema_pairs(self) -> list[tuple[nn.Module, nn.Module]]:
        """(teacher, student) pairs the EMA updates after every optimiser step."""
        names = [("encoder_ema", "encoder"), ("image_encoder_ema", "image_encoder")]
        names += [("image_head_ema", "image_head"), ("video_head_ema", "video_head")]
        return [(getattr(self, t), getattr(self, s)) for t, s in names if hasattr(self, s)]

    def on_train_start(self) -> None:
        ema, steps = self.hparams.ema, int(self.trainer.estimated_stepping_batches)
        share = initial_share(steps, ema["momentum"], ema["final"])
        if share > MAX_INITIAL_SHARE:
            rank_zero_warn(
                f"task.ema: over this run's {steps} steps the EMA teachers (encoder_ema, which the probes read, "
                f"and every DINO / JEPA target) keep {share:.0%} of their random initial weights (momentum "
                f"{ema['momentum']} ramped to {ema['final']}); lower task.ema.momentum or task.ema.final, or "
                "train for more steps"
            )

    def on_train_epoch_start(self) -> None:
        self.trained_epoch.fill_(self.current_epoch)
        self._epoch["train"] = EpochMeans()

    def on_train_epoch_end(self) -> None:
        train = self._epoch["train"].means(self.trainer.strategy.reduce)
        self.log_dict({f"collapse/{k}": v for k, v in train.items() if k in _MONITORS}, sync_dist=False)
        self.history.append({"epoch": self.current_epoch, "train": train, "val": self._val_epoch or {}})
        self._val_epoch = None
        self._warn_on_collapse(train)

    def _warn_on_collapse(self, monitors: dict) -> None:
        limits = self.hparams.collapse
        if self._warned or self.current_epoch + 1 < limits["after_epochs"]:
            return
        problems = collapse_problems(
            monitors, limits, self.hparams.cluster["prototypes"], self.hparams.dino["out"]
        )
        if problems:
            self._warned = True
            rank_zero_warn(
                f"pretraining looks collapsed at epoch {self.current_epoch}: "
                + "; ".join(problems)
                + ". This warning is given once per run; the monitors are logged every epoch (collapse/*)."
            )

    # --- evaluation: the same terms on held-out clips, with fixed masks ---------------------------

    def validation_step(self, batch: dict, batch_idx: int) -> None:
        self._evaluate("val", batch, batch_idx)

    def test_step(self, batch: dict, batch_idx: int) -> None:
        self._evaluate("test", batch, batch_idx)

    def _evaluate(self, stage: str, batch: dict, batch_idx: int) -> None:
        generator = torch.Generator().manual_seed(batch_idx)
        terms, monitors = self.loss_terms(batch["clip"], generator)
        self._epoch[stage].add({"loss": self.weighted(terms), **terms}, monitors)

    def on_validation_epoch_start(self) -> None:
        self._epoch["val"] = EpochMeans()

    def on_validation_epoch_end(self) -> None:
        self.val_report = self._epoch["val"].means(self.trainer.strategy.reduce)
        self.log_dict({f"val/{k}": v for k, v in self.val_report.items()}, sync_dist=False)
        if self.trainer.state.fn == "fit" and not self.trainer.sanity_checking:
            self._val_epoch = dict(self.val_report)

    def on_test_epoch_start(self) -> None:
        self._epoch["test"] = EpochMeans()

    def on_test_epoch_end(self) -> None:
        self.test_report = self._epoch["test"].means(self.trainer.strategy.reduce)
        self.log_dict({f"test/{k}": v for k, v in self.test_report.items()}, sync_dist=False)

    # --- optimiser, checkpoint ---------------------------------------------------------------------

    def configure_optimizers(self):
        """AdamW (or the experiment's optimiser) over the trainable parameters: EMA teachers are left
        out, and biases, norms, learned tokens and prototypes get no weight decay."""
        decay, no_decay = [], []
        for name, parameter in self.named_parameters():
            if parameter.requires_grad:
                exempt = parameter.ndim < 2 or name.split(".")[-1] in NO_DECAY
                (no_decay if exempt else decay).append(parameter)
        groups = [{"params": decay}, {"params": no_decay, "weight_decay": 0.0}]
        return configure_optimization(
            groups, self.hparams.optim, self.trainer.estimated_stepping_batches, self.trainer.max_epochs
        )

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        super().on_save_checkpoint(checkpoint)
        checkpoint[HISTORY_KEY] = self.history

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        self.history = list(checkpoint.get(HISTORY_KEY, []))


def encoder_config(cfg: dict) -> dict:
    """The encoder's config of a pretraining experiment (what hparams.model records): its `model:` block
    plus `frames` and `size`, which are the data module's (data.clip.frames, data.size), so one key
    changes both. Build the encoder with `create_model(name, task="pretrain", **the rest)`."""
    model, data = cfg["model"], cfg["data"]
    given = [key for key in ("frames", "size") if key in model]
    if given:
        raise ConfigError(
            f"model.{' and model.'.join(given)} come from the data block: set data.clip.frames and "
            "data.size instead"
        )
    return {**model, "frames": data["clip"]["frames"], "size": data["size"]}


class EpochMeans:
    """One stage's running sums over an epoch: the mean of each loss term and monitor, and how often
    each prototype was the teacher's code (-> prototypes_used)."""

    def __init__(self):
        self.sums: dict[str, list] = {}  # name -> [sum, batches]
        self.codes: torch.Tensor | None = None

    def add(self, values: dict[str, torch.Tensor], monitors: dict[str, torch.Tensor]) -> None:
        counts = monitors.pop("code_counts", None)
        if counts is not None:
            self.codes = counts if self.codes is None else self.codes + counts
        for name, value in {**values, **monitors}.items():
            total = self.sums.setdefault(name, [0.0, 0])
            total[0] += value.detach().float()
            total[1] += 1

    def means(self, reduce) -> dict[str, float]:
        """The epoch's means, averaged over processes by `reduce` (the strategy's)."""
        means = {
            name: float(reduce(total / count, reduce_op="mean")) for name, (total, count) in self.sums.items()
        }
        if self.codes is not None:
            means["prototypes_used"] = float((reduce(self.codes.clone(), reduce_op="sum") > 0).sum())
        return means


_MONITORS = ("prototypes_used", "image_teacher_entropy", "video_teacher_entropy", "feature_std")


def _check_weights(weights: dict) -> None:
    problems = [f"task.weights.{k} is unknown (terms: {', '.join(TERMS)})" for k in weights if k not in TERMS]
    problems += [f"task.weights.{k}={v} is negative" for k, v in weights.items() if v < 0]
    if not any(weights.get(term, 0) > 0 for term in TERMS):
        problems.append("every task.weights entry is 0: give at least one loss term a weight above 0")
    if (weights.get("cluster", 0) > 0 or weights.get("cluster_reverse", 0) > 0) and not weights.get(
        "image_dino", 0
    ) > 0:
        problems.append(
            "task.weights.cluster needs task.weights.image_dino > 0: the cluster targets come from the image "
            "teacher, which only image DINO trains"
        )
    if problems:
        raise ConfigError("; ".join(problems))
