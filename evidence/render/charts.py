"""The report's two charts, as inline SVG drawn from the recorded counts: controls by status per catalog, and open
findings by severity and age. Each stands beside the table of the same numbers, so a reader who cannot see it
loses nothing; its `<title>` says what it shows. Every text in it is escaped (and its active characters shown).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from evidence.visible import cut, visible

__all__ = ["Bar", "Segment", "stacked_bars", "stacked_columns"]

_FONT = 'font-family="DejaVu Sans, sans-serif"'
_TEXT = 11  # viewBox units: the charts are printed about 170 mm wide, so 11 units print at about 9 pt
_WIDTH = 600
_LABEL_LIMIT = 28


@dataclass(frozen=True, slots=True)
class Segment:
    label: str  # what the colour means: "Not satisfied", "Critical"
    colour: str  # from this package's fixed tables, never from input
    count: int


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    segments: tuple[Segment, ...]

    @property
    def total(self) -> int:
        return sum(s.count for s in self.segments)


def _text(value: str) -> Markup:
    return escape(cut(visible(value), _LABEL_LIMIT, full_in="the table"))


def _legend(segments: Sequence[Segment], top: float) -> tuple[list[str], float]:
    """One row of swatches with labels, wrapped to the width; the parts and the height it takes."""
    parts: list[str] = []
    x, y = 0.0, top
    for segment in segments:
        width = 26 + 7.4 * len(segment.label)
        if x + width > _WIDTH:
            x, y = 0.0, y + 16
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="10" height="10" fill="{segment.colour}"/>')
        parts.append(
            f'<text x="{x + 14:.1f}" y="{y + 9:.1f}" font-size="{_TEXT}" {_FONT}>{_text(segment.label)}</text>'
        )
        x += width
    return parts, y + 16 - top


def _svg(parts: Sequence[str], height: float, title: str) -> Markup:
    head = (
        f'<svg class="chart" role="img" viewBox="0 0 {_WIDTH} {height:.0f}" width="100%"><title>{escape(title)}</title>'
    )
    return Markup(head + "".join(parts) + "</svg>")  # noqa: S704 - every text in `parts` went through _text


def stacked_bars(bars: Sequence[Bar], title: str) -> Markup:
    """One horizontal bar per row (a catalog), its segments in the order given, each as wide as its share."""
    label_width, row, gap = 150, 18, 8
    area = _WIDTH - label_width - 40
    parts: list[str] = []
    y = 0.0
    for bar in bars:
        parts.append(f'<text x="0" y="{y + 13:.1f}" font-size="{_TEXT}" {_FONT}>{_text(bar.label)}</text>')
        x = float(label_width)
        for segment in bar.segments:
            if not segment.count:
                continue
            width = area * segment.count / bar.total
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{row}" fill="{segment.colour}"/>')
            if width >= 16:
                parts.append(
                    f'<text x="{x + width / 2:.1f}" y="{y + 13:.1f}" font-size="{_TEXT}" text-anchor="middle" '
                    f'fill="#fff" {_FONT}>{segment.count}</text>'
                )
            x += width
        parts.append(f'<text x="{x + 4:.1f}" y="{y + 13:.1f}" font-size="{_TEXT}" {_FONT}>{bar.total}</text>')
        y += row + gap
    legend, legend_height = _legend(bars[0].segments if bars else (), y + 4)
    return _svg(parts + legend, y + 4 + legend_height, title)


def stacked_columns(bars: Sequence[Bar], title: str) -> Markup:
    """One vertical column per bar (an age), its segments stacked from the bottom, on one scale."""
    height, axis = 100.0, 20.0
    highest = max((bar.total for bar in bars), default=0) or 1
    slot = _WIDTH / max(len(bars), 1)
    width = min(60.0, slot * 0.6)
    parts: list[str] = []
    top = 14.0
    base = top + height
    parts.append(f'<line x1="0" y1="{base:.1f}" x2="{_WIDTH}" y2="{base:.1f}" stroke="#666" stroke-width="0.8"/>')
    for index, bar in enumerate(bars):
        centre = slot * index + slot / 2
        y = base
        for segment in bar.segments:
            if not segment.count:
                continue
            size = height * segment.count / highest
            y -= size
            parts.append(
                f'<rect x="{centre - width / 2:.1f}" y="{y:.1f}" width="{width:.1f}" height="{size:.1f}" '
                f'fill="{segment.colour}"/>'
            )
        total = f'<text x="{centre:.1f}" y="{y - 3:.1f}" font-size="{_TEXT}" text-anchor="middle" {_FONT}>'
        parts.append(f"{total}{bar.total}</text>")
        parts.append(
            f'<text x="{centre:.1f}" y="{base + 14:.1f}" font-size="{_TEXT}" text-anchor="middle" {_FONT}>'
            f"{_text(bar.label)}</text>"
        )
    legend, legend_height = _legend(bars[0].segments if bars else (), base + axis + 4)
    return _svg(parts + legend, base + axis + 4 + legend_height, title)
