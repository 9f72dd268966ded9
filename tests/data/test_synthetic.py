"""The synthetic echo generator: anatomy and labels it promises, and the published layouts."""

from __future__ import annotations

import argparse
import csv
import hashlib
import re
from pathlib import Path

import cv2
import numpy as np
import pytest

from echolab.data.synthetic import (
    MOTION_ONLY_PAIR,
    VIEW_CLASSES,
    command,
    render_video,
    write_echonet,
    write_ev9v,
    write_manifest_dataset,
)
from echolab.data.synthetic.marker import read_marker
from echolab.data.synthetic.overlay import ECG_SECONDS
from echolab.data.synthetic.quality import DEFECT_KINDS
from echolab.data.synthetic.views import VIEWS
from echolab.errors import ConfigError, DatasetError

SMALL = {"size": 64, "frames": 40}


def _read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames), list(reader)


def _folder_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _first_video_with(kind: str, view: str = "A4C") -> object:
    for index in range(200):
        video = render_video(view, seed=3, index=index, **SMALL)
        if any(segment.kind == kind for segment in video.quality_segments):
            return video
    raise AssertionError(f"no {kind} segment in 200 videos")


# --------------------------------------------------------------------------- renderer


def test_view_names_and_motion_pair():
    assert VIEW_CLASSES == ("PLHLA", "PMASA", "PMVLSA", "PASA", "A4C", "A5C", "PMPALA", "PPMLSA", "SC4C")
    assert tuple(VIEWS) == VIEW_CLASSES
    assert MOTION_ONLY_PAIR == ("PMASA", "PPMLSA")


@pytest.mark.parametrize("view", VIEW_CLASSES)
def test_video_is_grey_uint8_with_one_area_per_frame(view):
    video = render_video(view, seed=0, index=1, **SMALL)
    assert video.frames.shape == (40, 64, 64, 3) and video.frames.dtype == np.uint8
    assert (video.frames[..., 0] == video.frames[..., 2]).all()
    assert video.lv_area.shape == (40,) and video.quality.shape == (40,)
    assert video.frames[:, video.sector_mask].mean() > 20  # the sector is not blank


@pytest.mark.parametrize("view", ["A4C", "PMASA", "PLHLA", "PASA"])
@pytest.mark.parametrize("index", [0, 1, 2])
def test_ed_and_es_are_the_drawn_lv_area_extremes_of_every_beat(view, index):
    video = render_video(view, seed=5, index=index, size=64, frames=90, fps=30.0)
    area, ed, es = video.lv_area, video.ed, video.es
    beats = 90 / 30.0 * video.heart_rate_bpm / 60.0
    assert abs(len(ed) - beats) <= 1.5 and abs(len(es) - beats) <= 1.5
    events = sorted([(f, "ed") for f in ed] + [(f, "es") for f in es])
    assert all(a[1] != b[1] for a, b in zip(events, events[1:], strict=False)), "ED and ES must alternate"
    for left, right in zip(es, es[1:], strict=False):
        (between,) = [f for f in ed if left < f < right]
        assert between == left + int(np.argmax(area[left:right]))
    for left, right in zip(ed, ed[1:], strict=False):
        (between,) = [f for f in es if left < f < right]
        assert between == left + int(np.argmin(area[left:right]))
    assert (area[ed].min() - area[es].max()) > 0.1 * area.max()  # a real contraction


def test_same_seed_same_pixels_and_other_seed_other_pixels():
    first = render_video("A5C", seed=11, index=4, **SMALL)
    again = render_video("A5C", seed=11, index=4, **SMALL)
    other = render_video("A5C", seed=12, index=4, **SMALL)
    assert np.array_equal(first.frames, again.frames) and first.ed == again.ed
    assert not np.array_equal(first.frames, other.frames)


def test_turning_defects_off_changes_nothing_else():
    with_defects = render_video("SC4C", seed=2, index=7, **SMALL)
    clean = render_video("SC4C", seed=2, index=7, **SMALL, quality_defects=False)
    assert with_defects.quality_segments and not clean.quality_segments
    assert np.array_equal(with_defects.lv_area, clean.lv_area)
    assert (with_defects.ed, with_defects.es) == (clean.ed, clean.es)
    good = with_defects.quality == 0
    assert np.array_equal(with_defects.frames[good], clean.frames[good])


