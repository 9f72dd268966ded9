"""Decode-once frame cache: every video is decoded a single time into a memory-mapped uint8 file.

Clips are then sliced straight out of the page cache instead of re-decoding a compressed video
per sample, which is what makes video training fast on every machine.

Layout of a cache folder:
    <root>/echolab-frame-cache.json                 marks the folder as ours
    <root>/<stem>-<hash of source path and size>/
        frames.u8                                    raw uint8 (T, H, W, 3) RGB
        meta.json                                    shape, fps, source signature

An entry is valid while the source's signature (file size + mtime; for frame folders, every
image's name, size and mtime) matches its meta.json; otherwise it is rebuilt. The full signature
is checked whenever a process opens an entry; after that each access only re-stats the source
(for a frame folder, the folder itself: adding, removing or renaming frames is noticed at once, a
frame rewritten in place when the entry is next opened), so clip reads stay cheap.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from echolab.atomic import atomic_path, write_text_atomic
from echolab.data.records import BadVideo
from echolab.errors import ConfigError, VideoReadError
from echolab.io import is_dicom, open_video
from echolab.io.frame_folders import list_frame_images

_MARKER = "echolab-frame-cache.json"
_VERSION = 1


@dataclass(frozen=True)
class _OpenEntry:
    stamp: str  # the source's _stamp when the entry was validated
    frames: np.memmap
    fps: float | None


class FrameCache:
    """Frames of many videos, each decoded once and memory-mapped on every later use.

    `size` resizes each frame so its shorter side is `size` pixels (aspect kept); None keeps the
    native size. Safe to share with forked or spawned DataLoader workers: memmaps are opened
    lazily in each process, and entries appear atomically, so concurrent builders never expose
    a partial entry.
    """

    def __init__(self, root: str | Path, *, size: int | None = None, max_open: int = 64):
        if size is not None and size < 1:
            raise ConfigError(f"frame cache size must be a positive number of pixels or null, got {size}")
        self.root = Path(root).expanduser()
        self.size = size
        self.max_open = max_open
        self._open: OrderedDict[Path, _OpenEntry] = OrderedDict()
        self._pid = os.getpid()

    def frames(self, path: str | Path) -> np.memmap:
        """Read-only uint8 (T, H, W, 3) RGB frames of a video; decodes it on first use."""
        return self._entry(Path(path)).frames

    def fps(self, path: str | Path) -> float | None:
        return self._entry(Path(path)).fps

    def ensure(self, paths, *, progress: bool = True, skip_bad: bool = False) -> list[BadVideo]:
        """Build every missing or stale entry now, so that DataLoader workers only ever read.

        Runs in threads (decoding releases the GIL). Raises at the first video that cannot be
        decoded, or with `skip_bad` returns those videos (paths as given) and builds the rest.
        """
        sources: dict[Path, str] = {}  # resolved -> as given; a video listed twice is built once
        for path in paths:
            sources.setdefault(Path(path).resolve(), str(path))
        bad = []
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            jobs = {pool.submit(self._ensure_one, source): given for source, given in sources.items()}
            try:
                for job in tqdm(
                    as_completed(jobs), total=len(jobs), desc="Caching frames", disable=not progress
                ):
                    try:
                        job.result()
                    except VideoReadError as error:
                        if not skip_bad:
                            raise
                        bad.append(BadVideo(path=jobs[job], error=str(error)))
            except BaseException:
                # Stop now rather than decode the rest of the dataset before reporting.
                pool.shutdown(cancel_futures=True)
                raise
        return sorted(bad, key=lambda item: item.path)

    def entry_dir(self, path: str | Path) -> Path:
        """Where the entry for a video lives (whether or not it is built yet)."""
        source = Path(path).resolve()
        digest = hashlib.sha1(f"{source}|{self.size}".encode()).hexdigest()[:16]
        # A DICOM file's name may be the patient's: its entry is named by the digest alone.
        stem = "dicom" if is_dicom(source) else re.sub(r"[^A-Za-z0-9._-]+", "_", source.stem)[:48]
        return self.root / f"{stem}-{digest}"

    def __getstate__(self):
        # Open memmaps belong to one process; a worker reopens what it needs.
        state = self.__dict__.copy()
        state["_open"] = OrderedDict()
        return state

    def _entry(self, path: Path) -> _OpenEntry:
        if self._pid != os.getpid():
            self._open, self._pid = OrderedDict(), os.getpid()
        source = path.resolve()
        stamp = _stamp(source)
        entry = self._open.get(source)
        if entry is None or entry.stamp != stamp:
            signature = _signature(source)
            opened = self._load(source, signature)
            if opened is None:
                self._build(source, signature)
                opened = self._load(source, signature)
            if opened is None:
                raise VideoReadError(
                    f"{source}: its frame cache entry in {self.entry_dir(source)} vanished "
                    "while it was being opened; is another process deleting the cache?"
                )
            entry = _OpenEntry(stamp, *opened)
            self._open[source] = entry
        self._open.move_to_end(source)
        while len(self._open) > self.max_open:
            self._open.popitem(last=False)
        return entry

    def _ensure_one(self, source: Path) -> None:
        signature = _signature(source)
        if self._load(source, signature) is None:
            self._build(source, signature)

    def _load(self, source: Path, signature: str) -> tuple[np.memmap, float | None] | None:
        """Frames and fps of the entry for `source` if complete and matching `signature`, else None."""
        entry_dir = self.entry_dir(source)
        try:
            meta = json.loads((entry_dir / "meta.json").read_text())
            shape = tuple(meta["shape"])
            if (meta["version"], meta["signature"], meta["size"]) != (_VERSION, signature, self.size):
                return None
            frames = np.memmap(entry_dir / "frames.u8", dtype=np.uint8, mode="r", shape=shape)
        except (OSError, ValueError, KeyError, TypeError):
            # Missing, half-written by an older crash, or from another version: rebuild.
            return None
        return frames, meta["fps"]

    def _build(self, source: Path, signature: str) -> None:
        self._claim_root()
        entry_dir = self.entry_dir(source)
        entry_dir.mkdir(exist_ok=True)
        stream = open_video(source)
        # Each file is written under a unique temporary name (several workers or processes may build the
        # same entry at once) and renamed into place whole; a full disk leaves no file under its name.
        # Frames first, meta last: a reader trusts frames.u8 only once meta.json names its source
        # signature, so it can never pair new meta with old frames.
        count, shape = 0, None
        with atomic_path(entry_dir / "frames.u8") as temporary, open(temporary, "wb") as out:
            for frame in stream.frames:
                frame = resize_shorter_side(frame, self.size)
                out.write(np.ascontiguousarray(frame).data)
                count, shape = count + 1, frame.shape
        meta = {
            "version": _VERSION,
            "source": "(DICOM)" if is_dicom(source) else str(source),
            "size": self.size,
            "signature": signature,
            "shape": [count, *shape],
            "fps": stream.fps,
        }
        write_text_atomic(entry_dir / "meta.json", json.dumps(meta, indent=1))

    def _claim_root(self) -> None:
        marker = self.root / _MARKER
        if marker.exists():
            return
        # The marker is the first thing any builder writes, so a folder that is non-empty and
        # *still* unmarked was not made by a concurrent builder: it holds someone else's files.
        if self.root.is_dir() and any(self.root.iterdir()) and not marker.exists():
            raise ConfigError(
                f"{self.root} is not empty and is not an echolab frame cache (it has no {_MARKER}); "
                "echolab will not write into it. Point data.cache_dir at a new or empty folder."
            )
        self.root.mkdir(parents=True, exist_ok=True)
        # Written in place, not via a temporary file (whose name would make the folder non-empty
        # before the marker exists). Only the marker's existence matters, not its content.
        marker.write_text(
            json.dumps({"what": "echolab decode-once frame cache; safe to delete", "version": _VERSION})
        )


def resize_shorter_side(frame: np.ndarray, size: int | None) -> np.ndarray:
    """`frame` resized so its shorter side is `size` pixels, aspect kept; None keeps it as is."""
    if size is None:
        return frame
    height, width = frame.shape[:2]
    scale = size / min(height, width)
    target = (max(1, round(width * scale)), max(1, round(height * scale)))
    if target == (width, height):
        return frame
    # INTER_AREA averages the pixels a smaller frame's pixel covers: no aliasing of speckle.
    return cv2.resize(frame, target, interpolation=cv2.INTER_AREA)


def _signature(source: Path) -> str:
    """Changes whenever the video's content may have changed."""
    if source.is_dir():
        digest = hashlib.sha1()
        for image in list_frame_images(source):
            stat = _stat(image)
            digest.update(f"{image.name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
        return f"folder:{digest.hexdigest()}"
    return f"file:{_stamp(source)}"


def _stamp(source: Path) -> str:
    """One stat: a file's size and mtime, or a folder's own mtime."""
    stat = _stat(source)
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def _stat(path: Path) -> os.stat_result:
    try:
        return path.stat()
    except OSError as error:
        raise VideoReadError(f"{path}: cannot read this video ({error.strerror}); check the path") from error
