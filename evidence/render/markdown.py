"""Text from evidence in Markdown (a pull-request comment, diff.md): nothing of it read as markup."""

from __future__ import annotations

__all__ = ["markdown_cell"]


def markdown_cell(text: object) -> str:
    """A Markdown table cell: the pipe and line breaks escaped, nothing read as markup."""
    escaped = str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")
    for mark in ("*", "_", "`", "[", "]", "<", ">", "#"):
        escaped = escaped.replace(mark, "\\" + mark)
    return escaped
