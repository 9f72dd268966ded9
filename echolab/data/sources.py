"""Open the dataset an experiment's `data:` block names, generating a synthetic one where echolab may."""

from __future__ import annotations

import logging
import os
from datetime import datetime
from pathlib import Path

from echolab.data.formats import read_dataset
from echolab.data.records import DatasetIndex, settle_bad
from echolab.data.synthetic.marker import differences, generator_options, marker_content, read_marker
from echolab.errors import DatasetError, check_choice
from echolab.io.cache import FrameCache

log = logging.getLogger(__name__)


def _writer(name: str):
    from echolab.data.synthetic import WRITERS

    check_choice("data.synthetic.writer", name, sorted(WRITERS))
    return WRITERS[name]


def ensure_dataset(data: dict) -> None:
    """Generate `data.synthetic` into `data.root` where echolab may, and only there.

    - a missing root is generated only when it is the experiment's own folder (`data.synthetic.root`,
      recorded by the config loader before command-line overrides): a data.root the user typed that
      does not exist is an error from the format reader, never a place to invent data;
    - an existing folder without echolab's marker is the user's: never touched;
    - an echolab-made folder that fits is reused; one that does not (another generator version or other
      options) is an error, unless `data.synthetic.regenerate=true`, which moves it aside first.
    """
    synthetic = data.get("synthetic")
    if not synthetic:
        return
    options = dict(synthetic)
    writer_name = options.pop("writer")
    home = options.pop("root", None)
    regenerate = options.pop("regenerate", False)
    writer = _writer(writer_name)
    root = Path(data["root"])
    wanted = marker_content(writer_name, generator_options(writer, options))
    if not root.exists():
        if home is None or root.absolute() != Path(home).absolute():
            return  # the reader names the missing folder, its expected layout and the synth command
        log.info("generating synthetic %s data into %s", writer_name, root)
        writer(root, **options)
        return
    found = read_marker(root)
    if found is None or found == wanted:
        return
    changes = "; ".join(differences(found, wanted))
    if not regenerate:
        raise DatasetError(
            f"{root} holds synthetic data that echolab made with other settings ({changes}). Either "
            f"set data.synthetic.regenerate=true (the old folder is moved aside, not deleted), or point "
            f"data.root at another folder"
        )
    aside = root.with_name(f"{root.name}.stale-{datetime.now():%Y%m%d-%H%M%S}")
    os.replace(root, aside)
    log.warning("moved the stale synthetic data in %s to %s (%s); regenerating", root, aside, changes)
    writer(root, **options)


def data_provenance(root: str | Path) -> dict:
    """Whether a run's data is echolab-made synthetic data: what every run records and prints."""
    marker = read_marker(root)
    if marker is None:
        return {"synthetic": False}
    return {"synthetic": True, "generator_version": marker["generator_version"], "writer": marker["writer"]}


def describe_provenance(provenance: dict) -> str:
    if not provenance["synthetic"]:
        return "not made by echolab's generator"
    return f"SYNTHETIC (echolab generator v{provenance['generator_version']}, {provenance['writer']})"


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


def open_decoded_dataset(data: dict, cache: FrameCache) -> DatasetIndex:
    """`open_dataset`, then every video decoded once into the frame cache. Videos that cannot be
    decoded go through the same policy as the reader's bad rows (records.settle_bad): all of them
    listed in one error, or, with `data.skip_bad`, left out with one warning and kept in `index.bad`."""
    index = open_dataset(data)
    bad = cache.ensure([v.path for v in index.videos], skip_bad=True)
    settle_bad(bad, skip_bad=data["skip_bad"], source=index.root)
    unreadable = {b.path for b in bad}
    index.videos = [v for v in index.videos if str(v.path) not in unreadable]
    index.bad.extend(bad)
    return index
