"""Clinical DICOM end to end: a PACS-like tree -> prepare -> labels filled in -> a view and a keyframe
smoke training (data=dicom) and a prediction on a raw file; then every byte and every path of what
they wrote, and everything they printed, is searched for each identifier the sources carry."""

import contextlib
import csv
import io
import os
import shutil
from pathlib import Path

import pytest
from pydicom import dcmread
from pydicom.examples import get_path

from echolab.config import load_experiment
from echolab.dicom.prepare import prepare_dicom
from echolab.predict import predict
from echolab.train import train
from tests.dicom.cines import BURNED_IN, FAKE, PRIVATE_SECRET, SEQUENCE_SECRET, render_frames, write_cine

PATIENT = "Quixbrook^Zelphine_MRN48151623"
CASES = [  # (photometric, syntax) of the eight cines a smoke training runs on
    ("RGB", "native"),
    ("YBR_FULL", "native"),
    ("MONOCHROME2", "rle"),
    ("PALETTE16", "native"),
    ("RGB", "jpeg_baseline"),
    ("RGB", "j2k"),
    ("MONOCHROME2", "jpeg_ls"),
    ("RGB", "jpeg_lossless"),
]
SPLITS = ["train"] * 4 + ["val"] * 2 + ["test"] * 2
ED, ES = "5", "15"  # the synthetic ring is largest at frame 5 and smallest at 15 of 20
UID_KEYWORDS = (
    "SOPInstanceUID",
    "StudyInstanceUID",
    "SeriesInstanceUID",
    "FrameOfReferenceUID",
    "PaletteColorLookupTableUID",
)


