"""`make bench`: Fromline beside its peers and floors, on the same generated files, as ratios, with the goals of
issue 16 ("Fast at real sizes") and of issue 17 for the authorization boundary.

One run generates the evidence (bench/generate.py: a Syft-like CycloneDX SBOM and Trivy and Grype scans over the same
packages, at 1,000 components and 100 vulnerabilities, 10,000 and 2,000, 50,000 and 10,000; and bench/bench_sbom.py's
10,000-package CycloneDX and SPDX files and many-digest attestations) into a temporary directory, then measures:

- reading: `fromline inspect` (in process, best of 5) beside `orjson.loads` of the same file (the floor), and the
  collector's parse beside cyclonedx-python-lib and spdx-tools reading the same file (once: they take seconds);
  and bench_sbom.py's checks on evidence naming tens of thousands of digests;
- the PDF: Fromline's report.pdf renderer (`make_renderer(Format.PDF)`) beside a naive Jinja2 + WeasyPrint table and a
  naive Typst table of the same rows (one per finding), at 2,000 findings and (not with --quick) 10,000, and the
  peak memory of typesetting the report's HTML in a process of its own (its worker processes included);
- the workbooks: Fromline's workbook.xlsx and poam.xlsx renderers beside openpyxl in write-only mode writing the same
  cells (read back from Fromline's files), and every output but the PDF together;
- `fromline package` end to end, as a subprocess, with the peak memory of its process tree (sampled);
- `fromline --help` beside `python -c pass`;
- `fromline boundary` of 200 generated images (1,000 components and 300 vulnerabilities each, signed; 20 with
  --quick) from their evidence: OSCAL and workbooks only, then every output, with the process tree's peak memory,
  beside one image's `fromline package` (issue 17's goals).

Each goal is printed beside its figure. The run exits 1 when a goal is missed by more than 50 % (these machines are
noisy), naming each. `--quick` (`make bench QUICK=1`) measures the small sizes only: the package at 1,000
components, the PDF and workbooks at 2,000 findings.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import bench_sbom
import generate
import jinja2
import openpyxl
import orjson

from evidence.cli import main as fromline
from evidence.collectors.cyclonedx import CycloneDxJson
from evidence.collectors.interface import Collector, Document
from evidence.collectors.provenance import InTotoAttestation
from evidence.collectors.sigstore_bundle import SigstoreBundle
from evidence.collectors.spdx import SpdxJson
from evidence.model import AuditPackage, VulnerabilityRecord
from evidence.pipeline import assess
from evidence.render import Format, formats_for, make_renderer
from evidence.render.report import render_html
from evidence.verify.interface import VerificationContext
from evidence.verify.keys import load_key_file

ROOT = Path(__file__).resolve().parents[1]
MIB = 1024 * 1024
REPEATS = 5
HELP_REPEATS = 9
# (components, vulnerabilities, seconds, MiB): issue 16's goals for `fromline package`.
PACKAGE_SIZES = ((1_000, 100, 3.0, None), (10_000, 2_000, 10.0, 500), (50_000, 10_000, 60.0, 1536))
PDF_GOALS = {2_000: 5.0, 10_000: 20.0}  # findings -> seconds
PDF_MIB = 500  # the PDF's peak memory, its worker processes included
NON_PDF_SECONDS = 10.0  # every output but the PDF, at 10,000 findings
HELP_SECONDS = 0.1
INSPECT_RATIO = 1.5  # fromline inspect over orjson.loads, of a 10,000-component CycloneDX JSON
MISS_ALLOWED = 1.5  # a goal missed by more than 50 % fails the run
FINDING_COLUMNS = ("ID", "Package", "Installed", "Fixed in", "Severity", "State", "KEV", "Due", "Scanners", "Title")


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the table: Fromline's figure, the peer's or floor's beside it, and the goal it is held to."""

    area: str
    what: str
    fromline: float
    unit: str = "s"
    peer: str = ""
    peer_value: float | None = None
    goal: float | None = None  # on `fromline`, or on the ratio when `goal_on_ratio`
    goal_on_ratio: bool = False
    allowed: float = MISS_ALLOWED  # how far over the goal fails the run: bench_sbom.py's limits allow nothing over

    @property
    def ratio(self) -> float | None:
        return None if self.peer_value is None or self.peer_value == 0 else self.fromline / self.peer_value

    @property
    def held(self) -> float | None:
        return self.ratio if self.goal_on_ratio else self.fromline

    @property
    def verdict(self) -> str:
        if self.goal is None or self.held is None:
            return ""
        if self.held <= self.goal:
            return "ok"
        return "FAIL" if self.held > self.goal * self.allowed or self.allowed == 1 else "missed"


