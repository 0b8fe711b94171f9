"""What changed between two audit packages: `compare` (in `compare.py`) and its renderings (`render.py`).

The records of a diff (`PackageDiff` and its parts) are in `evidence.model`, beside `AuditPackage`, which holds one.
"""
