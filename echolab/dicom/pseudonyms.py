"""Keyed pseudonyms: HMAC-SHA256 with a secret key file that never goes into an output folder.

A keyed hash cannot be reversed or recomputed by someone without the key (an unsalted hash of a short
MRN can be, by trying every number). The same key gives the same names on every run and machine, so a
rerun resumes, and `echolab predict` on a raw file names it as `echolab prepare dicom` named its video.
Each kind of value is hashed in its own domain, so a patient ID and a UID never share a name.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from echolab.errors import ConfigError

KEY_ENV = "ECHOLAB_DICOM_KEY"  # a key file to use instead of the default
_HEX_CHARS = 24  # 96 bits: no collision in any realistic archive


def default_key_path() -> Path:
    if os.environ.get(KEY_ENV):
        return Path(os.environ[KEY_ENV]).expanduser()
    config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return config / "echolab" / "dicom-pseudonym.key"


def load_or_create_key(path: Path) -> tuple[bytes, bool]:
    """The key in `path` and whether it was created now (32 random bytes, readable by the owner only)."""
    path = path.expanduser()
    if path.is_file():
        text = path.read_text().strip()
        try:
            key = bytes.fromhex(text)
        except ValueError:
            key = b""
        if len(key) < 16:
            raise ConfigError(
                f"{path} is not an echolab pseudonym key (64 hexadecimal characters); point --key at "
                "the key you prepared with, or at a new path to create one"
            )
        return key, False
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(key.hex() + "\n")
    return key, True


class Pseudonyms:
    def __init__(self, key: bytes):
        self._key = key

    def _name(self, domain: str, value: str) -> str:
        digest = hmac.new(self._key, f"{domain}\0{value}".encode(), hashlib.sha256).hexdigest()
        return digest[:_HEX_CHARS]

    def instance(self, sop_instance_uid: str) -> str:
        """The name of a cine's video: one per SOP instance, so duplicate files share it."""
        return self._name("instance", sop_instance_uid)

    def file(self, relative_path: str) -> str:
        """The name of a file with no usable SOP instance UID (not DICOM, unreadable)."""
        return self._name("file", relative_path)

    def patient(self, issuer: str, patient_id: str) -> str:
        """'' for an empty ID: empty IDs of different patients must not become one pseudonym."""
        return self._name("patient", f"{issuer}\0{patient_id}") if patient_id else ""

    def study(self, study_instance_uid: str) -> str:
        return self._name("study", study_instance_uid) if study_instance_uid else ""

    def key_check(self) -> str:
        """Recorded in a prepared folder: tells a rerun with another key, reveals nothing of the key."""
        return self._name("key-check", "echolab")