@dataclass
class Report:
    rows: list[Row]

    def add(self, row: Row) -> None:
        self.rows.append(row)
        print(f"  {row.area}: {row.what}: {_figure(row.fromline, row.unit)}", file=sys.stderr, flush=True)

    def table(self) -> str:
        what = max([len("what"), *(len(row.what) for row in self.rows)])
        peer = max([len("peer or floor"), *(len(row.peer) for row in self.rows)])
        lines = [
            f"{'area':<8} {'what':<{what}} {'Fromline':>9}  {'peer or floor':<{peer}} {'peer':>9} {'ratio':>8}  goal"
        ]
        for row in self.rows:
            peer_value = "" if row.peer_value is None else _figure(row.peer_value, row.unit)
            ratio = "" if row.ratio is None else f"{row.ratio:.2f}x"
            goal = ""
            if row.goal is not None:
                goal = f"<= {row.goal:g}x" if row.goal_on_ratio else f"<= {_figure(row.goal, row.unit)}"
            lines.append(
                f"{row.area:<8} {row.what:<{what}} {_figure(row.fromline, row.unit):>9}  {row.peer:<{peer}} "
                f"{peer_value:>9} {ratio:>8}  {goal:<12} {row.verdict}".rstrip()
            )
        return "\n".join(lines)


def _figure(value: float, unit: str) -> str:
    if unit == "MiB":
        return f"{value:,.0f} MiB"
    return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"


best_of = bench_sbom.best_of


def once(run: Callable[[], object]) -> float:
    return best_of(1, run)


# --- reading -------------------------------------------------------------------------------------------------------


def orjson_seconds(path: Path) -> float:
    return best_of(REPEATS, lambda: orjson.loads(path.read_bytes()))


def inspect_seconds(path: Path) -> float:
    def run() -> None:
        with contextlib.redirect_stdout(io.StringIO()):
            code = fromline(["inspect", str(path)])
        if code != 0:
            raise SystemExit(f"fromline inspect {path.name} exited {code}")

    return best_of(REPEATS, run)


def parse_seconds(path: Path, collector: Collector, components: int) -> float:
    def run() -> None:
        evidence = collector.parse(Document(path=path.name, data=path.read_bytes()))
        if len(evidence.components) != components:
            raise SystemExit(f"{path.name}: {collector.name} read {len(evidence.components)} of {components}")

    return best_of(REPEATS, run)


def cyclonedx_lib_seconds(path: Path, components: int) -> float:
    # Imported by name: the peers are the optional `bench` extra, and the type check does not depend on them.
    bom_class = importlib.import_module("cyclonedx.model.bom").Bom

    def run() -> None:
        bom = bom_class.from_json(json.loads(path.read_bytes()))
        if len(bom.components) != components:
            raise SystemExit(f"cyclonedx-python-lib read {len(bom.components)} components of {components}")

    return once(run)


def spdx_tools_seconds(path: Path, packages: int) -> float:
    parse_file = importlib.import_module("spdx_tools.spdx.parser.parse_anything").parse_file

    def run() -> None:
        document = parse_file(str(path))
        if len(document.packages) <= packages:  # the packages, and the image's own
            raise SystemExit(f"spdx-tools read {len(document.packages)} packages of {packages}")

    return once(run)


