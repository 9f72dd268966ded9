import pickle

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, Dataset

from echolab.data.transforms import IMAGENET_MEAN, IMAGENET_STD, ClipTransform
from echolab.errors import ConfigError


def textured_clip(frames=6, height=60, width=80, seed=0):
    """`frames` copies of one random-textured frame."""
    frame = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    return np.repeat(frame[None], frames, axis=0)


@pytest.mark.parametrize("train", [True, False])
def test_output_is_normalised_float_channels_first(train):
    out = ClipTransform(32, train=train)(textured_clip(), seed=0)
    assert out.dtype == torch.float32
    assert out.shape == (3, 6, 32, 32)


@pytest.mark.parametrize("hflip", [False, True])
def test_train_applies_one_draw_to_every_frame(hflip):
    transform = ClipTransform(32, train=True, hflip=hflip)
    for seed in range(5):
        out = transform(textured_clip(), seed=seed)
        assert all(torch.equal(out[:, 0], out[:, t]) for t in range(1, 6))


def test_a_training_clip_is_drawn_from_its_seed_alone():
    transform = ClipTransform(32, train=True)
    first, other, again = (transform(textured_clip(), seed=s) for s in (1, 2, 1))
    assert not torch.equal(first, other) and torch.equal(first, again)
    with pytest.raises(ValueError, match=r"needs the clip's seed: transform\(clip, seed=...\)"):
        transform(textured_clip())


def test_eval_is_deterministic_and_normalises_with_mean_and_std():
    colour = np.array([200, 100, 50], np.uint8)
    clip = np.broadcast_to(colour, (4, 50, 70, 3)).copy()
    transform = ClipTransform(32, train=False)
    out = transform(clip)
    assert torch.equal(out, transform(clip))
    expected = (colour / 255.0 - np.array(IMAGENET_MEAN)) / np.array(IMAGENET_STD)
    assert torch.allclose(out.mean(dim=(1, 2, 3)), torch.tensor(expected, dtype=torch.float32), atol=1e-5)


def test_eval_resizes_the_shorter_side_then_crops_the_centre():
    # 64x128 clip whose left and right quarters are white: resizing to 37 (= round(32 * 256/224))
    # rows gives 74 columns, and the centre 32 columns lie inside the black middle half.
    clip = np.zeros((2, 64, 128, 3), np.uint8)
    clip[:, :, :32] = clip[:, :, 96:] = 255
    out = ClipTransform(32, train=False, mean=(0, 0, 0), std=(1, 1, 1))(clip)
    assert out.shape == (3, 2, 32, 32)
    assert out.max() == 0
    wide = ClipTransform(32, train=False, mean=(0, 0, 0), std=(1, 1, 1), eval_resize_ratio=1.0)(clip)
    assert wide.max() == 0


def test_no_flip_unless_asked():
    # Bright left half: a horizontal flip would move it right. Everything else held still.
    clip = np.zeros((2, 40, 40, 3), np.uint8)
    clip[:, :, :20] = 255
    still = dict(scale=(1.0, 1.0), rotate=0.0, brightness=0.0, contrast=0.0, mean=(0, 0, 0), std=(1, 1, 1))
    never = ClipTransform(40, train=True, **still)
    assert all(never(clip, seed=s)[:, :, :, :20].mean() > 0.9 for s in range(20))
    sometimes = ClipTransform(40, train=True, hflip=True, **still)
    assert any(sometimes(clip, seed=s)[:, :, :, :20].mean() < 0.1 for s in range(30))


def test_survives_pickling_for_dataloader_workers():
    for train in (True, False):
        transform = pickle.loads(pickle.dumps(ClipTransform(32, train=train)))
        assert transform(textured_clip(), seed=0).shape == (3, 6, 32, 32)


class _SeededClips(Dataset):
    def __init__(self):
        self.transform = ClipTransform(32, train=True)

    def __len__(self):
        return 4

    def __getitem__(self, seed):
        return self.transform(textured_clip(), seed=seed)


def test_forked_workers_make_the_clips_the_main_process_makes():
    # Each worker holds a copy of the transform; the clip still depends only on the seed it is given.
    in_process = [_SeededClips()[seed] for seed in range(4)]
    loader = DataLoader(_SeededClips(), batch_size=1, num_workers=2, multiprocessing_context="fork")
    from_workers = [batch[0] for batch in loader]
    assert all(torch.equal(a, b) for a, b in zip(in_process, from_workers, strict=True))
    assert not torch.equal(in_process[0], in_process[1])


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match=r"uint8 \(T, H, W, 3\)"):
        ClipTransform(32, train=False)(textured_clip().astype(np.float32))
    with pytest.raises(ConfigError, match="eval_resize_ratio"):
        ClipTransform(32, train=False, eval_resize_ratio=0.5)
