"""Reading one DICOM file: every photometric / transfer-syntax case, timing, regions, bad files, the mask."""

import numpy as np
import pytest
from pydicom.pixels import convert_color_space

from echolab.dicom.cine import masked_frames, read_cine, read_header
from echolab.dicom.decode import rgb_frames
from echolab.dicom.unusable import UnusableCine
from tests.dicom.cines import fan_mask, render_frames, write_cine

REFERENCE = render_frames()
GREY = np.round(REFERENCE.astype(np.float64) @ [0.299, 0.587, 0.114]).astype(int)  # OpenCV's weights

# (photometric, syntax, largest per-channel error against the rendered frames)
LOSSLESS_COLOUR = [
    ("RGB", "native", 0),
    ("RGB", "rle", 0),
    ("RGB", "j2k", 0),
    ("RGB", "jpeg_ls", 0),
    ("RGB", "jpeg_lossless", 0),
    ("YBR_FULL", "native", 1),  # YBR_FULL itself rounds; converted once, not twice
    ("YBR_FULL", "rle", 1),
]
GREY_CASES = [
    ("MONOCHROME2", "native"),
    ("MONOCHROME2", "rle"),
    ("MONOCHROME2", "j2k"),
    ("MONOCHROME2", "jpeg_ls"),
    ("MONOCHROME2", "jpeg_lossless"),
    ("MONOCHROME1", "native"),
    ("PALETTE8", "native"),
    ("PALETTE16", "native"),
    ("PALETTE16", "rle"),
]


def decoded(path):
    return np.stack(list(rgb_frames(path, read_header(path)))).astype(int)


@pytest.mark.parametrize(("photometric", "syntax", "tolerance"), LOSSLESS_COLOUR)
def test_colour_cines_decode_to_the_rendered_rgb(tmp_path, photometric, syntax, tolerance):
    path = write_cine(tmp_path / "cine.dcm", photometric=photometric, syntax=syntax)
    assert np.abs(decoded(path) - REFERENCE).max() <= tolerance


def test_ybr_data_is_converted_to_rgb_exactly_once(tmp_path):
    frames = decoded(write_cine(tmp_path / "cine.dcm", photometric="YBR_FULL"))
    twice = convert_color_space(frames.astype(np.uint8), "YBR_FULL", "RGB").astype(int)
    assert np.abs(frames - REFERENCE).mean() < 0.1 and np.abs(twice - REFERENCE).mean() > 10


def test_jpeg_baseline_ybr_422_decodes_to_rgb_within_jpeg_error(tmp_path):
    frames = decoded(write_cine(tmp_path / "cine.dcm", syntax="jpeg_baseline"))
    assert frames.shape == REFERENCE.shape
    assert np.abs(frames - REFERENCE).mean() < 3  # green-tinted double conversion would be ~40


@pytest.mark.parametrize(("photometric", "syntax"), GREY_CASES)
def test_grey_and_palette_cines_decode_to_grey_rgb(tmp_path, photometric, syntax):
    frames = decoded(write_cine(tmp_path / "cine.dcm", photometric=photometric, syntax=syntax))
    assert frames.shape == REFERENCE.shape
    assert (frames[..., 0] == frames[..., 1]).all() and (frames[..., 1] == frames[..., 2]).all()
    # a 16-bit LUT's values (up to 65280) shifted back to 8 bits; MONOCHROME1 inverted back
    assert np.abs(frames[..., 0] - GREY).max() <= 1


@pytest.mark.parametrize(
    ("timing", "fps", "flags"),
    [
        ("frame_time", 25.0, ()),
        ("frame_time_vector", 25.0, ()),
        ("variable_vector", 25.0, ("fps_variable",)),
        ("cine_rate", 25.0, ()),
        ("display_rate", 25.0, ("fps_display_rate",)),
        ("none", None, ("fps_missing",)),
    ],
)
def test_frame_rate_comes_from_the_timing_tags_never_a_default(tmp_path, timing, fps, flags):
    cine = read_cine(write_cine(tmp_path / "cine.dcm", timing=timing, frame_time_ms=40.0))
    assert cine.fps == fps and cine.flags == flags


def test_frame_time_gives_the_exact_rate(tmp_path):
    cine = read_cine(write_cine(tmp_path / "cine.dcm", frame_time_ms=62.727))  # the TEE cine's
    assert cine.fps == round(1000 / 62.727, 4) == 15.9421


def test_a_region_that_fits_gives_the_scale_and_bounds_the_sector(tmp_path):
    cine = read_cine(write_cine(tmp_path / "cine.dcm", region=(30, 0, 129, 100), cm_per_px=0.031))
    assert cine.cm_per_px == 0.031 and cine.flags == ()
    x0, _, x1, _ = cine.crop
    assert x0 >= 30 and x1 <= 130


def test_a_region_written_for_another_image_size_is_dropped_and_flagged(tmp_path):
    # SonoSite writes a 640x480 box on a 320x240 cine
    cine = read_cine(write_cine(tmp_path / "cine.dcm", region=(84, 31, 595, 414)))
    assert cine.cm_per_px is None and cine.flags == ("region_out_of_bounds",)