def reading(report: Report, tmp: Path, syft_like: Path, syft_like_components: int) -> None:
    cdx, spdx = tmp / "bench-sbom.cdx.json", tmp / "bench-sbom.spdx.json"
    cdx.write_bytes(orjson.dumps(bench_sbom.cyclonedx_bom()))
    spdx.write_bytes(orjson.dumps(bench_sbom.spdx_document()))
    cyclonedx_lib, spdx_tools = "cyclonedx-python-lib Bom.from_json", "spdx-tools parse_file"
    count = bench_sbom.COMPONENTS
    # (label, file, components, collector, peer, peer's time, held to bench_sbom.py's limit)
    files: tuple[tuple[str, Path, int, Collector, str, Callable[[Path, int], float], bool], ...] = (
        ("CycloneDX 1.5", cdx, count, CycloneDxJson(), cyclonedx_lib, cyclonedx_lib_seconds, True),
        (
            "Syft-like CycloneDX",
            syft_like,
            syft_like_components,
            CycloneDxJson(),
            cyclonedx_lib,
            cyclonedx_lib_seconds,
            False,
        ),
        ("SPDX 2.3", spdx, count, SpdxJson(), spdx_tools, spdx_tools_seconds, True),
    )
    for label, path, components, collector, peer, peer_seconds, limited in files:
        report.add(
            Row(
                "reading",
                f"inspect {label} {components:,} components",
                inspect_seconds(path),
                peer="orjson.loads (the floor)",
                peer_value=orjson_seconds(path),
                goal=INSPECT_RATIO if path is cdx else None,
                goal_on_ratio=True,
            )
        )
        report.add(
            Row(
                "reading",
                f"parse {label}",
                parse_seconds(path, collector, components),
                peer=peer,
                peer_value=_peer(lambda: peer_seconds(path, components)),  # noqa: B023 - called at once
                goal=bench_sbom.LIMIT_SECONDS if limited else None,
                allowed=1,
            )
        )
    many: tuple[tuple[str, Path, Collector, Callable[[], object], int], ...] = (
        ("in-toto statement", tmp / "statement.json", InTotoAttestation(), bench_sbom.statement, bench_sbom.SUBJECTS),
        (
            "cosign verify output",
            tmp / "cosign.json",
            SigstoreBundle(),
            bench_sbom.cosign_verify_output,
            bench_sbom.ENTRIES,
        ),
    )
    # The duplicate-key check's full pass (the colon count sends a file with a key given twice to it), on a
    # Trivy report of 160,000 findings (about 50 MB) whose last object has a key twice: refused, with its pointer.
    vulnerability = {"VulnerabilityID": "CVE-2020-1", "PkgName": "p", "Severity": "HIGH", "Title": "x" * 200}
    results = [{"Target": "t", "Vulnerabilities": [vulnerability] * 160_000}]
    trivy = orjson.dumps({"SchemaVersion": 2, "Results": results})
    duplicated = Document(path="trivy.json", data=trivy[:-1] + b', "SchemaVersion": 2}')

    def refuse() -> None:
        if duplicated.duplicate_key() is None:
            raise SystemExit("the duplicate-key check missed a key given twice")

    duplicated.json()
    report.add(Row("reading", "duplicate key found in a 50 MB Trivy report", once(refuse), goal=3.0, allowed=1))
    for label, path, collector, content, digests in many:
        path.write_bytes(orjson.dumps(content()))
        seconds = bench_sbom.digests_seconds(path, collector, digests)
        report.add(
            Row("reading", f"{label}, {digests:,} digests", seconds, goal=bench_sbom.DIGESTS_LIMIT_SECONDS, allowed=1)
        )


def _peer(measure: Callable[[], float]) -> float | None:
    """A peer's time, or None (shown blank) when the peer is not installed: `make bench` installs the extra."""
    try:
        return measure()
    except ImportError as e:
        print(f"  peer not installed: {e}", file=sys.stderr)
        return None


# --- the PDF and the workbooks -------------------------------------------------------------------------------------


def assessed(evidence: Path) -> AuditPackage:
    key = load_key_file(generate.KEY, generate.KEY.name)
    return assess(
        [evidence],
        image=generate.IMAGE,
        profile="fedramp-moderate",
        verification=VerificationContext(keys=(key,)),
        now=datetime.fromisoformat(generate.TIMESTAMP),
    )


def rendered(pkg: AuditPackage, fmt: Format) -> tuple[float, bytes]:
    renderer = make_renderer(fmt)
    out = io.BytesIO()
    seconds = once(lambda: renderer.render(pkg, out))
    return seconds, out.getvalue()


