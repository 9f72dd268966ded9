"""The marker that makes a folder echolab's own: `synthetic.json`, written by every synthetic writer.

It records the generator version, the writer and every option that shapes the data (defaults filled
in), so `echolab synth ev9v --videos-per-class 40` and an experiment asking for the same dataset
agree key for key. echolab (re)generates data only in a folder that carries this marker or that does
not exist yet; a folder without it is the user's and is never written to.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path

MARKER_FILE = "synthetic.json"
# Writer arguments that change how a dataset is written, not what it holds.
_NOT_CONTENT = ("out", "overwrite", "progress", "workers")


def _plain(value):
    return [_plain(v) for v in value] if isinstance(value, list | tuple) else value


def generator_options(writer, options: dict) -> dict:
    """`options` (any mapping, e.g. a writer's `locals()`) completed with `writer`'s defaults,
    restricted to the writer's arguments that shape the data. An optional feature left off (an
    argument whose default is None, still None) is not recorded: adding one to a writer keeps the
    markers of datasets it wrote before valid."""
    parameters = inspect.signature(writer).parameters
    filled = {name: p.default for name, p in parameters.items() if p.default is not inspect.Parameter.empty}
    filled |= {name: value for name, value in options.items() if name in parameters}
    off = {name for name, value in filled.items() if value is None and parameters[name].default is None}
    return {
        name: _plain(value)
        for name, value in sorted(filled.items())
        if name not in _NOT_CONTENT and name not in off
    }


def marker_content(writer_name: str, options: dict) -> dict:
    from echolab.data.synthetic import phantom

    return {"generator_version": phantom.GENERATOR_VERSION, "writer": writer_name, "options": options}


def write_marker(root: Path, writer_name: str, options: dict) -> None:
    (Path(root) / MARKER_FILE).write_text(
        json.dumps(marker_content(writer_name, options), indent=1, sort_keys=True) + "\n"
    )


def read_marker(root: str | Path) -> dict | None:
    """The marker of an echolab-made synthetic folder, or None for any other folder."""
    path = Path(root) / MARKER_FILE
    if not path.is_file():
        return None
    try:
        content = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    return content if isinstance(content, dict) and "generator_version" in content else None


def differences(found: dict, wanted: dict) -> list[str]:
    """What differs between two markers, as `key: found -> wanted` lines."""
    lines = []
    for key in ("generator_version", "writer"):
        if found.get(key) != wanted.get(key):
            lines.append(f"{key}: {found.get(key)!r} -> {wanted.get(key)!r}")
    found_options, wanted_options = found.get("options", {}), wanted.get("options", {})
    for key in sorted(set(found_options) | set(wanted_options)):
        if found_options.get(key) != wanted_options.get(key):
            lines.append(f"{key}: {found_options.get(key)!r} -> {wanted_options.get(key)!r}")
    return lines
