import os

import cv2
import numpy as np
import pytest

from echolab.errors import VideoReadError
from echolab.io import VideoInfo, expand_video_inputs, probe_video, read_video
from echolab.io import video_files as video
from tests.fixture_writers import CODEC_TOLERANCE, fixture_frame, write_frame_folder, write_video


def expected_frames(n_frames, height, width):
    return np.stack([fixture_frame(index, height, width) for index in range(n_frames)]).astype(int)


@pytest.fixture(params=["avi_mjpg", "mp4_mp4v", "frame_folder"])
def source(request, tmp_path):
    """(path, frames, height, width, fps) of a small video in each supported kind of source."""
    if request.param == "avi_mjpg":
        return write_video(tmp_path / "clip.avi", 14, height=48, width=64, fps=25.0), 14, 48, 64, 25.0
    if request.param == "mp4_mp4v":
        return (
            write_video(tmp_path / "clip.mp4", 9, height=40, width=56, fourcc="mp4v", fps=30.0),
            9,
            40,
            56,
            30.0,
        )
    return write_frame_folder(tmp_path / "frames", 11, height=32, width=40), 11, 32, 40, None


def test_read_video_gives_rgb_frames_in_order(source):
    path, n_frames, height, width, fps = source
    frames, read_fps = read_video(path)
    assert frames.dtype == np.uint8 and frames.shape == (n_frames, height, width, 3)
    assert np.abs(frames.astype(int) - expected_frames(n_frames, height, width)).max() <= CODEC_TOLERANCE
    assert read_fps == fps


def test_read_video_stops_at_max_frames(source):
    path, _, height, width, _ = source
    frames, _ = read_video(path, max_frames=4)
    assert frames.shape == (4, height, width, 3)
    assert np.abs(frames.astype(int) - expected_frames(4, height, width)).max() <= CODEC_TOLERANCE


def test_probe_video_matches_a_full_read(source):
    path, n_frames, height, width, fps = source
    assert probe_video(path) == VideoInfo(frames=n_frames, fps=fps, height=height, width=width)


def test_frame_folder_is_sorted_naturally_not_alphabetically(tmp_path):
    # frame_10.png sorts before frame_2.png alphabetically.
    folder = write_frame_folder(tmp_path / "frames", 12, pattern="frame_{}.png")
    frames, _ = read_video(folder)
    assert np.abs(frames.astype(int) - expected_frames(12, 32, 40)).max() <= CODEC_TOLERANCE


@pytest.mark.parametrize("kind", ["frame_folder", "mjpg_avi"])
def test_grayscale_frames_become_three_equal_channels(tmp_path, kind):
    levels = [10, 50, 90]
    if kind == "frame_folder":
        path = tmp_path / "gray"
        path.mkdir()
        for index, level in enumerate(levels):
            cv2.imwrite(str(path / f"{index}.png"), np.full((16, 20), level, np.uint8))
    else:
        path = tmp_path / "gray.avi"
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25.0, (20, 16), isColor=False)
        for level in levels:
            writer.write(np.full((16, 20), level, np.uint8))
        writer.release()
    frames, _ = read_video(path)
    assert frames.shape == (3, 16, 20, 3)
    assert (frames[..., 0] == frames[..., 2]).all()
    assert np.abs(frames[:, 0, 0, 0].astype(int) - levels).max() <= CODEC_TOLERANCE


def test_decord_decodes_when_opencv_cannot(tmp_path, monkeypatch):
    path = write_video(tmp_path / "clip.avi", 10)

    def refuse(self, *args):
        raise video._CannotDecode("refused for this test")

    monkeypatch.setattr(video._OpenCVDecoder, "open", refuse)
    monkeypatch.setattr(video._OpenCVDecoder, "probe", refuse)
    frames, fps = read_video(path)
    assert np.abs(frames.astype(int) - expected_frames(10, 48, 64)).max() <= CODEC_TOLERANCE
    assert fps == 25.0
    assert probe_video(path).frames == 10


@pytest.mark.parametrize("read", [read_video, probe_video])
def test_missing_path_names_the_file(tmp_path, read):
    with pytest.raises(VideoReadError, match="nothere.avi.*no such video file"):
        read(tmp_path / "nothere.avi")


