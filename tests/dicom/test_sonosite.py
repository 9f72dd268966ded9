"""The real SonoSite cardiac cine pydicom ships (REFERENCE.md §4): decoded, masked, its text dropped."""

import numpy as np
import pytest
from pydicom.examples import get_path

from echolab.dicom.cine import masked_frames, read_cine, read_header
from echolab.dicom.decode import rgb_frames

SONOSITE = get_path("ybr_color")


@pytest.fixture(scope="module")
def sonosite():
    frames = np.stack(list(rgb_frames(SONOSITE, read_header(SONOSITE))))
    return frames, read_cine(SONOSITE)


def burned_in_ink(frames: np.ndarray) -> np.ndarray:
    """Text and symbols the scanner drew: bright in every frame (the picture itself moves)."""
    return frames.max(axis=3).min(axis=0) > 100


def test_the_sonosite_cine_decodes_to_rgb_with_its_true_rate(sonosite):
    frames, cine = sonosite
    assert frames.shape == (30, 240, 320, 3) and frames.dtype == np.uint8
    # decoded once from YBR_FULL_422: echo is grey, so the channels agree (twice-converted is green)
    assert np.abs(frames[..., 1].astype(int) - frames[..., 0]).mean() < 2
    assert cine.fps == 30.0003  # FrameTime 33.333 ms, not a default
    assert cine.transfer_syntax == "JPEG Baseline (Process 1)" and cine.manufacturer == "SonoSite, Inc."


def test_the_sonosite_mask_keeps_the_sector_and_none_of_the_burned_in_text(sonosite):
    frames, cine = sonosite
    assert 0.410 < cine.mask_area < 0.420  # DICOM.md: 41.5 %
    ink = burned_in_ink(frames)
    kept = ink & cine.mask.astype(bool)
    top_left = ink[:35, :70]  # the patient's name is drawn here
    assert top_left.sum() > 50 and kept[:35, :70].sum() == 0
    right = ink[:, 290:]  # imaging parameters
    assert right.sum() > 30 and kept[:, 290:].sum() <= 0.02 * right.sum()
    assert kept.sum() <= 0.03 * ink.sum()


def test_the_sonosite_region_is_for_another_image_size_so_it_is_dropped(sonosite):
    _, cine = sonosite
    # its region (84,31)-(595,414) at 0.051 cm/px was written for 640x480, not this 320x240 image
    assert cine.cm_per_px is None and "region_out_of_bounds" in cine.flags


def test_the_sonosite_masked_frames_hold_no_burned_in_text(sonosite):
    frames, cine = sonosite
    masked = np.stack(list(masked_frames(SONOSITE, cine)))
    x0, y0, x1, y1 = cine.crop
    assert masked.shape == (30, y1 - y0, x1 - x0, 3)
    kept = burned_in_ink(frames) & cine.mask.astype(bool)
    # nothing static and bright survives but the few pixels of it inside the fan (its apex marker)
    assert burned_in_ink(masked).sum() == kept.sum() <= 5