def finding_rows(pkg: AuditPackage) -> list[list[str]]:
    """One row per finding, the columns of a plain findings table."""

    def row(v: VulnerabilityRecord) -> list[str]:
        due = v.due.date().isoformat() if v.due else ""
        fixed = ", ".join(v.fixed_versions)
        kev = "yes" if v.kev else ""
        scanners = ", ".join(v.scanners)
        return [
            v.id,
            v.package,
            v.installed_version or "",
            fixed,
            v.severity,
            v.state,
            kev,
            due,
            scanners,
            v.title or "",
        ]

    return [row(v) for v in pkg.vulnerabilities]


NAIVE_HTML = jinja2.Environment(autoescape=True).from_string(
    """<!doctype html><html><head><meta charset="utf-8"><title>Findings</title><style>
@page { size: letter landscape; margin: 12mm }
body { font-family: sans-serif; font-size: 8pt }
table { border-collapse: collapse; width: 100% }
th, td { border: 0.5pt solid #999; padding: 2pt; text-align: left }
</style></head><body><h1>Findings</h1><table><thead><tr>{% for c in columns %}<th>{{ c }}</th>{% endfor %}</tr></thead>
<tbody>{% for row in rows %}<tr>{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>{% endfor %}</tbody>
</table></body></html>"""
)

# The rows arrive as JSON through sys.inputs, so no cell is ever read as Typst markup.
NAIVE_TYPST = """#set page(paper: "us-letter", flipped: true, margin: 12mm)
#set text(size: 8pt)
#let data = json(bytes(sys.inputs.rows))
= Findings
#table(
  columns: data.columns.len(),
  table.header(..data.columns.map(c => strong(c))),
  ..data.rows.flatten(),
)
"""


def naive_weasyprint(rows: list[list[str]]) -> float:
    html_class = importlib.import_module("weasyprint").HTML
    return once(lambda: html_class(string=NAIVE_HTML.render(columns=FINDING_COLUMNS, rows=rows)).write_pdf())


def naive_typst(rows: list[list[str]]) -> float:
    typst = importlib.import_module("typst")
    inputs = {"rows": json.dumps({"columns": FINDING_COLUMNS, "rows": rows})}
    return once(lambda: typst.compile(NAIVE_TYPST.encode(), format="pdf", sys_inputs=inputs))


# Typesets a report's HTML into a PDF, alone in its process: the peak memory of the PDF (and its workers).
TYPESET = """
import sys
from pathlib import Path
from evidence.render.pdf import html_to_pdf
Path(sys.argv[2]).write_bytes(html_to_pdf(Path(sys.argv[1]).read_text(encoding="utf-8")))
"""


def pdf(report: Report, pkg: AuditPackage, findings: int, tmp: Path) -> None:
    seconds, _ = rendered(pkg, Format.PDF)
    rows = finding_rows(pkg)
    goal = PDF_GOALS.get(findings)
    what = f"report.pdf {findings:,} findings"
    weasyprint = naive_weasyprint(rows)
    report.add(Row("pdf", what, seconds, peer="naive Jinja2 + WeasyPrint table", peer_value=weasyprint, goal=goal))
    report.add(Row("pdf", what, seconds, peer="naive Typst table", peer_value=_peer(lambda: naive_typst(rows))))
    html = tmp / f"report-{findings}.html"
    html.write_text(render_html(pkg), encoding="utf-8")
    command = [sys.executable, "-c", TYPESET, str(html), str(tmp / f"report-{findings}.pdf")]
    _, mib, code = child(command, tmp / f"report-{findings}.stderr")
    if code != 0:
        raise SystemExit(f"typesetting report-{findings}.html exited {code}")
    report.add(Row("pdf", f"{what}, peak", mib, unit="MiB", goal=PDF_MIB))


def sheet_cells(workbook: bytes) -> dict[str, list[list[Any]]]:
    """Every sheet's cell values, as openpyxl reads them back."""
    book = openpyxl.load_workbook(io.BytesIO(workbook), read_only=True)
    try:
        return {sheet.title: [list(r) for r in sheet.iter_rows(values_only=True)] for sheet in book.worksheets}
    finally:
        book.close()


