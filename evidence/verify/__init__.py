"""Signature and attestation verification: the step between collect and evaluate, and all the crypto.

`verify(collected, context)` checks every signature and attestation in an `EvidenceSet` offline, against keys,
a trust root and an identity policy (`VerificationContext`). This package imports no collector: collectors use
its readers (`dsse`, `material`) and primitives (`crypto`) to recognize signature material, and the
verification reads that material again from the bytes collection kept. `keyless` loads sigstore lazily.
"""

from evidence.verify.apply import verify
from evidence.verify.interface import LoadedKey, TrustRoot, VerificationContext, VerificationInputError

__all__ = ["LoadedKey", "TrustRoot", "VerificationContext", "VerificationInputError", "verify"]
