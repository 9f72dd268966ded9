"""The prepare benchmark: every copy of the SonoSite cine is its own instance and gets converted."""

from echolab.bench.dicom_prepare import bench_dicom_prepare, write_sonosite_copies
from echolab.dicom.convert import examine


def test_copies_are_distinct_instances(tmp_path):
    from echolab.dicom.convert import Settings

    paths = write_sonosite_copies(tmp_path / "tree", 3)
    settings = Settings(root=tmp_path / "tree", out=tmp_path / "out", key=b"k" * 32, format="avi", size=None)
    assert len({examine(path, settings).id for path in paths}) == 3


def test_bench_reports_cines_per_second_for_each_worker_count(tmp_path):
    result = bench_dicom_prepare(tmp_path, cines=2, workers=(1,))
    assert result["cines"] == 2 and result["workers_1_cines_per_s"] > 0
