"""Fromline: container-image security evidence into audit packages.

The library API (the `fromline` command is built on it)::

    import evidence

    pkg = evidence.assess(["evidence/"], image="registry.example.com/webapp@sha256:...", profile="fedramp-moderate")
    evidence.write_package(pkg, "build/webapp")

Names are imported on first use, so `import evidence` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from evidence.diff.compare import compare
    from evidence.errors import EvidenceError, ExitCode
    from evidence.lifecycle import LifecycleInputs
    from evidence.model import AuditPackage, ImageRef, Status
    from evidence.pipeline import LifecycleFiles, assess, load_package, write_package
    from evidence.verify.interface import TrustRoot, VerificationContext

__all__ = [
    "AuditPackage",
    "EvidenceError",
    "ExitCode",
    "ImageRef",
    "LifecycleFiles",
    "LifecycleInputs",
    "Status",
    "TrustRoot",
    "VerificationContext",
    "__version__",
    "assess",
    "compare",
    "load_package",
    "write_package",
]

_HOMES = {
    "AuditPackage": "evidence.model",
    "EvidenceError": "evidence.errors",
    "ExitCode": "evidence.errors",
    "ImageRef": "evidence.model",
    "LifecycleFiles": "evidence.pipeline",
    "LifecycleInputs": "evidence.lifecycle",
    "Status": "evidence.model",
    "TrustRoot": "evidence.verify.interface",
    "VerificationContext": "evidence.verify.interface",
    "assess": "evidence.pipeline",
    "compare": "evidence.diff.compare",
    "load_package": "evidence.pipeline",
    "write_package": "evidence.pipeline",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'evidence' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
