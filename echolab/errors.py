"""Errors a user can act on: each message names the file involved and how to fix it."""

from __future__ import annotations

import difflib


class EcholabError(Exception):
    """Base class; the CLI prints these without a traceback."""


class ConfigError(EcholabError):
    """An experiment, fragment or override is invalid."""


class DatasetError(EcholabError):
    """A dataset root, label file, split file or manifest is missing or malformed."""


class VideoReadError(EcholabError):
    """A video (file, frame folder or DICOM) is missing, empty or cannot be decoded."""


class ExportError(EcholabError):
    """A checkpoint cannot be exported in the format asked for, or an exported model cannot be used."""


def check_choice(key: str, value, choices) -> None:
    """A ConfigError unless `value` is one of `choices`: the one wording of an unknown option, with the
    closest choice when a typo is likely (`data.sampler 'uncertainity' is unknown (closest: uncertainty)`)."""
    names = list(choices)
    if value in names:
        return
    close = difflib.get_close_matches(str(value), [str(name) for name in names], n=1)
    hint = f" (closest: {close[0]})" if close else ""
    raise ConfigError(f"{key} {value!r} is unknown{hint}; choose one of {', '.join(map(str, names))}")
