"""The one DSSE envelope reader, and the pre-authentication encoding its signatures cover.

Pure parsing, no crypto and no collector: the in-toto collector reads attestations with it, the verification
step reads the same envelopes again from the collected bytes, and `fromline verify` reads a signed package's.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from dataclasses import dataclass

import orjson

IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"
_B64_ALT = b"-_"


@dataclass(frozen=True, slots=True)
class Envelope:
    """A DSSE envelope: what was signed, and the signatures (None where a `sig` is not base64)."""

    payload_type: str
    payload: bytes
    signatures: tuple[tuple[str, bytes | None], ...]  # (keyid, signature)
    line: int | None = None  # its line in a JSON-lines file
    # PEM certificates some signers put beside a signature (`signatures[].cert`, as slsa-github-generator does)
    certificates: tuple[str, ...] = ()


def decode_base64(text: str) -> bytes | None:
    """Standard or URL-safe base64, padding optional (DSSE allows both); None when it is neither."""
    data = text.strip().encode("ascii", "replace")
    padded = data + b"=" * (-len(data) % 4)
    for alt in (None, _B64_ALT):
        try:
            return base64.b64decode(padded, altchars=alt, validate=True)
        except (binascii.Error, ValueError):
            continue
    return None


def pae(payload_type: str, body: bytes) -> bytes:
    """The DSSE v1 pre-authentication encoding that envelope signatures cover."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %b %d %b" % (len(kind), kind, len(body), body)


def envelope_from(obj: object, line: int | None = None) -> Envelope | None:
    """The envelope a parsed JSON value is, or None: a string payload type, a base64 payload and a list of
    signatures are required."""
    if not isinstance(obj, dict):
        return None
    payload_type, payload, signatures = obj.get("payloadType"), obj.get("payload"), obj.get("signatures")
    if not isinstance(payload_type, str) or not isinstance(payload, str) or not isinstance(signatures, list):
        return None
    body = decode_base64(payload)
    if body is None:
        return None
    found: list[tuple[str, bytes | None]] = []
    certificates: list[str] = []
    for entry in signatures:
        if isinstance(entry, dict):
            keyid, sig, cert = entry.get("keyid"), entry.get("sig"), entry.get("cert")
            found.append(
                (keyid if isinstance(keyid, str) else "", decode_base64(sig) if isinstance(sig, str) else None)
            )
            if isinstance(cert, str) and cert.strip():
                certificates.append(cert)
    return Envelope(
        payload_type=payload_type,
        payload=body,
        signatures=tuple(found),
        line=line,
        certificates=tuple(certificates),
    )


def json_lines(data: bytes) -> Iterator[tuple[int, bytes]]:
    """(line number, bytes) of each non-blank line."""
    for number, raw in enumerate(data.splitlines(), start=1):
        line = raw.strip()
        if number == 1:
            line = line.removeprefix(b"\xef\xbb\xbf")
        if line:
            yield number, line


def loads(data: bytes) -> object:
    """Parsed JSON, or None when the bytes are not JSON."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return None


def read_envelopes(data: bytes) -> tuple[Envelope | None, ...]:
    """The DSSE envelope of a JSON file, or of each line of a JSON-lines file; None for what is not one."""
    whole = loads(data.removeprefix(b"\xef\xbb\xbf"))
    if whole is not None:
        return (envelope_from(whole),)
    return tuple(envelope_from(loads(line), number) for number, line in json_lines(data))
