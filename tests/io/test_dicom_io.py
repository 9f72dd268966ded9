"""Raw DICOM through the one frame source: by suffix or by content, masked as prepare masks it."""

import shutil

import numpy as np
import pytest

from echolab.dicom.cine import masked_frames, read_cine
from echolab.errors import VideoReadError
from echolab.io import expand_video_inputs, is_dicom, open_video, probe_video, read_video
from echolab.io.cache import FrameCache
from tests.dicom.cines import write_cine
from tests.fixture_writers import write_video


def test_a_dicom_file_reads_as_its_masked_cropped_cine(tmp_path):
    path = write_cine(tmp_path / "cine.dcm", frame_time_ms=20.0)
    frames, fps = read_video(path)
    expected = np.stack(list(masked_frames(path, read_cine(path))))
    assert fps == 50.0 and np.array_equal(frames, expected)
    info = probe_video(path)
    assert (info.frames, info.fps, info.height, info.width) == (12, 50.0, *expected.shape[1:3])
    assert len(list(open_video(path, max_frames=3).frames)) == 3


def test_a_dicom_file_without_extension_is_found_by_its_content(tmp_path):
    source = write_cine(tmp_path / "cine.dcm")
    pacs = tmp_path / "export" / "IM000123"
    pacs.parent.mkdir()
    shutil.copy(source, pacs)
    (tmp_path / "export" / "README").write_text("not a video")
    assert is_dicom(pacs) and not is_dicom(tmp_path / "export" / "README")
    assert np.array_equal(read_video(pacs)[0], read_video(source)[0])
    assert expand_video_inputs(tmp_path / "export") == [pacs]


def test_video_files_are_never_opened_to_look_for_dicom(tmp_path, monkeypatch):
    video = write_video(tmp_path / "clip.avi", 3)
    monkeypatch.setattr("echolab.io.inputs.has_dicom_preamble", lambda path: pytest.fail("sniffed"))
    assert not is_dicom(video)
    assert read_video(video)[0].shape[0] == 3


def test_an_unusable_dicom_file_is_a_read_error_with_its_reason(tmp_path):
    path = write_cine(tmp_path / "ct.dcm", modality="CT")
    with pytest.raises(VideoReadError, match=r"ct.dcm: DICOM: not an ultrasound image \(modality CT\)"):
        read_video(path)


def test_the_frame_cache_names_a_dicom_entry_without_its_file_name(tmp_path):
    path = write_cine(tmp_path / "Quixbrook_Zelphine" / "Quixbrook.dcm")
    cache = FrameCache(tmp_path / "cache", size=32)
    cache.ensure([path], progress=False)
    entry = cache.entry_dir(path)
    assert entry.name.startswith("dicom-") and "Quixbrook" not in (entry / "meta.json").read_text()
    assert cache.frames(path).shape[0] == 12
