"""The OSCAL versions the documents can declare, kept outside `evidence.render` (whose package imports the model)
so that the command line can offer them without importing a renderer."""

from __future__ import annotations

__all__ = ["DEFAULT_OSCAL_VERSION", "OSCAL_VERSIONS", "discovery_type"]

# 1.2.3 is current; 1.1.2 is what compliance-trestle's older releases and many agency tools read.
OSCAL_VERSIONS = ("1.2.3", "1.1.2")
DEFAULT_OSCAL_VERSION = OSCAL_VERSIONS[0]


def discovery_type(oscal_version: str) -> str:
    """The observation type of a vulnerability found by a scan: `discovery` from OSCAL 1.2 on, `finding` before
    (1.2 deprecated `finding` for it and 1.1 does not know `discovery`)."""
    return "finding" if oscal_version.startswith("1.1.") else "discovery"
