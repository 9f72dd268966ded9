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
from torch import nn

from echolab.data.clips import ClipSpec, SlidingWindows
from echolab.distributed import rank_and_world
from echolab.models import create_model
from echolab.tasks.base import EcholabTask
from echolab.tasks.view.calibration import uncertainty_report
from echolab.tasks.view.datamodule import eval_transform, view_preprocess
from echolab.tasks.view.datasets import VideoClips
from echolab.tasks.view.fusion import check_fusion, fuse
from echolab.tasks.view.losses import check_loss, clip_uncertainty, training_loss
from echolab.tasks.view.metrics import detail_metrics, of_videos, report, summary_metrics


class ViewClassificationTask(EcholabTask):
    """Everything needed to rebuild it is a plain value, so `load_from_checkpoint(path)` needs no config.

    model:      `{"name": <registered model>, **its arguments}`
    classes:    class names, in output order
    optim:      the experiment's `optim:` block
    preprocess: how clips were made (size, clip, eval_clips, cache_size, placement); used by `echolab predict`
    loss, fusion, prior_weight, kl_anneal_epochs, label_smoothing, calibration_bins: the `task:` block
    network:    a ready network to use instead of building `model` (an exported one, echolab/export/);
                not a hyper-parameter
    """

    task_name = "view"

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
        network: nn.Module | None = None,
    ):
        super().__init__()
        check_loss(loss)
        check_fusion(fusion)
        self.save_hyperparameters(ignore=["network"])
        arguments = {k: v for k, v in model.items() if k != "name"}
        if network is None:
            network = create_model(model["name"], num_classes=len(classes), task="view", **arguments)
        self.model = network
        self.classes = list(classes)
        self.val_report: dict = {}
        self.test_report: dict = {}
        self.val_rows: list[dict] = []
        self.test_rows: list[dict] = []

    @classmethod
    def from_config(cls, cfg: dict, datamodule) -> ViewClassificationTask:
        task = cfg["task"]
        return cls(
            model=cfg["model"],
            classes=datamodule.classes,
            optim=cfg["optim"],
            preprocess=view_preprocess(cfg["data"]),
            loss=task["loss"],
            label_smoothing=task["label_smoothing"],
            fusion=task["fusion"],
            prior_weight=task["prior_weight"],
            kl_anneal_epochs=task["kl_anneal_epochs"],
            calibration_bins=task["calibration_bins"],
        )

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
        self.checked(loss)
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
        self.val_rows.extend(_rows(batch, probs, uncertainty))

    def on_validation_epoch_start(self) -> None:
        self.val_rows = []

    # Validation and test metrics are computed from the per-video rows of every process, each video once
    # (DDP repeats a few videos so every process gets as many), so every process holds the numbers one
    # process would compute, and the monitored metric picks the same best.ckpt on all of them.
    def on_validation_epoch_end(self) -> None:
        rows = self.gather(self.val_rows)
        probs, labels = _probabilities_and_labels(rows)
        values = of_videos(summary_metrics(len(self.classes), sync_on_compute=False), probs, labels)
        self.val_report = {k: float(v) for k, v in values.items()} | self._uncertainty_report(rows)
        loss = F.nll_loss(probs.clamp_min(1e-12).log(), labels)
        self.log_dict({f"val/{k}": v for k, v in values.items()}, prog_bar=True)
        self.log_dict({"val/ece": self.val_report["ece"], "val/loss": loss})

    def test_step(self, batch: dict, batch_idx: int) -> None:
        probs, uncertainty = self.video_probabilities(batch["clips"])
        self.test_rows.extend(_rows(batch, probs, uncertainty))

    def _uncertainty_report(self, rows: list[dict]) -> dict:
        probs, labels = _probabilities_and_labels(rows)
        uncertainties = torch.tensor([row["uncertainty"] for row in rows])
        return uncertainty_report(probs, uncertainties, labels, self.hparams.calibration_bins)

    def on_test_epoch_start(self) -> None:
        self.test_rows = []

    def on_test_epoch_end(self) -> None:
        self.test_rows = self.gather(self.test_rows)
        probs, labels = _probabilities_and_labels(self.test_rows)
        summary = of_videos(summary_metrics(len(self.classes), sync_on_compute=False), probs, labels)
        detail = of_videos(detail_metrics(len(self.classes), sync_on_compute=False), probs, labels)
        self.log_dict({f"test/{k}": v for k, v in summary.items()})
        self.test_report = report(summary, detail, self.classes) | self._uncertainty_report(self.test_rows)

    def test_scores(self) -> dict:
        records = self.trainer.datamodule.records("test")
        return {
            "settings": {"classes": self.classes, "calibration_bins": self.hparams.calibration_bins},
            "videos": [
                {"video": records[row["index"]].name} | {k: row[k] for k in ("label", "probs", "uncertainty")}
                for row in self.test_rows
            ],
        }

    @torch.no_grad()
    def dense_report(self, records: list, cache, stride: int, chunk: int = 32) -> dict[str, float]:
        """Accuracy and macro-F1 with every window of each video fused (a clip starting every `stride`
        frames, plus one ending at the last frame), beside the `eval_clips` sampled clips of the
        ordinary evaluation (callbacks/sliding_window.py calls this). Under DDP each process takes every
        world_size-th video and the rows are gathered."""
        preprocess = self.hparams.preprocess
        spec = ClipSpec(**preprocess["clip"])
        windows = SlidingWindows(spec.frames, stride, frame_stride=spec.stride, pad="clamp")
        videos = VideoClips(records, cache, windows, eval_transform(preprocess))
        rows, (rank, world) = [], rank_and_world()
        for index in range(rank, len(videos), world):
            item = videos[index]
            clips = item["clips"].to(self.device)
            logits = torch.cat([self(part) for part in clips.split(chunk)])  # bounded memory on long videos
            probs, _ = fuse(logits[None], self.hparams.fusion, self.hparams.loss, self.hparams.prior_weight)
            rows.append({"index": index, "probs": probs[0].tolist(), "label": item["label"]})
        probs, labels = _probabilities_and_labels(self.gather(rows))
        values = of_videos(summary_metrics(len(self.classes), sync_on_compute=False), probs, labels)
        return {"acc": float(values["acc"]), "macro_f1": float(values["macro_f1"])}

    def predict_step(self, batch: dict, batch_idx: int) -> dict:
        probs, uncertainty = self.video_probabilities(batch["clips"])
        return {"index": batch["index"], "probs": probs, "uncertainty": uncertainty}


def _probabilities_and_labels(rows: list[dict]) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.tensor([row["probs"] for row in rows]), torch.tensor([row["label"] for row in rows])


def _rows(batch: dict, probs: torch.Tensor, uncertainty: torch.Tensor) -> list[dict]:
    """One row per video of a batch, for the uncertainty report and predictions.csv."""
    return [
        {"index": int(index), "label": int(label), "probs": prob.tolist(), "uncertainty": float(unc)}
        for index, label, prob, unc in zip(batch["index"], batch["label"], probs, uncertainty, strict=True)
    ]
