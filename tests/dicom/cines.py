"""Synthetic ultrasound DICOM cines for the DICOM tests, every one full of fake patient identifiers.

A cine is a beating ring inside a fan-shaped sector (moving speckle, so the sector mask finds it),
with burned-in text in the top-left corner, a static toolbar at the bottom and a sweeping ECG line,
as a scanner draws them. `write_cine` saves it in any photometric interpretation and transfer syntax
echolab reads, carrying every identifier DICOM.md lists (FAKE), in private tags and in sequences;
tests grep prepared folders for FAKE's values and find none.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.pixels import convert_color_space
from pydicom.sequence import Sequence
from pydicom.uid import (
    ExplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGLosslessSV1,
    JPEGLSLossless,
    RLELossless,
    generate_uid,
)

US_MULTIFRAME = "1.2.840.10008.5.1.4.1.1.3.1"
CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"
FAKE_ROOT = "1.2.826.0.1.3680043.8.498."  # pydicom's UID root: fake UIDs never clash with real ones

# Each value is unusual enough that finding it in a binary file cannot be chance.
FAKE = {
    "PatientName": "Quixbrook^Zelphine",
    "PatientID": "MRN48151623",
    "PatientBirthDate": "19230917",
    "PatientAge": "097Y",
    "PatientSex": "O",
    "PatientSize": "1.98765432101",
    "PatientWeight": "77.3141592653",
    "EthnicGroup": "Ethnokappa",
    "OtherPatientIDs": "OPID77310",
    "AdditionalPatientHistory": "Historia Vexilla",
    "StudyDate": "20190304",
    "StudyTime": "101112.1314",
    "SeriesDate": "20190305",
    "SeriesTime": "151617.1819",
    "ContentDate": "20190306",
    "ContentTime": "202122.2324",
    "AccessionNumber": "ACC5551234",
    "StudyID": "STID90210",
    "ReferringPhysicianName": "Drreferson^Ulmo",
    "NameOfPhysiciansReadingStudy": "Drreadwell^Ysolde",
    "OperatorsName": "Sonographus^Kaeli",
    "InstitutionName": "Saint Ignotus Infirmary",
    "StationName": "ECHOSTATION42X",
    "DeviceSerialNumber": "SNX-998877",
    "ProtocolName": "Protocolum Cardiacum",
    "StudyDescription": "Descriptio Studii",
    "SeriesDescription": "Descriptio Seriei",
    "ImageComments": "Commentarium Imaginis",
    "DerivationDescription": "Derivatio Secreta",
    "PerformedProcedureStepID": "PPSID31337",
    "PerformedProcedureStepStartDate": "20190307",
    "PerformedProcedureStepStartTime": "080910",
    "PerformedProcedureStepDescription": "Gradus Procedurae",
}
PRIVATE_SECRET = "PrivataArcana-Qx7"
SEQUENCE_SECRET = "ACCINSEQ-8642"  # an accession number inside a request sequence
BURNED_IN = "QUIXBROOK"  # drawn into the pixels outside the sector


def fake_uid(name: str) -> str:
    """A fixed fake UID per name: the same cine written twice is the same instance."""
    return generate_uid(prefix=FAKE_ROOT, entropy_srcs=[name])


def fan_mask(height: int, width: int) -> np.ndarray:
    """The sector: a 70-degree fan with its apex at the top centre, as bool (H, W)."""
    ys, xs = np.mgrid[0:height, 0:width]
    apex_x, apex_y, radius = width / 2, height * 0.06, height * 0.66
    dx, dy = xs - apex_x, ys - apex_y
    angle = np.degrees(np.arctan2(dx, dy))
    return (dy > 0) & (np.hypot(dx, dy) < radius) & (np.abs(angle) < 35)


def render_frames(n_frames: int = 12, height: int = 120, width: int = 160, seed: int = 0) -> np.ndarray:
    """RGB uint8 (T, H, W, 3): speckle and a beating ring in the fan; text, toolbar and ECG outside."""
    rng = np.random.default_rng(seed)
    fan = fan_mask(height, width)
    ys, xs = np.mgrid[0:height, 0:width]
    frames = np.zeros((n_frames, height, width, 3), np.uint8)
    for t in range(n_frames):
        frame = frames[t]
        speckle = rng.integers(20, 90, (height, width))
        radius = height * (0.14 + 0.05 * np.sin(2 * np.pi * t / max(n_frames, 2)))
        ring = np.abs(np.hypot(xs - width / 2, ys - height * 0.42) - radius) < 3
        grey = np.where(ring, 220, speckle) * fan
        frame[:] = grey[..., None].astype(np.uint8)
        cv2.putText(frame, BURNED_IN, (2, 9), cv2.FONT_HERSHEY_PLAIN, 0.6, (255, 255, 255), 1)
        cv2.putText(frame, "19230917", (2, 18), cv2.FONT_HERSHEY_PLAIN, 0.6, (255, 255, 255), 1)
        frame[height - 7 : height - 2, 4 : width - 4] = (40, 60, 160)  # toolbar
        ecg_y = height - 12 + (2 * np.sin(np.arange(width) / 3.0)).astype(int)
        sweep = int(width * t / n_frames)
        frame[ecg_y[:sweep], np.arange(width)[:sweep]] = (0, 255, 0)  # the ECG trace draws across
    return frames


def write_cine(
    path: Path,
    frames: np.ndarray | None = None,
    *,
    photometric: str = "RGB",
    syntax: str = "native",
    sop_uid: str | None = None,
    study: str = "study-1",
    modality: str = "US",
    timing: str = "frame_time",
    frame_time_ms: float = 40.0,
    region: tuple[int, int, int, int] | None = None,
    cm_per_px: float = 0.05,
    identifiers: bool = True,
) -> Path:
    """Save `frames` (default: render_frames()) as a DICOM file.

    photometric: RGB | YBR_FULL | MONOCHROME2 | MONOCHROME1 | PALETTE8 | PALETTE16.
    syntax: native | rle | jpeg_baseline (YBR_FULL_422) | j2k | jpeg_ls | jpeg_lossless.
    timing: frame_time | frame_time_vector | variable_vector | cine_rate | display_rate | none.
    region: (x0, y0, x1, y1) of a 2D SequenceOfUltrasoundRegions item, in cm (cm_per_px), or None.
    """
    frames = render_frames() if frames is None else frames
    path.parent.mkdir(parents=True, exist_ok=True)
    ds = _header(path.name, sop_uid or fake_uid(str(path)), study, modality, identifiers)
    _set_timing(ds, timing, frame_time_ms, len(frames))
    if region is not None:
        ds.SequenceOfUltrasoundRegions = Sequence([_region(region, cm_per_px)])
    ds.Rows, ds.Columns = frames.shape[1:3]
    ds.NumberOfFrames = len(frames)
    _set_pixels(ds, frames, photometric)
    if syntax == "jpeg_baseline":
        _encode_jpeg_baseline(ds, frames)
    elif syntax in ("rle", "j2k"):
        ds.compress({"rle": RLELossless, "j2k": JPEG2000Lossless}[syntax])
    ds.save_as(path, enforce_file_format=True)
    if syntax in ("jpeg_ls", "jpeg_lossless"):
        _transcode_with_gdcm(path, syntax)
    return path


def _header(name: str, sop_uid: str, study: str, modality: str, identifiers: bool) -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    sop_class = US_MULTIFRAME if modality == "US" else CT_IMAGE
    ds.file_meta.MediaStorageSOPClassUID = sop_class
    ds.file_meta.MediaStorageSOPInstanceUID = sop_uid
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID, ds.SOPInstanceUID = sop_class, sop_uid
    ds.Modality = modality
    ds.Manufacturer, ds.ManufacturerModelName = "Echolab Phantoms", "Fan-1"
    ds.StudyInstanceUID = fake_uid(study)
    ds.SeriesInstanceUID = fake_uid(study + "-series")
    ds.FrameOfReferenceUID = fake_uid(study + "-frame-of-reference")
    if not identifiers:
        return ds
    for keyword, value in FAKE.items():
        setattr(ds, keyword, value)
    ds.IssuerOfPatientID = "HospitalIssuer-Omega"
    block = ds.private_block(0x0099, "ACME PRIVATE", create=True)
    block.add_new(0x10, "LO", PRIVATE_SECRET)
    block.add_new(0x11, "UI", sop_uid)  # vendors keep the original UID in private tags
    request = Dataset()
    request.AccessionNumber = SEQUENCE_SECRET
    request.RequestedProcedureID = FAKE["PatientID"]
    ds.RequestAttributesSequence = Sequence([request])
    other = Dataset()
    other.PatientID = FAKE["OtherPatientIDs"]
    ds.OtherPatientIDsSequence = Sequence([other])
    return ds


def _set_timing(ds: Dataset, timing: str, frame_time_ms: float, n_frames: int) -> None:
    if timing == "frame_time":
        ds.FrameTime = frame_time_ms
        ds.FrameIncrementPointer = 0x00181063
    elif timing in ("frame_time_vector", "variable_vector"):
        steps = [frame_time_ms] * (n_frames - 1)
        if timing == "variable_vector":  # alternately 30 % longer and shorter: the same mean
            steps = [frame_time_ms * (0.7 if i % 2 else 1.3) for i in range(n_frames - 1)]
            steps[-1] = frame_time_ms if len(steps) % 2 else steps[-1]
        ds.FrameTimeVector = [0.0, *steps]
        ds.FrameIncrementPointer = 0x00181065
    elif timing == "cine_rate":
        ds.CineRate = round(1000 / frame_time_ms)
    elif timing == "display_rate":
        ds.RecommendedDisplayFrameRate = round(1000 / frame_time_ms)
    elif timing != "none":
        raise ValueError(f"unknown timing {timing!r}")


def _region(box: tuple[int, int, int, int], cm_per_px: float) -> Dataset:
    item = Dataset()
    item.RegionSpatialFormat, item.RegionDataType, item.RegionFlags = 1, 1, 0
    item.RegionLocationMinX0, item.RegionLocationMinY0, item.RegionLocationMaxX1, item.RegionLocationMaxY1 = (
        box
    )
    item.PhysicalUnitsXDirection = item.PhysicalUnitsYDirection = 3  # cm
    item.PhysicalDeltaX = item.PhysicalDeltaY = cm_per_px
    return item


def _set_pixels(ds: Dataset, frames: np.ndarray, photometric: str) -> None:
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    if photometric in ("RGB", "YBR_FULL"):
        ds.SamplesPerPixel, ds.PlanarConfiguration = 3, 0
        ds.PhotometricInterpretation = photometric
        pixels = frames if photometric == "RGB" else convert_color_space(frames, "RGB", "YBR_FULL")
    elif photometric in ("MONOCHROME2", "MONOCHROME1"):
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, photometric
        grey = cv2.cvtColor(frames.reshape(-1, frames.shape[2], 3), cv2.COLOR_RGB2GRAY).reshape(
            frames.shape[:3]
        )
        pixels = grey if photometric == "MONOCHROME2" else 255 - grey
    elif photometric in ("PALETTE8", "PALETTE16"):
        pixels = _set_palette(ds, frames, bits=8 if photometric == "PALETTE8" else 16)
    else:
        raise ValueError(f"unknown photometric interpretation {photometric!r}")
    ds.PixelData = np.ascontiguousarray(pixels).tobytes()


def _set_palette(ds: Dataset, frames: np.ndarray, bits: int) -> np.ndarray:
    """Index = grey level; a LUT of 256 entries maps it back to (nearly) the same colour."""
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "PALETTE COLOR"
    levels = np.arange(256, dtype=np.uint16)
    scale = 257 if bits == 16 else 1
    ds.PaletteColorLookupTableUID = fake_uid("palette")
    for colour in ("Red", "Green", "Blue"):
        setattr(ds, f"{colour}PaletteColorLookupTableDescriptor", [256, 0, bits])
        table = (levels * scale).astype(np.uint16 if bits == 16 else np.uint8)
        if bits == 8:  # 8-bit entries are stored in 16-bit words (PS3.3 C.7.6.3.1.5)
            table = table.astype(np.uint16)
        setattr(ds, f"{colour}PaletteColorLookupTableData", table.tobytes())
    return cv2.cvtColor(frames.reshape(-1, frames.shape[2], 3), cv2.COLOR_RGB2GRAY).reshape(frames.shape[:3])


def _encode_jpeg_baseline(ds: Dataset, frames: np.ndarray) -> None:
    """JPEG baseline of every frame (YCbCr inside), labelled YBR_FULL_422 as scanners write it."""
    encoded = [
        cv2.imencode(".jpg", cv2.cvtColor(frame, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 95])[
            1
        ].tobytes()
        for frame in frames
    ]
    ds.SamplesPerPixel, ds.PlanarConfiguration = 3, 0
    ds.PhotometricInterpretation = "YBR_FULL_422"
    ds.PixelData = encapsulate(encoded)
    ds["PixelData"].VR = "OB"
    ds.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
    ds.LossyImageCompression = "01"


def _transcode_with_gdcm(path: Path, syntax: str) -> None:
    import gdcm

    reader = gdcm.ImageReader()
    reader.SetFileName(str(path))
    assert reader.Read(), f"gdcm cannot read {path}"
    target = {
        "jpeg_ls": gdcm.TransferSyntax.JPEGLSLossless,
        "jpeg_lossless": gdcm.TransferSyntax.JPEGLosslessProcess14_1,
    }
    change = gdcm.ImageChangeTransferSyntax()
    change.SetTransferSyntax(gdcm.TransferSyntax(target[syntax]))
    change.SetInput(reader.GetImage())
    assert change.Change(), f"gdcm cannot encode {syntax}"
    writer = gdcm.ImageWriter()
    writer.SetFile(reader.GetFile())
    writer.SetImage(change.GetOutput())
    writer.SetFileName(str(path))
    assert writer.Write(), f"gdcm cannot write {path}"
    assert (
        pydicom.dcmread(path, stop_before_pixels=True).file_meta.TransferSyntaxUID
        == {
            "jpeg_ls": JPEGLSLossless,
            "jpeg_lossless": JPEGLosslessSV1,
        }[syntax]
    )
