"""Named checks: pure functions from the collected evidence to an `Outcome`.

A check never reads files. It sees only evidence that is about the assessed image (or names no
image at all, such as a Dockerfile); evidence about another digest never decides a verdict.
Reference data a check needs (the FIPS module table) is loaded by the caller and passed in the
`Context`.

The checks live in one module per evidence family and register themselves in `CHECKS` (kept in `base`,
with the `Context` and the helpers they share) when imported here: `vulnscan` (scans, secrets), `image`
(image config, Dockerfile, build history), `sbom`, `signing` (signatures, provenance, attestations), `fips`
and `rubric` (the base-image rubric).
"""

from __future__ import annotations

from evidence.evaluate.checks import fips, image, rubric, sbom, signing, vulnscan  # noqa: F401 - they register
from evidence.evaluate.checks.base import CHECKS, Check, Context, check
from evidence.evaluate.vulnerabilities import ref

__all__ = ["CHECKS", "Check", "Context", "check", "ref"]
