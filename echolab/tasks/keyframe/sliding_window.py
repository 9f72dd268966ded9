"""Whole-video keyframe curves from a model trained on short clips (REFERENCE §2, inference).

Windows of `window` frames start every `stride` frames (SlidingWindows; stride 1, every frame, is the
paper's); a frame's value is the mean of the sigmoid outputs of all windows that contain it. A video shorter than one window is padded at the
end (the caller's padding frames, black as in training) and the padded frames are dropped.

For a model with a per-frame CNN (`reuses_frame_features`), the CNN runs once per frame and every
window reuses those features: about `window` times fewer CNN passes than running each window
through the whole model (`naive=True`, kept as the reference the benchmark compares against).
"""

from __future__ import annotations

import torch

from echolab.data.clips import SlidingWindows
from echolab.models.keyframe.base import KeyframeModel


@torch.no_grad()
def sliding_window_curves(
    model: KeyframeModel,
    video: torch.Tensor,
    n_frames: int,
    *,
    window: int = 16,
    stride: int = 1,
    frame_batch: int = 64,
    window_batch: int = 64,
    naive: bool = False,
) -> torch.Tensor:
    """(n_frames, 2) ED/ES curves of one video given as a (C, T, H, W) tensor.

    `video` holds the `n_frames` real frames followed by padding frames, at least `window` frames
    in all (so a short video still fills one window).
    """
    if n_frames < 1:
        raise ValueError("a video needs at least one frame for keyframe inference")
    if video.shape[1] < max(window, n_frames):
        raise ValueError(
            f"sliding windows of {window} frames need the video padded to at least {window} frames "
            f"(and {n_frames} real ones), got {video.shape[1]}"
        )
    starts = torch.tensor(SlidingWindows(window, stride).starts(n_frames), device=video.device)
    if model.reuses_frame_features and not naive:
        outputs = _windows_on_shared_features(model, video, starts, window, frame_batch, window_batch)
    else:
        outputs = _windows_through_model(model, video, starts, window, window_batch)
    return _mean_over_windows(outputs.sigmoid().float(), starts, window, n_frames)


def _windows_on_shared_features(model, video, starts, window, frame_batch, window_batch) -> torch.Tensor:
    used = int(starts[-1]) + window  # frames any window touches
    # (T, C, H, W), contiguous: convolutions on a transposed view take a much slower path.
    frames = video[:, :used].transpose(0, 1).contiguous()
    features = torch.cat(
        [model.frame_features(frames[i : i + frame_batch]) for i in range(0, used, frame_batch)]
    )
    sequences = features.unfold(0, window, 1)[starts].transpose(1, 2)  # windows, window, D
    return torch.cat(
        [model.temporal_head(sequences[i : i + window_batch]) for i in range(0, len(starts), window_batch)]
    )


def _windows_through_model(model, video, starts, window, window_batch) -> torch.Tensor:
    outputs = []
    for i in range(0, len(starts), window_batch):
        clips = torch.stack([video[:, s : s + window] for s in starts[i : i + window_batch].tolist()])
        outputs.append(model(clips))
    return torch.cat(outputs)


def _mean_over_windows(
    outputs: torch.Tensor, starts: torch.Tensor, window: int, n_frames: int
) -> torch.Tensor:
    """outputs (windows, window, 2) -> (n_frames, 2): each frame's mean over the windows holding it."""
    positions = (starts[:, None] + torch.arange(window, device=starts.device)).flatten()
    values = outputs.reshape(-1, outputs.shape[-1])
    real = positions < n_frames  # padding frames never count
    total = torch.zeros(n_frames, values.shape[-1], device=values.device).index_add_(
        0, positions[real], values[real]
    )
    count = torch.zeros(n_frames, device=values.device).index_add_(
        0, positions[real], torch.ones_like(positions[real], dtype=values.dtype)
    )
    return total / count[:, None]
