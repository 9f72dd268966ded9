"""`echolab prepare dicom` throughput: cines per second with 1 and with 2 worker processes.

The cines are copies of the real SonoSite cine pydicom ships (30 frames, 320x240, JPEG baseline
YBR_FULL_422), each given its own SOP instance UID so none is a duplicate. Both runs prepare the same
tree into fresh folders, one right after the other; the 2-worker run includes starting its processes.
"""

from __future__ import annotations

import time
from pathlib import Path

from echolab.dicom.prepare import prepare_dicom


def write_sonosite_copies(folder: Path, count: int) -> list[Path]:
    """`count` copies of pydicom's SonoSite cine, each its own SOP instance."""
    from pydicom import dcmread
    from pydicom.examples import get_path
    from pydicom.uid import generate_uid

    folder.mkdir(parents=True, exist_ok=True)
    template = dcmread(get_path("ybr_color"))
    paths = []
    for index in range(count):
        uid = generate_uid(entropy_srcs=["echolab-bench", str(index)])
        template.SOPInstanceUID = template.file_meta.MediaStorageSOPInstanceUID = uid
        paths.append(folder / f"cine{index:04d}")
        template.save_as(paths[-1])
    return paths


def bench_dicom_prepare(work: Path, cines: int = 8, workers: tuple[int, ...] = (1, 2)) -> dict:
    tree = work / "dicom-tree"
    write_sonosite_copies(tree, cines)
    result: dict = {"cines": cines, "frames_per_cine": 30, "size": "320x240 JPEG baseline"}
    for count in workers:
        started = time.perf_counter()
        prepared = prepare_dicom(
            tree, work / f"prepared-{count}", key=work / "bench.key", workers=count, progress=False
        )
        seconds = time.perf_counter() - started
        if prepared.written != cines:
            raise RuntimeError(f"prepared {prepared.written} of {cines} cines; bad files: {prepared.summary}")
        result[f"workers_{count}_cines_per_s"] = round(cines / seconds, 2)
    if {1, 2} <= set(workers):
        result["ratio_2_vs_1"] = round(result["workers_2_cines_per_s"] / result["workers_1_cines_per_s"], 2)
    return result
