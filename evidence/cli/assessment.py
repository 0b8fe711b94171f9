"""The options that say who assessed what (`--system-name`, `--assessor`, `--poc`, `--ssp`, ...): the report's and
the OSCAL documents' front matter. They decide no verdict."""

from __future__ import annotations

import argparse
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from evidence.model import AssessmentContext, Party

_SYSTEM_DETAILS = ("system_id", "impact", "csp")
# An address as OSCAL's `email` format takes it (RFC 5322 addr-spec): a dot-atom, `@`, a dot-atom or an address
# literal. Quoted local parts, which the format also allows, are refused: no one gives one on a command line.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_EMAIL = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@(?:{_ATOM}(?:\.{_ATOM})*|\[[^\[\]\\\s]+\])")
# The values of `ImpactLevel`, named here so that --help need not import the model (a test holds them equal).
IMPACT_CHOICES = ("low", "moderate", "high")


def add_assessment_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "assessment",
        "Who assessed which system: printed in the report and in the OSCAL metadata, recorded in audit.json as "
        "given. A person is 'Name' or 'Name <email>'.",
    )
    group.add_argument("--system-name", metavar="NAME", help="the information system the image serves")
    group.add_argument("--system-id", metavar="ID", help="its FedRAMP package id or the agency's system id")
    group.add_argument("--impact", choices=IMPACT_CHOICES, help="its FIPS 199 impact level")
    group.add_argument("--csp", metavar="ORG", help="the cloud service provider or organization that runs it")
    group.add_argument("--assessor", metavar="PERSON", help="who made the assessment")
    group.add_argument("--assessor-org", metavar="ORG", help="the assessor's organization (a 3PAO, say)")
    group.add_argument("--poc", metavar="PERSON", help="the point of contact of the POA&M items")
    group.add_argument("--ssp", metavar="HREF", help="the system security plan the OSCAL POA&M imports")
    group.add_argument("--ap", metavar="HREF", help="the assessment plan the OSCAL assessment results import")


def parse_party(text: str, option: str, organization: str | None = None) -> Party:
    """`Jane Doe <jane@example.com>` or `Jane Doe`; raises `ArgumentTypeError` naming the option otherwise."""
    from email.utils import parseaddr  # noqa: PLC0415 - the email package is slow to import, and --help needs none

    from evidence.model import Party  # noqa: PLC0415 - the model is not needed for --help

    name, email = parseaddr(text.strip())
    if "<" not in text:  # a bare name: parseaddr would take one word for an address
        name, email = text.strip(), ""
    if not name or (email and not _EMAIL.fullmatch(email)) or ("<" in text and not email):
        raise argparse.ArgumentTypeError(f"{option} takes 'Name' or 'Name <email>', not {text!r}")
    return Party(name=name, email=email or None, organization=organization)


def assessment_context(args: argparse.Namespace) -> AssessmentContext:
    """The context the options give; raises `ArgumentTypeError` for a system detail without `--system-name`."""
    from evidence.model import AssessmentContext, ImpactLevel, SystemInfo  # noqa: PLC0415 - not needed for --help

    if args.system_name is None:
        given = [f"--{d.replace('_', '-')}" for d in _SYSTEM_DETAILS if getattr(args, d) is not None]
        if given:
            verb = "describes" if len(given) == 1 else "describe"
            raise argparse.ArgumentTypeError(f"{', '.join(given)} {verb} the system: give --system-name too")
        system = None
    else:
        system = SystemInfo(
            name=args.system_name,
            id=args.system_id,
            impact=ImpactLevel(args.impact) if args.impact else None,
            csp=args.csp,
        )
    if args.assessor_org is not None and args.assessor is None:
        raise argparse.ArgumentTypeError("--assessor-org needs --assessor")
    return AssessmentContext(
        system=system,
        assessor=parse_party(args.assessor, "--assessor", args.assessor_org) if args.assessor else None,
        point_of_contact=parse_party(args.poc, "--poc") if args.poc else None,
        ssp_href=args.ssp,
        ap_href=args.ap,
    )
