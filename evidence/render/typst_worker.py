"""Typeset one document of report.pdf with Typst, in a process of its own.

`evidence.render.pdf` runs this file as a script, `python typst_worker.py FOLDER [--anchors] [FONT_DIR]`: FOLDER
holds `report.typ` and `report.json`; the worker writes `report.pdf`, and with `--anchors` also `anchors.json`
(where each anchor of the part is, as the template's `<fromline-anchors>` metadata says). Typst keeps every
laid-out element in memory until its process ends, so each document gets a fresh process and its memory is
returned when it exits. The script imports nothing of Fromline: it starts in a fraction of the time.
A Typst error is printed on stderr and the exit code is 1.
"""

from __future__ import annotations

import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    folder = Path(argv[0])
    anchors = "--anchors" in argv[1:]
    fonts = [arg for arg in argv[1:] if arg != "--anchors"]
    import typst  # noqa: PLC0415 - after the arguments: a usage error needs no Typst

    compiler = typst.Compiler(str(folder / "report.typ"), root=str(folder), font_paths=fonts, ignore_system_fonts=True)
    try:
        pdf = compiler.compile()
        where = compiler.query("<fromline-anchors>", field="value", one=True) if anchors else None
    except RuntimeError as exc:
        print(str(exc)[:2000], file=sys.stderr)  # noqa: T201 - the parent reads it
        return 1
    if not isinstance(pdf, bytes):
        print("Typst returned no PDF", file=sys.stderr)  # noqa: T201 - the parent reads it
        return 1
    (folder / "report.pdf").write_bytes(pdf)
    if where is not None:
        (folder / "anchors.json").write_text(str(where), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
