"""The verification seam: what a signature is checked against (keys, trust root, identity policy, artifacts)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

from evidence.errors import InputError
from evidence.model import TrustAnchors

if TYPE_CHECKING:
    from evidence.verify.policy import IdentityPolicy, ImageRules


class TrustRoot(StrEnum):
    """Which Sigstore instance keyless signatures are checked against."""

    PRODUCTION = "production"  # the public-good instance; its trusted root ships inside the sigstore library
    STAGING = "staging"
    FILE = "file"  # a trusted_root.json the user supplies


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadedKey:
    """A public key the user trusts for key-pair signatures, with where it came from."""

    path: str
    key: PublicKeyTypes
    key_id: str  # "sha256:<hex>" of the DER SubjectPublicKeyInfo
    algorithm: str


@dataclass(frozen=True, slots=True, kw_only=True)
class VerificationContext:
    """Everything signature verification may use; nothing else is read, and nothing is fetched."""

    keys: tuple[LoadedKey, ...] = ()  # from --key and from the policy; keys among the inputs are never trusted
    trust_root: TrustRoot = TrustRoot.PRODUCTION
    trusted_root_path: Path | None = None  # with TrustRoot.FILE
    policy: IdentityPolicy | None = None
    image: str | None = None  # the assessed image's name, to pick the policy's rules
    artifacts: dict[str, bytes] = field(default_factory=dict)  # path -> bytes, for message signatures
    now: datetime | None = None

    def __post_init__(self) -> None:
        if (self.trust_root is TrustRoot.FILE) != (self.trusted_root_path is not None):
            raise ValueError("a trusted_root.json path goes with TrustRoot.FILE, and only with it")

    @property
    def rules(self) -> ImageRules | None:
        """The policy's rules for the assessed image, or None when no policy was given."""
        return None if self.policy is None else self.policy.for_image(self.image)

    @property
    def anchor_keys(self) -> tuple[LoadedKey, ...]:
        """The keys the user trusts: `keys`, then the policy's keys not among them."""
        named = {k.key_id for k in self.keys}
        policy_keys = self.policy.loaded_keys if self.policy is not None else ()
        return self.keys + tuple(k for k in policy_keys if k.key_id not in named)

    @property
    def trust_anchors(self) -> TrustAnchors:
        """What evaluation is told of the anchors."""
        rules = self.rules
        return TrustAnchors(
            key_ids=tuple(k.key_id for k in self.anchor_keys),
            policy=self.policy is not None,
            vex_authors=rules.vex_authors if rules is not None else (),
        )

    @property
    def trust_root_name(self) -> str:
        if self.trust_root is TrustRoot.FILE:
            return f"the trusted root {self.trusted_root_path}"
        return f"the Sigstore {self.trust_root} trusted root"


class VerificationInputError(InputError):
    """A key, trusted root or identity policy file that cannot be used."""
