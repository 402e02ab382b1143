"""Stable pseudonyms for case names written into exported records.

A case's name is its folder or file name, and folders are often named after the patient
("DUPONT_Jean_1961"). Sidecars and manifests therefore carry ``case-<10 hex>`` instead: a
keyed hash (HMAC-SHA256) of the name under a secret salt, so the same case gets the same
pseudonym in every run on this machine, and the name cannot be recovered by hashing a list
of candidate names without the salt.

Salt: ``$LIVERSYNTH_PSEUDONYM_SALT`` when set (share it to get the same pseudonyms on
several machines), else a random salt created once in ``$XDG_DATA_HOME/liversynth/
pseudonym_salt`` (mode 0600).

Example:
    >>> p = Pseudonymizer(b"salt")
    >>> p.name("DUPONT_Jean")
    'case-9d2e62ad58'
    >>> p.apply({"source": "DUPONT_Jean", "lesion": "DUPONT_Jean#2"}, ["DUPONT_Jean"])
    {'source': 'case-9d2e62ad58', 'lesion': 'case-9d2e62ad58#2'}
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import Any

SALT_ENV = "LIVERSYNTH_PSEUDONYM_SALT"
_PREFIX = "case-"


def _salt_file() -> Path:
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "liversynth" / "pseudonym_salt"


def default_salt() -> bytes:
    """The salt in force: the environment's, else this user's (created on first use)."""
    env = os.environ.get(SALT_ENV)
    if env:
        return env.encode("utf-8")
    path = _salt_file()
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        pass
    salt = secrets.token_bytes(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(salt.hex() + "\n")
    return salt


class Pseudonymizer:
    """Replaces case names by their pseudonyms in nested JSON-like records.

    Args:
        salt: the secret key; :func:`default_salt` when ``None``.
    """

    def __init__(self, salt: bytes | None = None) -> None:
        self._salt = default_salt() if salt is None else salt

    def name(self, case_name: str) -> str:
        """The pseudonym of one case name (``case-`` and 10 hex digits)."""
        digest = hmac.new(self._salt, case_name.encode("utf-8"), hashlib.sha256).hexdigest()
        return _PREFIX + digest[:10]

    def apply(self, record: Any, names: Iterable[str]) -> Any:
        """A copy of ``record`` with each name replaced wherever it stands as a whole token
        (also inside longer strings such as lesion ids ``<case>#<n>``).

        File lists (keys ``files`` and ``item_files``) are left alone: they hold output
        names, never case names.
        """
        table = sorted({n for n in names if n}, key=len, reverse=True)
        if not table:
            return record
        pattern = re.compile(
            r"(?<![A-Za-z0-9])(" + "|".join(re.escape(n) for n in table) + r")(?![A-Za-z0-9])"
        )
        aliases = {n: self.name(n) for n in table}
        return _replace(record, pattern, aliases)


_FILE_KEYS = ("files", "item_files")


def _replace(value: Any, pattern: re.Pattern[str], aliases: dict[str, str]) -> Any:
    if isinstance(value, str):
        return pattern.sub(lambda m: aliases[m.group(1)], value)
    if isinstance(value, dict):
        return {
            k: v if k in _FILE_KEYS else _replace(v, pattern, aliases) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_replace(v, pattern, aliases) for v in value]
    return value
