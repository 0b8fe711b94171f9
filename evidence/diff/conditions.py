"""The names of `fromline diff --fail-on` conditions and what each means, for --help and the README.

Apart from `evidence.diff.gate`, which decides whether each holds, so that --help need not import the model.
"""

from __future__ import annotations

__all__ = ["CONDITION_MEANINGS"]

CONDITION_MEANINGS: dict[str, str] = {
    "new-critical": "a new open critical vulnerability",
    "new-high": "a new open vulnerability of high severity or above",
    "new-kev": "a new open vulnerability in CISA's KEV catalog, or an open one newly listed there",
    "suppression-gained": "a vulnerability open before and suppressed now (by VEX or an approved false positive), "
    "or new and suppressed",
    "control-regression": "a control now not-satisfied or evidence-missing, and before neither",
    "signature-change": "a signer (key, or keyless identity and issuer) added or removed",
    "provenance-change": "another builder or source repository (not the revision)",
    "base-image-change": "another base image name, tag or digest",
    "evidence-missing": "a kind of evidence the old package had and the new one lacks",
}
