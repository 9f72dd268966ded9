"""View classification: a LightningModule that trains on single clips and judges whole videos.

Training sees one clip per sample and minimises `loss` (cross-entropy, Re-EDL or classic EDL; see
losses/evidential.py). Validation, test and prediction see `eval_clips` clips of each video at once
(batch shape B×M×C×T×H×W), fused into one probability vector and one uncertainty per video by
`fusion` (losses/fusion.py). The test report adds the calibration of those probabilities and how
well the uncertainty tells wrong predictions from right ones (metrics/calibration.py).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from echolab.checkpoints import TASK_KEY
from echolab.errors import EcholabError
from echolab.models import create_model
from echolab.tasks.base import EcholabTask
from echolab.tasks.optim import configure_optimization
from echolab.tasks.view.calibration import uncertainty_report
from echolab.tasks.view.fusion import check_fusion, fuse
from echolab.tasks.view.losses import check_loss, clip_uncertainty, training_loss
from echolab.tasks.view.metrics import detail_metrics, report, summary_metrics


class ViewClassificationTask(EcholabTask):
    """Everything needed to rebuild it is a plain value, so `load_from_checkpoint(path)` needs no config.

    model:      `{"name": <registered model>, **its arguments}`
    classes:    class names, in output order
    optim:      the experiment's `optim:` block
    preprocess: how clips were made (size, clip, eval_clips, cache_size, placement); used by `echolab predict`
    loss, fusion, prior_weight, kl_anneal_epochs, label_smoothing, calibration_bins: the `task:` block
    """

    def __init__(
        self,
        model: dict,
        classes: list[str],
        optim: dict,
        preprocess: dict,
        loss: str = "ce",
        label_smoothing: float = 0.0,
        fusion: str = "prob_mean",
        prior_weight: float = 0.8,
        kl_anneal_epochs: int = 50,
        calibration_bins: int = 15,
    ):
        super().__init__()
        check_loss(loss)
        check_fusion(fusion)
        self.save_hyperparameters()
        arguments = {k: v for k, v in model.items() if k != "name"}
        self.model = create_model(model["name"], num_classes=len(classes), task="view", **arguments)
        self.classes = list(classes)
        self.val_summary = summary_metrics(len(classes))
        self.test_summary = summary_metrics(len(classes))
        self.test_detail = detail_metrics(len(classes))
        self.val_report: dict = {}
        self.test_report: dict = {}
        self.val_rows: list[tuple[torch.Tensor, ...]] = []
        self.test_rows: list[dict] = []

    def forward(self, clips: torch.Tensor) -> torch.Tensor:
        return self.model(clips)

    def video_probabilities(self, clips: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B,M,C,T,H,W) clips of B videos -> their fused (B,K) probabilities and (B,) uncertainties."""
        batch, clips_per_video = clips.shape[:2]
        logits = self(clips.flatten(0, 1)).view(batch, clips_per_video, -1)
        return fuse(logits, self.hparams.fusion, self.hparams.loss, self.hparams.prior_weight)

    def training_step(self, batch: dict, batch_idx: int) -> dict:
        logits = self(batch["clip"]).float()
        loss = training_loss(
            self.hparams.loss,
            logits,
            batch["label"],
            prior_weight=self.hparams.prior_weight,
            epoch=self.current_epoch,
            kl_anneal_epochs=self.hparams.kl_anneal_epochs,
            label_smoothing=self.hparams.label_smoothing,
        )
        if not torch.isfinite(loss):
            raise EcholabError(
                f"training loss is {loss.item()} at epoch {self.current_epoch}, step {self.global_step}: "
                "lower optim.lr, set trainer.gradient_clip_val, or check the inputs for NaN"
            )
        uncertainty = clip_uncertainty(logits.detach(), self.hparams.loss, self.hparams.prior_weight)
        acc = (logits.argmax(-1) == batch["label"]).float().mean()
        self.log_dict(
            {"train/loss": loss, "train/acc": acc, "train/uncertainty": uncertainty.mean()},
            prog_bar=True,
            batch_size=len(logits),
        )
        # The uncertainty-sampling callback reads each clip's uncertainty from here.
        return {"loss": loss, "uncertainty": uncertainty}

    def validation_step(self, batch: dict, batch_idx: int) -> None:
        probs, uncertainty = self.video_probabilities(batch["clips"])
        self.val_summary.update(probs, batch["label"])
        self.val_rows.append(tuple(self._gather(t) for t in (probs, uncertainty, batch["label"])))
        loss = F.nll_loss(probs.clamp_min(1e-12).log(), batch["label"])
        self.log("val/loss", loss, batch_size=len(probs), sync_dist=True)

    def on_validation_epoch_start(self) -> None:
        self.val_rows = []

    def on_validation_epoch_end(self) -> None:
        values = self.val_summary.compute()
        self.log_dict({f"val/{k}": v for k, v in values.items()}, prog_bar=True, sync_dist=False)
        self.val_report = {k: float(v) for k, v in values.items()}
        if self.val_rows:
            probs, uncertainty, labels = (torch.cat(column) for column in zip(*self.val_rows, strict=True))
            self.val_report |= uncertainty_report(probs, uncertainty, labels, self.hparams.calibration_bins)
            self.log("val/ece", self.val_report["ece"], sync_dist=False)
        self.val_summary.reset()

    def test_step(self, batch: dict, batch_idx: int) -> None:
        probs, uncertainty = self.video_probabilities(batch["clips"])
        self.test_summary.update(probs, batch["label"])
        self.test_detail.update(probs, batch["label"])
        columns = [self._gather(t) for t in (batch["index"], batch["label"], probs, uncertainty)]
        for index, label, prob, unc in zip(*columns, strict=True):
            self.test_rows.append(
                {"index": int(index), "label": int(label), "probs": prob.tolist(), "uncertainty": float(unc)}
            )

    def _gather(self, tensor: torch.Tensor) -> torch.Tensor:
        """All processes' rows of `tensor` (itself on a single device)."""
        return self.all_gather(tensor).reshape(-1, *tensor.shape[1:])

    def on_test_epoch_start(self) -> None:
        self.test_rows = []

    def on_test_epoch_end(self) -> None:
        summary = self.test_summary.compute()
        self.log_dict({f"test/{k}": v for k, v in summary.items()})
        self.test_report = report(summary, self.test_detail.compute(), self.classes)
        self.test_summary.reset()
        self.test_detail.reset()
        seen = {}
        for row in self.test_rows:  # DistributedSampler pads with repeats; keep each video once
            seen.setdefault(row["index"], row)
        self.test_rows = [seen[i] for i in sorted(seen)]
        if self.test_rows:
            self.test_report |= uncertainty_report(
                torch.tensor([row["probs"] for row in self.test_rows]),
                torch.tensor([row["uncertainty"] for row in self.test_rows]),
                torch.tensor([row["label"] for row in self.test_rows]),
                self.hparams.calibration_bins,
            )

    def predict_step(self, batch: dict, batch_idx: int) -> dict:
        probs, uncertainty = self.video_probabilities(batch["clips"])
        return {"index": batch["index"], "probs": probs, "uncertainty": uncertainty}

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        checkpoint[TASK_KEY] = "view"  # lets `echolab predict` pick the task from the file alone

    def configure_optimizers(self):
        return configure_optimization(
            self.parameters(),
            self.hparams.optim,
            self.trainer.estimated_stepping_batches,
            self.trainer.max_epochs,
        )