def write_only(cells: dict[str, list[list[Any]]]) -> float:
    def run() -> None:
        book = openpyxl.Workbook(write_only=True)
        for title, rows in cells.items():
            sheet = book.create_sheet(title)
            for row in rows:
                sheet.append(row)
        book.save(io.BytesIO())

    return once(run)


def workbooks(report: Report, pkg: AuditPackage, findings: int) -> None:
    for fmt, name in ((Format.XLSX, "workbook.xlsx"), (Format.POAM_XLSX, "poam.xlsx")):
        seconds, data = rendered(pkg, fmt)
        peer = write_only(sheet_cells(data))
        report.add(
            Row(
                "workbook",
                f"{name} {findings:,} findings",
                seconds,
                peer="openpyxl write-only, same cells",
                peer_value=peer,
            )
        )
    others = [fmt for fmt in formats_for(pkg) if fmt is not Format.PDF]
    timed = {fmt: rendered(pkg, fmt)[0] for fmt in others}
    slowest = ", ".join(f"{fmt.value} {timed[fmt]:.1f}" for fmt in sorted(timed, key=timed.__getitem__)[-3:][::-1])
    report.add(
        Row(
            "outputs",
            f"all {len(others)} but the PDF, {findings:,} findings",
            sum(timed.values()),
            peer=f"slowest: {slowest}",
            goal=NON_PDF_SECONDS if findings == 10_000 else None,
        )
    )


# --- the command ---------------------------------------------------------------------------------------------------


# Runs a command and prints its wall seconds, peak resident KiB and exit code. A small process of its own: on Linux a
# child's peak memory starts from its parent's at fork, and this bench's own process holds whole packages. The peak
# is of the command's whole process tree (report.pdf is typeset in worker processes): the sum of the resident sizes
# of the command and its descendants, sampled every 10 ms, and never less than the largest single process's peak.
LAUNCHER = """
import os, resource, subprocess, sys, time

PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024

def tree_kib(root):
    # The command and its descendants, found through each task's children: scanning all of /proc every few
    # milliseconds took a tenth of a core from the command measured.
    total, pending = 0, [root]
    while pending:
        pid = pending.pop()
        try:
            with open(f"/proc/{pid}/statm") as statm:
                total += int(statm.read().split()[1]) * PAGE_KIB
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as children:
                    pending += [int(child) for child in children.read().split()]
        except (OSError, ValueError, IndexError):
            pass
    return total

start = time.perf_counter()
process = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
peak = 0
while process.poll() is None:
    peak = max(peak, tree_kib(process.pid))
    time.sleep(0.02)
peak = max(peak, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(time.perf_counter() - start, peak, process.returncode)
"""


