import errno
import json
import multiprocessing
import os
import pickle

import cv2
import numpy as np
import pytest

from echolab.atomic import DiskFullError
from echolab.bench.clip_loading import bench_clip_loading
from echolab.data.clips import ClipSpec
from echolab.data.records import BadVideo
from echolab.errors import ConfigError, VideoReadError
from echolab.io import cache as cache_module
from echolab.io import read_video
from echolab.io.cache import FrameCache
from tests.fixture_writers import write_frame_folder, write_video


@pytest.fixture
def decodes(monkeypatch):
    """Paths the cache decodes, in order (wraps the cache's only decoding call)."""
    opened = []
    real_open_video = cache_module.open_video

    def counting_open_video(path, **kwargs):
        opened.append(path)
        return real_open_video(path, **kwargs)

    monkeypatch.setattr(cache_module, "open_video", counting_open_video)
    return opened


def test_frames_equal_a_direct_read_and_are_read_only(tmp_path):
    path = write_video(tmp_path / "a.avi", 12)
    frames = FrameCache(tmp_path / "cache").frames(path)
    assert isinstance(frames, np.memmap)
    np.testing.assert_array_equal(frames, read_video(path)[0])
    assert not frames.flags.writeable
    assert FrameCache(tmp_path / "cache").fps(path) == 25.0


def test_size_resizes_the_shorter_side_keeping_aspect(tmp_path):
    avi = write_video(tmp_path / "a.avi", 5, height=48, width=64)
    folder = write_frame_folder(tmp_path / "tall", 4, height=40, width=32)
    cache = FrameCache(tmp_path / "cache", size=24)
    assert cache.frames(avi).shape == (5, 24, 32, 3)
    assert cache.frames(folder).shape == (4, 30, 24, 3)
    assert cache.fps(folder) is None


def test_second_use_reuses_the_entry_without_decoding(tmp_path, decodes):
    path = write_video(tmp_path / "a.avi", 8)
    first = FrameCache(tmp_path / "cache").frames(path)
    again = FrameCache(tmp_path / "cache").frames(path)  # as a new process would
    assert len(decodes) == 1
    np.testing.assert_array_equal(first, again)


def test_native_and_resized_entries_live_side_by_side(tmp_path, decodes):
    path = write_video(tmp_path / "a.avi", 8)
    assert FrameCache(tmp_path / "cache", size=16).frames(path).shape[1] == 16
    assert FrameCache(tmp_path / "cache").frames(path).shape[1] == 48
    assert FrameCache(tmp_path / "cache", size=16).frames(path).shape[1] == 16
    assert len(decodes) == 2


def test_rewritten_video_is_decoded_again(tmp_path, decodes):
    path = write_video(tmp_path / "a.avi", 8)
    cache = FrameCache(tmp_path / "cache")
    assert cache.frames(path).shape[0] == 8
    write_video(path, 11)
    assert cache.frames(path).shape[0] == 11
    assert len(decodes) == 2


def test_touched_video_is_decoded_again(tmp_path, decodes):
    path = write_video(tmp_path / "a.avi", 8)
    cache = FrameCache(tmp_path / "cache")
    cache.frames(path)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    cache.frames(path)
    assert len(decodes) == 2


def test_changed_frame_folder_is_decoded_again(tmp_path, decodes):
    folder = write_frame_folder(tmp_path / "frames", 5)
    cache = FrameCache(tmp_path / "cache")
    assert cache.frames(folder).shape[0] == 5
    write_frame_folder(folder, 1, first_number=6)
    assert cache.frames(folder).shape[0] == 6
    assert len(decodes) == 2


def test_frame_rewritten_in_place_is_noticed_when_the_entry_is_next_opened(tmp_path, decodes):
    folder = write_frame_folder(tmp_path / "frames", 5)
    before = np.array(FrameCache(tmp_path / "cache").frames(folder))
    cv2.imwrite(str(folder / "frame_000003.jpg"), np.zeros((32, 40, 3), np.uint8))
    after = FrameCache(tmp_path / "cache").frames(folder)
    assert len(decodes) == 2
    assert after[2].max() < 10 < before[2].max()


@pytest.mark.parametrize("damage", ["delete_meta", "truncate_frames", "garble_meta"])
def test_damaged_entry_is_rebuilt(tmp_path, decodes, damage):
    path = write_video(tmp_path / "a.avi", 8)
    cache = FrameCache(tmp_path / "cache")
    expected = np.array(cache.frames(path))
    entry = cache.entry_dir(path)
    if damage == "delete_meta":
        (entry / "meta.json").unlink()
    elif damage == "truncate_frames":
        (entry / "frames.u8").write_bytes(b"\0" * 100)
    else:
        (entry / "meta.json").write_text("{not json")
    np.testing.assert_array_equal(FrameCache(tmp_path / "cache").frames(path), expected)
    assert len(decodes) == 2


def test_entry_holds_raw_frames_and_meta_and_no_temporary_files(tmp_path):
    path = write_video(tmp_path / "a.avi", 8)
    cache = FrameCache(tmp_path / "cache")
    cache.frames(path)
    entry = cache.entry_dir(path)
    assert sorted(p.name for p in entry.iterdir()) == ["frames.u8", "meta.json"]
    meta = json.loads((entry / "meta.json").read_text())
    assert meta["shape"] == [8, 48, 64, 3] and meta["fps"] == 25.0
    assert (entry / "frames.u8").stat().st_size == 8 * 48 * 64 * 3


