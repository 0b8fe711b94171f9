"""One rule for showing text that came from an input file: every character that could act instead of
being read is shown as a visible escape, the same way on a terminal, in HTML and PDF, in a workbook and in
Markdown. `audit.json` keeps the exact text (JSON escapes it itself).

Escaped: C0 and C1 control characters and DEL (a newline forges a line, ESC starts a terminal command, a
carriage return overwrites what was printed), the bidirectional formatting characters (U+202E makes
`\\u202egnp.exe` read "exe.png"), the zero-width and line-separating characters that hide or break text,
and lone surrogates (undecodable bytes of a file name). An output whose format needs a line break or a tab
passes them in `keep`.
"""

from __future__ import annotations

import re

__all__ = ["cut", "visible"]

_ACTIVE = re.compile(
    "[\x00-\x1f\x7f-\x9f"  # C0 controls, DEL, C1 controls
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"  # bidirectional marks, embeddings, overrides, isolates
    "\u200b-\u200d\u2060\ufeff"  # zero-width characters
    "\u2028\u2029"  # line and paragraph separators
    "\ud800-\udfff]"  # lone surrogates
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(character: str) -> str:
    code = ord(character)
    return _NAMED.get(character) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def visible(text: str, *, keep: str = "") -> str:
    """`text` with every control, bidirectional or invisible character as an escape (`\\x1b`, `\\u202e`),
    except the characters in `keep` (`"\\n"` where the output's own lines may break)."""
    if not keep:
        return _ACTIVE.sub(lambda m: _escape(m[0]), text)
    return _ACTIVE.sub(lambda m: m[0] if m[0] in keep else _escape(m[0]), text)


def cut(text: str, limit: int, *, full_in: str = "audit.json") -> str:
    """`text` if it fits in `limit` characters, else its start and a marker that says how long it was and
    where it is kept in full. A report or a cell is not the place for a 100,000-character package name."""
    if len(text) <= limit:
        return text
    marker = f" … [cut: {len(text):,} characters; in full in {full_in}]"
    return text[: max(limit - len(marker), 0)] + marker
