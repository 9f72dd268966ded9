"""`echolab prepare dicom`: a mixed tree in, a manifest dataset out; reasons, duplicates, resuming."""

import csv
import hashlib
import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from pydicom.examples import get_path

from echolab.cli import main
from echolab.data.formats import read_manifest
from echolab.dicom.prepare import MANIFEST_COLUMNS, prepare_dicom
from echolab.errors import ConfigError
from echolab.io import read_video
from tests.dicom.cines import render_frames, write_cine

PATIENT_FOLDER = "Quixbrook^Zelphine_MRN48151623"


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    """Cines of several kinds in patient-named folders, plus every kind of bad file."""
    root = tmp_path_factory.mktemp("pacs") / "export"
    patient = root / PATIENT_FOLDER / "2019-03-04"
    write_cine(patient / "IM0001", study="a")  # no extension, as PACS exports write them
    write_cine(patient / "IM0002.dcm", photometric="PALETTE16", syntax="rle", study="a", timing="none")
    write_cine(patient / "IM0003", syntax="jpeg_baseline", study="b", timing="frame_time_vector")
    write_cine(
        patient / "IM0004", photometric="MONOCHROME2", syntax="j2k", study="b", region=(20, 0, 139, 110)
    )
    shutil.copy(patient / "IM0001", root / PATIENT_FOLDER / "copy-of-IM0001")  # a duplicate instance
    shutil.copy(get_path("ybr_color"), root / "sonosite")
    write_cine(root / "ct", modality="CT")
    write_cine(root / "single", render_frames(1))
    data = write_cine(root / "cut").read_bytes()
    (root / "cut").write_bytes(data[: len(data) // 2])
    (root / "notes.txt").write_text("not DICOM")
    (root / ".DS_Store").write_bytes(b"\0" * 10)  # hidden files are left out
    return root


@pytest.fixture(scope="module")
def prepared(tree, tmp_path_factory):
    work = tmp_path_factory.mktemp("prepared")
    result = prepare_dicom(tree, work / "out", key=work / "key", link_map=work / "links.csv", progress=False)
    return result, work


def rows(path: Path) -> list[dict]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def digests(folder: Path) -> dict[str, str]:
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_every_usable_cine_is_listed_once_and_every_bad_file_has_its_reason(prepared):
    result, _ = prepared
    out = result.out
    manifest = rows(out / "manifest.csv")
    assert list(manifest[0]) == list(MANIFEST_COLUMNS)
    assert len(manifest) == result.cines == 5 and result.duplicates == 1
    assert sorted(row["transfer_syntax"] for row in manifest) == [
        "Explicit VR Little Endian",
        "JPEG 2000 Image Compression (Lossless Only)",
        "JPEG Baseline (Process 1)",
        "JPEG Baseline (Process 1)",
        "RLE Lossless",
    ]
    assert sorted(row["reason"] for row in rows(out / "bad_files.csv")) == [
        "not_dicom",
        "not_ultrasound",
        "single_frame",
        "truncated",
    ]
    assert {row["label"] + row["split"] + row["ed"] + row["es"] for row in manifest} == {""}


def test_manifest_rows_carry_exact_rates_scales_and_flags(prepared):
    out = prepared[0].out
    by_syntax = {row["transfer_syntax"]: row for row in rows(out / "manifest.csv")}
    palette = by_syntax["RLE Lossless"]
    assert (
        palette["fps"] == "" and palette["flags"] == "fps_missing" and palette["path"].startswith("videos/")
    )
    assert Path(out / palette["path"]).is_dir()  # no rate: frames, not an AVI with an invented one
    j2k = by_syntax["JPEG 2000 Image Compression (Lossless Only)"]
    assert j2k["fps"] == "25" and j2k["cm_per_px"] == "0.05" and j2k["flags"] == ""
    sonosite = [row for row in rows(out / "manifest.csv") if row["manufacturer"] == "SonoSite, Inc."][0]
    assert sonosite["fps"] == "30.0003" and sonosite["flags"] == "region_out_of_bounds"
    assert sonosite["cm_per_px"] == "" and sonosite["mask_area"] == "0.4155"
    assert (sonosite["rows"], sonosite["cols"], sonosite["frames"]) == ("192", "264", "30")
    frames, fps = read_video(out / sonosite["path"])
    assert frames.shape == (30, 192, 264, 3) and fps == pytest.approx(30.0003, abs=1e-3)


def test_patients_and_studies_get_pseudonyms_and_a_qa_sheet_each(prepared):
    out = prepared[0].out
    manifest = rows(out / "manifest.csv")
    synthetic = [row for row in manifest if row["manufacturer"] == "Echolab Phantoms"]
    assert len({row["patient"] for row in synthetic}) == 1 and len(synthetic[0]["patient"]) == 24
    studies = {row["study"] for row in manifest}
    assert len(studies) == 3
    assert sorted(path.stem for path in (out / "qa").glob("*.png")) == sorted(studies)
    sheet = cv2.imread(str(out / "qa" / f"{synthetic[0]['study']}.png"))
    assert sheet is not None and sheet.shape[0] > 96


def test_the_link_map_holds_sources_and_uids_only_outside_out(prepared, tree):
    result, work = prepared
    links = {row["source"]: row for row in rows(work / "links.csv")}
    assert links[f"{PATIENT_FOLDER}/copy-of-IM0001"]["status"] == "duplicate"
    assert (
        links[f"{PATIENT_FOLDER}/copy-of-IM0001"]["id"] == links[f"{PATIENT_FOLDER}/2019-03-04/IM0001"]["id"]
    )
    assert links["cut"]["status"] == "truncated" and ".DS_Store" not in links
    listed = {Path(row["path"]).name.split(".")[0] for row in rows(result.out / "manifest.csv")}
    assert listed == {row["id"] for row in links.values() if row["status"] == "converted"}


def test_a_rerun_with_the_same_key_skips_done_work_and_changes_no_byte(prepared, tree):
    result, work = prepared
    before = digests(result.out)
    again = prepare_dicom(tree, result.out, key=work / "key", link_map=work / "links.csv", progress=False)
    assert (again.written, again.resumed) == (0, 5)
    assert digests(result.out) == before


def test_two_workers_write_the_same_bytes_as_one(prepared, tree, tmp_path):
    result, work = prepared
    two = prepare_dicom(tree, tmp_path / "out", key=work / "key", workers=2, progress=False)
    assert two.written == 5 and digests(two.out) == digests(result.out)


def test_a_rerun_keeps_the_labels_and_splits_the_user_filled_in(prepared, tree, tmp_path):
    result, work = prepared
    out = tmp_path / "out"
    shutil.copytree(result.out, out)
    manifest = rows(out / "manifest.csv")
    for index, row in enumerate(manifest):
        row.update(label="A4C", split="train" if index else "test", ed="0", es="5")
    with open(out / "manifest.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(manifest[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(manifest)
    edited = (out / "manifest.csv").read_bytes()
    prepare_dicom(tree, out, key=work / "key", progress=False)
    assert (out / "manifest.csv").read_bytes() == edited
    index = read_manifest(out)
    assert len(index.videos) == 5 and index.classes == ["A4C"] and index.videos[0].ed == (0,)
    assert {video.fps for video in index.videos} >= {25.0, None}


def test_another_key_format_or_size_does_not_write_into_a_prepared_folder(prepared, tree, tmp_path):
    result, work = prepared
    with pytest.raises(ConfigError, match="prepared with another --key"):
        prepare_dicom(tree, result.out, key=tmp_path / "other-key", progress=False)
    with pytest.raises(ConfigError, match="prepared with another --size"):
        prepare_dicom(tree, result.out, key=work / "key", size=64, progress=False)
    (tmp_path / "someone-elses").mkdir()
    (tmp_path / "someone-elses" / "thesis.tex").write_text("keep me")
    with pytest.raises(ConfigError, match="not an echolab prepare dicom folder"):
        prepare_dicom(tree, tmp_path / "someone-elses", key=work / "key", progress=False)


def test_the_key_and_link_map_must_stay_outside_out_and_out_outside_in(tree, tmp_path):
    out = tmp_path / "out"
    with pytest.raises(ConfigError) as caught:
        prepare_dicom(
            tree, out, key=out / "key", link_map=out / "links.csv", workers=0, format="avj", progress=False
        )
    message = str(caught.value)
    assert "--key" in message and "--link-map" in message and "--workers" in message
    assert "--format 'avj' is unknown (closest: avi)" in message
    with pytest.raises(ConfigError, match="overlap"):
        prepare_dicom(tree, tree / "prepared", key=tmp_path / "key", progress=False)
    assert not out.exists()


def test_frames_format_and_size_resize_and_rescale(tree, tmp_path):
    result = prepare_dicom(
        tree, tmp_path / "out", key=tmp_path / "key", format="frames", size=48, progress=False
    )
    manifest = rows(result.out / "manifest.csv")
    assert all((result.out / row["path"]).is_dir() for row in manifest)
    j2k = [row for row in manifest if row["transfer_syntax"].startswith("JPEG 2000")][0]
    assert min(int(j2k["rows"]), int(j2k["cols"])) == 48
    native_short_side = 76  # of this cine's sector crop at its own size (test_manifest_rows...)
    assert float(j2k["cm_per_px"]) == pytest.approx(0.05 * native_short_side / 48, rel=0.02)
    frames, _ = read_video(result.out / j2k["path"])
    assert frames.shape[1:3] == (int(j2k["rows"]), int(j2k["cols"]))


def test_the_command_prints_a_summary_and_fails_only_when_nothing_converted(tree, tmp_path, capsys):
    key = str(tmp_path / "key")
    words = [
        "prepare",
        "dicom",
        "--in",
        str(tree),
        "--out",
        str(tmp_path / "out"),
        "--key",
        key,
        "--no-progress",
    ]
    assert main(words) == 0
    printed = capsys.readouterr().out
    assert "5 cines in" in printed and "by transfer syntax: " in printed and "truncated 1" in printed
    assert "Quixbrook" not in printed and "MRN48151623" not in printed
    bad_only = tmp_path / "bad"
    bad_only.mkdir()
    (bad_only / "notes.txt").write_text("not DICOM")
    assert (
        main(["prepare", "dicom", "--in", str(bad_only), "--out", str(tmp_path / "none"), "--key", key]) == 1
    )
    assert "no cine could be converted" in capsys.readouterr().out
    assert main(["prepare", "nifti"]) == 2


def test_a_new_key_file_is_created_private_on_first_use(tree, tmp_path):
    key = tmp_path / "keys" / "dicom.key"
    prepare_dicom(tree / PATIENT_FOLDER, tmp_path / "out", key=key, progress=False)
    assert key.stat().st_mode & 0o777 == 0o600 and len(bytes.fromhex(key.read_text().strip())) == 32
    manifest = json.loads((tmp_path / "out" / "prepare.json").read_text())
    assert key.read_text().strip() not in json.dumps(manifest)


def test_masked_videos_hold_nothing_outside_the_sector(prepared):
    out = prepared[0].out
    row = [
        row for row in rows(out / "manifest.csv") if row["transfer_syntax"] == "Explicit VR Little Endian"
    ][0]
    frames, _ = read_video(out / row["path"])
    corners = np.concatenate([frames[:, :6, :6].ravel(), frames[:, :6, -6:].ravel()])
    assert corners.max() <= 8  # zero, up to MJPG ringing; the fan's apex is at the top centre


def test_data_summary_reads_a_prepared_folder_once_labelled_and_raw_dicom_in_a_manifest(
    prepared, tree, tmp_path, capsys
):
    out = tmp_path / "out"
    shutil.copytree(prepared[0].out, out)
    with pytest.warns(UserWarning, match="leaving out 5 video"):  # no splits yet
        assert main(["data-summary", "data=dicom", f"data.root={out}", "--json"]) == 1
    assert "unknown split ''" in capsys.readouterr().out
    manifest = rows(out / "manifest.csv")
    for row in manifest:
        row.update(label="A4C", split="train")
    with open(out / "manifest.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(manifest[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(manifest)
    assert main(["data-summary", "data=dicom", f"data.root={out}", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert len(summary["videos"]) == 5 and summary["bad"] == []
    assert sorted(video["fps"] or 0 for video in summary["videos"]) == [0, 25.0, 25.0, 25.0, 30.0003]

    raw = tmp_path / "raw"
    raw.mkdir()
    source = tree / PATIENT_FOLDER / "2019-03-04" / "IM0001"
    (raw / "manifest.csv").write_text(f"path,label,split\n{source},A4C,train\n")
    assert main(["data-summary", "data=manifest", f"data.root={raw}", "--json"]) == 0
    video = json.loads(capsys.readouterr().out)["videos"][0]
    assert (video["frames"], video["fps"]) == (12, 25.0)