def test_the_sector_mask_finds_the_fan_and_drops_text_toolbar_and_ecg(tmp_path):
    cine = read_cine(write_cine(tmp_path / "cine.dcm"))
    fan = fan_mask(*REFERENCE.shape[1:3])
    mask = cine.mask.astype(bool)
    assert (mask & fan).sum() / (mask | fan).sum() > 0.95
    assert not mask[:20, :60].any()  # burned-in name and birth date
    assert not mask[100:].any()  # ECG trace and toolbar


def test_masked_frames_are_zero_outside_the_sector_and_cropped_to_it(tmp_path):
    path = write_cine(tmp_path / "cine.dcm")
    cine = read_cine(path)
    frames = np.stack(list(masked_frames(path, cine)))
    x0, y0, x1, y1 = cine.crop
    assert frames.shape == (12, y1 - y0, x1 - x0, 3)
    inside = cine.mask[y0:y1, x0:x1].astype(bool)
    assert not frames[:, ~inside].any()
    assert (frames[:, inside] == REFERENCE[:, y0:y1, x0:x1][:, inside]).all()


def test_bad_files_get_their_reason(tmp_path):
    cases = {}
    cases["not_dicom"] = tmp_path / "notes.dcm"
    cases["not_dicom"].write_text("not a DICOM file at all")
    native = write_cine(tmp_path / "native.dcm").read_bytes()
    cases["truncated"] = tmp_path / "cut-native.dcm"
    cases["truncated"].write_bytes(native[: len(native) // 2])
    encapsulated = write_cine(tmp_path / "jpeg.dcm", syntax="jpeg_baseline").read_bytes()
    truncated_encapsulated = tmp_path / "cut-jpeg.dcm"
    truncated_encapsulated.write_bytes(encapsulated[: int(len(encapsulated) * 0.9)])
    cases["not_ultrasound"] = write_cine(tmp_path / "ct.dcm", modality="CT")
    cases["single_frame"] = write_cine(tmp_path / "one.dcm", REFERENCE[:1])
    cases["static"] = write_cine(tmp_path / "still.dcm", np.repeat(REFERENCE[:1], 6, axis=0))
    small = np.zeros((12, 120, 160, 3), np.uint8)
    small[:, 50:56, 70:76] = np.arange(12)[:, None, None, None] * 20  # a moving speck: 0.2 % of the image
    cases["mask_area"] = write_cine(tmp_path / "speck.dcm", small)
    for reason, path in [*cases.items(), ("truncated", truncated_encapsulated)]:
        with pytest.raises(UnusableCine) as caught:
            read_cine(path)
        assert caught.value.reason == reason, path.name
        assert str(tmp_path) not in str(caught.value)


def test_a_file_without_pixel_data_a_video_syntax_and_an_unknown_syntax_are_reported(tmp_path):
    from pydicom import dcmread
    from pydicom.encaps import encapsulate
    from pydicom.uid import MPEG2MPML

    path = write_cine(tmp_path / "cine.dcm")
    ds = dcmread(path)
    del ds.PixelData
    ds.save_as(tmp_path / "empty.dcm")
    with pytest.raises(UnusableCine, match="no pixel data"):
        read_cine(tmp_path / "empty.dcm")
    ds = dcmread(path)
    ds.file_meta.TransferSyntaxUID = MPEG2MPML
    ds.PixelData = encapsulate([b"\x00\x00\x01\xb3" + bytes(60)])  # an MPEG-2 sequence header, no more
    ds.save_as(tmp_path / "mpeg.dcm")
    with pytest.raises(UnusableCine) as caught:
        read_cine(tmp_path / "mpeg.dcm")
    assert caught.value.reason == "video_transfer_syntax"
    ds.file_meta.TransferSyntaxUID = "1.2.840.113619.5.2"  # a vendor's private syntax: no decoder
    ds.save_as(tmp_path / "private.dcm")
    with pytest.raises(UnusableCine) as caught:
        read_cine(tmp_path / "private.dcm")
    assert caught.value.reason == "unsupported_transfer_syntax"


def test_only_2d_regions_that_fit_count_and_unequal_pixel_sides_give_no_scale():
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence

    from echolab.dicom.regions import imaging_region

    def region(box, spatial_format=1, dx=0.05, dy=0.05):
        item = Dataset()
        item.RegionSpatialFormat = spatial_format
        item.RegionLocationMinX0, item.RegionLocationMinY0 = box[:2]
        item.RegionLocationMaxX1, item.RegionLocationMaxY1 = box[2:]
        item.PhysicalUnitsXDirection = item.PhysicalUnitsYDirection = 3
        item.PhysicalDeltaX, item.PhysicalDeltaY = dx, dy
        return item

    ds = Dataset()
    ds.SequenceOfUltrasoundRegions = Sequence(
        [
            region((0, 0, 50, 50)),
            region((0, 0, 150, 100), spatial_format=3),
            region((10, 10, 90, 80), dy=0.06),
        ]
    )
    found, flags = imaging_region(ds, rows=120, columns=160)
    assert found.box == (10, 10, 90, 80) and found.cm_per_px is None and flags == ["anisotropic_pixels"]
    assert imaging_region(Dataset(), rows=120, columns=160) == (None, [])
