"""Open the dataset an experiment's `data:` block names, generating a synthetic one on first use."""

from __future__ import annotations

import logging
from pathlib import Path

from echolab.data.formats import read_dataset
from echolab.data.records import DatasetIndex
from echolab.errors import ConfigError

log = logging.getLogger(__name__)


def _writers() -> dict:
    from echolab.data.synthetic import write_echonet, write_ev9v, write_manifest_dataset

    return {"ev9v": write_ev9v, "echonet": write_echonet, "manifest": write_manifest_dataset}


def ensure_dataset(data: dict) -> None:
    """Generate `data.synthetic` into `data.root` when the root does not exist yet."""
    synthetic = data.get("synthetic")
    root = Path(data["root"])
    if not synthetic or root.exists():
        return
    options = dict(synthetic)
    writer = options.pop("writer")
    writers = _writers()
    if writer not in writers:
        raise ConfigError(f"data.synthetic.writer '{writer}' is unknown; choose one of {sorted(writers)}")
    log.info("generating synthetic %s data into %s", writer, root)
    writers[writer](root, **options)


def open_dataset(data: dict) -> DatasetIndex:
    """The dataset index of an experiment's `data:` block (synthesised first if configured and missing)."""
    ensure_dataset(data)
    options = {"manifest": data["manifest"]} if data.get("manifest") else {}
    return read_dataset(
        data["format"],
        data["root"],
        classes=data.get("classes"),
        skip_bad=data.get("skip_bad", False),
        **options,
    )
