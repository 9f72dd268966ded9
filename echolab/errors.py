"""Errors a user can act on: each message names the file involved and how to fix it."""


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