@pytest.mark.parametrize("read", [read_video, probe_video])
def test_empty_file_names_the_file(tmp_path, read):
    (tmp_path / "empty.avi").write_bytes(b"")
    with pytest.raises(VideoReadError, match="empty.avi: the file is empty"):
        read(tmp_path / "empty.avi")


@pytest.mark.parametrize("read", [read_video, probe_video])
def test_random_bytes_name_the_file_and_the_fix(tmp_path, read):
    (tmp_path / "noise.avi").write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(VideoReadError, match=r"noise.avi: cannot decode.*re-encode.*data.skip_bad=true"):
        read(tmp_path / "noise.avi")


@pytest.mark.parametrize("read", [read_video, probe_video])
def test_truncated_video_is_an_error_not_a_short_video(tmp_path, read):
    path = write_video(tmp_path / "cut.avi", 20)
    data = path.read_bytes()
    # Keep 3/4: the AVI header and its padding fill the first half of so tiny a file.
    path.write_bytes(data[: len(data) * 3 // 4])
    with pytest.raises(VideoReadError, match=r"cut.avi: the header promises 20 frames but only \d+ decode"):
        read(path)


def test_empty_frame_folder_names_the_folder(tmp_path):
    (tmp_path / "nothing").mkdir()
    (tmp_path / "nothing" / "notes.txt").write_text("no frames here")
    for read in (read_video, probe_video):
        with pytest.raises(VideoReadError, match="nothing: frame folder holds no images"):
            read(tmp_path / "nothing")


def test_unreadable_image_names_the_image(tmp_path):
    folder = write_frame_folder(tmp_path / "frames", 3)
    (folder / "frame_000002.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(VideoReadError, match="frame_000002.jpg: cannot decode this image"):
        read_video(folder)


def test_frames_of_different_sizes_are_refused(tmp_path):
    folder = write_frame_folder(tmp_path / "frames", 3)
    write_frame_folder(folder, 1, height=20, width=20, first_number=4)
    with pytest.raises(
        VideoReadError, match="frame_000004.jpg: frame is 20x20 but the folder's first frame is 40x32"
    ):
        read_video(folder)


def test_a_dcm_file_that_is_not_dicom_is_named_with_its_reason(tmp_path):
    (tmp_path / "cine.dcm").write_bytes(b"DICM")
    with pytest.raises(VideoReadError, match=r"cine.dcm: DICOM: not a DICOM file .*prepare dicom"):
        read_video(tmp_path / "cine.dcm")


def test_expand_video_inputs_accepts_each_kind_of_spec(tmp_path):
    videos = tmp_path / "videos"
    for name in ("v10.avi", "v2.avi", "v1.mp4"):
        write_video(videos / name, 2)
    write_frame_folder(videos / "v3", 2)
    (videos / "notes.txt").write_text("not a video")
    (videos / "empty_dir").mkdir()
    in_order = [videos / name for name in ("v1.mp4", "v2.avi", "v3", "v10.avi")]

    assert expand_video_inputs(videos) == in_order
    assert expand_video_inputs(str(videos / "v2.avi")) == [videos / "v2.avi"]
    assert expand_video_inputs(videos / "v3") == [videos / "v3"]
    assert expand_video_inputs(str(videos / "v*.avi")) == [videos / "v2.avi", videos / "v10.avi"]
    assert expand_video_inputs(f"[{videos / 'v10.avi'}, '{videos / 'v3'}']") == [
        videos / "v10.avi",
        videos / "v3",
    ]
    assert expand_video_inputs([videos / "v1.mp4", str(videos / "v2.avi")]) == in_order[:2]


def test_expand_video_inputs_names_what_is_missing(tmp_path):
    with pytest.raises(VideoReadError, match="ghost.avi: no such video file"):
        expand_video_inputs(tmp_path / "ghost.avi")
    (tmp_path / "empty").mkdir()
    with pytest.raises(VideoReadError, match="no videos found in .*empty"):
        expand_video_inputs(tmp_path / "empty")
    with pytest.raises(VideoReadError, match="no videos found"):
        expand_video_inputs(os.path.join(tmp_path, "*.avi"))