def child(command: list[str], stderr: Path) -> tuple[float, float, int]:
    """Wall seconds, peak resident MiB and exit code of a command run from the checkout."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with stderr.open("wb") as errors:
        done = subprocess.run(  # noqa: S603 - this interpreter, on arguments built here
            [sys.executable, "-c", LAUNCHER, *command],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=errors,
            check=True,
        )
    seconds, kib, code = done.stdout.split()
    return float(seconds), int(kib) / 1024, int(code)  # Linux reports KiB


def package(report: Report, evidence: Path, out: Path, components: int, vulnerabilities: int) -> None:
    goal_seconds, goal_mib = next((s, m) for c, v, s, m in PACKAGE_SIZES if (c, v) == (components, vulnerabilities))
    command = [sys.executable, "-m", "evidence", "package", str(evidence), "--image", generate.IMAGE]
    command += ["--key", str(generate.KEY), "--timestamp", generate.TIMESTAMP, "--profile", "fedramp-moderate"]
    command += ["--out", str(out)]
    errors = out.parent / f"{out.name}.stderr"
    seconds, mib, code = child(command, errors)
    if code != 0:
        raise SystemExit(f"fromline package exited {code}:\n{errors.read_text(errors='replace')}")
    what = f"package {components:,} components, {vulnerabilities:,} vulns"
    report.add(Row("package", what, seconds, goal=goal_seconds))
    report.add(Row("package", f"{what}, peak", mib, unit="MiB", goal=goal_mib))


# Issue 17's goals for `fromline boundary`, at 200 images of 1,000 components and 300 vulnerabilities each, and
# for merging 1,000 image packages built beforehand (as each image's own CI job would build them).
BOUNDARY_IMAGES, BOUNDARY_QUICK_IMAGES = 200, 20
BOUNDARY_SECONDS_NO_PDF, BOUNDARY_MIB_NO_PDF, BOUNDARY_SECONDS = 20.0, 1024, 60.0
MERGED_PACKAGES, MERGED_QUICK_PACKAGES, MERGE_SECONDS = 1_000, 40, 60.0


def boundary(report: Report, tmp: Path, images: int) -> float:
    """`fromline boundary` from evidence: OSCAL and workbooks only, then every output, beside one image's
    `fromline package` of the same size in the same run; that image's seconds."""
    folder = tmp / "boundary"
    boundary_file = generate.write_boundary(folder, images, 1_000, 300)
    one = [sys.executable, "-m", "evidence", "package", str(folder / "app0"), "--image"]
    one += [next(line.split("image: ")[1] for line in boundary_file.read_text().splitlines() if "image: " in line)]
    one += ["--key", str(folder / "bench.pub"), "--timestamp", generate.TIMESTAMP, "--out", str(tmp / "one-image")]
    seconds, _, code = child(one, tmp / "one-image.stderr")
    if code != 0:
        raise SystemExit(f"fromline package exited {code}")
    runs: tuple[tuple[str | None, float | None, float | None, str], ...] = (
        ("oscal,xlsx", BOUNDARY_SECONDS_NO_PDF, BOUNDARY_MIB_NO_PDF, "OSCAL and workbooks"),
        (None, BOUNDARY_SECONDS, None, "every output"),
    )
    held = images == BOUNDARY_IMAGES  # the goals are set at 200 images: --quick shows the figures only
    for formats, goal_seconds, goal_mib, what in runs:
        goal_seconds, goal_mib = (goal_seconds, goal_mib) if held else (None, None)  # noqa: PLW2901
        out = tmp / f"boundary-{formats or 'all'}"
        command = [sys.executable, "-m", "evidence", "boundary", str(boundary_file), "--out", str(out)]
        command += ["--timestamp", generate.TIMESTAMP] + (["--formats", formats] if formats else [])
        taken, mib, code = child(command, tmp / "boundary.stderr")
        if code != 0:
            raise SystemExit(f"fromline boundary exited {code}:\n{(tmp / 'boundary.stderr').read_text()}")
        label = f"boundary {images} images, {what}"
        report.add(
            Row("boundary", label, taken, peer="one image's fromline package", peer_value=seconds, goal=goal_seconds)
        )
        report.add(Row("boundary", f"{label}, peak", mib, unit="MiB", goal=goal_mib))
        shutil.rmtree(out)
    return seconds


def boundary_merge(report: Report, tmp: Path, packages: int, one_image: float) -> None:
    """`fromline boundary` of a boundary file that lists `packages` image packages built beforehand: each image is
    assessed into its own package first (here by one `fromline boundary` run, whose image packages are what
    `fromline package` writes), then the measured run merges them."""
    folder = tmp / "merge"
    boundary_file = generate.write_boundary(folder / "evidence", packages, 1_000, 300)

    def fromline_boundary(boundary_file: Path, out: Path, formats: str) -> tuple[float, float]:
        command = [sys.executable, "-m", "evidence", "boundary", str(boundary_file), "--out", str(out)]
        taken, mib, code = child([*command, "--timestamp", generate.TIMESTAMP, "--formats", formats], tmp / "err")
        if code != 0:
            raise SystemExit(f"fromline boundary exited {code}:\n{(tmp / 'err').read_text()}")
        return taken, mib

    built = folder / "built"
    fromline_boundary(boundary_file, built, "poam-xlsx")
    listed = [str(image["package"]) for image in json.loads((built / "audit.json").read_bytes())["images"]]
    lines = ["version: 1", "system: {name: Bench Cloud, id: F0000000000, impact: moderate, csp: Bench Corp}"]
    lines += ["images:", *(f"  - package: built/{path}\n    function: service {n}" for n, path in enumerate(listed))]
    merge_file = folder / "merge.yaml"
    merge_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    taken, mib = fromline_boundary(merge_file, folder / "merged", "oscal,xlsx")
    label = f"boundary merge of {packages:,} image packages, OSCAL and workbooks"
    goal = MERGE_SECONDS if packages == MERGED_PACKAGES else None
    report.add(Row("boundary", label, taken, peer="one image's fromline package", peer_value=one_image, goal=goal))
    report.add(Row("boundary", f"{label}, peak", mib, unit="MiB"))
    shutil.rmtree(folder)


