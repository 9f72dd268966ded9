"""One reader per published dataset format, each returning a DatasetIndex."""

from __future__ import annotations

import inspect

from echolab.data.formats.camus import read_camus
from echolab.data.formats.echonet_dynamic import read_echonet_dynamic
from echolab.data.formats.ev9v import EV9V_CLASSES, read_ev9v
from echolab.data.formats.manifest import read_manifest
from echolab.data.records import DatasetIndex
from echolab.errors import ConfigError, DatasetError

_READERS = {
    "ev9v": read_ev9v,
    "echonet_dynamic": read_echonet_dynamic,
    "manifest": read_manifest,
    "camus": read_camus,
}
FORMATS = tuple(_READERS)

__all__ = ["EV9V_CLASSES", "FORMATS", "read_dataset", "read_echonet_dynamic", "read_ev9v", "read_manifest"]


def read_dataset(
    format: str, root, *, classes: list[str] | None = None, skip_bad: bool = False, **options
) -> DatasetIndex:
    """Index the dataset at `root`, stored in the published layout `format` (one of FORMATS)."""
    reader = _READERS.get(format)
    if reader is None:
        raise DatasetError(f"unknown dataset format {format!r}; echolab reads {', '.join(FORMATS)}")
    if classes is not None:
        options["classes"] = classes
    accepted = set(inspect.signature(reader).parameters) - {"root", "skip_bad"}
    unknown = sorted(set(options) - accepted)
    if unknown:
        raise ConfigError(
            f"dataset format {format!r} takes no option {', '.join(unknown)}; "
            f"its options are: {', '.join(sorted(accepted)) or 'none'}"
            + (
                " (this format defines its own classes: leave data.classes unset)"
                if "classes" in unknown
                else ""
            )
        )
    return reader(root, skip_bad=skip_bad, **options)
