"""Public keys the user names (`--key`, or a policy's `keys`), loaded once."""

from __future__ import annotations

from pathlib import Path

from evidence.verify.crypto import load_public_key, loaded_key
from evidence.verify.interface import LoadedKey, VerificationInputError

MAX_KEY_FILE = 1024 * 1024


def load_key_file(path: Path, shown: str | None = None) -> LoadedKey:
    """A PEM public key or certificate file; `VerificationInputError` naming the file when it cannot be used."""
    name = shown or str(path)
    try:
        if path.stat().st_size > MAX_KEY_FILE:
            raise VerificationInputError(name, f"key file is over {MAX_KEY_FILE} bytes")
        data = path.read_bytes()
    except OSError as e:
        raise VerificationInputError(name, f"key file cannot be read: {e.strerror}") from e
    try:
        key, _ = load_public_key(data)
    except ValueError as e:
        raise VerificationInputError(name, f"not a PEM public key or certificate: {e}") from e
    return loaded_key(name, key)