@pytest.mark.parametrize("kind", ["blur", "probe_motion", "dropout"])
def test_only_sector_and_overlays_are_ever_lit(kind):
    video = _first_video_with(kind)
    assert not (video.sector_mask & video.overlay_mask).any(), "annotations must stay outside the sector"
    outside = ~(video.sector_mask | video.overlay_mask)
    assert video.frames[:, outside].max() == 0


def test_text_in_top_corners_and_a_moving_ecg_below_the_sector():
    video = render_video("A4C", seed=0, index=0, size=112, frames=20)
    grey = video.frames[..., 0]
    corner = 112 // 5
    assert (grey[:, :corner, :corner] > 150).any() and (grey[:, :corner, -corner:] > 150).any()
    below = np.flatnonzero(video.sector_mask.any(axis=1))[-1] + 1
    strip = grey[:, below:]
    assert (strip > 150).any(axis=(1, 2)).all()
    assert not np.array_equal(strip[0], strip[5]), "the ECG trace scrolls"


@pytest.mark.parametrize("index", [0, 3])
def test_ecg_r_waves_fall_on_end_diastole(index):
    fps, frames = 30.0, 70
    video = render_video("A4C", seed=0, index=index, size=112, frames=frames, fps=fps)
    below = np.flatnonzero(video.sector_mask.any(axis=1))[-1] + 1
    strip = video.frames[-1, below:, :, 0] > 100  # the last frame shows the whole recent trace
    columns = np.flatnonzero(strip.any(axis=0))
    top_row = np.array([np.flatnonzero(strip[:, x])[0] for x in columns])
    spikes = columns[top_row <= top_row.min() + 2]
    spikes = [run.mean() for run in np.split(spikes, np.flatnonzero(np.diff(spikes) > 2) + 1)]
    # The trace spans ECG_SECONDS, ending (right) at the last frame's time.
    left, right = columns.min(), columns.max()
    spike_frames = (frames - 1) - (right - np.array(spikes)) / (right - left) * ECG_SECONDS * fps
    shown = [ed for ed in video.ed if ed > frames - 1 - ECG_SECONDS * fps + 2]
    assert len(shown) >= 2 and len(spikes) == len(shown)
    assert np.abs(np.array(shown) - spike_frames).max() <= 1.5


def test_poor_quality_segments_are_measurably_worse():
    for kind in ("dropout", "low_gain"):
        video = _first_video_with(kind)
        segment = next(s for s in video.quality_segments if s.kind == kind)
        inside = video.frames[segment.start : segment.stop][:, video.sector_mask, 0].mean()
        clean = video.frames[video.quality == 0][:, video.sector_mask, 0].mean()
        assert inside < 0.8 * clean, kind
        assert (video.quality[segment.start : segment.stop] == 1 + DEFECT_KINDS.index(kind)).all()
    video = _first_video_with("blur")
    segment = next(s for s in video.quality_segments if s.kind == "blur")

    def sharpness(frames):
        return np.mean(
            [cv2.Laplacian(f[..., 0].astype(np.float32), cv2.CV_32F)[video.sector_mask].var() for f in frames]
        )

    assert sharpness(video.frames[segment.start : segment.stop]) < 0.5 * sharpness(
        video.frames[video.quality == 0]
    )


def test_defects_cover_a_minority_of_frames():
    shares = [
        np.mean(render_video("PASA", seed=8, index=i, size=48, frames=60).quality > 0) for i in range(12)
    ]
    assert 0.08 <= min(shares) and max(shares) <= 0.32


# --------------------------------------------------------------------------- the motion-only pair


def _ring_profile(frame: np.ndarray, centre, radius: float) -> np.ndarray:
    """Mean brightness per half degree around the LV, over a band from cavity to outer wall."""
    polar = cv2.warpPolar(
        frame.astype(np.float32),
        (64, 720),
        tuple(map(float, centre)),
        2.0 * radius,
        cv2.WARP_POLAR_LINEAR | cv2.INTER_LINEAR,
    )
    profile = polar[:, 19:48].mean(axis=1)  # 0.6 .. 1.5 cavity radii
    return profile - profile.mean()


