"""What changed between two audit packages: `compare` (in `compare.py`) and its renderings (`render.py`).

This module imports nothing: `evidence.model` imports `evidence.diff.model` for `AuditPackage.changes`,
and importing a submodule runs this file first, so anything imported here would run inside that import.
"""
