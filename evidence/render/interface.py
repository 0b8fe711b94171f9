"""The renderer seam: an `AuditPackage` in, the bytes of one package file out."""

from __future__ import annotations

from typing import BinaryIO, Protocol

from evidence.errors import RenderError
from evidence.model import AuditPackage

__all__ = ["RenderError", "Renderer"]


class Renderer(Protocol):
    """Writes one file of the package. Renderers never evaluate and know nothing of CLI flags."""

    filename: str  # the file's path inside the package, e.g. "oscal/assessment-results.json"

    def render(self, pkg: AuditPackage, out: BinaryIO) -> None: ...
