"""Per-video feature vectors: a frozen encoder's CLS and mean token, or raw pixels.

Encoder features (DISCOVR's protocol): `clips` clips spread evenly over each video, each made by the
checkpoint's own deterministic transform (its evaluation resize and normalisation), through the encoder
in eval mode; a video's vector is the mean over its clips. Every split goes through the very same path (bank and
queries alike, N9), and no video is ever dropped (N9's drop_last): a vector per record, in order.

Raw pixels (the issue's baseline): every frame in grey, shrunk to size x size; a video's vector is the
per-pixel mean over time followed by the per-pixel standard deviation over time (2 size^2 values).
"""

from __future__ import annotations

import cv2
import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset
from tqdm import tqdm

from echolab.data.clips import ClipSpec, UniformClips, gather_clip
from echolab.data.records import VideoRecord
from echolab.data.transforms import ClipTransform
from echolab.io.cache import FrameCache
from echolab.probe.perturb import Perturbation


class ProbeClips(Dataset):
    """The evaluation clips of each video, optionally perturbed first; item = {clips (M,C,T,H,W), index}."""

    def __init__(
        self,
        records: list[VideoRecord],
        cache: FrameCache,
        spec: ClipSpec,
        clips: int,
        transform: ClipTransform,
        perturb: Perturbation | None = None,
    ):
        self.paths = [record.path for record in records]
        self.cache, self.sampler, self.transform = cache, UniformClips(spec, clips), transform
        self.perturb = perturb

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> dict:
        frames = self.cache.frames(self.paths[index])
        clips = []
        for indices in self.sampler(len(frames)):
            clip = gather_clip(frames, indices)
            if self.perturb is not None:
                clip = self.perturb(clip, indices, index)
            clips.append(self.transform(clip))
        return {"clips": torch.stack(clips), "index": index}


@torch.no_grad()
def encoder_features(
    encoders: dict[str, nn.Module],
    records: list[VideoRecord],
    cache: FrameCache,
    *,
    spec: ClipSpec,
    transform: ClipTransform,
    clips: int = 3,
    batch_size: int = 8,
    perturb: Perturbation | None = None,
    desc: str = "features",
) -> dict[str, np.ndarray]:
    """`{"<name>/cls": (N, dim), "<name>/mean": (N, dim)}` for each encoder (a VideoViT: `features(clips)`
    gives its CLS and mean token), one row per record in order. Encoders are put in eval mode for the
    pass and given back in the mode they came in."""
    loader = DataLoader(ProbeClips(records, cache, spec, clips, transform, perturb), batch_size=batch_size)
    modes = {name: encoder.training for name, encoder in encoders.items()}
    out: dict[str, list[torch.Tensor]] = {
        f"{name}/{pool}": [] for name in encoders for pool in ("cls", "mean")
    }
    try:
        for encoder in encoders.values():
            encoder.eval()
        for batch in tqdm(loader, desc=desc, unit="batch", leave=False, disable=len(loader) < 2):
            videos, per_video = batch["clips"].shape[:2]
            for name, encoder in encoders.items():
                device = next(encoder.parameters()).device
                pooled = encoder.features(batch["clips"].flatten(0, 1).to(device))
                for pool in ("cls", "mean"):
                    out[f"{name}/{pool}"].append(
                        pooled[pool].float().view(videos, per_video, -1).mean(1).cpu()
                    )
    finally:
        for name, encoder in encoders.items():
            encoder.train(modes[name])
    return {key: torch.cat(parts).numpy() for key, parts in out.items()}


def pixel_features(
    records: list[VideoRecord],
    cache: FrameCache,
    *,
    size: int = 16,
    perturb: Perturbation | None = None,
    desc: str = "pixels",
) -> dict[str, np.ndarray]:
    """`{"pixels": (N, 2 size^2)}`: each video's per-pixel temporal mean and standard deviation of its
    frames in grey at size x size, in [0, 1]."""
    rows = []
    for index, record in enumerate(
        tqdm(records, desc=desc, unit="video", leave=False, disable=len(records) < 2)
    ):
        frames = np.asarray(cache.frames(record.path))
        if perturb is not None:
            frames = perturb(frames, np.arange(len(frames)), index)
        small = np.stack(
            [
                cv2.resize(
                    cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY), (size, size), interpolation=cv2.INTER_AREA
                )
                for frame in frames
            ]
        ).reshape(len(frames), -1)
        grey = small.astype(np.float32) / 255.0
        rows.append(np.concatenate([grey.mean(0), grey.std(0)]))
    return {"pixels": np.stack(rows)}
