"""Keep pydicom's and GDCM's messages off the console while a file is read: they quote file paths and
header values (a truncated file's warning names its path, which may hold the patient's name).

Python's warning filters are global to the process, so the frame cache's decoding threads take turns
here (a lock around each header read and each frame's decode); prepare's worker processes do not
share them.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import warnings
from collections.abc import Iterator

_TURNS = threading.Lock()


@contextlib.contextmanager
def quiet_reading() -> Iterator[list[warnings.WarningMessage]]:
    """Collect warnings (yielded, for the reader to judge) and mute pydicom's log while reading."""
    with _TURNS:
        logger = logging.getLogger("pydicom")
        disabled = logger.disabled
        logger.disabled = True
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                yield caught
        finally:
            logger.disabled = disabled


def mute_gdcm() -> None:
    """GDCM writes its own warnings to stderr; pydicom imports it only when a syntax needs it."""
    try:
        import gdcm
    except ImportError:
        return
    gdcm.Trace.WarningOff()
    gdcm.Trace.ErrorOff()
    gdcm.Trace.DebugOff()