def _rotation_deg(before: np.ndarray, after: np.ndarray, centre, radius: float) -> float:
    """Signed turn from one frame to the next: the peak of the circular cross-correlation."""
    a, b = _ring_profile(before, centre, radius), _ring_profile(after, centre, radius)
    correlation = np.fft.irfft(np.fft.rfft(b) * np.conj(np.fft.rfft(a)), n=len(a))
    shift = (int(np.argmax(correlation)) + len(a) // 2) % len(a) - len(a) // 2
    return shift * 360.0 / len(a)


def _mean_turn(video) -> float:
    """Mean signed turn of the LV ring from one frame to the next, in degrees."""
    grey = video.frames[..., 0]
    radius = np.sqrt(video.lv_area.max() / np.pi)
    turns = [
        _rotation_deg(grey[t], grey[t + 1], video.lv_contours[t].mean(axis=0), radius)
        for t in range(len(grey) - 1)
    ]
    return float(np.mean(turns))


def test_motion_pair_is_identical_in_the_first_frame_and_then_differs():
    apex = render_video("PMASA", seed=4, index=9, **SMALL)
    papillary = render_video("PPMLSA", seed=4, index=9, **SMALL)
    assert np.array_equal(apex.frames[0], papillary.frames[0])  # same start: the view is not in the frame
    assert apex.ed == papillary.ed and apex.es == papillary.es
    y, x = np.mgrid[0:64, 0:64]
    last = len(apex.frames) - 1  # turned opposite ways for over a beat: the LV looks different
    centre, radius = apex.lv_contours[last].mean(axis=0), np.sqrt(apex.lv_area[last] / np.pi)
    around_lv = np.hypot(x - centre[0], y - centre[1]) < 2 * radius
    difference = np.abs(apex.frames[last, ..., 0].astype(int) - papillary.frames[last, ..., 0])
    assert difference[around_lv].mean() > 10


def _frame_features(view: str, indices) -> np.ndarray:
    """Per video, the average over its frames of single-frame statistics: overall brightness and
    contrast and a coarse 8x8 picture of the sector."""
    rows = []
    for index in indices:
        video = render_video(view, seed=6, index=index, size=64, frames=30)
        grey = video.frames[..., 0].astype(np.float32)
        coarse = np.stack([cv2.resize(f, (8, 8), interpolation=cv2.INTER_AREA).ravel() for f in grey])
        stats = np.stack(
            [grey[:, video.sector_mask].mean(axis=1), grey[:, video.sector_mask].std(axis=1)], axis=1
        )
        rows.append(np.concatenate([stats, coarse], axis=1).mean(axis=0))
    return np.array(rows)


def _permutation_p_value(a: np.ndarray, b: np.ndarray, rounds: int = 300) -> float:
    """How often a random relabelling separates the two groups' mean features at least as well."""
    pooled = np.vstack([a, b]) / (np.vstack([a, b]).std(axis=0) + 1e-6)
    labels = np.array([0] * len(a) + [1] * len(b))
    rng = np.random.default_rng(0)

    def gap(lab):
        return np.linalg.norm(pooled[lab == 0].mean(axis=0) - pooled[lab == 1].mean(axis=0))

    observed = gap(labels)
    return float(np.mean([gap(rng.permutation(labels)) >= observed for _ in range(rounds)]))


def test_single_frames_of_the_motion_pair_are_statistically_the_same():
    apex = _frame_features("PMASA", range(0, 14))
    papillary = _frame_features("PPMLSA", range(100, 114))
    assert _permutation_p_value(apex, papillary) > 0.05
    # The same statistic does tell another view apart: the test has power.
    great_arteries = _frame_features("PASA", range(200, 214))
    assert _permutation_p_value(apex, great_arteries) < 0.01


def test_direction_of_turning_separates_the_motion_pair():
    apex = [
        _mean_turn(render_video("PMASA", seed=1, index=i, **SMALL, quality_defects=False)) for i in range(8)
    ]
    papillary = [
        _mean_turn(render_video("PPMLSA", seed=1, index=i, **SMALL, quality_defects=False))
        for i in range(8, 16)
    ]
    assert min(apex) > 1.0 and max(papillary) < -1.0  # every video turns its own view's way, degrees/frame


# --------------------------------------------------------------------------- writers


@pytest.fixture(scope="module")
def ev9v(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("ev9v") / "data"
    write_ev9v(root, videos_per_class=3, size=48, min_frames=6, max_frames=9, progress=False)
    return root


def test_ev9v_layout(ev9v):
    assert (ev9v / "labels.csv").read_text().splitlines()[0] == "names,labels"
    header, rows = _read_csv(ev9v / "labels.csv")
    assert len(rows) == 27 and {row["labels"] for row in rows} == set(VIEW_CLASSES)
    names = [row["names"] for row in rows]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d_48x48_\d+", name) for name in names)
    split_names = [set((ev9v / f).read_text().split()) for f in ("train.txt", "validation.txt", "test.txt")]
    assert set.union(*split_names) == set(names) and sum(map(len, split_names)) == 27
    label_of = {row["names"]: row["labels"] for row in rows}
    for members in split_names:  # stratified: one of each view in each split (3 per class)
        assert sorted(label_of[name] for name in members) == sorted(VIEW_CLASSES)
    for name in names:
        frames = sorted((ev9v / "Images" / name).iterdir())
        assert 6 <= len(frames) <= 9 and frames[0].name == "frame_000001.jpg"
        assert [f.name for f in frames] == [f"frame_{i:06d}.jpg" for i in range(1, len(frames) + 1)]
    image = cv2.imread(str(frames[0]), cv2.IMREAD_UNCHANGED)
    assert image.shape == (48, 48, 3)


def test_writers_are_deterministic_and_extend_without_changing_earlier_videos(ev9v, tmp_path):
    write_ev9v(tmp_path / "again", videos_per_class=3, size=48, min_frames=6, max_frames=9, progress=False)
    assert _folder_digest(tmp_path / "again") == _folder_digest(ev9v)
    write_ev9v(tmp_path / "more", videos_per_class=4, size=48, min_frames=6, max_frames=9, progress=False)
    before, after = _folder_digest(ev9v), _folder_digest(tmp_path / "more")
    images = {k: v for k, v in before.items() if k.startswith("Images")}
    assert images.items() <= after.items()
    write_ev9v(
        tmp_path / "other", videos_per_class=3, seed=1, size=48, min_frames=6, max_frames=9, progress=False
    )
    assert not set(_folder_digest(tmp_path / "other").values()) & set(images.values())


def test_worker_processes_write_the_same_bytes(tmp_path):
    options = {"videos_per_class": 1, "size": 48, "min_frames": 6, "max_frames": 8, "progress": False}
    write_manifest_dataset(tmp_path / "one", workers=1, **options)
    write_manifest_dataset(tmp_path / "two", workers=2, **options)
    assert _folder_digest(tmp_path / "one") == _folder_digest(tmp_path / "two")


def test_refuses_to_overwrite_and_replaces_only_when_asked(ev9v, tmp_path):
    target = tmp_path / "taken"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    with pytest.raises(DatasetError, match=r"taken.*--overwrite.*--out"):
        write_ev9v(target, videos_per_class=1, size=48, min_frames=4, max_frames=4, progress=False)
    assert (target / "keep.txt").read_text() == "mine"
    write_ev9v(
        target, videos_per_class=1, size=48, min_frames=4, max_frames=4, progress=False, overwrite=True
    )
    assert not (target / "keep.txt").exists() and (target / "labels.csv").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"], "no staging folders left behind"


def test_an_interrupted_write_leaves_no_dataset(tmp_path, monkeypatch):
    from echolab.data.synthetic import dataset_writer

    calls = []

    def failing_render(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return render_video(*args, **kwargs)

    monkeypatch.setattr(dataset_writer, "render_video", failing_render)
    with pytest.raises(KeyboardInterrupt):
        write_ev9v(tmp_path / "data", videos_per_class=1, size=48, min_frames=4, max_frames=4, progress=False)
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def echonet(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("echonet") / "data"
    write_echonet(root, videos=5, fps=25.0, min_frames=32, max_frames=40, progress=False)
    return root


def test_echonet_layout_and_tracings(echonet):
    header, files = _read_csv(echonet / "FileList.csv")
    assert header == [
        "FileName",
        "EF",
        "ESV",
        "EDV",
        "FrameHeight",
        "FrameWidth",
        "FPS",
        "NumberOfFrames",
        "Split",
    ]
    assert {row["Split"] for row in files} <= {"TRAIN", "VAL", "TEST"} and len(files) == 5
    header, tracings = _read_csv(echonet / "VolumeTracings.csv")
    assert header == ["FileName", "X1", "Y1", "X2", "Y2", "Frame"]
    _, manifest = _read_csv(echonet / "manifest.csv")
    assert (echonet / "manifest.csv").read_text().splitlines()[0] == "path,label,split,fps,ed,es"
    keyframes = {Path(row["path"]).stem: row for row in manifest}
    for row in files:
        name = row["FileName"]
        assert re.fullmatch(r"0X[0-9A-F]{16}", name)
        capture = cv2.VideoCapture(str(echonet / "Videos" / f"{name}.avi"))
        assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == int(row["NumberOfFrames"])
        assert capture.get(cv2.CAP_PROP_FPS) == pytest.approx(float(row["FPS"]))
        ok, frame = capture.read()
        assert ok and frame.shape == (112, 112, 3)
        mine = [t for t in tracings if t["FileName"] == f"{name}.avi"]
        frames = list(dict.fromkeys(int(t["Frame"]) for t in mine))
        assert len(frames) == 2 and len(mine) == 42
        es_frame, ed_frame = frames  # ES listed first, as the reference loader expects
        assert str(es_frame) in keyframes[name]["es"].split(";") and str(ed_frame) in keyframes[name][
            "ed"
        ].split(";")
        assert abs(es_frame - ed_frame) < 25 * 60 / 50  # within one beat
        ef, esv, edv = (float(row[k]) for k in ("EF", "ESV", "EDV"))
        assert 0 < esv < edv and ef == pytest.approx(100 * (edv - esv) / edv, abs=1e-3)
        assert keyframes[name]["label"] == "A4C" and keyframes[name]["split"] == row["Split"].lower()


def test_echonet_chords_lie_on_the_drawn_lv_contour(echonet):
    _, files = _read_csv(echonet / "FileList.csv")
    _, tracings = _read_csv(echonet / "VolumeTracings.csv")
    name, frames = files[0]["FileName"], int(files[0]["NumberOfFrames"])
    video = render_video("A4C", seed=0, index=0, size=112, frames=frames, fps=25.0)
    rows = [t for t in tracings if t["FileName"] == f"{name}.avi"]
    for frame in {int(t["Frame"]) for t in rows}:
        contour = video.lv_contours[frame]
        chords = np.array(
            [[float(t[k]) for k in ("X1", "Y1", "X2", "Y2")] for t in rows if int(t["Frame"]) == frame]
        )
        long_axis, discs = chords[0], chords[1:]
        ends = discs.reshape(-1, 2)
        # Distance from each chord end to the contour polygon's nearest edge.
        a, b = contour, np.roll(contour, -1, axis=0)
        t = np.clip(np.einsum("pkd,kd->pk", ends[:, None] - a, b - a) / np.sum((b - a) ** 2, axis=1), 0, 1)
        nearest = a + t[..., None] * (b - a)
        assert np.linalg.norm(ends[:, None] - nearest, axis=2).min(axis=1).max() < 0.01
        direction = long_axis[2:] - long_axis[:2]
        assert np.allclose((discs[:, 2:] - discs[:, :2]) @ direction, 0, atol=1e-2), "discs are perpendicular"


def test_every_format_lists_its_degraded_frames_under_its_own_video_names(ev9v, echonet):
    """The skeleton's quality table and marker, as each format's index names its videos."""
    _, labels = _read_csv(ev9v / "labels.csv")
    _, files = _read_csv(echonet / "FileList.csv")
    for root, writer, names in (
        (ev9v, "ev9v", [r["names"] for r in labels]),
        (echonet, "echonet", [r["FileName"] for r in files]),
    ):
        header, rows = _read_csv(root / "synthetic_quality.csv")
        assert header == ["video", "defect", "start", "stop"] and rows
        assert {row["video"] for row in rows} <= set(names) and read_marker(root)["writer"] == writer
    _, rows = _read_csv(echonet / "synthetic_quality.csv")
    for index, file in enumerate(files):  # FileList.csv lists video i of the seed as row i
        video = render_video(
            "A4C", seed=0, index=index, size=112, frames=int(file["NumberOfFrames"]), fps=25.0
        )
        listed = [
            [r["defect"], int(r["start"]), int(r["stop"])] for r in rows if r["video"] == file["FileName"]
        ]
        assert listed == [[s.kind, s.start, s.stop] for s in video.quality_segments]


def test_ef_shows_only_as_contraction():
    """The EF set by shortening_for_ef is the EF the tracing measures; the LV is the same at ED."""
    from echolab.data.synthetic.discs import volume_ml
    from echolab.data.synthetic.echonet import traced_beat, tracing
    from echolab.data.synthetic.views import shortening_for_ef

    videos = {
        ef: render_video(
            "A4C", seed=0, index=2, size=112, frames=60, fps=50.0, shortening=shortening_for_ef(ef)
        )
        for ef in (25.0, 70.0)
    }
    for ef, video in videos.items():
        es, ed = traced_beat(video)
        esv, edv = (volume_ml(tracing(video, frame), video.cm_per_pixel) for frame in (es, ed))
        assert 100 * (edv - esv) / edv == pytest.approx(ef, abs=0.5)
    low, high = videos[25.0], videos[70.0]
    assert low.ed == high.ed and low.heart_rate_bpm == high.heart_rate_bpm
    ed = low.ed[0]
    assert low.lv_area[ed] == pytest.approx(high.lv_area[ed], rel=0.01)  # the same heart at ED ...
    assert low.lv_area.min() > 1.5 * high.lv_area.min()  # ... that empties much less


def test_ef_range_spreads_the_ef_and_keeps_everything_else(tmp_path):
    options = {"videos": 6, "fps": 25.0, "min_frames": 32, "max_frames": 40, "progress": False}
    plain = write_echonet(tmp_path / "plain", **options)
    wide = write_echonet(tmp_path / "wide", ef_range=(20, 75), **options)
    _, plain_rows = _read_csv(plain / "FileList.csv")
    _, wide_rows = _read_csv(wide / "FileList.csv")
    keep = ("FileName", "NumberOfFrames", "Split")
    assert [[r[k] for k in keep] for r in plain_rows] == [[r[k] for k in keep] for r in wide_rows]
    efs = [float(r["EF"]) for r in wide_rows]
    assert all(19.5 <= ef <= 75.5 for ef in efs) and efs != [float(r["EF"]) for r in plain_rows]
    # datasets written before the option existed keep a valid marker: it is recorded only when set
    assert "ef_range" not in read_marker(plain)["options"]
    assert read_marker(wide)["options"]["ef_range"] == [20, 75]
    with pytest.raises(ConfigError, match="--ef-range takes LOW HIGH"):
        write_echonet(tmp_path / "bad", ef_range=(75, 20), **options)


def test_manifest_dataset_lists_every_view_with_keyframes(tmp_path):
    root = write_manifest_dataset(
        tmp_path / "m", videos_per_class=1, size=48, min_frames=20, max_frames=24, progress=False
    )
    header, rows = _read_csv(root / "manifest.csv")
    assert header == ["path", "label", "split", "fps", "ed", "es"]
    assert sorted(row["label"] for row in rows) == sorted(VIEW_CLASSES)
    for row in rows:
        capture = cv2.VideoCapture(str(root / row["path"]))
        assert capture.read()[0] and row["split"] in {"train", "val", "test"}
        frames = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        assert all(0 <= int(f) < frames for f in (row["ed"] + ";" + row["es"]).split(";") if f)


def test_synth_command_writes_and_summarises(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    out = tmp_path / "m"
    args = parser.parse_args(
        [
            "manifest",
            "--out",
            str(out),
            "--videos-per-class",
            "1",
            "--size",
            "48",
            "--min-frames",
            "8",
            "--max-frames",
            "8",
            "--workers",
            "1",
            "--no-progress",
        ]
    )
    assert command.run(args) == 0
    summary = capsys.readouterr().out.strip()
    assert str(out) in summary and "9 synthetic manifest videos" in summary and "train" in summary
    with pytest.raises(ConfigError, match="--size"):
        command.run(parser.parse_args(["echonet", "--out", str(tmp_path / "e"), "--size", "64"]))
    with pytest.raises(ConfigError, match="--ef-range"):
        command.run(parser.parse_args(["ev9v", "--out", str(tmp_path / "v"), "--ef-range", "20", "75"]))
