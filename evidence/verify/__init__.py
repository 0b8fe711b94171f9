"""Signature and attestation verification: keys, keyless sigstore bundles, the identity policy.

Only the seam is re-exported here; `keyless` loads the sigstore library lazily.
"""

from evidence.verify.interface import LoadedKey, TrustRoot, VerificationContext, VerificationInputError

__all__ = ["LoadedKey", "TrustRoot", "VerificationContext", "VerificationInputError"]
