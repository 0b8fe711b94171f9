"""`report.pdf`: the HTML report, printed by WeasyPrint.

WeasyPrint is imported inside `render` only: importing it takes about a second and
needs Pango and its friends, which the other renderers do not. The report embeds
nothing external, so the URL fetcher refuses every URL: a reference that slipped
into the HTML stops the rendering instead of reading a local file or the network.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import warnings
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, BinaryIO, NoReturn

from evidence.errors import RenderError
from evidence.render.report import render_html

if TYPE_CHECKING:
    from collections.abc import Iterator

    from evidence.model import AuditPackage

__all__ = ["PdfReport", "html_to_pdf", "refuse_url"]

# Options of WeasyPrint's `write_pdf` chosen for output that depends on the input only. The
# dates come from the report's dcterms meta tags (the assessment time), the file identifier
# from the content (`_identifier`), and the font subset names (`ABCDEF+DejaVu-Sans`) from a
# hash of the font description, so they are stable already. The one wall-clock input left
# is handled by `_font_timestamps`.
PDF_OPTIONS: dict[str, object] = {
    "pdf_version": "1.7",
    "pdf_tags": True,  # a tagged PDF: reading order and structure for screen readers (Section 508)
    "uncompressed_pdf": False,
    "full_fonts": False,  # subset fonts; the subset depends on the text only
    "custom_metadata": False,  # no <meta> from the document beyond title, dates, generator
    "optimize_images": False,
    "presentational_hints": False,
}


class ExternalResourceRefusedError(RenderError):
    """The report asked for a URL; it must be self-contained."""


def refuse_url(url: str, headers: object = None) -> NoReturn:
    """The whole URL policy of the PDF renderer: nothing is fetched."""
    del headers
    raise ExternalResourceRefusedError(f"the report must not load external resources, refused to fetch {url[:200]!r}")


def _weasyprint() -> Any:
    try:
        with warnings.catch_warnings():
            # Without libharfbuzz-subset WeasyPrint 70 subsets fonts with fontTools and warns
            # that a future version will require the library; the output is still correct.
            warnings.filterwarnings("ignore", message="HarfBuzz-Subset", category=DeprecationWarning)
            import weasyprint  # noqa: PLC0415 - slow import, needed by this renderer only
    except ImportError as exc:
        raise RenderError(f"cannot write report.pdf: WeasyPrint is not installed ({exc})") from exc
    except OSError as exc:
        # WeasyPrint loads Pango, HarfBuzz and fontconfig with cffi at import time.
        raise RenderError(
            f"cannot write report.pdf: a system library WeasyPrint needs is missing ({exc}); "
            "install Pango (Debian: libpango-1.0-0 libpangoft2-1.0-0) and fonts-dejavu-core"
        ) from exc
    return weasyprint


def _refusing_fetcher(weasyprint: Any) -> Any:
    """A WeasyPrint `URLFetcher` whose every fetch is refused, and the refusal is fatal."""

    class RefusingFetcher(weasyprint.urls.URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: object = None) -> NoReturn:
            refuse_url(url, headers)

    return RefusingFetcher(fail_on_errors=True, allowed_protocols=())


def _identifier(html: str) -> bytes:
    """A PDF file identifier from the content, instead of none or a random one."""
    return hashlib.sha256(html.encode("utf-8")).hexdigest()[:32].encode("ascii")


def html_to_pdf(html: str) -> bytes:
    """Print an HTML document that references nothing outside itself."""
    weasyprint = _weasyprint()
    fetcher = _refusing_fetcher(weasyprint)
    try:
        document = weasyprint.HTML(string=html, base_url=None, url_fetcher=fetcher)
        pdf = document.write_pdf(pdf_identifier=_identifier(html), **PDF_OPTIONS)
    except weasyprint.urls.FatalURLFetchingError as exc:
        cause = exc.__cause__
        if isinstance(cause, RenderError):
            raise cause from None
        raise RenderError(f"cannot write report.pdf: {exc}") from exc
    except RenderError:
        raise
    except Exception as exc:
        raise RenderError(f"cannot write report.pdf: WeasyPrint failed: {type(exc).__name__}: {exc}") from exc
    if not isinstance(pdf, bytes):
        raise RenderError("cannot write report.pdf: WeasyPrint returned no PDF")
    return pdf


@contextlib.contextmanager
def _font_timestamps(when: datetime) -> Iterator[None]:
    """Font subsets stamped with `when` instead of the wall clock, for the duration of one render.

    Without libharfbuzz-subset (or with HarfBuzz older than 4.1), WeasyPrint subsets fonts with
    fontTools, which writes the current time into each subset's `head.modified` unless
    SOURCE_DATE_EPOCH is set. WeasyPrint builds fontTools' `TTFont` itself and has no option that
    reaches `recalcTimestamp`, so the environment is the only way in: the variable is set here and
    restored on the way out. The environment is the process's, so renders must not run in threads.
    """
    moment = when if when.tzinfo else when.replace(tzinfo=UTC)
    epoch = str(max(0, int(moment.timestamp())))
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = epoch
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous


class PdfReport:
    """`report.pdf`: the same document as `report.html`, paginated for print and signature."""

    filename = "report.pdf"

    def render(self, pkg: AuditPackage, out: BinaryIO) -> None:
        with _font_timestamps(pkg.assessed_at):
            pdf = html_to_pdf(render_html(pkg))
        out.write(pdf)
