"""What `echolab predict` calls a raw DICOM input: its pseudonym, never its path.

PACS exports sit in folders named after the patient; a prediction's printed lines, its
predictions.csv and its error list name each DICOM input by the pseudonym `echolab prepare dicom`
gives its video (same key: ECHOLAB_DICOM_KEY or the default key file), so the two can be joined
without the source path appearing anywhere.
"""

from __future__ import annotations

from pathlib import Path

from echolab.dicom.pseudonyms import Pseudonyms, default_key_path, load_or_create_key
from echolab.io.inputs import is_dicom


def public_names(paths: list[Path]) -> dict[Path, Path]:
    """Each input as it may be shown: a DICOM file as its pseudonym, anything else as given."""
    if not any(is_dicom(path) for path in paths):
        return {path: path for path in paths}
    key_path = default_key_path()
    key, created = load_or_create_key(key_path)
    if created:
        print(f"created a pseudonym key at {key_path}: keep it secret; the same key gives the same names")
    pseudonyms = Pseudonyms(key)
    return {path: Path(_pseudonym(path, pseudonyms)) if is_dicom(path) else path for path in paths}


def redact(text: str, path: Path, shown: Path) -> str:
    """`text` (an error message) with `path`, as given or resolved, replaced by `shown`."""
    for form in {str(Path(path).resolve()), str(path)}:
        text = text.replace(form, str(shown))
    return text


def _pseudonym(path: Path, pseudonyms: Pseudonyms) -> str:
    from echolab.dicom.cine import read_header
    from echolab.dicom.unusable import UnusableCine

    try:
        uid = str(read_header(path).get("SOPInstanceUID", ""))
    except UnusableCine:
        uid = ""
    return pseudonyms.instance(uid) if uid else pseudonyms.file(str(path.resolve()))
