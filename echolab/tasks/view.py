"""View classification: a LightningModule that trains on single clips and judges whole videos.

Training sees one clip per sample. Validation, test and prediction see `eval_clips` clips of each
video at once (batch shape B×M×C×T×H×W); the video's probability is the mean of its clips', and its
uncertainty the normalised entropy of that mean (0 = certain, 1 = uniform).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from echolab.errors import EcholabError
from echolab.metrics.classification import detail_metrics, report, summary_metrics
from echolab.models import create_model
from echolab.tasks.base import EcholabTask
from echolab.tasks.optim import configure_optimization


class ViewClassificationTask(EcholabTask):
    """Everything needed to rebuild it is a plain value, so `load_from_checkpoint(path)` needs no config.

    model:      `{"name": <registered model>, **its arguments}`
    classes:    class names, in output order
    optim:      the experiment's `optim:` block
    preprocess: how clips were made (size, clip, eval_clips, cache_size); used by `echolab predict`
    """

    def __init__(
        self,
        model: dict,
        classes: list[str],
        optim: dict,
        preprocess: dict,
        loss: str = "ce",
        label_smoothing: float = 0.0,
    ):
        super().__init__()
        self.save_hyperparameters()
        if loss != "ce":
            raise EcholabError(f"task.loss '{loss}' is not available for the view task; use ce")
        arguments = {k: v for k, v in model.items() if k != "name"}
        self.model = create_model(model["name"], num_classes=len(classes), **arguments)
        self.classes = list(classes)
        self.val_summary = summary_metrics(len(classes))
        self.test_summary = summary_metrics(len(classes))
        self.test_detail = detail_metrics(len(classes))
        self.val_report: dict = {}
        self.test_report: dict = {}
        self.test_rows: list[dict] = []

    def forward(self, clips: torch.Tensor) -> torch.Tensor:
        return self.model(clips)

    def video_probabilities(self, clips: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B,M,C,T,H,W) clips of B videos -> their (B,K) probabilities and (B,) uncertainties."""
        batch, clips_per_video = clips.shape[:2]
        logits = self(clips.flatten(0, 1)).view(batch, clips_per_video, -1)
        probs = logits.float().softmax(-1).mean(1)
        entropy = -(probs * probs.clamp_min(1e-12).log()).sum(-1)
        return probs, entropy / math.log(len(self.classes))

    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        logits = self(batch["clip"])
        loss = F.cross_entropy(logits.float(), batch["label"], label_smoothing=self.hparams.label_smoothing)
        if not torch.isfinite(loss):
            raise EcholabError(
                f"training loss is {loss.item()} at epoch {self.current_epoch}, step {self.global_step}: "
                "lower optim.lr, set trainer.gradient_clip_val, or check the inputs for NaN"
            )
        acc = (logits.argmax(-1) == batch["label"]).float().mean()
        self.log_dict({"train/loss": loss, "train/acc": acc}, prog_bar=True, batch_size=len(logits))
        return loss

    def validation_step(self, batch: dict, batch_idx: int) -> None:
        probs, _ = self.video_probabilities(batch["clips"])
        self.val_summary.update(probs, batch["label"])
        loss = F.nll_loss(probs.clamp_min(1e-12).log(), batch["label"])
        self.log("val/loss", loss, batch_size=len(probs), sync_dist=True)

    def on_validation_epoch_end(self) -> None:
        values = self.val_summary.compute()
        self.log_dict({f"val/{k}": v for k, v in values.items()}, prog_bar=True, sync_dist=False)
        self.val_report = {k: float(v) for k, v in values.items()}
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

    def predict_step(self, batch: dict, batch_idx: int) -> dict:
        probs, uncertainty = self.video_probabilities(batch["clips"])
        return {"index": batch["index"], "probs": probs, "uncertainty": uncertainty}

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        checkpoint["echolab_task"] = "view"  # lets `echolab predict` pick the task from the file alone

    def configure_optimizers(self):
        return configure_optimization(
            self.parameters(),
            self.hparams.optim,
            self.trainer.estimated_stepping_batches,
            self.trainer.max_epochs,
        )
