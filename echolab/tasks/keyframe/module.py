"""ED/ES keyframe detection: per-frame curve regression on clips, sliding-window keyframes on videos.

Training: MSE between the sigmoid outputs and the Gaussian target curves, over the frames the mask
trusts (real frames; with single-beat labels, the annotated stretch). Validation, test and
prediction: whole videos through `sliding_window_curves`, keyframes by `pick_peaks`, scored by
`KeyframeMetrics` inside the annotated range (the whole video with labels="all").

Test outputs, read by the report callback and notebooks:
- `predictions.csv`, one row per video: video, fps, frames, true_ed, true_es, pred_ed, pred_es
  (frame lists are 0-based indices joined by ';'; true_* empty when the video has no labels);
- `curves.npz`: for each video name, a (frames, 2) float32 array of the predicted ED and ES curves
  (and `<name>/target` for the target curves).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from echolab.errors import ConfigError
from echolab.models import create_model
from echolab.models.keyframe.base import KEYFRAME_OUTPUTS
from echolab.tasks.base import EcholabTask
from echolab.tasks.keyframe.datamodule import clip_frames, keyframe_preprocess
from echolab.tasks.keyframe.metrics import KeyframeMetrics, score_video
from echolab.tasks.keyframe.peaks import PeakSettings, pick_peaks
from echolab.tasks.keyframe.sliding_window import sliding_window_curves
from echolab.tasks.keyframe.targets import KEYFRAME_CLASSES


def masked_mse(predicted: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean squared error over the (…, frames, 2) values whose frame is True in `mask` (…, frames)."""
    weights = mask.to(predicted.dtype).unsqueeze(-1).expand_as(predicted)
    return ((predicted - target) ** 2 * weights).sum() / weights.sum().clamp_min(1.0)


