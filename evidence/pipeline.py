"""The library API: evidence files in, an `AuditPackage` out, and the package written to disk.

One assessment is collect (read and parse), verify (every signature, offline), bind (to the image digest),
evaluate, and (given a previous package) compare. `fromline package` and `fromline diff` both call `assess`, so
the same evidence and options always reach the same verdicts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from evidence.catalog import Profile, load_catalogs, load_profile
from evidence.collectors import asserted_paths, bind, collect
from evidence.diff.compare import compare
from evidence.evaluate import CHECKS, evaluate
from evidence.lifecycle import LifecycleInputs, read_lifecycle_files
from evidence.model import AssessmentContext, AuditPackage, EvidenceSet, ImageRef
from evidence.oscal_versions import DEFAULT_OSCAL_VERSION
from evidence.render import Format, formats_for
from evidence.render import write_package as _write_package
from evidence.render.canonical import load_package
from evidence.verify import VerificationContext, verify

__all__ = ["LifecycleFiles", "assess", "load_package", "read_evidence", "write_package"]

AUDIT_JSON = "audit.json"


@dataclass(frozen=True, slots=True, kw_only=True)
class LifecycleFiles:
    """The vulnerability-lifecycle inputs beside the evidence, as files; nothing is fetched."""

    kev: Path | None = None  # CISA's KEV catalog JSON
    epss: Path | None = None  # FIRST's EPSS scores CSV, plain or gzip
    deviations: Path | None = None  # deviation requests YAML (docs/deviations.md)
    # The previous release's package: its directory, its audit.json, or the package itself (as `diff` has it).
    previous: Path | AuditPackage | None = None

    def read(self, collected: EvidenceSet) -> LifecycleInputs:
        """The files read; EPSS keeps only the vulnerabilities the evidence names."""
        wanted = {n for e in collected.items for f in e.vulnerabilities for n in (f.id, *f.aliases)}
        previous = self.previous
        if isinstance(previous, Path):
            previous = load_package(previous / AUDIT_JSON if previous.is_dir() else previous)
        return read_lifecycle_files(
            kev=self.kev, epss=self.epss, deviations=self.deviations, wanted=wanted, previous=previous
        )


def read_evidence(  # noqa: PLR0913 - the inputs, and keyword-only options of how to read them
    inputs: Sequence[Path],
    *,
    image_digest: str | None,
    verification: VerificationContext | None = None,
    keep_going: bool = False,
    bind_paths: Sequence[Path] = (),
    progress: Callable[[str], None] | None = None,
) -> EvidenceSet:
    """The evidence as an assessment reads it: collected, every signature verified, and bound to the image when
    a digest is given (`fromline inspect` binds nothing). `bind_paths` are files the user states describe the
    image (`--bind`): each must be among `inputs` (else `BindError`, before anything is read)."""
    asserted = asserted_paths(inputs, bind_paths)
    verified = verify(collect(inputs, keep_going=keep_going, progress=progress), verification)
    return verified if image_digest is None else bind(verified, image_digest, asserted=asserted)


def assess(  # noqa: PLR0913 - keyword-only options of one assessment
    inputs: Sequence[Path | str],
    *,
    image: ImageRef | str,
    profile: str | Profile = "default",
    catalogs: Sequence[str] = (),
    verification: VerificationContext | None = None,
    lifecycle: LifecycleFiles | LifecycleInputs | None = None,
    now: datetime | None = None,
    keep_going: bool = False,
    progress: Callable[[str], None] | None = None,
    bind: Sequence[Path | str] = (),
    assessment: AssessmentContext | None = None,
) -> AuditPackage:
    """Assess the image from its evidence files (or directories) against a profile's catalogs.

    `image` is `NAME@sha256:<digest>` or an `ImageRef`; `profile` a bundled profile name or a YAML file;
    `catalogs` more catalogs by id or file (`profile` may also be a `Profile` already loaded, as `bases` adjusts
    it). Signatures are verified offline with `verification` (its keys,
    trust root and identity policy); lifecycle inputs feed the POA&M and, with a previous package, the
    `changes`. `now` is the assessment time (default: now, UTC). `bind` names input files the user states
    describe the image although they name no digest (`--bind`): recorded as `Binding.ASSERTED`, used for what
    they say, never as a digest match; a path not among `inputs` raises `BindError` (exit code 2). `assessment`
    names the system, the assessor and the point of contact, as the user gave them.
    The package keeps the bytes of its evidence
    (`AuditPackage.contents`) for `write_package`. Raises `EvidenceError` subclasses naming the file and problem.
    """
    subject = image if isinstance(image, ImageRef) else ImageRef.parse(image)
    moment = (now or datetime.now(tz=UTC).replace(microsecond=0)).astimezone(UTC)
    show = progress or (lambda _message: None)
    loaded = profile if isinstance(profile, Profile) else load_profile(profile)
    catalog_set = load_catalogs([*loaded.catalogs, *catalogs], CHECKS)
    context = dataclasses.replace(verification or VerificationContext(), image=subject.name)
    paths = [Path(p) for p in inputs]
    show(f"collecting evidence from {len(paths)} input(s)")
    collected = read_evidence(
        paths,
        image_digest=subject.digest,
        verification=context,
        keep_going=keep_going,
        bind_paths=[Path(p) for p in bind],
        progress=progress,
    )
    lifecycle_inputs = lifecycle.read(collected) if isinstance(lifecycle, LifecycleFiles) else lifecycle
    show(f"evaluating {sum(len(c.controls) for c in catalog_set)} controls against {len(collected.items)} file(s)")
    rules = context.rules
    pkg = evaluate(
        catalog_set,
        loaded,
        collected,
        image=subject,
        now=moment,
        lifecycle=lifecycle_inputs,
        required_attestations=rules.attestations if rules is not None else None,
        trust_anchors=context.trust_anchors,
    )
    if lifecycle_inputs is not None and lifecycle_inputs.previous is not None:
        pkg = dataclasses.replace(pkg, changes=compare(lifecycle_inputs.previous, pkg))
    by_id = {e.id: e.sha256 for e in collected.items}
    contents = {by_id[ident]: data for ident, data in collected.contents.items() if ident in by_id}
    if lifecycle_inputs is not None:
        contents |= lifecycle_inputs.contents
    stated = dataclasses.replace(assessment or AssessmentContext(), trust_anchors=context.trust_anchors)
    return dataclasses.replace(pkg, contents=contents, context=stated)


def write_package(  # noqa: PLR0913 - the package, where, and keyword-only options of how to write it
    pkg: AuditPackage,
    out: Path | str,
    *,
    formats: Sequence[Format] | None = None,
    zip: bool = False,  # noqa: A002 - the option's name on the command line
    progress: Callable[[str], None] | None = None,
    oscal_version: str = DEFAULT_OSCAL_VERSION,
) -> list[Path]:
    """Write the audit package into the directory `out`, all or nothing; the paths written, manifest last.

    Every format by default (the diff files only when the package has `changes`); a copy of each evidence file
    under `evidence/` when the package holds their bytes (an assessed one does; one loaded from audit.json does
    not). `zip` also writes `out.zip`, reproducible like every file. The OSCAL documents declare `oscal_version`
    (`1.2.3`, or `1.1.2` for tools that read only OSCAL 1.1).
    """
    return _write_package(
        pkg,
        Path(out),
        list(formats) if formats is not None else formats_for(pkg),
        progress=progress,
        zip=zip,
        oscal_version=oscal_version,
    )
