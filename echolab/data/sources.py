"""Open the dataset an experiment's `data:` block names, generating a synthetic one on first use."""

from __future__ import annotations

import json
import logging
import warnings
from pathlib import Path

from echolab.data.formats import read_dataset
from echolab.data.records import DatasetIndex
from echolab.errors import ConfigError, VideoReadError

log = logging.getLogger(__name__)


PROVENANCE_FILE = "synthetic.json"  # what generated a synthetic dataset: generator version + options
_SYNTHETIC_SIGNATURE = "synthetic_quality.csv"  # every synthetic writer leaves it; real datasets lack it


def _writers() -> dict:
    from echolab.data.synthetic import write_echonet, write_ev9v, write_manifest_dataset

    return {"ev9v": write_ev9v, "echonet": write_echonet, "manifest": write_manifest_dataset}


def _provenance(writer: str, options: dict) -> dict:
    from echolab.data.synthetic import GENERATOR_VERSION

    return {"generator_version": GENERATOR_VERSION, "writer": writer, "options": options}


def _is_stale_synthetic(root: Path, wanted: dict) -> bool:
    """A synthetic dataset this configuration asked for, written by another generator version or
    with other options. Folders without the synthetic signature (real data) are never stale."""
    if not (root / _SYNTHETIC_SIGNATURE).is_file():
        return False
    marker = root / PROVENANCE_FILE
    if not marker.is_file():
        return True  # written before provenance was recorded: an older generator
    try:
        return json.loads(marker.read_text()) != wanted
    except json.JSONDecodeError:
        return True


def ensure_dataset(data: dict) -> None:
    """Generate `data.synthetic` into `data.root` when the root does not exist yet, or when it holds a
    synthetic dataset from another generator version or other options (then it is regenerated)."""
    synthetic = data.get("synthetic")
    root = Path(data["root"])
    if not synthetic:
        return
    options = dict(synthetic)
    writer = options.pop("writer")
    wanted = _provenance(writer, options)
    if root.exists():
        if not _is_stale_synthetic(root, wanted):
            return
        log.warning(
            "regenerating synthetic %s data in %s: it was made by another generator version or options",
            writer,
            root,
        )
    else:
        log.info("generating synthetic %s data into %s", writer, root)
    writers = _writers()
    if writer not in writers:
        raise ConfigError(f"data.synthetic.writer '{writer}' is unknown; choose one of {sorted(writers)}")
    writers[writer](root, overwrite=root.exists(), **options)
    (root / PROVENANCE_FILE).write_text(json.dumps(wanted, indent=1, sort_keys=True) + "\n")


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


def open_decoded_dataset(data: dict, frames) -> DatasetIndex:
    """`open_dataset`, then every video decoded once into `frames` (anything with
    `ensure(paths, skip_bad=)`); with `data.skip_bad`, unreadable videos are dropped with one warning that
    names each of them and recorded in `index.bad`."""
    index = open_dataset(data)
    try:
        bad = frames.ensure([v.path for v in index.videos], skip_bad=data["skip_bad"])
    except VideoReadError as err:
        raise VideoReadError(f"{err} (or set data.skip_bad=true to leave such videos out)") from err
    if bad:
        unreadable = {b.path for b in bad}
        warnings.warn(
            f"skipping {len(bad)} unreadable videos (data.skip_bad=true): "
            + "; ".join(f"{b.path}: {b.error}" for b in bad),
            stacklevel=2,
        )
        index.videos = [v for v in index.videos if str(v.path) not in unreadable]
        index.bad.extend(bad)
    return index
