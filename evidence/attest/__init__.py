"""Signed packages: an in-toto statement over every file of a package, and its offline verification.

`fromline sign` writes the statement in a DSSE envelope signed with a PEM private key
(`package.intoto.json`), or in a sigstore bundle signed keylessly with an OIDC identity
(`package.sigstore.json`). `fromline verify` checks every file against `manifest.json` and,
given a public key or an identity, against the signed statement. See the README, "Signing and
verifying a package".
"""

from evidence.attest.statement import (
    BUNDLE_FILE,
    ENVELOPE_FILE,
    PREDICATE_TYPE,
    SIGNATURE_FILES,
    STATEMENT_TYPE,
)
from evidence.verify.dsse import IN_TOTO_PAYLOAD_TYPE

__all__ = [
    "BUNDLE_FILE",
    "ENVELOPE_FILE",
    "IN_TOTO_PAYLOAD_TYPE",
    "PREDICATE_TYPE",
    "SIGNATURE_FILES",
    "STATEMENT_TYPE",
]
