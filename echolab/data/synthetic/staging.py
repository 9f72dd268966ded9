"""Write a dataset folder all at once: into a hidden sibling first, renamed into place at the end.

An interrupted run therefore leaves no half-written folder under the requested name (only a
`.NAME.partial-*` folder, removed on any error we get to see), and an existing dataset is never
replaced unless the caller asked for it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from echolab.errors import DatasetError


@contextmanager
def staged_folder(out: str | Path, *, overwrite: bool) -> Iterator[Path]:
    out = Path(out).expanduser().absolute()
    if out.exists() and not out.is_dir():
        raise DatasetError(f"{out} is a file, not a folder; choose another --out")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise DatasetError(
            f"{out} already exists and is not empty; pass --overwrite to replace it, or choose another --out"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        yield staging
        staging.chmod(0o755)  # mkdtemp makes it private; the dataset should not be
        if out.exists():
            # Move the old folder aside first: the swap is two renames, never a half-deleted dataset.
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
            os.replace(out, old / out.name)
            os.replace(staging, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