def write_tree(root: Path) -> list[Path]:
    """Eight cines of two studies in patient-named folders and files, a duplicate, bad files."""
    sources = []
    for index, (photometric, syntax) in enumerate(CASES):
        folder = root / PATIENT / ("2019-03-04" if index < 4 else "2019-03-05")
        name = f"Zelphine_Quixbrook_{index}.dcm" if index % 2 else f"IM{index:04d}"
        sources.append(
            write_cine(
                folder / name,
                render_frames(20, seed=index),
                photometric=photometric,
                syntax=syntax,
                study=f"study-{index // 4}",
                region=(10, 0, 149, 110) if index == 5 else None,
            )
        )
    shutil.copy(sources[0], root / PATIENT / "duplicate-of-IM0000")
    write_cine(root / PATIENT / "MRN48151623_ct.dcm", modality="CT")
    data = write_cine(root / PATIENT / "Quixbrook_cut.dcm").read_bytes()
    (root / PATIENT / "Quixbrook_cut.dcm").write_bytes(data[: len(data) // 3])
    (root / PATIENT / "Quixbrook_report.txt").write_text(f"{FAKE['PatientName']} {FAKE['PatientID']}")
    shutil.copy(get_path("ybr_color"), root / PATIENT / "sonosite_cine")
    return sources


def identifiers(root: Path) -> set[str]:
    """Every identifying string the tree holds: tag values, UIDs, folder and file names."""
    found = {value for value in FAKE.values() if len(value) >= 6}  # shorter ones occur in any binary file
    found |= {PRIVATE_SECRET, SEQUENCE_SECRET, BURNED_IN, "HospitalIssuer-Omega", "SONOPPS0002171"}
    found |= {
        "Quixbrook",
        "Zelphine",
        "MRN48151623",
        "2019-03-04",
        "2019-03-05",
        "duplicate-of",
        "sonosite_cine",
    }
    for path in root.rglob("*"):
        if path.is_file() and path.suffix != ".txt":
            with contextlib.suppress(Exception):
                ds = dcmread(path, stop_before_pixels=True)
                found |= {str(ds.get(keyword)) for keyword in UID_KEYWORDS if ds.get(keyword)}
    found.add(str(root))
    return found


def fill_in_labels(manifest: Path) -> None:
    with open(manifest, newline="") as handle:
        rows = list(csv.DictReader(handle))
    synthetic = [row for row in rows if row["manufacturer"] == "Echolab Phantoms"]
    for index, row in enumerate(synthetic):
        row.update(label=("A4C", "PLAX")[index % 2], split=SPLITS[index], ed=ED, es=ES)
    with open(manifest, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(synthetic)  # the SonoSite cine has no label: left out of the experiment


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    work = tmp_path_factory.mktemp("dicom-e2e")
    tree = work / "pacs"
    sources = write_tree(tree)
    key = work / "secrets" / "pseudonym.key"
    printed = io.StringIO()
    previous_key = os.environ.get("ECHOLAB_DICOM_KEY")
    os.environ["ECHOLAB_DICOM_KEY"] = str(key)  # predict names raw files with the prepare key
    try:
        with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
            prepared = prepare_dicom(
                tree, work / "prepared", key=key, link_map=work / "secrets" / "links.csv"
            )
            fill_in_labels(prepared.out / "manifest.csv")
            common = [
                "profile=smoke",
                "data=dicom",
                f"data.root={prepared.out}",
                "data.synthetic=null",
                f"data.cache_dir={work / 'cache'}",
                f"run.root={work / 'runs'}",
                "trainer.max_epochs=1",
            ]
            view_words = [*common, "logger.wandb.mode=offline"]
            view = train(load_experiment("view_synthetic", view_words), view_words)
            keyframe = train(load_experiment("keyframe_synthetic", common), common)
            raw = [sources[0], sources[1]]  # an extensionless PACS file and a patient-named .dcm
            predicted = predict(
                view.metrics["checkpoint"],
                [str(path) for path in raw],
                out=work / "predict" / "predictions.csv",
                cache_dir=work / "cache",
            )
    finally:
        if previous_key is None:
            os.environ.pop("ECHOLAB_DICOM_KEY", None)
        else:
            os.environ["ECHOLAB_DICOM_KEY"] = previous_key
    return {
        "work": work,
        "tree": tree,
        "prepared": prepared,
        "view": view,
        "keyframe": keyframe,
        "predicted": predicted,
        "printed": printed.getvalue(),
    }


def test_the_mixed_tree_prepares_every_usable_cine_and_reports_every_bad_file(pipeline):
    prepared = pipeline["prepared"]
    assert prepared.cines == 9 and prepared.duplicates == 1  # 8 synthetic + SonoSite
    reasons = [row["reason"] for row in csv.DictReader(open(prepared.out / "bad_files.csv"))]
    assert sorted(reasons) == ["not_dicom", "not_ultrasound", "truncated"]


def test_a_view_and_a_keyframe_model_train_on_the_prepared_folder(pipeline):
    view_metrics, keyframe_metrics = pipeline["view"].metrics, pipeline["keyframe"].metrics
    assert 0.0 <= view_metrics["test"]["acc"] <= 1.0
    assert sum(map(sum, view_metrics["test"]["confusion_matrix"])) == 2
    assert keyframe_metrics["test"]["videos"] == 2 and "afd_ed" in keyframe_metrics["test"]
    rows = list(csv.DictReader(open(pipeline["view"].run_dir / "predictions.csv")))
    ids = {
        Path(row["path"]).name.split(".")[0]
        for row in csv.DictReader(open(pipeline["prepared"].out / "manifest.csv"))
    }
    assert rows and {row["file"] for row in rows} <= ids  # videos are named by their pseudonyms


def test_predict_on_a_raw_dicom_file_names_it_by_the_pseudonym_prepare_gave_it(pipeline):
    links = {
        row["source"]: row["id"] for row in csv.DictReader(open(pipeline["work"] / "secrets" / "links.csv"))
    }
    expected = {
        links[f"{PATIENT}/2019-03-04/IM0000"],
        links[f"{PATIENT}/2019-03-04/Zelphine_Quixbrook_1.dcm"],
    }
    rows = list(csv.DictReader(open(pipeline["predicted"].csv)))
    assert {row["file"] for row in rows} == expected and not pipeline["predicted"].failed
    assert all(name in pipeline["printed"] for name in expected)


def leaks(folders: list[Path], base: Path, needles: set[str]) -> set[tuple[str, str]]:
    """(where, needle) for each needle found in a path (relative to `base`) or in a file's bytes."""
    found = set()
    for folder in folders:
        for path in [folder, *folder.rglob("*")]:
            relative = str(path.relative_to(base)).lower()
            found |= {(relative, needle) for needle in needles if needle in relative}
            if path.is_file():
                content = path.read_bytes().lower()
                found |= {(relative, needle) for needle in needles if needle.encode() in content}
    return found


def test_no_identifier_reaches_any_output_path_byte_or_printed_line(pipeline):
    work = pipeline["work"]
    needles = {needle.lower() for needle in identifiers(pipeline["tree"])}
    # the search finds them in the sources, so finding none below means something
    in_sources = {needle for _, needle in leaks([pipeline["tree"]], work, needles)}
    assert in_sources == needles - {str(pipeline["tree"]).lower()}
    outputs = [pipeline["prepared"].out, work / "runs", work / "predict", work / "cache"]
    assert list((work / "runs").rglob("offline-run-*")), "the view run logged to W&B offline"
    assert not leaks(outputs, work, needles)
    assert not {needle for needle in needles if needle in pipeline["printed"].lower()}
