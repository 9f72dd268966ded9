"""Clip-consistent augmentation: one random draw of parameters applied to every frame of a clip.

Per-frame random crops or rotations would make a still heart appear to move; albumentations 2.0
applies a single draw to all frames when called as `Compose(...)(images=clip)`.
"""

from __future__ import annotations

import albumentations as A
import cv2
import numpy as np
import torch

from echolab.errors import ConfigError

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class ClipTransform:
    """uint8 (T, H, W, 3) clip -> normalised float32 (3, T, size, size) tensor.

    Train (STFM recipe): RandomResizedCrop(size, scale, ratio), rotation within ±rotate degrees,
    brightness/contrast jitter, and an optional horizontal flip (off by default: echo views have
    an orientation, flipping turns one view into something no probe produces).
    Eval: resize the shorter side to round(size * eval_resize_ratio), then centre-crop size.
    """

    def __init__(
        self,
        size: int,
        *,
        train: bool,
        scale=(0.7, 1.0),
        ratio=(1.0, 1.0),
        rotate: float = 10.0,
        brightness: float = 0.2,
        contrast: float = 0.2,
        hflip: bool = False,
        mean=IMAGENET_MEAN,
        std=IMAGENET_STD,
        eval_resize_ratio: float = 256 / 224,
    ):
        if eval_resize_ratio < 1:
            raise ConfigError(
                f"eval_resize_ratio must be >= 1 (resize, then crop {size}), got {eval_resize_ratio}"
            )
        self.size = size
        self.train = train
        # Kept readable: an exported model's sidecar states them (echolab/export/sidecar.py).
        self.mean, self.std = tuple(float(m) for m in mean), tuple(float(s) for s in std)
        self.eval_resize = round(size * eval_resize_ratio)
        if train:
            steps = [
                A.RandomResizedCrop(size=(size, size), scale=tuple(scale), ratio=tuple(ratio)),
                A.Rotate(limit=rotate, border_mode=cv2.BORDER_CONSTANT, fill=0, p=1.0 if rotate else 0.0),
                A.RandomBrightnessContrast(brightness_limit=brightness, contrast_limit=contrast, p=1.0),
            ]
            if hflip:
                steps.append(A.HorizontalFlip(p=0.5))
        else:
            steps = [
                A.SmallestMaxSize(max_size=self.eval_resize, interpolation=cv2.INTER_LINEAR),
                A.CenterCrop(size, size),
            ]
        self._augment = A.Compose(steps, seed=0)  # reseeded for every training clip (__call__)
        # Folding mean/std into one multiply-add keeps normalisation a single pass over the clip.
        std = np.asarray(std, dtype=np.float32)
        self._scale = (1.0 / (255.0 * std)).astype(np.float32)
        self._shift = (-np.asarray(mean, dtype=np.float32) / std).astype(np.float32)

    def __call__(self, clip: np.ndarray, seed: int | None = None) -> torch.Tensor:
        """`seed`: the draw of a training clip's augmentation. Datasets pass one per item (drawn by the
        main-process sampler, data/samplers.py), so a clip is the same whichever DataLoader worker,
        process or resumed run makes it."""
        if clip.ndim != 4 or clip.shape[-1] != 3 or clip.dtype != np.uint8:
            raise ValueError(
                f"ClipTransform expects a uint8 (T, H, W, 3) clip, got {clip.dtype} {clip.shape}"
            )
        if self.train:
            if seed is None:
                raise ValueError("a training ClipTransform needs the clip's seed: transform(clip, seed=...)")
            self._augment.set_random_seed(seed % 2**32)
        frames = self._augment(images=np.ascontiguousarray(clip))["images"]
        normalised = np.asarray(frames, dtype=np.float32) * self._scale + self._shift
        return torch.from_numpy(normalised).permute(3, 0, 1, 2).contiguous()