class KeyframeTask(EcholabTask):
    """Rebuildable from its checkpoint alone (every argument a plain value).

    model:      `{"name": <registered keyframe model>, **its arguments}`
    optim:      the experiment's `optim:` block
    preprocess: size, cache_size, clip (frames), sigma, labels (see keyframe_preprocess)
    peaks:      PeakSettings fields (min_distance_s, prominence, fallback_fps)
    tolerance_s: how far (seconds) a predicted keyframe may be from a true one and still match it
    network:    a ready network to use instead of building `model` (an exported one, echolab/export/);
                not a hyper-parameter
    """

    task_name = "keyframe"

    def __init__(
        self,
        model: dict,
        optim: dict,
        preprocess: dict,
        peaks: dict,
        tolerance_s: float = 0.2,
        network: nn.Module | None = None,
    ):
        super().__init__()
        self.save_hyperparameters(ignore=["network"])
        arguments = {k: v for k, v in model.items() if k != "name"}
        if network is None:
            network = create_model(model["name"], num_classes=KEYFRAME_OUTPUTS, task="keyframe", **arguments)
        self.model = network
        self.peak_settings = PeakSettings(**peaks)
        self.classes = list(KEYFRAME_CLASSES)
        self.val_report: dict = {}
        self.test_report: dict = {}
        self.val_rows: list[dict] = []
        self.test_rows: list[dict] = []
        # Frames between sliding-window starts at validation and test: 1 (every window, the paper's)
        # unless the experiment lists callbacks.sliding_window (use_window_stride).
        self.window_stride = 1

    @classmethod
    def from_config(cls, cfg: dict, datamodule) -> KeyframeTask:
        return cls(
            model=cfg["model"],
            optim=cfg["optim"],
            preprocess=keyframe_preprocess(cfg["data"]),
            peaks=cfg["task"]["peaks"],
            tolerance_s=cfg["task"]["tolerance_s"],
        )

    def forward(self, clip: torch.Tensor) -> torch.Tensor:
        return self.model(clip)

    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        curves = self(batch["clip"]).float().sigmoid()
        loss = self.checked(masked_mse(curves, batch["target"], batch["mask"]))
        self.log("train/loss", loss, prog_bar=True, batch_size=len(curves))
        return loss

    def use_window_stride(self, stride: int) -> None:
        """Evaluate with windows every `stride` frames; beyond one window's length some frames would
        fall between windows and have no value."""
        window = clip_frames(self.hparams.preprocess)
        if stride > window:
            raise ConfigError(
                f"callbacks.sliding_window.stride={stride} leaves frames outside every {window}-frame window; "
                f"use a stride of at most {window} (data.clip.frames)"
            )
        self.window_stride = stride

    def video_curves(self, batch: dict) -> torch.Tensor:
        """(n_frames, 2) predicted curves of the one video in `batch`."""
        return sliding_window_curves(
            self.model,
            batch["video"],
            int(batch["n_frames"]),
            window=clip_frames(self.hparams.preprocess),
            stride=self.window_stride,
        )

    def keyframes(self, curves: torch.Tensor, fps: float | None, name: str) -> dict[str, list[int]]:
        values = curves.cpu().numpy()
        sigma = self.hparams.preprocess["sigma"]
        return {
            event: pick_peaks(values[:, column], fps, self.peak_settings, sigma=sigma, name=name)
            for column, event in enumerate(("ed", "es"))
        }

    def _judge(self, batch: dict, name: str) -> tuple[torch.Tensor, dict]:
        """The video's curves, and its row: true and predicted keyframes and, when labelled, its score
        (score_video) and loss."""
        curves = self.video_curves(batch)
        fps = _fps(batch["fps"])
        predicted = self.keyframes(curves, fps, name)
        record = self.trainer.datamodule.records(self._split)[int(batch["index"])]
        true = {"ed": sorted(record.ed), "es": sorted(record.es)}
        row = {"index": int(batch["index"]), "fps": fps, "true": true, "predicted": predicted, "score": None}
        mask = batch["mask"]
        if mask.any():
            frames = torch.nonzero(mask).flatten()
            rate = fps or self.peak_settings.fallback_fps
            tolerance = self.hparams.tolerance_s * rate
            # Single-beat labels: a keyframe within matching reach of the stretch still counts.
            low, high = int(frames[0]), int(frames[-1])
            if len(frames) < len(mask):
                low, high = low - math.floor(tolerance), high + math.floor(tolerance)
            row["score"] = score_video(true, predicted, fps=fps, tolerance=tolerance, frame_range=(low, high))
            row["loss"] = float(masked_mse(curves, batch["target"], mask))
        return curves, row

    @property
    def _split(self) -> str:
        return "test" if self.trainer.testing else "val"

    def on_validation_epoch_start(self) -> None:
        self.val_rows = []

    def validation_step(self, batch: dict, batch_idx: int) -> None:
        self.val_rows.append(self._judge(batch, f"val video {int(batch['index'])}")[1])

    def on_validation_epoch_end(self) -> None:
        self.val_report = self._finish(self.gather(self.val_rows), "val")

    def on_test_epoch_start(self) -> None:
        self.test_rows = []

    def test_step(self, batch: dict, batch_idx: int) -> None:
        record = self.trainer.datamodule.records("test")[int(batch["index"])]
        curves, row = self._judge(batch, record.name)
        self.test_rows.append(
            row
            | {
                "video": record.name,
                "frames": int(batch["n_frames"]),
                "curves": curves.cpu().numpy(),
                "target": batch["target"].cpu().numpy() if batch["mask"].any() else None,
            }
        )

    def on_test_epoch_end(self) -> None:
        self.test_rows = self.gather(self.test_rows)
        self.test_report = self._finish(self.test_rows, "test")

    def test_scores(self) -> dict:
        return {
            "settings": {},
            "videos": [{"video": row["video"]} | row["score"] for row in self.test_rows if row["score"]],
        }

    def _finish(self, rows: list[dict], split: str) -> dict:
        """The split's metrics and loss from the rows of every process, each video once (DDP repeats a
        few videos so every process gets as many): every process holds what one process computes, and
        the monitored val/loss picks the same best.ckpt on all of them."""
        judged = [row for row in rows if row["score"]]
        metrics = KeyframeMetrics(sync_on_compute=False)
        for row in judged:
            metrics.update(row["score"])
        values = metrics.compute()
        shown = {k: v for k, v in values.items() if math.isfinite(v)}
        if judged:  # the mean over videos, as Lightning averaged the per-video losses it was logged as
            shown["loss"] = sum(row["loss"] for row in judged) / len(judged)
        self.log_dict({f"{split}/{k}": v for k, v in shown.items()}, prog_bar=False)
        return values

    def predict_step(self, batch: dict, batch_idx: int) -> dict:
        curves = self.video_curves(batch)
        fps = _fps(batch["fps"])
        return {
            "index": int(batch["index"]),
            "fps": fps,
            "n_frames": int(batch["n_frames"]),
            "curves": curves.cpu().numpy(),
            "keyframes": self.keyframes(curves, fps, f"video {int(batch['index'])}"),
        }


def _fps(value) -> float | None:
    value = float(value)
    return value if math.isfinite(value) and value > 0 else None
