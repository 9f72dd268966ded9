"""Files that appear whole or not at all: written beside their final name, then renamed onto it.

A crash, a kill or a full disk in the middle of writing leaves at most a hidden temporary file
(`.NAME.<random>.SUFFIX`, removed when the write fails inside Python), never a truncated
`metrics.json` or `predictions.csv` that looks complete. `os.replace` is atomic within one file system,
which the temporary file shares with its target by living in the same folder.
"""

from __future__ import annotations

import errno
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from echolab.errors import EcholabError


class DiskFullError(EcholabError):
    """The disk filled while echolab wrote a file; nothing half-written was left under its name."""


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path beside `path` to write to; renamed onto `path` when the block succeeds, deleted
    when it raises. The temporary name keeps `path`'s suffix, so writers that pick a format by suffix
    (matplotlib, numpy) write the same bytes."""
    path = Path(path)
    temporary = path.with_name(f".{path.stem}.{uuid.uuid4().hex[:12]}{path.suffix}")
    try:
        yield temporary
        os.replace(temporary, path)
    except OSError as error:
        if error.errno == errno.ENOSPC:
            raise DiskFullError(
                f"no space left on the device while writing {path}; nothing was written under that name. "
                "Free some space (or point the output elsewhere) and run again"
            ) from error
        raise
    finally:
        temporary.unlink(missing_ok=True)


def write_text_atomic(path: str | Path, text: str) -> Path:
    with atomic_path(path) as temporary:
        temporary.write_text(text)
    return Path(path)