def test_ensure_builds_everything_once(tmp_path, decodes):
    paths = [write_video(tmp_path / f"v{i}.avi", 6) for i in range(3)]
    cache = FrameCache(tmp_path / "cache")
    assert cache.ensure(paths, progress=False) == []
    assert sorted(decodes) == sorted(p.resolve() for p in paths)
    assert cache.ensure(paths, progress=False) == []
    for path in paths:
        cache.frames(path)
    assert len(decodes) == 3


def test_ensure_raises_or_skips_bad_videos(tmp_path):
    good = write_video(tmp_path / "good.avi", 6)
    broken = tmp_path / "broken.avi"
    broken.write_bytes(np.random.default_rng(0).bytes(2000))
    missing = tmp_path / "missing.avi"
    cache = FrameCache(tmp_path / "cache")
    with pytest.raises(VideoReadError, match="broken.avi"):
        cache.ensure([good, broken], progress=False)
    with pytest.raises(VideoReadError, match="missing.avi"):
        cache.ensure([good, missing], progress=False)
    bad = cache.ensure([broken, good, missing], progress=False, skip_bad=True)
    assert [type(item) for item in bad] == [BadVideo, BadVideo]
    assert [item.path for item in bad] == [str(broken), str(missing)]
    assert "cannot decode" in bad[0].error and "No such file" in bad[1].error
    assert cache.frames(good).shape[0] == 6


def test_refuses_to_write_into_a_folder_that_is_not_a_cache(tmp_path):
    path = write_video(tmp_path / "a.avi", 4)
    precious = tmp_path / "results"
    precious.mkdir()
    (precious / "paper.tex").write_text("months of work")
    with pytest.raises(ConfigError, match="results is not empty and is not an echolab frame cache"):
        FrameCache(precious).frames(path)
    assert [p.name for p in precious.iterdir()] == ["paper.tex"]


def test_few_open_memmaps_still_serve_every_video(tmp_path):
    paths = [write_video(tmp_path / f"v{i}.avi", 4 + i) for i in range(3)]
    cache = FrameCache(tmp_path / "cache", max_open=1)
    for _ in range(2):
        assert [cache.frames(path).shape[0] for path in paths] == [4, 5, 6]


def test_pickled_cache_reopens_its_entries(tmp_path, decodes):
    path = write_video(tmp_path / "a.avi", 6)
    cache = FrameCache(tmp_path / "cache")
    expected = np.array(cache.frames(path))
    clone = pickle.loads(pickle.dumps(cache))
    np.testing.assert_array_equal(clone.frames(path), expected)
    assert len(decodes) == 1


def _frames_in_child(args):
    cache, path = args
    return np.asarray(cache.frames(path)).sum()


def test_concurrent_processes_building_one_entry_agree(tmp_path):
    path = write_video(tmp_path / "a.avi", 10)
    cache = FrameCache(tmp_path / "cache")
    with multiprocessing.get_context("fork").Pool(2) as pool:
        sums = pool.map(_frames_in_child, [(cache, path)] * 4)
    assert len(set(sums)) == 1
    assert sums[0] == read_video(path)[0].sum()
    assert sorted(p.name for p in cache.entry_dir(path).iterdir()) == ["frames.u8", "meta.json"]


def test_bench_reports_both_loaders_on_the_same_clips(tmp_path):
    paths = [write_video(tmp_path / f"v{i}.avi", 20, height=32, width=32) for i in range(2)]
    result = bench_clip_loading(paths, spec=ClipSpec(4, 2), clips=10, cache_dir=tmp_path / "cache", size=16)
    assert set(result) == {
        "clips",
        "clip_frames",
        "cache_clips_per_s",
        "decord_clips_per_s",
        "ratio",
        "cache_build_s",
        "videos",
    }
    assert (result["clips"], result["clip_frames"], result["videos"]) == (10, 4, 2)
    assert result["ratio"] == pytest.approx(result["cache_clips_per_s"] / result["decord_clips_per_s"])
    assert result["ratio"] > 1


def test_a_full_disk_while_caching_leaves_no_entry_a_later_run_trusts(tmp_path, monkeypatch, decodes):
    path = write_video(tmp_path / "a.avi", 12)
    real_open = open

    class FillingFile:
        """A file on a disk that fills after its first 1000 bytes."""

        def __init__(self, *args, **kwargs):
            self.handle, self.written = real_open(*args, **kwargs), 0

        def write(self, data):
            size = memoryview(data).nbytes
            if self.written + size > 1000:
                raise OSError(errno.ENOSPC, "No space left on device")
            self.written += size
            return self.handle.write(data)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

    monkeypatch.setattr(cache_module, "open", FillingFile, raising=False)
    cache = FrameCache(tmp_path / "cache")
    with pytest.raises(DiskFullError, match=r"frames\.u8.*Free some space"):
        cache.frames(path)
    entry = cache.entry_dir(path)
    assert sorted(p.name for p in entry.iterdir()) == []  # no frames.u8, no meta.json, no temporary

    monkeypatch.delattr(cache_module, "open")  # space freed: the next run decodes again and is right
    np.testing.assert_array_equal(FrameCache(tmp_path / "cache").frames(path), read_video(path)[0])
    assert len(decodes) == 2