def help_row(report: Report, tmp: Path) -> None:
    errors = tmp / "help.stderr"

    def wall(command: list[str]) -> float:
        best = float("inf")
        for _ in range(HELP_REPEATS):
            seconds, _, code = child(command, errors)
            if code != 0:
                raise SystemExit(f"{' '.join(command)} exited {code}:\n{errors.read_text(errors='replace')}")
            best = min(best, seconds)
        return best

    floor = wall([sys.executable, "-c", "pass"])
    seconds = wall([sys.executable, "-m", "evidence", "--help"])
    report.add(Row("startup", "fromline --help", seconds, peer="python -c pass", peer_value=floor, goal=HELP_SECONDS))


@contextlib.contextmanager
def section(name: str) -> Iterator[None]:
    print(f"{name}...", file=sys.stderr, flush=True)
    yield


def run(*, quick: bool) -> Report:
    report = Report([])
    sizes = [(c, v) for c, v, *_ in PACKAGE_SIZES[: 2 if quick else 3]]
    with tempfile.TemporaryDirectory(prefix="fromline-bench-") as name:
        tmp = Path(name)
        with section("generating evidence"):
            evidence = {(c, v): generate.write_image(tmp / f"evidence-{c}-{v}", c, v) for c, v in sizes}
        with section("startup"):
            help_row(report, tmp)
        with section("reading"):
            # the Syft-like SBOM of the second size: 10,000 components, the size the reading goal is set at
            reading(report, tmp, evidence[sizes[1]] / "sbom.cdx.json", sizes[1][0])
        for components, vulnerabilities in sizes[1:]:
            with section(f"pdf and workbooks at {vulnerabilities:,} findings"):
                pkg = assessed(evidence[components, vulnerabilities])
                if len(pkg.vulnerabilities) != vulnerabilities:
                    raise SystemExit(f"expected {vulnerabilities} findings, the package has {len(pkg.vulnerabilities)}")
                pdf(report, pkg, vulnerabilities, tmp)
                workbooks(report, pkg, vulnerabilities)
                del pkg
        for components, vulnerabilities in sizes[: 1 if quick else 3]:
            with section(f"package at {components:,} components"):
                out = tmp / f"package-{components}"
                package(report, evidence[components, vulnerabilities], out, components, vulnerabilities)
        images = BOUNDARY_QUICK_IMAGES if quick else BOUNDARY_IMAGES
        with section(f"boundary of {images} images"):
            one_image = boundary(report, tmp, images)
        merged = MERGED_QUICK_PACKAGES if quick else MERGED_PACKAGES
        with section(f"boundary merging {merged} image packages"):
            boundary_merge(report, tmp, merged, one_image)
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="the small sizes only, for development")
    args = parser.parse_args()
    start = time.perf_counter()
    report = run(quick=args.quick)
    print(report.table())
    print(
        f"\n{'quick run' if args.quick else 'full run'} in {time.perf_counter() - start:.0f} s on {os.cpu_count()} "
        f"cores, Python {sys.version.split()[0]}. Fromline's reading and in-process figures: best of {REPEATS}; "
        f"peers and renderers once; --help best of {HELP_REPEATS}. ratio = Fromline / peer."
    )
    failed = [row for row in report.rows if row.verdict == "FAIL"]
    missed = [row for row in report.rows if row.verdict == "missed"]
    for row in missed:
        print(f"goal missed (within 50 %): {row.area}: {row.what}", file=sys.stderr)
    for row in failed:
        print(f"goal missed by more than 50 %: {row.area}: {row.what}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
