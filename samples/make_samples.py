"""Generate the bundled demo evidence: the images of a small system and the boundary file that lists them.

The system: two releases of registry.example.com/webapp, and registry.example.com/api and
registry.example.com/worker, all built on python:3.12-slim-bookworm (api, worker and webapp 1.4.0 on the
same base image, by digest), and registry.example.com/proxy, an nginx reverse proxy built on debian:12-slim.

Everything written here is synthetic. The files follow the output shapes of the real tools (trivy,
grype, vexctl, cosign, docker) but were made by this script, not by those tools. The CVE facts
(identifiers, affected packages and versions, fixed versions, severities, CVSS vectors) are real
public facts; digests, dates, run ids and the signing keys are invented.

It also writes samples/bases/: four candidate base images for `fromline bases` (a general-purpose Debian 12, its
slim variant, a distroless-style static image and a hardened vendor base at two successive digests), with
candidates.yaml, which lists them.

Run from the repository root:  .venv/bin/python samples/make_samples.py [--new-keys]
Output: samples/webapp-1.4.0/, samples/webapp-1.3.0/, samples/boundary/ (the boundary file and the other
images' folders), samples/bases/ and one public key per team in samples/keys/. The keys are written outside the evidence
folders: a key inside the evidence is not a trust anchor, so the demo names them with `--key` or the boundary
file's `keys`. Only public keys are kept, so nothing can be signed again with them: a rerun keeps a team's key
and its images' signatures as long as they still sign exactly what the run writes, and so writes the same bytes.
When they no longer do (or with --new-keys), the team gets a fresh ECDSA P-256 key, whose private half never
leaves memory, and its images are signed again.
"""

from __future__ import annotations

import argparse
import base64
import dataclasses
import hashlib
import json
import math
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from packaging.specifiers import SpecifierSet
from packaging.version import Version

Obj = dict[str, Any]

HERE = Path(__file__).resolve().parent
KEYS = HERE / "keys"
REGISTRY = "registry.example.com"
SOURCE_ORG = "https://github.com/example-org"
TRIVY_VERSION = "0.54.1"
GRYPE_VERSION = "0.94.0"
PY_SITE = "usr/local/lib/python3.12/site-packages"


def fake_hex(label: str, length: int = 64) -> str:
    """A random-looking, reproducible hex string for identifiers nobody can check (layer blobs, run ids)."""
    return hashlib.sha256(f"fromline-samples/{label}".encode()).hexdigest()[:length]


def sha256_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _go_floats(value: Any) -> Any:
    """Go prints a float64 with no fraction as an integer (7.0 -> 7); mirror that."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _go_floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_go_floats(v) for v in value]
    return value


def go_json(value: object, *, indent: int | None, escape_html: bool) -> str:
    """JSON as Go's encoding/json writes it: struct order kept, optional HTML escaping, final newline."""
    if indent is None:
        text = json.dumps(_go_floats(value), ensure_ascii=False, separators=(",", ":"))
    else:
        text = json.dumps(_go_floats(value), ensure_ascii=False, indent=indent)
    if escape_html:
        text = text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
    return text


def write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8", newline="\n")
    print(f"wrote {path.relative_to(HERE.parent)}")


# --------------------------------------------------------------------------------------------------
# CVSS v3 base score (the FIRST specification formula), so every score matches its vector.

_CVSS_WEIGHTS: dict[str, dict[str, float]] = {
    "AV": {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2},
    "AC": {"L": 0.77, "H": 0.44},
    "UI": {"N": 0.85, "R": 0.62},
    "C": {"H": 0.56, "L": 0.22, "N": 0.0},
    "I": {"H": 0.56, "L": 0.22, "N": 0.0},
    "A": {"H": 0.56, "L": 0.22, "N": 0.0},
}


def _roundup(x: float) -> float:
    scaled = round(x * 100000)
    if scaled % 10000 == 0:
        return scaled / 100000.0
    return (math.floor(scaled / 10000) + 1) / 10.0


@dataclass(frozen=True, slots=True)
class CvssScore:
    vector: str
    version: str
    base: float
    exploitability: float
    impact: float


def cvss3(vector: str) -> CvssScore:
    head, *parts = vector.split("/")
    metrics = dict(p.split(":") for p in parts)
    changed = metrics["S"] == "C"
    pr = {"N": 0.85, "L": 0.68 if changed else 0.62, "H": 0.5 if changed else 0.27}[metrics["PR"]]
    w = _CVSS_WEIGHTS
    iss = 1 - (1 - w["C"][metrics["C"]]) * (1 - w["I"][metrics["I"]]) * (1 - w["A"][metrics["A"]])
    impact = 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15 if changed else 6.42 * iss
    exploitability = 8.22 * w["AV"][metrics["AV"]] * w["AC"][metrics["AC"]] * pr * w["UI"][metrics["UI"]]
    if impact <= 0:
        base = 0.0
    elif changed:
        base = _roundup(min(1.08 * (impact + exploitability), 10))
    else:
        base = _roundup(min(impact + exploitability, 10))
    return CvssScore(vector, head.split(":")[1], base, round(exploitability, 1), round(impact, 1))


def severity_of_score(score: float) -> str:
    if score >= 9.0:
        return "Critical"
    if score >= 7.0:
        return "High"
    if score >= 4.0:
        return "Medium"
    return "Low" if score > 0 else "None"


# --------------------------------------------------------------------------------------------------
# Package URLs, encoded the way each tool encodes them.


def _pct(text: str, keep: str = "") -> str:
    out = []
    for ch in text:
        if ch.isalnum() or ch in "-._~" + keep:
            out.append(ch)
        else:
            out.append("".join(f"%{b:02X}" for b in ch.encode()))
    return "".join(out)


def split_epoch(version: str) -> tuple[str | None, str]:
    if ":" in version:
        epoch, rest = version.split(":", 1)
        return epoch, rest
    return None, version


def trivy_deb_purl(name: str, version: str, arch: str, distro: str) -> str:
    epoch, bare = split_epoch(version)
    quals = f"arch={arch}&distro=debian-{distro}" + (f"&epoch={epoch}" if epoch else "")
    return f"pkg:deb/debian/{_pct(name)}@{_pct(bare)}?{quals}"


def syft_deb_purl(name: str, version: str, arch: str, source: str) -> str:
    epoch, bare = split_epoch(version)
    quals = f"arch={arch}"
    if epoch:
        quals += f"&epoch={epoch}"
    if source != name:
        quals += f"&upstream={_pct(source)}"
    return f"pkg:deb/debian/{_pct(name)}@{_pct(bare)}?{quals}&distro=debian-12"


def pypi_purl(name: str, version: str) -> str:
    return f"pkg:pypi/{name.lower().replace('_', '-').replace('.', '-')}@{version}"


def oci_purl(name: str, digest: str) -> str:
    """The image as trivy names it (packageurl-go: version and qualifier values percent-encoded)."""
    return f"pkg:oci/{name}@{_pct(digest)}?arch=amd64&repository_url={_pct(f'{REGISTRY}/{name}')}"


def image_purl(rel: Image) -> str:
    """The image as trivy names it: a purl's name is the repository's last path segment."""
    if isinstance(rel, Candidate):
        last = rel.name.rsplit("/", 1)[-1]
        return f"pkg:oci/{last}@{_pct(rel.digest)}?arch=amd64&repository_url={_pct(rel.repository)}"
    return oci_purl(rel.name, rel.digest)


def vex_product(name: str, digest: str) -> str:
    return f"pkg:oci/{name}@{_pct(digest)}?repository_url={REGISTRY}/{name}"


def vex_product_of(rel: Image) -> str:
    if isinstance(rel, Candidate):
        return f"pkg:oci/{rel.name.rsplit('/', 1)[-1]}@{_pct(rel.digest)}?repository_url={rel.repository}"
    return vex_product(rel.name, rel.digest)


# --------------------------------------------------------------------------------------------------
# Debian 12 packages of python:3.12-slim-bookworm: debian:12-slim's, and those the python image adds.
# name | version | arch | source | source version (when not the binary version) | licenses | depends

DEB_TABLE = """
adduser|3.134|all|adduser||GPL-2.0|passwd
apt|2.6.1|amd64|apt||GPL-2.0|adduser,gpgv,libapt-pkg6.0,debian-archive-keyring,libc6,libgcc-s1,libseccomp2,libstdc++6,libsystemd0
base-files|{base_files}|amd64|base-files||GPL-2.0|
base-passwd|3.6.1|amd64|base-passwd||GPL-2.0,PD|libc6,libdebconfclient0,libselinux1
bash|5.2.15-2+b7|amd64|bash|5.2.15-2|GPL-3.0|base-files,debianutils,libtinfo6
bsdutils|1:2.38.1-5+deb12u3|amd64|util-linux|2.38.1-5+deb12u3|GPL-2.0,BSD-4-Clause,LGPL-2.1|libc6,libsystemd0
ca-certificates|20230311+deb12u1|all|ca-certificates||MPL-2.0,GPL-2.0|debconf,openssl
coreutils|9.1-1|amd64|coreutils||GPL-3.0|libacl1,libattr1,libc6,libgmp10,libselinux1,libssl3
dash|0.5.12-2|amd64|dash||BSD-3-Clause,GPL-2.0|debianutils,libc6
debconf|1.5.82|all|debconf||BSD-2-Clause|
debian-archive-keyring|2023.3+deb12u2|all|debian-archive-keyring||GPL-2.0|
debianutils|5.7-0.5~deb12u1|amd64|debianutils||GPL-2.0|libc6
diffutils|1:3.8-4|amd64|diffutils||GPL-3.0|libc6
dpkg|1.21.22|amd64|dpkg||GPL-2.0,BSD-2-Clause,public-domain|tar,libbz2-1.0,libc6,liblzma5,libmd0,libselinux1,libzstd1,zlib1g
findutils|4.9.0-4|amd64|findutils||GPL-3.0|libc6,libselinux1
gcc-12-base|12.2.0-14+deb12u1|amd64|gcc-12||GPL-3.0|
gpgv|2.2.40-1.1|amd64|gnupg2||GPL-3.0|libbz2-1.0,libc6,libgcrypt20,libgpg-error0,zlib1g
grep|3.8-5|amd64|grep||GPL-3.0|libc6,libpcre2-8-0
gzip|1.12-1|amd64|gzip||GPL-3.0|libc6
hostname|3.23+nmu1|amd64|hostname||GPL-2.0|libc6
init-system-helpers|1.65.2|all|init-system-helpers||BSD-3-Clause,GPL-2.0|
libacl1|2.3.1-3|amd64|acl||LGPL-2.1|libc6
libapt-pkg6.0|2.6.1|amd64|apt||GPL-2.0|libbz2-1.0,libc6,libgcc-s1,libgcrypt20,liblz4-1,liblzma5,libstdc++6,libsystemd0,libudev1,libxxhash0,libzstd1,zlib1g
libattr1|1:2.5.1-4|amd64|attr||LGPL-2.1|libc6
libaudit-common|1:3.0.9-1|all|audit||GPL-2.0,LGPL-2.1|
libaudit1|1:3.0.9-1|amd64|audit||GPL-2.0,LGPL-2.1|libaudit-common,libc6,libcap-ng0
libblkid1|2.38.1-5+deb12u3|amd64|util-linux||LGPL-2.1|libc6
libbz2-1.0|1.0.8-5+b1|amd64|bzip2|1.0.8-5|BSD-variant,GPL-2.0|libc6
libc-bin|2.36-9+deb12u10|amd64|glibc||LGPL-2.1,GPL-2.0|libc6
libc6|2.36-9+deb12u10|amd64|glibc||LGPL-2.1,GPL-2.0|libgcc-s1
libcap-ng0|0.8.3-1+b3|amd64|libcap-ng|0.8.3-1|LGPL-2.1|libc6
libcap2|1:2.66-4|amd64|libcap2||BSD-3-Clause,GPL-2.0|libc6
libcom-err2|1.47.0-2|amd64|e2fsprogs||GPL-2.0|libc6
libcrypt1|1:4.4.33-2|amd64|libxcrypt||LGPL-2.1|libc6
libdb5.3|5.3.28+dfsg2-1|amd64|db5.3||Sleepycat|libc6
libdebconfclient0|0.270|amd64|cdebconf||BSD-2-Clause|libc6
libexpat1|2.5.0-1+deb12u1|amd64|expat||MIT|libc6
libffi8|3.4.4-1|amd64|libffi||MIT|libc6
libgcc-s1|12.2.0-14+deb12u1|amd64|gcc-12||GPL-3.0|gcc-12-base,libc6
libgcrypt20|1.10.1-3|amd64|libgcrypt20||LGPL-2.1,GPL-2.0|libc6,libgpg-error0
libgdbm-compat4|1.23-3|amd64|gdbm||GPL-3.0|libc6,libgdbm6
libgdbm6|1.23-3|amd64|gdbm||GPL-3.0|libc6
libgmp10|2:6.2.1+dfsg1-1.1|amd64|gmp||LGPL-3.0,GPL-2.0|libc6
libgnutls30|3.7.9-2+deb12u4|amd64|gnutls28||LGPL-2.1,GPL-3.0|libc6,libgmp10,libhogweed6,libidn2-0,libnettle8,libp11-kit0,libtasn1-6,libunistring2
libgpg-error0|1.46-1|amd64|libgpg-error||LGPL-2.1|libc6
libgssapi-krb5-2|1.20.1-2+deb12u3|amd64|krb5||MIT|libc6,libcom-err2,libk5crypto3,libkrb5-3,libkrb5support0
libhogweed6|3.8.1-2|amd64|nettle||LGPL-3.0,GPL-2.0|libc6,libgmp10,libnettle8
libidn2-0|2.3.3-1+b1|amd64|libidn2|2.3.3-1|GPL-3.0,LGPL-3.0|libc6,libunistring2
libk5crypto3|1.20.1-2+deb12u3|amd64|krb5||MIT|libc6,libkrb5support0
libkeyutils1|1.6.3-2|amd64|keyutils||GPL-2.0,LGPL-2.1|libc6
libkrb5-3|1.20.1-2+deb12u3|amd64|krb5||MIT|libc6,libcom-err2,libk5crypto3,libkeyutils1,libkrb5support0,libssl3
libkrb5support0|1.20.1-2+deb12u3|amd64|krb5||MIT|libc6
liblz4-1|1.9.4-1|amd64|lz4||BSD-2-Clause,GPL-2.0|libc6
liblzma5|5.4.1-1|amd64|xz-utils||PD,GPL-2.0|libc6
libmd0|1.0.4-2|amd64|libmd||BSD-3-Clause|libc6
libmount1|2.38.1-5+deb12u3|amd64|util-linux||LGPL-2.1|libblkid1,libc6,libselinux1
libncursesw6|6.4-4|amd64|ncurses||MIT|libc6,libtinfo6
libnettle8|3.8.1-2|amd64|nettle||LGPL-3.0,GPL-2.0|libc6
libnsl2|1.3.0-2|amd64|libnsl||LGPL-2.1|libc6,libtirpc3
libp11-kit0|0.24.1-2|amd64|p11-kit||BSD-3-Clause|libc6,libffi8
libpam-modules|1.5.2-6+deb12u1|amd64|pam||GPL-2.0|debconf,libpam-modules-bin,libpam0g,libaudit1,libc6,libcrypt1,libdb5.3,libselinux1
libpam-modules-bin|1.5.2-6+deb12u1|amd64|pam||GPL-2.0|libaudit1,libc6,libcrypt1,libpam0g,libselinux1
libpam-runtime|1.5.2-6+deb12u1|all|pam||GPL-2.0|debconf,libpam-modules
libpam0g|1.5.2-6+deb12u1|amd64|pam||GPL-2.0|debconf,libaudit1,libc6
libpcre2-8-0|10.42-1|amd64|pcre2||BSD-3-Clause|libc6
libreadline8|8.2-1.3|amd64|readline||GPL-3.0|readline-common,libc6,libtinfo6
libseccomp2|2.5.4-1+deb12u1|amd64|libseccomp||LGPL-2.1|libc6
libselinux1|3.4-1+b6|amd64|libselinux|3.4-1|public-domain|libc6,libpcre2-8-0
libsemanage-common|3.4-1|all|libsemanage||LGPL-2.1|
libsemanage2|3.4-1+b5|amd64|libsemanage|3.4-1|LGPL-2.1|libsemanage-common,libaudit1,libbz2-1.0,libc6,libselinux1,libsepol2
libsepol2|3.4-2.1|amd64|libsepol||LGPL-2.1|libc6
libsmartcols1|2.38.1-5+deb12u3|amd64|util-linux||LGPL-2.1|libc6
libsqlite3-0|3.40.1-2+deb12u1|amd64|sqlite3||public-domain|libc6
libssl3|3.0.17-1~deb12u2|amd64|openssl||Apache-2.0|libc6
libstdc++6|12.2.0-14+deb12u1|amd64|gcc-12||GPL-3.0|gcc-12-base,libc6,libgcc-s1
libsystemd0|252.38-1~deb12u1|amd64|systemd||LGPL-2.1|libc6,libcap2,libgcrypt20,liblz4-1,liblzma5,libzstd1
libtasn1-6|4.19.0-2+deb12u1|amd64|libtasn1-6||LGPL-2.1|libc6
libtinfo6|6.4-4|amd64|ncurses||MIT|libc6
libtirpc-common|1.3.3+ds-1|all|libtirpc||BSD-3-Clause|
libtirpc3|1.3.3+ds-1|amd64|libtirpc||BSD-3-Clause|libc6,libgssapi-krb5-2,libtirpc-common
libudev1|252.38-1~deb12u1|amd64|systemd||LGPL-2.1|libc6,libcap2
libunistring2|1.0-2|amd64|libunistring||LGPL-3.0,GPL-2.0|libc6
libuuid1|2.38.1-5+deb12u3|amd64|util-linux||BSD-3-Clause|libc6
libxxhash0|0.8.1-1|amd64|xxhash||BSD-2-Clause|libc6
libzstd1|1.5.4+dfsg2-5|amd64|libzstd||BSD-3-Clause,GPL-2.0|libc6
login|1:4.13+dfsg1-1+deb12u1|amd64|shadow||GPL-2.0|libaudit1,libc6,libcrypt1,libpam0g,libpam-modules,libpam-runtime
mawk|1.3.4.20200120-3.1|amd64|mawk||GPL-2.0|libc6
mount|2.38.1-5+deb12u3|amd64|util-linux||GPL-2.0|util-linux,libblkid1,libc6,libmount1,libselinux1,libsmartcols1
ncurses-base|6.4-4|all|ncurses||MIT|
ncurses-bin|6.4-4|amd64|ncurses||MIT|libc6,libtinfo6
netbase|6.4|all|netbase||GPL-2.0|
openssl|3.0.17-1~deb12u2|amd64|openssl||Apache-2.0|libc6,libssl3
passwd|1:4.13+dfsg1-1+deb12u1|amd64|shadow||GPL-2.0|libaudit1,libc6,libcrypt1,libpam0g,libselinux1,libsemanage2,libpam-modules
perl-base|5.36.0-7+deb12u2|amd64|perl||GPL-1.0,Artistic|
readline-common|8.2-1.3|all|readline||GPL-3.0|
sed|4.9-1|amd64|sed||GPL-3.0|libacl1,libc6,libselinux1
sysvinit-utils|3.06-4|amd64|sysvinit||GPL-2.0|libc6
tar|1.34+dfsg-1.2+deb12u1|amd64|tar||GPL-3.0|libacl1,libc6,libselinux1
tzdata|{tzdata}|all|tzdata||public-domain|debconf
usr-is-merged|37~deb12u1|all|usrmerge||GPL-2.0|
util-linux|2.38.1-5+deb12u3|amd64|util-linux||GPL-2.0|libblkid1,libc6,libcap-ng0,libcrypt1,libmount1,libpam0g,libselinux1,libsmartcols1,libsystemd0,libtinfo6,libudev1,libuuid1
util-linux-extra|2.38.1-5+deb12u3|amd64|util-linux||GPL-2.0|libblkid1,libc6,libmount1,libsmartcols1,libuuid1,util-linux
zlib1g|1:1.2.13.dfsg-1|amd64|zlib||Zlib|libc6
"""

# nginx from nginx.org's bookworm repository, which the proxy installs. No nginx advisory is listed for it: the
# versions the Debian security tracker gives as fixed sort below nginx.org's, and the script knows no other.
NGINX_ROW = "nginx|1.27.5-1~bookworm|amd64|nginx||BSD-2-Clause|adduser,libc6,libcrypt1,libpcre2-8-0,libssl3,zlib1g"

# Which layer of python:3.12-slim-bookworm brought each package in (the rest are in the debian rootfs layer).
CA_LAYER_PACKAGES = frozenset({"ca-certificates", "netbase", "tzdata", "openssl", "libssl3"})
PYTHON_LAYER_PACKAGES = frozenset(
    {
        "libexpat1", "libgdbm6", "libgdbm-compat4", "libncursesw6", "libnsl2", "libtirpc3", "libtirpc-common",
        "libgssapi-krb5-2", "libkrb5-3", "libk5crypto3", "libkrb5support0", "libkeyutils1", "libcom-err2",
        "libreadline8", "readline-common", "libsqlite3-0",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Deb:
    name: str
    version: str
    arch: str
    source: str
    source_version: str
    licenses: tuple[str, ...]
    depends: tuple[str, ...]
    layer: int  # index into the image's layers


def _source_version(binary_version: str) -> str:
    """A binNMU (+bN) belongs to the binary only; the source keeps the version before it."""
    head, sep, tail = binary_version.rpartition("+b")
    return head if sep and tail.isdigit() else binary_version


def python_slim_layer(name: str) -> int | None:
    if name in CA_LAYER_PACKAGES:
        return 1
    if name in PYTHON_LAYER_PACKAGES:
        return 2
    return None if name == "nginx" else 0


# The proxy's packages: debian:12-slim's rootfs, then its own install layer (the third of its layers).
PROXY_INSTALLED = frozenset({"ca-certificates", "openssl", "libssl3", "nginx"})


def proxy_layer(name: str) -> int | None:
    if name in PROXY_INSTALLED:
        return 2
    return None if name in CA_LAYER_PACKAGES or name in PYTHON_LAYER_PACKAGES else 0


def deb_packages(base_files: str, tzdata: str, layer_of: Callable[[str], int | None]) -> tuple[Deb, ...]:
    """The packages of DEB_TABLE and NGINX_ROW an image holds, each in the layer `layer_of` gives (None: absent)."""
    out = []
    for line in [*DEB_TABLE.format(base_files=base_files, tzdata=tzdata).strip().splitlines(), NGINX_ROW]:
        name, version, arch, source, src_version, licenses, depends = line.split("|")
        layer = layer_of(name)
        if layer is None:
            continue
        out.append(
            Deb(
                name=name,
                version=version,
                arch=arch,
                source=source,
                source_version=src_version or _source_version(version),
                licenses=tuple(licenses.split(",")),
                depends=tuple(d for d in depends.split(",") if d),
                layer=layer,
            )
        )
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Py:
    name: str  # as in METADATA "Name:"
    version: str
    dist: str  # the .dist-info directory stem
    license: str
    layer: int


def py(name: str, version: str, license_: str, *, dist: str | None = None, layer: int = 5) -> Py:
    return Py(name, version, f"{dist or name}-{version}", license_, layer)


PY_130 = (
    py("Flask", "3.0.3", "BSD-3-Clause", dist="flask"),
    py("Werkzeug", "3.0.3", "BSD-3-Clause", dist="werkzeug"),
    py("Jinja2", "3.1.4", "BSD-3-Clause", dist="jinja2"),
    py("MarkupSafe", "2.1.5", "BSD-3-Clause"),
    py("itsdangerous", "2.2.0", "BSD-3-Clause"),
    py("click", "8.1.7", "BSD-3-Clause"),
    py("blinker", "1.8.2", "MIT"),
    py("gunicorn", "21.2.0", "MIT"),
    py("packaging", "24.1", "Apache-2.0 OR BSD-2-Clause"),
    py("requests", "2.32.3", "Apache-2.0"),
    py("urllib3", "2.2.2", "MIT"),
    py("idna", "3.7", "BSD-3-Clause"),
    py("certifi", "2024.7.4", "MPL-2.0"),
    py("charset-normalizer", "3.3.2", "MIT", dist="charset_normalizer"),
    py("cryptography", "42.0.8", "Apache-2.0 OR BSD-3-Clause"),
    py("cffi", "1.16.0", "MIT"),
    py("pycparser", "2.22", "BSD-3-Clause"),
    py("SQLAlchemy", "2.0.31", "MIT"),
    py("greenlet", "3.0.3", "MIT"),
    py("typing_extensions", "4.12.2", "PSF-2.0"),
    py("setuptools", "69.5.1", "MIT"),
    py("pip", "25.0.1", "MIT", layer=2),
)

PY_140 = (
    py("Flask", "3.1.0", "BSD-3-Clause", dist="flask"),
    py("Werkzeug", "3.1.3", "BSD-3-Clause", dist="werkzeug"),
    py("Jinja2", "3.1.4", "BSD-3-Clause", dist="jinja2"),
    py("MarkupSafe", "3.0.2", "BSD-3-Clause"),
    py("itsdangerous", "2.2.0", "BSD-3-Clause"),
    py("click", "8.1.8", "BSD-3-Clause"),
    py("blinker", "1.9.0", "MIT"),
    py("gunicorn", "23.0.0", "MIT"),
    py("packaging", "24.2", "Apache-2.0 OR BSD-2-Clause"),
    py("requests", "2.32.4", "Apache-2.0"),
    py("urllib3", "2.2.3", "MIT"),
    py("idna", "3.10", "BSD-3-Clause"),
    py("certifi", "2024.8.30", "MPL-2.0"),
    py("charset-normalizer", "3.4.0", "MIT", dist="charset_normalizer"),
    py("cryptography", "43.0.3", "Apache-2.0 OR BSD-3-Clause"),
    py("cffi", "1.17.1", "MIT"),
    py("pycparser", "2.22", "BSD-3-Clause"),
    py("SQLAlchemy", "2.0.36", "MIT"),
    py("greenlet", "3.1.1", "MIT"),
    py("typing_extensions", "4.12.2", "PSF-2.0"),
    py("httpx", "0.27.2", "BSD-3-Clause"),
    py("httpcore", "1.0.7", "BSD-3-Clause"),
    py("h11", "0.14.0", "MIT"),
    py("anyio", "4.6.2.post1", "MIT"),
    py("sniffio", "1.3.1", "MIT OR Apache-2.0"),
    py("setuptools", "75.8.0", "MIT"),
    py("pip", "25.2", "MIT", layer=2),
)


def pinned(*names: str) -> tuple[Py, ...]:
    """webapp 1.4.0's pins of these distributions: api 2.1.0 and worker 1.8.2 pin the same where they share one."""
    by_name = {p.name: p for p in PY_140}
    return tuple(by_name[name] for name in names)


PSYCOPG = (
    py("psycopg", "3.2.3", "LGPL-3.0-only"),
    py("psycopg-binary", "3.2.3", "LGPL-3.0-only", dist="psycopg_binary"),
)
FLASK_STACK = ("Flask", "Werkzeug", "Jinja2", "MarkupSafe", "itsdangerous", "click", "blinker", "gunicorn", "packaging")
TOOLING = ("typing_extensions", "setuptools", "pip")

PY_API = (
    *pinned(*FLASK_STACK),
    py("pydantic", "2.10.3", "MIT"),
    py("pydantic_core", "2.27.1", "MIT"),
    py("annotated-types", "0.7.0", "MIT", dist="annotated_types"),
    *pinned("SQLAlchemy", "greenlet"),
    *PSYCOPG,
    *pinned(*TOOLING),
)

PY_WORKER = (
    py("celery", "5.4.0", "BSD-3-Clause"),
    py("kombu", "5.4.2", "BSD-3-Clause"),
    py("billiard", "4.2.1", "BSD-3-Clause"),
    py("vine", "5.1.0", "BSD-3-Clause"),
    py("amqp", "5.3.1", "BSD-3-Clause"),
    py("click-didyoumean", "0.3.1", "MIT", dist="click_didyoumean"),
    py("click-repl", "0.3.0", "MIT", dist="click_repl"),
    py("click-plugins", "1.1.1", "BSD-3-Clause", dist="click_plugins"),
    py("prompt_toolkit", "3.0.48", "BSD-3-Clause"),
    py("wcwidth", "0.2.13", "MIT"),
    py("python-dateutil", "2.9.0.post0", "Apache-2.0 OR BSD-3-Clause", dist="python_dateutil"),
    py("six", "1.16.0", "MIT"),
    py("tzdata", "2024.2", "Apache-2.0"),
    py("redis", "5.2.0", "MIT"),
    *pinned("click", "SQLAlchemy", "greenlet"),
    *PSYCOPG,
    *pinned("requests", "urllib3", "idna", "certifi", "charset-normalizer", *TOOLING),
)


# --------------------------------------------------------------------------------------------------
# Vulnerabilities. Only real CVEs, with the packages and versions they really affect. A Debian one is found in
# every image holding one of its packages below the version bookworm fixed it in (`fixed`, compared as dpkg
# does; with none, in any version); a Python one where the installed version is in its affected range
# (`constraint`).


@dataclass(frozen=True, slots=True)
class Vuln:
    cve: str
    packages: tuple[str, ...]  # binary packages (deb) or the distribution name (python)
    ecosystem: str  # "deb" or "python"
    trivy_severity: str  # as trivy reports it
    grype_severity: str | None  # as grype reports it; None: grype does not report it
    title: str
    description: str
    published: str
    modified: str
    ghsa: str | None = None
    fixed: str | None = None  # first fixed version
    status: str = "fixed"  # trivy status
    severity_source: str = "ghsa"
    nvd_vector: str | None = None
    ghsa_vector: str | None = None
    cwe: tuple[str, ...] = ()
    constraint: str = ""  # the affected versions, as grype's constraint without the "(python)" suffix


VULNS: tuple[Vuln, ...] = (
    # ----- Debian 12 packages of debian:12-slim's rootfs: in every image, none fixed in bookworm.
    Vuln(
        cve="CVE-2023-45853",
        packages=("zlib1g",),
        ecosystem="deb",
        trivy_severity="CRITICAL",
        grype_severity="Critical",
        status="will_not_fix",
        severity_source="nvd",
        title="zlib: integer overflow and heap overflow in MiniZip zipOpenNewFileInZip4_64",
        description=(
            "MiniZip in zlib through 1.3 has an integer overflow that leads to a heap-based buffer overflow in "
            "zipOpenNewFileInZip4_64 when given a long file name, comment or extra field. MiniZip is not a "
            "supported part of the zlib product."
        ),
        nvd_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        cwe=("CWE-190",),
        published="2023-10-14T02:15:09.323Z",
        modified="2025-11-04T19:16:22.113Z",
    ),
    Vuln(
        cve="CVE-2011-3374",
        packages=("apt", "libapt-pkg6.0"),
        ecosystem="deb",
        trivy_severity="LOW",
        grype_severity="Negligible",
        status="affected",
        severity_source="debian",
        title="apt: apt-key does not correctly validate the keyring it downloads",
        description=(
            "apt-key in apt, as used in some Debian derivatives, does not correctly validate gpg keys against the "
            "master keyring, which may let a man-in-the-middle attacker have a forged key accepted."
        ),
        nvd_vector="CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:L/A:N",
        cwe=("CWE-347",),
        published="2019-11-26T00:15:11.03Z",
        modified="2024-11-21T01:30:22.2Z",
    ),
    Vuln(
        cve="CVE-2019-1010022",
        packages=("libc-bin", "libc6"),
        ecosystem="deb",
        trivy_severity="LOW",
        grype_severity="Negligible",
        status="affected",
        severity_source="debian",
        title="glibc: stack guard protection bypass",
        description=(
            "GNU libc is reported to allow a bypass of stack guard protection; the upstream maintainers dispute "
            "that this is a vulnerability in glibc."
        ),
        nvd_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        cwe=("CWE-119",),
        published="2019-07-15T04:15:13.317Z",
        modified="2024-11-21T04:18:10.32Z",
    ),
    Vuln(
        cve="CVE-2013-4392",
        packages=("libsystemd0", "libudev1"),
        ecosystem="deb",
        trivy_severity="LOW",
        grype_severity="Negligible",
        status="affected",
        severity_source="debian",
        title="systemd: TOCTOU race when updating file permissions and SELinux security contexts",
        description=(
            "systemd does not properly handle a race between checking and changing file permissions and security "
            "contexts, so a local user could change the permissions of arbitrary files via a symlink attack."
        ),
        published="2013-10-28T22:55:03.773Z",
        modified="2024-11-21T01:55:30.13Z",
    ),
    Vuln(
        cve="CVE-2017-18018",
        packages=("coreutils",),
        ecosystem="deb",
        trivy_severity="LOW",
        grype_severity="Negligible",
        status="affected",
        severity_source="debian",
        title="coreutils: race condition in chown and chgrp with -R -L",
        description=(
            "In GNU coreutils chown and chgrp, a race condition when -R and -L are combined lets a local user "
            "modify the ownership of arbitrary files through a symlink."
        ),
        nvd_vector="CVSS:3.0/AV:L/AC:H/PR:L/UI:N/S:U/C:N/I:H/A:N",
        cwe=("CWE-362",),
        published="2018-01-04T04:29:00.257Z",
        modified="2024-11-21T03:19:12.82Z",
    ),
    Vuln(
        cve="CVE-2022-0563",
        packages=(
            "bsdutils",
            "libblkid1",
            "libmount1",
            "libsmartcols1",
            "libuuid1",
            "mount",
            "util-linux",
            "util-linux-extra",
        ),
        ecosystem="deb",
        trivy_severity="LOW",
        grype_severity="Negligible",
        status="affected",
        severity_source="debian",
        title="util-linux: partial disclosure of arbitrary files in chfn and chsh when compiled with libreadline",
        description=(
            "A flaw in the util-linux chfn and chsh utilities, when built with readline support, lets a local "
            "user read parts of files they should not through the INPUTRC environment variable."
        ),
        published="2022-02-21T19:15:08.393Z",
        modified="2024-11-21T06:38:57.2Z",
    ),
    Vuln(
        cve="TEMP-0841856-B18BAF",
        packages=("bash",),
        ecosystem="deb",
        trivy_severity="LOW",
        grype_severity=None,  # the Debian TEMP- entries are only in trivy's database
        status="affected",
        severity_source="debian",
        title="[Privilege escalation possible to other user than root]",
        description="",
        published="",
        modified="",
    ),
    # ----- Debian 12 advisories fixed in bookworm (DSA-5770-1 for expat, DSA-5611-1 for glibc): found only below
    # the fixed version, so in none of the images above, only in the older base-image candidates. The dates are
    # NVD's publication day; the time of day and the last modification are not recorded here.
    *(
        Vuln(
            cve=cve,
            packages=("libexpat1",),
            ecosystem="deb",
            trivy_severity="CRITICAL",
            grype_severity="Critical",
            fixed="2.5.0-1+deb12u1",
            severity_source="nvd",
            title=title,
            description=f"libexpat before 2.6.3: {description}",
            nvd_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            cwe=cwe,
            published="2024-08-30T00:00:00Z",
            modified="",
        )
        for cve, title, description, cwe in (
            (
                "CVE-2024-45490",
                "libexpat: negative length for XML_ParseBuffer()",
                "XML_ParseBuffer accepts a negative length instead of rejecting it.",
                (),
            ),
            (
                "CVE-2024-45491",
                "libexpat: integer overflow in dtdCopy",
                (
                    "dtdCopy in xmlparse.c can overflow the integer that counts default attributes (nDefaultAtts) on "
                    "32-bit platforms."
                ),
                ("CWE-190",),
            ),
            (
                "CVE-2024-45492",
                "libexpat: integer overflow in nextScaffoldPart",
                (
                    "nextScaffoldPart in xmlparse.c can overflow the integer that holds the group size "
                    "(m_groupSize) on 32-bit platforms."
                ),
                ("CWE-190",),
            ),
        )
    ),
    *(
        Vuln(
            cve=cve,
            packages=("libc-bin", "libc6"),
            ecosystem="deb",
            trivy_severity=severity,
            grype_severity=severity.capitalize(),
            fixed="2.36-9+deb12u4",
            severity_source="nvd",
            title=title,
            description=f"In the GNU C Library, {description}",
            nvd_vector=vector,
            published="2024-01-31T00:00:00Z",
            modified="",
        )
        for cve, severity, vector, title, description in (
            (
                "CVE-2023-6246",
                "HIGH",
                "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
                "glibc: heap-based buffer overflow in __vsyslog_internal()",
                (
                    "__vsyslog_internal, which syslog and vsyslog call, overflows a heap buffer when openlog was not "
                    "called or was given a NULL ident and the program name is very long; a local user can use it to "
                    "gain root through a setuid program such as su."
                ),
            ),
            (
                "CVE-2023-6779",
                "HIGH",
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
                "glibc: off-by-one heap-based buffer overflow in __vsyslog_internal()",
                (
                    "an off-by-one error in __vsyslog_internal overflows a heap buffer with very long messages, which "
                    "can crash the program."
                ),
            ),
            (
                "CVE-2023-6780",
                "MEDIUM",
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L",
                "glibc: integer overflow in __vsyslog_internal()",
                (
                    "an integer overflow in __vsyslog_internal with very long messages can make it write a wrong "
                    "buffer size and crash the program."
                ),
            ),
        )
    ),
    # ----- Python packages.
    Vuln(
        cve="CVE-2024-1135",
        ghsa="GHSA-w3h3-4rj7-4ph4",
        packages=("gunicorn",),
        ecosystem="python",
        trivy_severity="HIGH",
        grype_severity="High",
        fixed="22.0.0",
        constraint="<22.0.0",
        title="gunicorn: HTTP request smuggling through conflicting Transfer-Encoding headers",
        description=(
            "Gunicorn before 22.0.0 does not validate Transfer-Encoding headers properly: a request with several "
            "conflicting Transfer-Encoding headers is treated as chunked, which allows HTTP request smuggling "
            "and access to endpoints a front proxy was meant to restrict."
        ),
        cwe=("CWE-444",),
        published="2024-04-16T00:15:08.193Z",
        modified="2025-02-05T16:01:54.66Z",
    ),
    Vuln(
        cve="CVE-2024-6827",
        ghsa="GHSA-hc5x-x2vx-497g",
        packages=("gunicorn",),
        ecosystem="python",
        trivy_severity="HIGH",
        grype_severity="High",
        fixed="23.0.0",
        constraint="<23.0.0",
        title="gunicorn: TE.CL request smuggling through invalid Transfer-Encoding values",
        description=(
            "Gunicorn does not validate the value of the Transfer-Encoding header as the RFCs require and falls "
            "back to Content-Length, which makes TE.CL request smuggling possible. Fixed in 23.0.0."
        ),
        ghsa_vector="CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N",
        cwe=("CWE-444",),
        published="2025-03-20T10:15:32.14Z",
        modified="2025-09-29T17:52:04.51Z",
    ),
    Vuln(
        cve="CVE-2024-6345",
        ghsa="GHSA-cx63-2mw6-8hw5",
        packages=("setuptools",),
        ecosystem="python",
        trivy_severity="HIGH",
        grype_severity="High",
        fixed="70.0.0",
        constraint="<70.0.0",
        title="setuptools: remote code execution through the download functions of package_index",
        description=(
            "The download functions of the package_index module of setuptools before 70.0.0 pass package URLs to "
            "a shell, so a URL under an attacker's control can inject commands."
        ),
        ghsa_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H",
        cwe=("CWE-94",),
        published="2024-07-15T01:15:01.73Z",
        modified="2025-07-02T17:41:12.34Z",
    ),
    Vuln(
        cve="CVE-2025-47273",
        ghsa="GHSA-5rjg-fvgr-3xxf",
        packages=("setuptools",),
        ecosystem="python",
        trivy_severity="MEDIUM",
        grype_severity="Medium",
        fixed="78.1.1",
        constraint="<78.1.1",
        title="setuptools: path traversal in PackageIndex.download leads to arbitrary file write",
        description=(
            "PackageIndex in setuptools before 78.1.1 builds the download file name from the URL without "
            "sanitising it, so a crafted URL can write a file outside the temporary directory."
        ),
        cwe=("CWE-22",),
        published="2025-05-17T16:15:19.223Z",
        modified="2025-06-13T08:15:20.11Z",
    ),
    Vuln(
        cve="CVE-2024-47081",
        ghsa="GHSA-9hjg-9r4m-mvj7",
        packages=("requests",),
        ecosystem="python",
        trivy_severity="MEDIUM",
        grype_severity="Medium",
        fixed="2.32.4",
        constraint="<2.32.4",
        title="requests: .netrc credentials can leak to third parties through crafted URLs",
        description=(
            "A URL parsing issue in Requests before 2.32.4 can send credentials from the user's .netrc file to "
            "a different host for specific maliciously crafted URLs."
        ),
        ghsa_vector="CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:N/A:N",
        cwe=("CWE-522",),
        published="2025-06-09T18:15:24.983Z",
        modified="2025-06-12T16:06:47.857Z",
    ),
    Vuln(
        cve="CVE-2024-49767",
        ghsa="GHSA-q34m-jh98-gwm2",
        packages=("Werkzeug",),
        ecosystem="python",
        trivy_severity="MEDIUM",
        grype_severity="Medium",
        fixed="3.0.6",
        constraint=">=2.0.0rc1,<3.0.6",
        title="werkzeug: resource exhaustion when parsing file data in multipart forms",
        description=(
            "A crafted multipart/form-data body can bypass Request.max_form_memory_size in Werkzeug before "
            "3.0.6 and exhaust the memory of the worker."
        ),
        ghsa_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
        cwe=("CWE-400",),
        published="2024-10-25T20:15:04.36Z",
        modified="2025-01-03T12:31:32.11Z",
    ),
    Vuln(
        cve="CVE-2025-50181",
        ghsa="GHSA-pq67-6m6q-mj2v",
        packages=("urllib3",),
        ecosystem="python",
        trivy_severity="MEDIUM",
        grype_severity="Medium",
        fixed="2.5.0",
        constraint="<2.5.0",
        title="urllib3: redirects are not disabled when retries are disabled on PoolManager",
        description=(
            "urllib3 before 2.5.0 ignores the retries argument given when a PoolManager is created, so code that "
            "disables redirects that way still follows them, defeating SSRF and open-redirect mitigations."
        ),
        ghsa_vector="CVSS:3.1/AV:N/AC:H/PR:L/UI:N/S:U/C:H/I:N/A:N",
        cwe=("CWE-601",),
        published="2025-06-19T01:15:24.453Z",
        modified="2025-06-23T20:16:21.633Z",
    ),
    Vuln(
        cve="CVE-2024-56201",
        ghsa="GHSA-gmj6-6f8f-6699",
        packages=("Jinja2",),
        ecosystem="python",
        trivy_severity="MEDIUM",
        grype_severity="Medium",
        fixed="3.1.5",
        constraint=">=3.0.0,<3.1.5",
        title="jinja2: sandbox breakout through a crafted template file name",
        description=(
            "In Jinja 3.0.0 up to 3.1.4, an attacker who controls both the content and the file name of a "
            "template can execute arbitrary Python code through the compiler."
        ),
        published="2024-12-23T16:15:07.047Z",
        modified="2025-01-08T16:15:35.237Z",
    ),
    Vuln(
        cve="CVE-2024-56326",
        ghsa="GHSA-q2x7-8rv6-6q7h",
        packages=("Jinja2",),
        ecosystem="python",
        trivy_severity="MEDIUM",
        grype_severity="Medium",
        fixed="3.1.5",
        constraint="<3.1.5",
        title="jinja2: sandbox breakout through an indirect reference to str.format",
        description=(
            "The Jinja sandboxed environment before 3.1.5 does not catch indirect calls to str.format, so an "
            "attacker who controls a template's content can run arbitrary Python code."
        ),
        cwe=("CWE-693",),
        published="2024-12-23T16:15:07.2Z",
        modified="2025-01-08T16:15:35.4Z",
    ),
    Vuln(
        cve="CVE-2025-27516",
        ghsa="GHSA-cpwx-vrp4-4pq7",
        packages=("Jinja2",),
        ecosystem="python",
        trivy_severity="MEDIUM",
        grype_severity="Medium",
        fixed="3.1.6",
        constraint="<3.1.6",
        title="jinja2: sandbox breakout through the attr filter selecting str.format",
        description=(
            "The |attr filter of Jinja before 3.1.6 bypasses the sandboxed environment's attribute lookup, so a "
            "template author can reach a string's plain format method and execute arbitrary Python code."
        ),
        cwe=("CWE-1336",),
        published="2025-03-05T21:15:19.94Z",
        modified="2025-03-06T12:15:35.07Z",
    ),
    Vuln(
        cve="CVE-2024-12797",
        ghsa="GHSA-79v4-65xg-pq4g",
        packages=("cryptography",),
        ecosystem="python",
        trivy_severity="LOW",
        grype_severity="Low",
        fixed="44.0.1",
        constraint=">=42.0.0,<44.0.1",
        title="cryptography: wheels bundle an OpenSSL affected by the RFC 7250 raw public key issue",
        description=(
            "The wheels of cryptography 42.0.0 to 44.0.0 statically link an OpenSSL in which clients using RFC "
            "7250 raw public keys may not notice that server authentication failed."
        ),
        published="2025-02-11T16:15:38.827Z",
        modified="2025-02-18T14:15:27.107Z",
    ),
    Vuln(
        cve="CVE-2025-8869",
        ghsa="GHSA-4xh5-x5gv-qwph",
        packages=("pip",),
        ecosystem="python",
        trivy_severity="MEDIUM",
        grype_severity="Medium",
        fixed="25.3",
        constraint="<25.3",
        title="pip: fallback tar extraction does not check that symbolic links stay in the target directory",
        description=(
            "When the Python interpreter lacks the tarfile data filters of PEP 706, pip before 25.3 extracts "
            "source distributions with its own fallback code, which does not check that symbolic links point "
            "inside the extraction directory."
        ),
        cwe=("CWE-59",),
        published="2025-09-24T14:15:42.89Z",
        modified="2025-10-27T17:12:09.3Z",
    ),
    Vuln(
        cve="CVE-2025-43859",
        ghsa="GHSA-vqfr-h8mv-ghfj",
        packages=("h11",),
        ecosystem="python",
        trivy_severity="CRITICAL",
        grype_severity="Critical",
        fixed="0.16.0",
        constraint="<0.16.0",
        title="h11: accepts some malformed Chunked-Encoding bodies",
        description=(
            "h11 before 0.16.0 is lenient when parsing the line terminators of chunked bodies; combined with a "
            "proxy that is lenient in a different way this allows HTTP request smuggling."
        ),
        ghsa_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N",
        cwe=("CWE-444",),
        published="2025-04-24T19:15:47.31Z",
        modified="2025-05-01T15:42:12.96Z",
    ),
    Vuln(
        cve="CVE-2025-47278",
        ghsa="GHSA-4grg-w6v8-c28g",
        packages=("Flask",),
        ecosystem="python",
        trivy_severity="LOW",
        grype_severity="Low",
        fixed="3.1.1",
        constraint=">=3.1.0,<3.1.1",
        title="flask: signs sessions with the last fallback key instead of the current secret key",
        description=(
            "Flask 3.1.0 passes the signing keys to itsdangerous in reverse order when SECRET_KEY_FALLBACKS is "
            "set, so sessions are signed with a stale fallback key rather than the current one."
        ),
        published="2025-05-13T16:15:29.2Z",
        modified="2025-05-16T14:43:26.16Z",
    ),
)

TRIVY_VENDOR_NUMBER = {"UNKNOWN": 0, "LOW": 1, "MEDIUM": 2, "HIGH": 3, "CRITICAL": 4}


# --------------------------------------------------------------------------------------------------
# The images: each one's base image, the final stage of its Dockerfile, packages, configuration and dates.


@dataclass(frozen=True, slots=True)
class Layer:
    diff_id: str
    digest: str  # of the compressed blob
    size: int  # compressed
    uncompressed: int


def make_layer(label: str, size: int) -> Layer:
    return Layer(
        diff_id="sha256:" + fake_hex(f"{label}/diff"),
        digest="sha256:" + fake_hex(f"{label}/blob"),
        size=size,
        uncompressed=size * 3 + 512 if size > 1000 else size * 10 + 1024,
    )


def history_entry(created: str, by: str, *, empty: bool = False, comment: str = "buildkit.dockerfile.v0") -> Obj:
    entry: Obj = {"created": created, "created_by": by, "comment": comment}
    if empty:
        entry["empty_layer"] = True
    return entry


DEBIAN_ROOTFS_STEP = "# debian.sh --arch 'amd64' out/ 'bookworm' '@1762732800'"
DEBIAN_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
PYTHON_ENV = (
    "PATH=/usr/local/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG=C.UTF-8",
    "GPG_KEY=7169605F62C751356D054A26A821E680E5FA6305",
)
PYTHON_BUILD = (
    'RUN /bin/sh -c set -eux; savedAptMark="$(apt-mark showmanual)"; apt-get update; apt-get install -y '
    "--no-install-recommends dpkg-dev gcc gnupg libbluetooth-dev libbz2-dev libc6-dev libdb-dev "
    "libffi-dev libgdbm-dev liblzma-dev libncursesw5-dev libreadline-dev libsqlite3-dev libssl-dev make "
    'tk-dev uuid-dev wget xz-utils zlib1g-dev; wget -O python.tar.xz "https://www.python.org/ftp/python/'
    '${PYTHON_VERSION%%[a-z]*}/Python-$PYTHON_VERSION.tar.xz"; ./configure --enable-loadable-sqlite-'
    "extensions --enable-optimizations --enable-option-checking=fatal --enable-shared --with-lto "
    "--with-ensurepip; make -j \"$nproc\"; make install; apt-mark auto '.*' > /dev/null; apt-mark manual "
    "$savedAptMark; apt-get purge -y --auto-remove; rm -rf /var/lib/apt/lists/*; python3 --version; "
    "pip3 --version # buildkit"
)


@dataclass(frozen=True, slots=True)
class BaseImage:
    """An official Docker Hub image as resolved at a build: debian:12-slim, or python's slim image on it."""

    tag: str  # as a Dockerfile's FROM names it
    digest: str  # of its linux/amd64 manifest
    created: str
    debian: str  # /etc/debian_version
    python: str | None = None  # PYTHON_VERSION, for a python image

    @property
    def layers(self) -> tuple[Layer, ...]:
        if self.python is None:
            parts: tuple[tuple[str, int], ...] = (("rootfs", 28_236_018),)
        else:
            parts = (("rootfs", 28_231_570), ("ca", 3_511_200), ("python", 12_873_644), ("links", 250))
        return tuple(make_layer(f"base-{self.digest}/{name}", size) for name, size in parts)

    @property
    def env(self) -> tuple[str, ...]:
        return (DEBIAN_PATH,) if self.python is None else (*PYTHON_ENV, f"PYTHON_VERSION={self.python}")

    @property
    def package_url(self) -> str:
        """The base as a SLSA provenance's resolved dependency names it."""
        repository, _, tag = self.tag.partition(":")
        return f"pkg:docker/{repository}@{tag}?digest={_pct(self.digest)}&platform=linux%2Famd64"

    def history(self) -> list[Obj]:
        """The image's own OCI history: debuerreotype's rootfs, then the python image's steps."""
        b = self.created
        rootfs = history_entry(b, DEBIAN_ROOTFS_STEP, comment="debuerreotype 0.15")
        if self.python is None:
            return [rootfs]
        return [
            rootfs,
            history_entry(b, f"ENV {PYTHON_ENV[0]}", empty=True),
            history_entry(b, f"ENV {PYTHON_ENV[1]}", empty=True),
            history_entry(
                b,
                "RUN /bin/sh -c set -eux; apt-get update; apt-get install -y --no-install-recommends ca-certificates "
                "netbase tzdata ; rm -rf /var/lib/apt/lists/* # buildkit",
            ),
            history_entry(b, f"ENV {PYTHON_ENV[2]}", empty=True),
            history_entry(b, f"ENV PYTHON_VERSION={self.python}", empty=True),
            history_entry(b, PYTHON_BUILD),
            history_entry(
                b,
                'RUN /bin/sh -c set -eux; for src in idle3 pip3 pydoc3 python3 python3-config; do dst="$(echo '
                '"$src" | tr -d 3)"; [ -s "/usr/local/bin/$src" ]; [ ! -e "/usr/local/bin/$dst" ]; ln -svT '
                '"$src" "/usr/local/bin/$dst"; done # buildkit',
            ),
            history_entry(b, 'CMD ["python3"]', empty=True),
        ]


PYTHON_SLIM = "python:3.12-slim-bookworm"
# python:3.12-slim-bookworm as webapp 1.4.0, api 2.1.0 and worker 1.8.2 were built on it: the shared base.
PYTHON_BASE_NOVEMBER = BaseImage(
    tag=PYTHON_SLIM,
    digest="sha256:3b8e1f0c7d2a94e6b5f0c1d8a7e3b29f6c4d0e8a1b7f5c3e9d2a6b0f4c8e1d73",
    created="2026-11-04T21:42:17Z",
    debian="12.13",
    python="3.12.13",
)
PYTHON_BASE_SEPTEMBER = BaseImage(
    tag=PYTHON_SLIM,
    digest="sha256:d61a0c9e4b7f2d38a5e1c0b9f6d4a27e8c3b1f5d0a9e6c2b7d4f8a1e3c5b0d96",
    created="2026-09-08T19:13:40Z",
    debian="12.12",
    python="3.12.12",
)
DEBIAN_SLIM = BaseImage(
    tag="debian:12-slim",
    digest="sha256:" + fake_hex("base/debian:12-slim/2026-11-04"),
    created="2026-11-04T00:00:00Z",
    debian="12.13",
)


@dataclass(frozen=True, slots=True)
class Step:
    """One instruction of a Dockerfile's final stage: as written, as the image history records it, its layer."""

    written: str
    recorded: str
    layer: tuple[str, int] | None = None  # (what it holds, compressed size) of the layer it adds; None: no layer


APP_ENV = (
    "PYTHONDONTWRITEBYTECODE=1",
    "PYTHONUNBUFFERED=1",
    "PIP_NO_CACHE_DIR=1",
    "PIP_DISABLE_PIP_VERSION_CHECK=1",
)


def http_healthcheck(port: int) -> tuple[str, ...]:
    return (
        "python",
        "-c",
        (
            f"import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:{port}/healthz', "
            "timeout=2).status == 200 else 1)"
        ),
    )


@dataclass(frozen=True, slots=True)
class PythonApp:
    """A Python service: wheels built in a builder stage and installed over the python base, run as user app."""

    cmd: tuple[str, ...]
    port: int | None
    healthcheck: tuple[str, ...] | None  # the HEALTHCHECK command
    pip_size: int  # compressed size of the layer pip install writes
    src_size: int  # and of the application's source


@dataclass(frozen=True, slots=True)
class NginxProxy:
    """nginx from nginx.org's repository over debian:12-slim, run the way the nginx image runs it."""

    nginx: str  # the upstream version; the package is <version>-1~bookworm


@dataclass(frozen=True, slots=True)
class Pushed:
    """An image pushed to REGISTRY: its name, digest and packages, and when it was built and described."""

    name: str  # the repository, under REGISTRY
    version: str  # its tag
    label: str  # seeds its invented identifiers; webapp's, older than the other images, are its bare version
    # The manifest digest. The script rebuilds the image manifest and checks it hashes to this value, so every
    # file of an image names the same digest and an edit that changes the image fails loudly.
    digest: str
    folder: str  # its evidence, under samples/
    debs: tuple[Deb, ...]
    image_created: str
    sbom_time: str
    trivy_time: str
    grype_time: str
    db_built: str

    @property
    def repository(self) -> str:
        return f"{REGISTRY}/{self.name}"

    @property
    def tag(self) -> str:
        return f"{self.repository}:{self.version}"


@dataclass(frozen=True, slots=True)
class Release(Pushed):
    key: str  # the team key that signs it: keys/<key>.pub
    summary: str  # what it is, for the Dockerfile's first comment
    description: str  # the org.opencontainers.image.description label
    base: BaseImage
    pinned_base: bool
    app: PythonApp | NginxProxy
    pys: tuple[Py, ...]
    commit: str
    run_id: int
    build_started: str
    build_finished: str
    vex_time: str
    signed_at: str

    @property
    def source_repo(self) -> str:
        return f"{SOURCE_ORG}/{self.name}"

    @property
    def debian(self) -> str:
        return self.base.debian

    @property
    def base_digest(self) -> str:
        return self.base.digest

    @property
    def layers(self) -> tuple[Layer, ...]:
        own = tuple(make_layer(f"app-{self.label}/{s.layer[0]}", s.layer[1]) for s in final_stage(self) if s.layer)
        return self.base.layers + own


@dataclass(frozen=True, slots=True)
class Candidate(Pushed):
    """A candidate base image for `fromline bases`, with no Dockerfile: its evidence goes under samples/bases/."""

    kind: str  # distro, minimal-distro, distroless, hardened
    key: str | None  # keys/<key>.pub signs it; None: unsigned
    debian: str  # /etc/debian_version
    layer_sizes: tuple[tuple[str, int], ...]  # (what it holds, compressed size) of each layer
    steps: tuple[tuple[str, int | None], ...]  # (history created_by, index of the layer it adds or None)
    comment: str  # what the history entries and docker inspect name as the builder
    user: str
    env: tuple[str, ...]
    cmd: tuple[str, ...]
    workdir: str
    labels: tuple[tuple[str, str], ...]
    commit: str = ""
    source_repo: str = ""
    source_ref: str = ""  # the git ref its provenance names
    run_id: int = 0
    build_started: str = ""
    build_finished: str = ""
    builder: str | None = None  # the SLSA provenance's builder id; None: no provenance
    base_ref: str | None = None  # the image it is built on, repository@digest (a provenance dependency)
    attested: bool = False  # its SBOM and VEX are signed attestations (sbom.intoto.json, openvex.intoto.json)
    vex_author: str = ""
    vex_time: str = ""
    vex_claims: tuple[VexClaim, ...] = ()
    pys: tuple[Py, ...] = ()

    @property
    def reference(self) -> str:
        return f"{self.repository}@{self.digest}"

    @property
    def layers(self) -> tuple[Layer, ...]:
        # a layer named by its base image's reference is that image's, and the same in every image built on it
        return tuple(
            make_layer(name if "@" in name else f"candidate-{self.label}/{name}", size)
            for name, size in self.layer_sizes
        )


Image = Release | Candidate


def final_stage(rel: Release) -> tuple[Step, ...]:
    """The instructions after the final FROM, each as its Dockerfile line(s), its history entry and its layer."""
    app = rel.app
    if isinstance(app, NginxProxy):
        install = (
            "apt-get update",
            'apt-get install -y --no-install-recommends ca-certificates "nginx=${NGINX_VERSION}-1~bookworm"',
            "ln -sf /dev/stdout /var/log/nginx/access.log",
            "ln -sf /dev/stderr /var/log/nginx/error.log",
            "rm -rf /var/lib/apt/lists/*",
        )
        return (
            Step(f"ENV NGINX_VERSION={app.nginx}", f"ENV NGINX_VERSION={app.nginx}"),
            # nginx.org's signing key and its bookworm mainline repository (a deb822 .sources file)
            Step("COPY apt/ /etc/apt/", "COPY apt/ /etc/apt/ # buildkit", ("apt", 1_311)),
            Step(
                "RUN " + " \\\n && ".join(install),
                "RUN /bin/sh -c " + " && ".join(install) + " # buildkit",
                ("nginx", 6_204_113),
            ),
            Step(
                "COPY nginx.conf /etc/nginx/nginx.conf",
                "COPY nginx.conf /etc/nginx/nginx.conf # buildkit",
                ("conf", 2_046),
            ),
            Step("COPY conf.d/ /etc/nginx/conf.d/", "COPY conf.d/ /etc/nginx/conf.d/ # buildkit", ("sites", 1_187)),
            Step("EXPOSE 80 443", "EXPOSE map[443/tcp:{} 80/tcp:{}]"),
            Step("CMD " + json.dumps(list(app_cmd(rel))), "CMD " + json.dumps(list(app_cmd(rel)))),
        )
    user = (
        "groupadd --system --gid 10001 app",
        "useradd --system --uid 10001 --gid app --no-create-home --home-dir /app --shell /usr/sbin/nologin app",
    )
    pip = "pip install --no-index --find-links=/wheels --requirement /wheels/requirements.txt"
    steps = [
        Step("ENV " + " ".join(APP_ENV), "ENV " + " ".join(APP_ENV)),
        Step("RUN " + " \\\n && ".join(user), "RUN /bin/sh -c " + " && ".join(user) + " # buildkit", ("user", 1_822)),
        Step(
            f"RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \\\n    {pip}",
            f"RUN /bin/sh -c {pip} # buildkit",
            ("pip", app.pip_size),
        ),
        Step("WORKDIR /app", "WORKDIR /app", ("workdir", 93)),
        Step("COPY --chown=app:app src/ ./", "COPY --chown=app:app src/ ./ # buildkit", ("src", app.src_size)),
        Step("USER 10001:10001", "USER 10001:10001"),
    ]
    if app.port is not None:
        steps.append(Step(f"EXPOSE {app.port}", f"EXPOSE map[{app.port}/tcp:{{}}]"))
    if app.healthcheck is not None:
        test = " ".join(json.dumps(part) for part in ("CMD", *app.healthcheck))
        steps.append(
            Step(
                "HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \\\n"
                f"    CMD {json.dumps(list(app.healthcheck))}",
                f'HEALTHCHECK &{{[{test}] "30s" "3s" "10s" "0s" \'\\x03\'}}',
            )
        )
    steps.append(Step("CMD " + json.dumps(list(app.cmd)), "CMD " + json.dumps(list(app.cmd))))
    return tuple(steps)


def app_cmd(rel: Image) -> tuple[str, ...]:
    if isinstance(rel, Candidate):
        return rel.cmd
    return ("nginx", "-g", "daemon off;") if isinstance(rel.app, NginxProxy) else rel.app.cmd


def app_user(rel: Image) -> str:
    """The USER of the final stage; the proxy has none: nginx's master process starts as root to bind 80 and 443."""
    if isinstance(rel, Candidate):
        return rel.user
    return "" if isinstance(rel.app, NginxProxy) else "10001:10001"


def app_workdir(rel: Image) -> str:
    if isinstance(rel, Candidate):
        return rel.workdir
    return "" if isinstance(rel.app, NginxProxy) else "/app"


def exposed_ports(rel: Image) -> dict[str, Obj]:
    """As Go marshals the map: by key."""
    if isinstance(rel, Candidate):
        return {}
    if isinstance(rel.app, NginxProxy):
        ports = ["80/tcp", "443/tcp"]
    else:
        ports = [] if rel.app.port is None else [f"{rel.app.port}/tcp"]
    return {port: {} for port in sorted(ports)}


def app_healthcheck(rel: Image) -> tuple[str, ...] | None:
    if isinstance(rel, Candidate):
        return None
    return None if isinstance(rel.app, NginxProxy) else rel.app.healthcheck


def env(rel: Image) -> list[str]:
    if isinstance(rel, Candidate):
        return list(rel.env)
    own = (f"NGINX_VERSION={rel.app.nginx}",) if isinstance(rel.app, NginxProxy) else APP_ENV
    return [*rel.base.env, *own]


def release(name: str, version: str, **fields: Any) -> Release:
    label = version if name == "webapp" else f"{name}-{version}"
    folder = f"webapp-{version}" if name == "webapp" else f"boundary/{name}-{version}"
    return Release(
        name=name, version=version, label=label, folder=folder, commit=fake_hex(f"commit/{label}", 40), **fields
    )


WEBAPP_SUMMARY = "Flask application served by gunicorn"
WEBAPP_DESCRIPTION = "Example web application used by the Fromline demo"
WEBAPP = PythonApp(
    cmd=("gunicorn", "--config", "/app/gunicorn.conf.py", "webapp.wsgi:app"),
    port=8080,
    healthcheck=http_healthcheck(8080),
    pip_size=15_904_331,
    src_size=48_207,
)
NOVEMBER_DEBS = deb_packages("12.4+deb12u13", "2026a-0+deb12u1", python_slim_layer)
# Scanned in the same nightly run as webapp 1.4.0, with the same databases: a finding they share was first
# detected on the same day in each, so the boundary's POA&M lists it once, for all of them.
NIGHTLY = {"db_built": "2026-11-19T04:09:51Z"}

RELEASES = (
    release(
        "webapp",
        "1.4.0",
        digest="sha256:443eebbdc163dfdc0d40e185574019e4bfbe4eac2b13b7257d91f53c990ff80f",
        key="webapp",
        summary=WEBAPP_SUMMARY,
        description=WEBAPP_DESCRIPTION,
        base=PYTHON_BASE_NOVEMBER,
        pinned_base=True,
        app=WEBAPP,
        debs=NOVEMBER_DEBS,
        pys=PY_140,
        run_id=19427361058,
        build_started="2026-11-18T14:02:11Z",
        image_created="2026-11-18T14:07:58.311849207Z",
        build_finished="2026-11-18T14:09:40Z",
        sbom_time="2026-11-18T14:10:21+00:00",
        trivy_time="2026-11-19T07:45:02.384915766Z",
        grype_time="2026-11-19T07:46:10.902114235Z",
        vex_time="2026-11-19T16:28:44.501920117+01:00",
        signed_at="2026-11-18T14:10:05Z",
        **NIGHTLY,
    ),
    release(
        "webapp",
        "1.3.0",
        digest="sha256:adb5eac6b82b1e9257d3b0117f01b4f7116ad6bfad4cbaa88cdca942fd9a339b",
        key="webapp",
        summary=WEBAPP_SUMMARY,
        description=WEBAPP_DESCRIPTION,
        base=PYTHON_BASE_SEPTEMBER,
        pinned_base=False,
        app=dataclasses.replace(WEBAPP, healthcheck=None),
        debs=deb_packages("12.4+deb12u12", "2025b-0+deb12u1", python_slim_layer),
        pys=PY_130,
        run_id=17762039914,
        build_started="2026-09-15T09:12:03Z",
        image_created="2026-09-15T09:16:55.068213417Z",
        build_finished="2026-09-15T09:18:47Z",
        sbom_time="2026-09-15T09:19:30+00:00",
        trivy_time="2026-09-15T09:20:11.627403912Z",
        grype_time="2026-09-15T09:20:48.114072561Z",
        db_built="2026-09-15T04:11:26Z",
        vex_time="2026-09-16T11:05:12.730551204+02:00",
        signed_at="2026-09-15T09:18:55Z",
    ),
    release(
        "api",
        "2.1.0",
        digest="sha256:96bd8a0b54aaee200d6dcd97d2ef70f4ce924ee4e4055801f4df00a7189c3ccc",
        key="backend",
        summary="JSON API for the web front end, a Flask application served by gunicorn",
        description="Example JSON API used by the Fromline demo",
        base=PYTHON_BASE_NOVEMBER,
        pinned_base=True,
        app=PythonApp(
            cmd=("gunicorn", "--config", "/app/gunicorn.conf.py", "api.wsgi:app"),
            port=8000,
            healthcheck=http_healthcheck(8000),
            pip_size=17_382_905,
            src_size=61_734,
        ),
        debs=NOVEMBER_DEBS,
        pys=PY_API,
        run_id=19385120447,
        build_started="2026-11-17T10:21:36Z",
        image_created="2026-11-17T10:26:02.904417731Z",
        build_finished="2026-11-17T10:27:49Z",
        sbom_time="2026-11-17T10:28:30+00:00",
        trivy_time="2026-11-19T07:47:18.220541093Z",
        grype_time="2026-11-19T07:48:01.617309852Z",
        vex_time="",
        signed_at="2026-11-17T10:28:11Z",
        **NIGHTLY,
    ),
    release(
        "worker",
        "1.8.2",
        digest="sha256:b116456b39e730c0298a2e447475dec7b5efa9023063d9ae5154eafafeda59ee",
        key="backend",
        summary="background jobs of the API, a Celery worker",
        description="Example Celery worker used by the Fromline demo",
        base=PYTHON_BASE_NOVEMBER,
        pinned_base=True,
        app=PythonApp(
            cmd=("celery", "--app", "worker.tasks", "worker", "--loglevel", "INFO", "--concurrency", "4"),
            port=None,
            healthcheck=("celery", "--app", "worker.tasks", "inspect", "ping", "--timeout", "2"),
            pip_size=21_640_388,
            src_size=27_915,
        ),
        debs=NOVEMBER_DEBS,
        pys=PY_WORKER,
        run_id=19311872203,
        build_started="2026-11-12T16:40:05Z",
        image_created="2026-11-12T16:44:51.380264119Z",
        build_finished="2026-11-12T16:46:22Z",
        sbom_time="2026-11-12T16:47:03+00:00",
        trivy_time="2026-11-19T07:48:40.051827664Z",
        grype_time="2026-11-19T07:49:22.773916405Z",
        vex_time="",
        signed_at="2026-11-12T16:46:31Z",
        **NIGHTLY,
    ),
    release(
        "proxy",
        "3.2.0",
        digest="sha256:73815e8ec1cafd42526e9005ae59e8c4fcf59313fbbbf363127f7859b7cd89bd",
        key="platform",
        summary="nginx from nginx.org, the TLS-terminating reverse proxy in front of webapp and api",
        description="Example reverse proxy used by the Fromline demo",
        base=DEBIAN_SLIM,
        pinned_base=True,
        app=NginxProxy(nginx="1.27.5"),
        debs=deb_packages("12.4+deb12u13", "2026a-0+deb12u1", proxy_layer),
        pys=(),
        run_id=19402265871,
        build_started="2026-11-17T15:03:44Z",
        image_created="2026-11-17T15:05:12.518730246Z",
        build_finished="2026-11-17T15:05:58Z",
        sbom_time="2026-11-17T15:06:37+00:00",
        trivy_time="2026-11-19T07:49:55.409126587Z",
        grype_time="2026-11-19T07:50:31.862405917Z",
        vex_time="",
        signed_at="2026-11-17T15:06:12Z",
        **NIGHTLY,
    ),
)


def labels(rel: Image) -> dict[str, str]:
    if isinstance(rel, Candidate):
        return dict(sorted(rel.labels))
    out = {
        "org.opencontainers.image.base.name": f"docker.io/library/{rel.base.tag}",
        "org.opencontainers.image.created": rel.image_created[:19] + "Z",
        "org.opencontainers.image.description": rel.description,
        "org.opencontainers.image.licenses": "Apache-2.0",
        "org.opencontainers.image.revision": rel.commit,
        "org.opencontainers.image.source": rel.source_repo,
        "org.opencontainers.image.title": rel.name,
        "org.opencontainers.image.version": rel.version,
    }
    if rel.pinned_base:
        out["org.opencontainers.image.base.digest"] = rel.base_digest
    return dict(sorted(out.items()))


def healthcheck_obj(command: tuple[str, ...]) -> Obj:
    return {
        "Test": ["CMD", *command],
        "Interval": 30_000_000_000,
        "Timeout": 3_000_000_000,
        "StartPeriod": 10_000_000_000,
        "Retries": 3,
    }


def history(rel: Image) -> list[Obj]:
    """The OCI history: the base image's steps, then the Dockerfile's final stage."""
    if isinstance(rel, Candidate):
        return [history_entry(rel.image_created, by, empty=size is None, comment=rel.comment) for by, size in rel.steps]
    own = [history_entry(rel.image_created, s.recorded, empty=s.layer is None) for s in final_stage(rel)]
    return rel.base.history() + own


def image_config(rel: Image) -> Obj:
    """The OCI image configuration blob, as BuildKit writes it (empty fields left out)."""
    config: Obj = {}
    if user := app_user(rel):
        config["User"] = user
    if ports := exposed_ports(rel):
        config["ExposedPorts"] = ports
    config["Env"] = env(rel)
    if cmd := app_cmd(rel):
        config["Cmd"] = list(cmd)
    if workdir := app_workdir(rel):
        config["WorkingDir"] = workdir
    if tags := labels(rel):
        config["Labels"] = tags
    if command := app_healthcheck(rel):
        config["Healthcheck"] = healthcheck_obj(command)
    return {
        "architecture": "amd64",
        "config": config,
        "created": rel.image_created,
        "history": history(rel),
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [layer.diff_id for layer in rel.layers]},
    }


def config_bytes(rel: Image) -> bytes:
    return go_json(image_config(rel), indent=None, escape_html=False).encode()


def image_id(rel: Image) -> str:
    return sha256_of(config_bytes(rel))


def manifest_bytes(rel: Image) -> bytes:
    cfg = config_bytes(rel)
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha256_of(cfg), "size": len(cfg)},
        "layers": [
            {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer.digest, "size": layer.size}
            for layer in rel.layers
        ],
    }
    return go_json(manifest, indent=2, escape_html=False).encode()


def check_digest(rel: Image) -> None:
    computed = sha256_of(manifest_bytes(rel))
    if computed != rel.digest:
        raise SystemExit(
            f"{rel.name} {rel.version}: the image manifest now hashes to {computed}, not {rel.digest}; "
            "update its digest in RELEASES (every file of the release names it)"
        )


def layer_of(rel: Image, index: int) -> Layer:
    return rel.layers[index]


# --------------------------------------------------------------------------------------------------
# Facts about one package, shared by the writers.


@dataclass(frozen=True, slots=True)
class Pkg:
    name: str
    version: str
    ecosystem: str  # "deb" or "python"
    layer: Layer
    trivy_purl: str
    syft_purl: str
    licenses: tuple[str, ...]
    source: str
    source_version: str
    path: str  # where the package database entry lives, relative to /


def packages(rel: Image) -> dict[str, Pkg]:
    out: dict[str, Pkg] = {}
    for d in rel.debs:
        out[d.name] = Pkg(
            name=d.name,
            version=d.version,
            ecosystem="deb",
            layer=layer_of(rel, d.layer),
            trivy_purl=trivy_deb_purl(d.name, d.version, d.arch, rel.debian),
            syft_purl=syft_deb_purl(d.name, d.version, d.arch, d.source),
            licenses=d.licenses,
            source=d.source,
            source_version=d.source_version,
            path="var/lib/dpkg/status",
        )
    for p in rel.pys:
        purl = pypi_purl(p.name, p.version)
        out[p.name] = Pkg(
            name=p.name,
            version=p.version,
            ecosystem="python",
            layer=layer_of(rel, p.layer),
            trivy_purl=purl,
            syft_purl=purl,
            licenses=(p.license,),
            source=p.name,
            source_version=p.version,
            path=f"{PY_SITE}/{p.dist}.dist-info/METADATA",
        )
    return out


def release_vulns(rel: Image) -> list[tuple[Vuln, Pkg]]:
    pkgs = packages(rel)
    return [(v, pkgs[name]) for v in VULNS for name in v.packages if name in pkgs and affects(v, pkgs[name])]


def affects(v: Vuln, pkg: Pkg) -> bool:
    if v.ecosystem != pkg.ecosystem:
        return False
    if v.ecosystem == "deb":
        return v.fixed is None or dpkg_compare(pkg.version, v.fixed) < 0
    return SpecifierSet(v.constraint).contains(Version(pkg.version), prereleases=True)


def _dpkg_order(text: str, i: int) -> int:
    """The weight dpkg gives a non-digit character: "~" sorts before everything, even the end of the string."""
    if i >= len(text) or text[i].isdigit():
        return 0
    char = text[i]
    if char.isalpha():
        return ord(char)
    return -1 if char == "~" else ord(char) + 256


def _dpkg_part(a: str, b: str) -> int:
    """dpkg's comparison of two upstream versions or two revisions."""
    i = j = 0
    while i < len(a) or j < len(b):
        while (i < len(a) and not a[i].isdigit()) or (j < len(b) and not b[j].isdigit()):
            diff = _dpkg_order(a, i) - _dpkg_order(b, j)
            if diff:
                return diff
            i, j = i + 1, j + 1
        start_a, start_b = i, j
        while i < len(a) and a[i].isdigit():
            i += 1
        while j < len(b) and b[j].isdigit():
            j += 1
        diff = int(a[start_a:i] or "0") - int(b[start_b:j] or "0")
        if diff:
            return diff
    return 0


def dpkg_compare(a: str, b: str) -> int:
    """Negative, zero or positive as Debian version a sorts before, with or after b."""
    (epoch_a, rest_a), (epoch_b, rest_b) = split_epoch(a), split_epoch(b)
    if int(epoch_a or 0) != int(epoch_b or 0):
        return int(epoch_a or 0) - int(epoch_b or 0)
    up_a, _, rev_a = rest_a.rpartition("-") if "-" in rest_a else (rest_a, "", "")
    up_b, _, rev_b = rest_b.rpartition("-") if "-" in rest_b else (rest_b, "", "")
    return _dpkg_part(up_a, up_b) or _dpkg_part(rev_a, rev_b)


# --------------------------------------------------------------------------------------------------
# sbom.cdx.json: trivy image --format cyclonedx (CycloneDX 1.5).


def prop(name: str, value: str) -> Obj:
    return {"name": f"aquasecurity:trivy:{name}", "value": value}


def cdx_licenses(names: tuple[str, ...]) -> list[Obj]:
    return [{"expression": n} if " OR " in n else {"license": {"name": n}} for n in names]


def deb_source_props(pkg: Pkg) -> list[Obj]:
    epoch, bare = split_epoch(pkg.source_version)
    upstream, sep, revision = bare.rpartition("-")
    props = [prop("SrcEpoch", epoch)] if epoch else []
    props.append(prop("SrcName", pkg.source))
    if sep:
        props += [prop("SrcRelease", revision), prop("SrcVersion", upstream)]
    else:
        props.append(prop("SrcVersion", bare))
    return props


def cdx_component(pkg: Pkg) -> Obj:
    comp: Obj = {"bom-ref": pkg.trivy_purl, "type": "library", "name": pkg.name, "version": pkg.version}
    comp["licenses"] = cdx_licenses(pkg.licenses)
    comp["purl"] = pkg.trivy_purl
    layer = [prop("LayerDiffID", pkg.layer.diff_id), prop("LayerDigest", pkg.layer.digest)]
    if pkg.ecosystem == "deb":
        props = [*layer, prop("PkgID", f"{pkg.name}@{pkg.version}"), prop("PkgType", "debian")]
        props += deb_source_props(pkg)
    else:
        props = [prop("FilePath", pkg.path), *layer, prop("PkgType", "python-pkg")]
    comp["properties"] = props
    return comp


def sbom(rel: Image) -> Obj:
    pkgs = packages(rel)
    root_ref = image_purl(rel)
    os_ref = str(uuid.UUID(fake_hex(f"cdx-os/{rel.label}", 32), version=4))
    root_props = [prop("DiffID", layer.diff_id) for layer in sorted(rel.layers, key=lambda la: la.diff_id)]
    root_props += [
        prop("ImageID", image_id(rel)),
        prop("RepoDigest", f"{rel.repository}@{rel.digest}"),
        prop("RepoTag", rel.tag),
        prop("SchemaVersion", "2"),
    ]
    os_comp: Obj = {
        "bom-ref": os_ref,
        "type": "operating-system",
        "name": "debian",
        "version": rel.debian,
        "properties": [prop("Class", "os-pkgs"), prop("Type", "debian")],
    }
    libraries = sorted((cdx_component(p) for p in pkgs.values()), key=lambda c: str(c["bom-ref"]))
    debs = [p for p in pkgs.values() if p.ecosystem == "deb"]
    pys = [p for p in pkgs.values() if p.ecosystem == "python"]
    deb_by_name = {d.name: pkgs[d.name].trivy_purl for d in rel.debs}
    deps = [
        {"ref": root_ref, "dependsOn": sorted([os_ref, *(p.trivy_purl for p in pys)])},
        {"ref": os_ref, "dependsOn": sorted(p.trivy_purl for p in debs)},
    ]
    deps += [{"ref": deb_by_name[d.name], "dependsOn": sorted(deb_by_name[x] for x in d.depends)} for d in rel.debs]
    deps += [{"ref": p.trivy_purl, "dependsOn": []} for p in pys]
    return {
        "$schema": "http://cyclonedx.org/schema/bom-1.5.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": f"urn:uuid:{uuid.UUID(fake_hex(f'cdx-serial/{rel.label}', 32), version=4)}",
        "version": 1,
        "metadata": {
            "timestamp": rel.sbom_time,
            "tools": {
                "components": [
                    {"type": "application", "group": "aquasecurity", "name": "trivy", "version": TRIVY_VERSION}
                ]
            },
            "component": {
                "bom-ref": root_ref,
                "type": "container",
                "name": rel.tag,
                "version": rel.digest,
                "purl": root_ref,
                "properties": root_props,
            },
        },
        "components": [os_comp, *libraries],
        "dependencies": sorted(deps, key=lambda d: str(d["ref"])),
        "vulnerabilities": [],
    }


# --------------------------------------------------------------------------------------------------
# trivy.json: trivy image --format json (schema version 2).


def nvd_url(cve: str) -> str:
    return f"https://nvd.nist.gov/vuln/detail/{cve}"


def references(v: Vuln) -> list[str]:
    if v.ecosystem == "deb":
        return [f"https://security-tracker.debian.org/tracker/{v.cve}", f"https://www.cve.org/CVERecord?id={v.cve}"]
    return [f"https://github.com/advisories/{v.ghsa}", nvd_url(v.cve), f"https://www.cve.org/CVERecord?id={v.cve}"]


def trivy_cvss(v: Vuln) -> Obj:
    out: Obj = {}
    for source, vector in (("ghsa", v.ghsa_vector), ("nvd", v.nvd_vector)):
        if vector:
            score = cvss3(vector)
            out[source] = {"V3Vector": vector, "V3Score": score.base}
    return out


def trivy_vendor_severity(v: Vuln) -> Obj:
    out: Obj = {}
    if v.ecosystem == "deb" and v.severity_source == "debian":
        out["debian"] = 1
    if v.ecosystem == "python":
        out["ghsa"] = TRIVY_VENDOR_NUMBER[v.trivy_severity]
    if v.nvd_vector:
        out["nvd"] = TRIVY_VENDOR_NUMBER[severity_of_score(cvss3(v.nvd_vector).base).upper()]
    return out


def trivy_vuln(v: Vuln, pkg: Pkg) -> Obj:
    temp = v.cve.startswith("TEMP-")
    entry: Obj = {"VulnerabilityID": v.cve, "PkgID": f"{pkg.name}@{pkg.version}", "PkgName": pkg.name}
    if pkg.ecosystem == "python":
        entry["PkgPath"] = pkg.path
    entry["PkgIdentifier"] = {"PURL": pkg.trivy_purl, "UID": fake_hex(f"uid/{pkg.trivy_purl}", 16)}
    entry["InstalledVersion"] = pkg.version
    if v.fixed:
        entry["FixedVersion"] = v.fixed
    entry["Status"] = v.status
    entry["Layer"] = {"Digest": pkg.layer.digest, "DiffID": pkg.layer.diff_id}
    entry["SeveritySource"] = v.severity_source
    if temp:
        entry["PrimaryURL"] = f"https://security-tracker.debian.org/tracker/{v.cve}"
    else:
        entry["PrimaryURL"] = f"https://avd.aquasec.com/nvd/{v.cve.lower()}"
    if v.ecosystem == "deb":
        entry["DataSource"] = {
            "ID": "debian",
            "Name": "Debian Security Tracker",
            "URL": "https://salsa.debian.org/security-tracker-team/security-tracker",
        }
    else:
        entry["DataSource"] = {
            "ID": "ghsa",
            "Name": "GitHub Security Advisory pip",
            "URL": "https://github.com/advisories?query=type%3Areviewed+ecosystem%3Apip",
        }
    entry["Title"] = v.title
    if v.description:
        entry["Description"] = v.description
    entry["Severity"] = v.trivy_severity
    if v.cwe:
        entry["CweIDs"] = list(v.cwe)
    entry["VendorSeverity"] = trivy_vendor_severity(v)
    if cvss := trivy_cvss(v):
        entry["CVSS"] = cvss
    if not temp:
        entry["References"] = references(v)
        entry["PublishedDate"] = v.published
        if v.modified:
            entry["LastModifiedDate"] = v.modified
    return entry


def trivy_sort_key(entry: Obj) -> tuple[str, str, int, str]:
    rank = -TRIVY_VENDOR_NUMBER[str(entry["Severity"])]
    return (str(entry["PkgName"]), str(entry["InstalledVersion"]), rank, str(entry["VulnerabilityID"]))


def trivy_image_config(rel: Image) -> Obj:
    """go-containerregistry's ConfigFile, which orders its fields differently from BuildKit."""
    oci = image_config(rel)
    src = oci["config"]
    config: Obj = {key: src[key] for key in ("Cmd", "Healthcheck", "Env", "Labels") if key in src}
    config |= {key: src[key] for key in ("User", "WorkingDir", "ExposedPorts") if key in src}
    return {
        "architecture": oci["architecture"],
        "created": oci["created"],
        "history": oci["history"],
        "os": oci["os"],
        "rootfs": oci["rootfs"],
        "config": config,
    }


def trivy_report(rel: Image) -> Obj:
    found = release_vulns(rel)
    os_vulns = sorted((trivy_vuln(v, p) for v, p in found if v.ecosystem == "deb"), key=trivy_sort_key)
    py_vulns = sorted((trivy_vuln(v, p) for v, p in found if v.ecosystem == "python"), key=trivy_sort_key)
    results: list[Obj] = [
        {
            "Target": f"{rel.tag} (debian {rel.debian})",
            "Class": "os-pkgs",
            "Type": "debian",
            "Vulnerabilities": os_vulns,
        }
    ]
    if rel.pys:  # trivy reports a language only when it found packages of it
        results.append({"Target": "Python", "Class": "lang-pkgs", "Type": "python-pkg", "Vulnerabilities": py_vulns})
    return {
        "SchemaVersion": 2,
        "CreatedAt": rel.trivy_time,
        "ArtifactName": rel.tag,
        "ArtifactType": "container_image",
        "Metadata": {
            "Size": sum(layer.uncompressed for layer in rel.layers),
            "OS": {"Family": "debian", "Name": rel.debian},
            "ImageID": image_id(rel),
            "DiffIDs": [layer.diff_id for layer in rel.layers],
            "RepoTags": [rel.tag],
            "RepoDigests": [f"{rel.repository}@{rel.digest}"],
            "ImageConfig": trivy_image_config(rel),
            "Layers": [
                {"Size": layer.uncompressed, "Digest": layer.digest, "DiffID": layer.diff_id} for layer in rel.layers
            ],
        },
        "Results": results,
    }


# --------------------------------------------------------------------------------------------------
# grype.json: grype <image> -o json.

GRYPE_RANK = {"Critical": 5, "High": 4, "Medium": 3, "Low": 2, "Negligible": 1, "Unknown": 0}


def grype_cvss(vector: str, source: str | None, kind: str | None) -> Obj:
    score = cvss3(vector)
    entry: Obj = {}
    if source:
        entry |= {"source": source, "type": kind}
    entry |= {
        "version": score.version,
        "vector": vector,
        "metrics": {
            "baseScore": score.base,
            "exploitabilityScore": score.exploitability,
            "impactScore": score.impact,
        },
        "vendorMetadata": {},
    }
    return entry


def grype_related(v: Vuln) -> Obj:
    cvss = []
    severity = v.grype_severity or "Unknown"
    if v.nvd_vector:
        cvss.append(grype_cvss(v.nvd_vector, "nvd@nist.gov", "Primary"))
        severity = severity_of_score(cvss3(v.nvd_vector).base)
    elif v.ghsa_vector:
        cvss.append(grype_cvss(v.ghsa_vector, "security-advisories@github.com", "Secondary"))
        severity = severity_of_score(cvss3(v.ghsa_vector).base)
    return {
        "id": v.cve,
        "dataSource": nvd_url(v.cve),
        "namespace": "nvd:cpe",
        "severity": severity,
        "urls": references(v),
        "description": v.description,
        "cvss": cvss,
    }


def grype_cpe(pkg: Pkg) -> str:
    version = pkg.version.replace(":", "\\:")
    if pkg.ecosystem == "python":
        vendor = pkg.name.lower().replace("-", "_")
        return f"cpe:2.3:a:{vendor}:{pkg.name.lower()}:{version}:*:*:*:*:python:*:*"
    return f"cpe:2.3:a:{pkg.name}:{pkg.name}:{version}:*:*:*:*:*:*:*"


def grype_artifact(pkg: Pkg) -> Obj:
    def location(path: str, evidence: str) -> Obj:
        return {
            "path": path,
            "layerID": pkg.layer.diff_id,
            "accessPath": path,
            "annotations": {"evidence": evidence},
        }

    if pkg.ecosystem == "deb":
        locations = [
            location("/var/lib/dpkg/status", "primary"),
            location(f"/usr/share/doc/{pkg.name}/copyright", "supporting"),
        ]
        upstreams = [] if pkg.source == pkg.name else [{"name": pkg.source}]
    else:
        locations = [
            location("/" + pkg.path, "primary"),
            location("/" + pkg.path.removesuffix("METADATA") + "RECORD", "supporting"),
        ]
        upstreams = []
    return {
        "id": fake_hex(f"grype-artifact/{pkg.syft_purl}", 16),
        "name": pkg.name,
        "version": pkg.version,
        "type": "deb" if pkg.ecosystem == "deb" else "python",
        "locations": locations,
        "language": "" if pkg.ecosystem == "deb" else "python",
        "licenses": list(pkg.licenses),
        "cpes": [grype_cpe(pkg)],
        "purl": pkg.syft_purl,
        "upstreams": upstreams,
    }


def deb_fix(v: Vuln) -> Obj:
    if v.fixed:
        return {"versions": [v.fixed], "state": "fixed"}
    return {"versions": [], "state": "wont-fix" if v.status == "will_not_fix" else "not-fixed"}


def grype_match(v: Vuln, pkg: Pkg) -> Obj:
    if v.ecosystem == "deb":
        vuln: Obj = {
            "id": v.cve,
            "dataSource": f"https://security-tracker.debian.org/tracker/{v.cve}",
            "namespace": "debian:distro:debian:12",
            "severity": v.grype_severity,
            "urls": [f"https://security-tracker.debian.org/tracker/{v.cve}"],
            "cvss": [],
            "fix": deb_fix(v),
            "advisories": [],
            "risk": 0.0,
        }
        detail: Obj = {
            "type": "exact-direct-match" if pkg.source == pkg.name else "exact-indirect-match",
            "matcher": "dpkg-matcher",
            "searchedBy": {
                "distro": {"type": "debian", "version": "12"},
                "namespace": "debian:distro:debian:12",
                "package": {"name": pkg.source, "version": pkg.source_version},
            },
            "found": {"vulnerabilityID": v.cve, "versionConstraint": f"< {v.fixed} (deb)" if v.fixed else "none (deb)"},
        }
        if v.fixed:
            detail["fix"] = {"suggestedVersion": v.fixed}
    else:
        vuln = {
            "id": v.ghsa,
            "dataSource": f"https://github.com/advisories/{v.ghsa}",
            "namespace": "github:language:python",
            "severity": v.grype_severity,
            "urls": [f"https://github.com/advisories/{v.ghsa}"],
            "description": v.title.split(": ", 1)[1],
            "cvss": [grype_cvss(v.ghsa_vector, None, None)] if v.ghsa_vector else [],
            "fix": {"versions": [v.fixed], "state": "fixed"},
            "advisories": [],
            "risk": 0.0,
        }
        detail = {
            "type": "exact-direct-match",
            "matcher": "python-matcher",
            "searchedBy": {
                "language": "python",
                "namespace": "github:language:python",
                "package": {"name": pkg.name, "version": pkg.version},
            },
            "found": {"vulnerabilityID": v.ghsa, "versionConstraint": f"{v.constraint} (python)"},
            "fix": {"suggestedVersion": v.fixed},
        }
    return {
        "vulnerability": vuln,
        "relatedVulnerabilities": [grype_related(v)],
        "matchDetails": [detail],
        "artifact": grype_artifact(pkg),
    }


GRYPE_IGNORE_DEFAULTS = (
    ("kernel-headers", "rpm", "kernel"),
    ("linux(-.*)?-headers-.*", "deb", "linux.*"),
    ("linux-libc-dev", "deb", "linux"),
)


def grype_configuration() -> Obj:
    ignore = [
        {
            "vulnerability": "",
            "reason": "",
            "namespace": "",
            "fix-state": "",
            "package": {
                "name": name,
                "version": "",
                "language": "",
                "type": kind,
                "location": "",
                "upstream-name": upstream,
            },
            "vex-status": "",
            "vex-justification": "",
            "match-type": "exact-indirect-match",
        }
        for name, kind, upstream in GRYPE_IGNORE_DEFAULTS
    ]
    langs = ("java", "jvm", "dotnet", "golang", "javascript", "python", "ruby", "rust", "stock")
    match: Obj = {lang: {"using-cpes": lang in {"jvm", "stock"}} for lang in langs}
    match["golang"] |= {"always-use-cpe-for-stdlib": True, "allow-main-module-pseudo-version-comparison": False}
    return {
        "output": ["json"],
        "file": "grype.json",
        "pretty": True,
        "distro": "",
        "add-cpes-if-none": False,
        "output-template-file": "",
        "check-for-app-update": False,
        "only-fixed": False,
        "only-notfixed": False,
        "ignore-wontfix": "",
        "platform": "",
        "search": {"scope": "squashed", "unindexed-archives": False, "indexed-archives": True},
        "ignore": ignore,
        "exclude": [],
        "externalSources": {
            "enable": False,
            "maven": {
                "searchUpstreamBySha1": True,
                "baseUrl": "https://search.maven.org/solrsearch/select",
                "rateLimit": 300000000,
            },
        },
        "match": match,
        "fail-on-severity": "",
        "registry": {"insecure-skip-tls-verify": False, "insecure-use-http": False, "auth": None, "ca-cert": ""},
        "show-suppressed": False,
        "by-cve": False,
        "SortBy": {"sort-by": "risk"},
        "name": "",
        "default-image-pull-source": "",
        "vex-documents": [],
        "vex-add": [],
        "match-upstream-kernel-headers": False,
        "db": {
            "cache-dir": "/root/.cache/grype/db",
            "update-url": "https://grype.anchore.io/databases",
            "ca-cert": "",
            "auto-update": True,
            "validate-by-hash-on-start": True,
            "validate-age": True,
            "max-allowed-built-age": 432000000000000,
            "require-update-check": False,
            "update-available-timeout": 30000000000,
            "update-download-timeout": 300000000000,
            "max-update-check-frequency": 7200000000000,
        },
        "exp": {},
        "dev": {"db": {"debug": False}},
    }


def grype_db(rel: Image) -> Obj:
    day = rel.db_built[:10]
    providers = {
        name: {"captured": f"{day}T01:{31 + i}:{(17 * i) % 60:02d}Z", "input": "xxh64:" + fake_hex(f"{day}/{name}", 16)}
        for i, name in enumerate(("debian", "epss", "github", "kev", "nvd"))
    }
    return {
        "status": {
            "schemaVersion": "v6.1.2",
            "from": "https://grype.anchore.io/databases/v6/vulnerability-db_v6.1.2_"
            f"{day}T01:31:00Z_{1_700_000_000 + int(day.replace('-', '')) % 97_000_000}.tar.zst"
            f"?checksum=sha256%3A{fake_hex(f'grype-db/{day}')}",
            "built": rel.db_built,
            "path": "/root/.cache/grype/db/6/vulnerability.db",
            "valid": True,
        },
        "providers": providers,
    }


def grype_report(rel: Image) -> Obj:
    found = [(v, p) for v, p in release_vulns(rel) if v.grype_severity]
    matches = [grype_match(v, p) for v, p in found]
    matches.sort(
        key=lambda m: (
            -GRYPE_RANK[str(m["vulnerability"]["severity"])],
            str(m["vulnerability"]["id"]),
            str(m["artifact"]["name"]),
        )
    )
    return {
        "matches": matches,
        "source": {
            "type": "image",
            "target": {
                "userInput": rel.tag,
                "imageID": image_id(rel),
                "manifestDigest": rel.digest,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "tags": [rel.tag],
                "imageSize": sum(layer.uncompressed for layer in rel.layers),
                "layers": [
                    {
                        "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                        "digest": layer.diff_id,
                        "size": layer.uncompressed,
                    }
                    for layer in rel.layers
                ],
                "manifest": base64.b64encode(manifest_bytes(rel)).decode(),
                "config": base64.b64encode(config_bytes(rel)).decode(),
                "repoDigests": [f"{rel.repository}@{rel.digest}"],
                "architecture": "amd64",
                "os": "linux",
            },
        },
        "distro": {"name": "debian", "version": "12", "idLike": None},
        "descriptor": {
            "name": "grype",
            "version": GRYPE_VERSION,
            "configuration": grype_configuration(),
            "db": grype_db(rel),
            "timestamp": rel.grype_time,
        },
    }


# --------------------------------------------------------------------------------------------------
# openvex.json: an OpenVEX 0.2.0 document as vexctl writes it.


@dataclass(frozen=True, slots=True)
class VexClaim:
    cve: str
    packages: tuple[str, ...]
    status: str
    justification: str | None = None
    impact: str | None = None
    action: str | None = None


VEX_CLAIMS = {
    "webapp-1.4.0": (
        VexClaim(
            "CVE-2025-47273",
            ("setuptools",),
            "not_affected",
            "vulnerable_code_not_in_execute_path",
            impact="setuptools is installed only as an install-time requirement; webapp never imports "
            "setuptools.package_index, so PackageIndex.download is never called at run time.",
        ),
        VexClaim(
            "CVE-2023-45853",
            ("zlib1g",),
            "not_affected",
            "vulnerable_code_not_present",
            impact="The vulnerable MiniZip code (contrib/minizip) is not built into Debian's zlib1g; it ships only "
            "in libminizip1, which the image does not contain.",
        ),
        VexClaim(
            "CVE-2025-43859",
            ("h11",),
            "affected",
            action="Upgrade httpcore to 1.0.9 and h11 to 0.16.0 in webapp 1.4.1. Until then httpx is used only for "
            "outbound calls to the internal pricing service; inbound HTTP is parsed by gunicorn, not h11.",
        ),
    ),
    "webapp-1.3.0": (
        VexClaim(
            "CVE-2024-6345",
            ("setuptools",),
            "not_affected",
            "vulnerable_code_not_in_execute_path",
            impact="setuptools is installed only as an install-time requirement; webapp never imports "
            "setuptools.package_index, so its download functions are never called at run time.",
        ),
        VexClaim(
            "CVE-2025-47273",
            ("setuptools",),
            "not_affected",
            "vulnerable_code_not_in_execute_path",
            impact="setuptools is installed only as an install-time requirement; webapp never imports "
            "setuptools.package_index, so PackageIndex.download is never called at run time.",
        ),
        VexClaim(
            "CVE-2024-6827",
            ("gunicorn",),
            "affected",
            action="Upgrade gunicorn to 23.0.0 (planned for webapp 1.4.0). Until then the ingress proxy rejects "
            "requests that carry both Transfer-Encoding and Content-Length.",
        ),
    ),
}


def vex_document(rel: Image) -> Obj:
    pkgs = packages(rel)
    by_id = {v.cve: v for v in VULNS}
    statements = []
    for claim in rel.vex_claims if isinstance(rel, Candidate) else VEX_CLAIMS[rel.folder]:
        vuln = by_id[claim.cve]
        subject: Obj = {"@id": nvd_url(claim.cve), "name": claim.cve}
        if vuln.ghsa:
            subject["aliases"] = [vuln.ghsa]
        statement: Obj = {
            "vulnerability": subject,
            "timestamp": rel.vex_time,
            "products": [
                {
                    "@id": vex_product_of(rel),
                    "subcomponents": [{"@id": pkgs[name].trivy_purl} for name in claim.packages],
                }
            ],
            "status": claim.status,
        }
        if claim.justification:
            statement["justification"] = claim.justification
        if claim.impact:
            statement["impact_statement"] = claim.impact
        if claim.action:
            statement["action_statement"] = claim.action
        statements.append(statement)
    body = go_json(statements, indent=None, escape_html=False)
    return {
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": "https://openvex.dev/docs/public/vex-" + hashlib.sha256(body.encode()).hexdigest(),
        "author": rel.vex_author if isinstance(rel, Candidate) else "Example Org Product Security <psirt@example.com>",
        "role": "Document Creator",
        "timestamp": rel.vex_time,
        "version": 1,
        "statements": statements,
    }


# --------------------------------------------------------------------------------------------------
# Dockerfile and docker inspect.

REQUIREMENTS_NOTE = "# requirements.txt is compiled with pip-compile --generate-hashes"


def dockerfile(rel: Release) -> str:
    base = f"{rel.base.tag}@{rel.base_digest}" if rel.pinned_base else rel.base.tag
    builder = (
        ""
        if isinstance(rel.app, NginxProxy)
        else f"""FROM {base} AS builder
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
{REQUIREMENTS_NOTE}
COPY requirements.txt .
RUN pip wheel --require-hashes --wheel-dir /wheels --requirement requirements.txt \\
 && cp requirements.txt /wheels/requirements.txt

"""
    )
    final = "".join(f"{step.written}\n" for step in final_stage(rel))
    return f"""# syntax=docker/dockerfile:1.7
# {rel.name} {rel.version}: {rel.summary}.

{builder}FROM {base}
{final}"""


def docker_inspect(rel: Image) -> list[Obj]:
    config: Obj = {
        "Hostname": "",
        "Domainname": "",
        "User": app_user(rel),
        "AttachStdin": False,
        "AttachStdout": False,
        "AttachStderr": False,
    }
    if ports := exposed_ports(rel):
        config["ExposedPorts"] = ports
    config |= {"Tty": False, "OpenStdin": False, "StdinOnce": False, "Env": env(rel), "Cmd": list(app_cmd(rel)) or None}
    if command := app_healthcheck(rel):
        config["Healthcheck"] = healthcheck_obj(command)
    config |= {
        "Image": "",
        "Volumes": None,
        "WorkingDir": app_workdir(rel),
        "Entrypoint": None,
        "OnBuild": None,
        "Labels": labels(rel) or None,
    }
    overlay = [fake_hex(f"overlay/{rel.label}/{i}") for i in range(len(rel.layers))]
    top = overlay[-1]
    return [
        {
            "Id": image_id(rel),
            "RepoTags": [rel.tag],
            "RepoDigests": [f"{rel.repository}@{rel.digest}"],
            "Parent": "",
            "Comment": rel.comment if isinstance(rel, Candidate) else "buildkit.dockerfile.v0",
            "Created": rel.image_created,
            "DockerVersion": "",
            "Author": "",
            "Config": config,
            "Architecture": "amd64",
            "Os": "linux",
            "Size": sum(layer.uncompressed for layer in rel.layers),
            "GraphDriver": {
                "Data": {
                    "LowerDir": ":".join(f"/var/lib/docker/overlay2/{o}/diff" for o in reversed(overlay[:-1])),
                    "MergedDir": f"/var/lib/docker/overlay2/{top}/merged",
                    "UpperDir": f"/var/lib/docker/overlay2/{top}/diff",
                    "WorkDir": f"/var/lib/docker/overlay2/{top}/work",
                },
                "Name": "overlay2",
            },
            "RootFS": {"Type": "layers", "Layers": [layer.diff_id for layer in rel.layers]},
            "Metadata": {"LastTagTime": "0001-01-01T00:00:00Z"},
        }
    ]


# --------------------------------------------------------------------------------------------------
# Signatures: cosign simple signing and a DSSE-wrapped SLSA provenance, signed with the team's key.


def cosign_payload(rel: Release) -> bytes:
    payload = {
        "critical": {
            "identity": {"docker-reference": rel.repository},
            "image": {"docker-manifest-digest": rel.digest},
            "type": "cosign container image signature",
        },
        "optional": {
            "git-sha": rel.commit,
            "release": rel.version,
            "run": f"{rel.source_repo}/actions/runs/{rel.run_id}",
        },
    }
    return go_json(payload, indent=None, escape_html=True).encode()


def provenance_statement(rel: Release) -> bytes:
    ref = f"refs/tags/v{rel.version}"
    statement = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": rel.repository, "digest": {"sha256": rel.digest.removeprefix("sha256:")}}],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {
            "buildDefinition": {
                "buildType": "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1",
                "externalParameters": {
                    "workflow": {"ref": ref, "repository": rel.source_repo, "path": ".github/workflows/release.yml"}
                },
                "internalParameters": {
                    "github": {
                        "event_name": "push",
                        "repository_id": REPOSITORY_IDS[rel.name],
                        "repository_owner_id": "190274435",
                        "runner_environment": "github-hosted",
                    }
                },
                "resolvedDependencies": [
                    {"uri": f"git+{rel.source_repo}@{ref}", "digest": {"gitCommit": rel.commit}},
                    # the build file, by content: what binds the Dockerfile (which names no image) to the image
                    {
                        "uri": f"git+{rel.source_repo}@{ref}#Dockerfile",
                        "digest": {"sha256": hashlib.sha256(dockerfile(rel).encode()).hexdigest()},
                    },
                    {"uri": rel.base.package_url, "digest": {"sha256": rel.base_digest.removeprefix("sha256:")}},
                ],
            },
            "runDetails": {
                "builder": {"id": "https://github.com/actions/runner/github-hosted"},
                "metadata": {
                    "invocationId": f"{rel.source_repo}/actions/runs/{rel.run_id}/attempts/1",
                    "startedOn": rel.build_started,
                    "finishedOn": rel.build_finished,
                },
            },
        },
    }
    return go_json(statement, indent=None, escape_html=True).encode()


PAYLOAD_TYPE = "application/vnd.in-toto+json"
REPOSITORY_IDS = {"webapp": "873316502", "api": "873318147", "worker": "881042695", "proxy": "866930214"}


def pae(payload_type: str, body: bytes) -> bytes:
    """DSSE pre-authentication encoding."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(body), body)


def sign(key: ec.EllipticCurvePrivateKey, data: bytes) -> str:
    return base64.b64encode(key.sign(data, ec.ECDSA(hashes.SHA256()))).decode()


def verify(pub: ec.EllipticCurvePublicKey, data: bytes, signature_b64: str) -> bool:
    try:
        pub.verify(base64.b64decode(signature_b64), data, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):  # ValueError: not base64
        return False
    return True


def envelope(key: ec.EllipticCurvePrivateKey, rel: Release) -> str:
    body = provenance_statement(rel)
    return envelope_for(body, sign(key, pae(PAYLOAD_TYPE, body)))


def envelope_for(body: bytes, signature: str) -> str:
    """The DSSE envelope of a provenance statement, with its signature."""
    env_obj = {
        "payloadType": PAYLOAD_TYPE,
        "payload": base64.b64encode(body).decode(),
        "signatures": [{"keyid": "", "sig": signature}],
    }
    return go_json(env_obj, indent=None, escape_html=True) + "\n"


# --------------------------------------------------------------------------------------------------


def new_team_key(team: str, folders: list[str]) -> ec.EllipticCurvePrivateKey:
    """A fresh key for a team: its public half written to keys/<team>.pub, its private half only returned."""
    key = ec.generate_private_key(ec.SECP256R1())
    path = KEYS / f"{team}.pub"
    path.write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    print(f"wrote {path.relative_to(HERE.parent)}: a new key for {', '.join(folders)}")
    return key


def write_reports(image: Image, *, with_sbom: bool) -> Path:
    """Write the image's SBOM (unless it is signed as an attestation) and scans into its folder, made if need be."""
    out = HERE / image.folder
    out.mkdir(parents=True, exist_ok=True)
    if with_sbom:
        write(out / "sbom.cdx.json", go_json(sbom(image), indent=2, escape_html=False) + "\n")
    write(out / "trivy.json", go_json(trivy_report(image), indent=2, escape_html=True) + "\n")
    write(out / "grype.json", go_json(grype_report(image), indent=1, escape_html=False) + "\n")
    return out


def key_file(rel: Release) -> Path:
    return KEYS / f"{rel.key}.pub"


def write_release(rel: Release, key: ec.EllipticCurvePrivateKey | None) -> Path:
    """Write the release's evidence; with no key, keep the signatures already there (`signatures_hold`)."""
    out = write_reports(rel, with_sbom=True)
    if rel.folder in VEX_CLAIMS:
        write(out / "openvex.json", go_json(vex_document(rel), indent=2, escape_html=True) + "\n")
    write(out / "Dockerfile", dockerfile(rel))
    write(out / "image-inspect.json", go_json(docker_inspect(rel), indent=4, escape_html=True) + "\n")
    payload = cosign_payload(rel)
    (out / "cosign-payload.json").write_bytes(payload)
    if key is None:
        print(f"kept {out.relative_to(HERE.parent)}/cosign-payload.sig and provenance.intoto.json: they still verify")
        return out
    (out / "cosign-payload.sig").write_text(sign(key, payload), encoding="ascii")
    write(out / "provenance.intoto.json", envelope(key, rel))
    print(f"wrote {out.relative_to(HERE.parent)}/cosign-payload.json, cosign-payload.sig")
    return out


def public_key(path: Path) -> ec.EllipticCurvePublicKey:
    pub = serialization.load_pem_public_key(path.read_bytes())
    if not isinstance(pub, ec.EllipticCurvePublicKey):
        raise SystemExit(f"{path.relative_to(HERE.parent)} is not an EC public key")
    return pub


def signatures_hold(rel: Release) -> bool:
    """Whether the release's signature files, under its team's key file, sign exactly what this run writes."""
    out = HERE / rel.folder
    try:
        pub = public_key(key_file(rel))
        signature = (out / "cosign-payload.sig").read_text(encoding="ascii")
        written = (out / "provenance.intoto.json").read_text(encoding="utf-8")
        envelope_sig = str(json.loads(written)["signatures"][0]["sig"])
    except (OSError, ValueError, LookupError, TypeError, SystemExit):
        return False
    statement = provenance_statement(rel)
    return (
        verify(pub, cosign_payload(rel), signature)
        and written == envelope_for(statement, envelope_sig)
        and verify(pub, pae(PAYLOAD_TYPE, statement), envelope_sig)
    )


def check_signatures(rel: Release) -> None:
    """Verify what was written, from the files alone, the way a consumer would."""
    out = HERE / rel.folder
    pub = public_key(key_file(rel))
    payload = (out / "cosign-payload.json").read_bytes()
    if not verify(pub, payload, (out / "cosign-payload.sig").read_text(encoding="ascii")):
        raise SystemExit(f"{rel.folder}: cosign-payload.sig does not verify with {key_file(rel).name}")
    env_obj = json.loads((out / "provenance.intoto.json").read_text(encoding="utf-8"))
    body = base64.b64decode(env_obj["payload"])
    if not verify(pub, pae(env_obj["payloadType"], body), env_obj["signatures"][0]["sig"]):
        raise SystemExit(f"{rel.folder}: provenance.intoto.json signature does not verify with {key_file(rel).name}")
    print(f"verified {rel.folder}: cosign-payload.sig and the provenance DSSE signature, with {key_file(rel).name}")


# --------------------------------------------------------------------------------------------------
# boundary/boundary.yaml: the system, and each image with its inventory fields.

# Per image (by folder): its team, and the inventory fields of evidence/boundary/config.py's INVENTORY_FIELDS.
INVENTORY: dict[str, dict[str, str]] = {
    "webapp-1.4.0": {
        "function": "web front end (production)",
        "owner": "Web team",
        "public": "true",
        "location": "us-east-1",
        "address": "10.0.4.12",
        "network": "vlan-104 (application)",
    },
    "webapp-1.3.0": {
        "function": "web front end (canary)",
        "owner": "Web team",
        "public": "false",
        "location": "us-east-1",
        "address": "10.0.4.13",
        "network": "vlan-104 (application)",
    },
    "boundary/api-2.1.0": {
        "function": "JSON API of the web front end",
        "owner": "Backend team",
        "public": "false",
        "location": "us-east-1",
        "address": "10.0.5.21",
        "dns": "api.internal.example.com",
        "network": "vlan-105 (services)",
    },
    "boundary/worker-1.8.2": {
        "function": "background jobs of the API (Celery)",
        "owner": "Backend team",
        "public": "false",
        "location": "us-east-1",
        "address": "10.0.5.34",
        "network": "vlan-105 (services)",
    },
    "boundary/proxy-3.2.0": {
        "function": "reverse proxy terminating TLS, the system's entry point",
        "owner": "Platform team",
        "public": "true",
        "location": "us-east-1",
        "address": "10.0.1.10",
        "dns": "app.example.com",
        "network": "vlan-101 (edge)",
    },
}


def boundary_yaml() -> str:
    lines = [
        "# Written by samples/make_samples.py; synthetic, like the evidence it names (samples/README.md).",
        "# A small system: the web front end in production (webapp 1.4.0) and in the canary deployment that still",
        "# runs 1.3.0, its API and worker, all built on python:3.12-slim-bookworm (webapp 1.4.0, api and worker on the",
        "# same base image, by digest), and the reverse proxy in front of them, built on debian:12-slim. Each image",
        "# trusts only its team's key. `make demo` builds it into build/boundary/.",
        "version: 1",
        "system: {name: Example Cloud, id: F1234567890, impact: moderate, csp: Example Corp}",
        "images:",
    ]
    for rel in RELEASES:
        lines += [
            f"  - image: {rel.repository}@{rel.digest}",
            f"    release: {rel.version}",
            f"    evidence: [{Path(os.path.relpath(HERE / rel.folder, HERE / 'boundary')).as_posix()}/]",
            f"    keys: [../keys/{rel.key}.pub]",
            *(f"    {field}: {value}" for field, value in INVENTORY[rel.folder].items()),
        ]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------------
# samples/bases/: four candidate base images for `fromline bases`, one of them at two successive digests, and
# candidates.yaml, which lists them. Like the images above they are synthetic; their vulnerability facts are real.

BASES = HERE / "bases"

# Packages of the hardened vendor's own repository, which Debian does not ship: the OpenSSL 3.1.2 FIPS provider
# (the module of CMVP certificate #4985) and the configuration that makes it OpenSSL's default (fips=yes).
VENDOR_ROWS = """
openssl-provider-fips|3.1.2-1+hv1|amd64|openssl-provider-fips||Apache-2.0|libc6,libssl3
openssl-config-fipshardened|1.2-1+hv1|all|openssl-config-fipshardened||Apache-2.0|openssl-provider-fips,libssl3
"""
DEBIAN_PACKAGES = frozenset(row.split("|", 1)[0] for row in DEB_TABLE.strip().splitlines())
STATIC_PACKAGES = frozenset({"base-files", "ca-certificates", "netbase", "tzdata"})
VENDOR_PACKAGES = STATIC_PACKAGES | {
    "gcc-12-base",
    "libgcc-s1",
    "libc6",
    "libssl3",
    "zlib1g",
    "openssl-provider-fips",
    "openssl-config-fipshardened",
}
# The versions before DSA-5611-1 (glibc) and DSA-5770-1 (expat).
OLD_GLIBC = "2.36-9+deb12u3"
OLD_EXPAT = "2.5.0-1"


def candidate_debs(
    keep: frozenset[str],
    *,
    base_files: str,
    tzdata: str,
    older: dict[str, str] | None = None,
    layer: Callable[[str], int] = lambda _: 0,
) -> tuple[Deb, ...]:
    """The packages named in `keep` of DEB_TABLE and VENDOR_ROWS, some at `older` versions; dependencies on packages
    the image does not hold are left out, as dpkg lists only what is installed."""
    rows = [*DEB_TABLE.format(base_files=base_files, tzdata=tzdata).strip().splitlines()]
    rows += VENDOR_ROWS.strip().splitlines()
    chosen = [row.split("|") for row in rows if row.split("|", 1)[0] in keep]
    names = {row[0] for row in chosen}
    out = []
    for name, row_version, arch, source, row_source_version, licenses, depends in chosen:
        version = (older or {}).get(name, row_version)
        source_version = version if version != row_version else row_source_version or _source_version(version)
        out.append(
            Deb(
                name=name,
                version=version,
                arch=arch,
                source=source,
                source_version=source_version,
                licenses=tuple(licenses.split(",")),
                depends=tuple(d for d in depends.split(",") if d in names),
                layer=layer(name),
            )
        )
    return tuple(out)


def debuerreotype_step(created: str) -> str:
    epoch = int(datetime.fromisoformat(created).timestamp())
    return f"# debian.sh --arch 'amd64' out/ 'bookworm' '@{epoch}'"


NONROOT_ENV = (DEBIAN_PATH, "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt")
HARDENED_STATIC = f"{REGISTRY}/vendor/hardened-static@sha256:" + fake_hex("base/vendor/hardened-static/2026-11-02")
VENDOR = "Example Hardened Images, Inc."
VENDOR_SOURCE = "https://git.vendor.example/hardened/base"
VENDOR_BUILDER = "https://build.vendor.example/hardened-builder/v2"
DISTROLESS_SOURCE = "https://git.example.com/distroless/static"
DISTROLESS_BUILDER = "https://ci.example.com/hosted-runner/v1"
CANDIDATE_DB_BUILT = "2026-12-03T04:06:12Z"  # the grype database of the nightly scan of 2026-12-03

VENDOR_VEX = (
    VexClaim(
        "CVE-2023-45853",
        ("zlib1g",),
        "not_affected",
        "vulnerable_code_not_present",
        impact="The vulnerable MiniZip code (contrib/minizip) is not built into Debian's zlib1g; it ships only in "
        "libminizip1, which the image does not contain.",
    ),
    VexClaim(
        "CVE-2019-1010022",
        ("libc6",),
        "not_affected",
        "vulnerable_code_cannot_be_controlled_by_adversary",
        impact="Disputed upstream: the report needs a separate memory-corruption bug in the program to bypass the "
        "stack guard, and describes no flaw in glibc an attacker can reach through it.",
    ),
)


def debian_rootfs(tag: str, created: str, **fields: Any) -> Candidate:
    """A Debian image as debuerreotype builds it: one rootfs layer, run as root with bash; no labels."""
    return Candidate(
        name="library/debian",
        version=tag,
        label=f"debian-{tag}",
        folder=f"bases/debian-{tag}",
        steps=((debuerreotype_step(created), 0), ('CMD ["bash"]', None)),
        comment="debuerreotype 0.15",
        user="",
        env=(DEBIAN_PATH,),
        cmd=("bash",),
        workdir="",
        labels=(),
        image_created=created,
        db_built=CANDIDATE_DB_BUILT,
        **fields,
    )


def nonroot_image(copies: tuple[tuple[str, int], ...], **fields: Any) -> Candidate:
    """An image BuildKit assembles from root filesystems (`copies`: each COPY step and the layer it adds), run as
    user 65532 in /home/nonroot, with no command: the application image built on it sets one."""
    return Candidate(
        steps=(
            *copies,
            (f"ENV {NONROOT_ENV[0]} {NONROOT_ENV[1]}", None),
            ("USER 65532:65532", None),
            ("WORKDIR /home/nonroot", None),
        ),
        comment="buildkit.dockerfile.v0",
        user="65532:65532",
        env=NONROOT_ENV,
        cmd=(),
        workdir="/home/nonroot",
        **fields,
    )


def hardened_vendor(release: str, digest: str, glibc: str | None, **fields: Any) -> Candidate:
    """The vendor's base: its static base's layer (base-files, CA certificates, netbase, tzdata), then glibc, the C
    runtime, OpenSSL with the vendor's FIPS provider and zlib; no shell, no package manager, user 65532."""
    created = str(fields["image_created"])
    return nonroot_image(
        name="vendor/hardened-base",
        version=release,
        label=f"hardened-vendor-{release}",
        digest=digest,
        kind="hardened",
        key="vendor",
        folder=f"bases/hardened-vendor-{release}",
        debian="12.13",
        debs=candidate_debs(
            VENDOR_PACKAGES,
            base_files="12.4+deb12u13",
            tzdata="2026a-0+deb12u1",
            older={"libc6": glibc} if glibc else None,
            layer=lambda name: 0 if name in STATIC_PACKAGES else 1,
        ),
        layer_sizes=((HARDENED_STATIC, 1_046_518), ("runtime", 9_812_440)),
        copies=(("COPY static-rootfs/ / # buildkit", 0), ("COPY runtime-rootfs/ / # buildkit", 1)),
        labels=(
            ("org.opencontainers.image.base.digest", HARDENED_STATIC.split("@")[1]),
            ("org.opencontainers.image.base.name", HARDENED_STATIC.split("@")[0]),
            ("org.opencontainers.image.created", created[:19] + "Z"),
            ("org.opencontainers.image.description", "Hardened Debian 12 runtime base with a FIPS OpenSSL provider"),
            ("org.opencontainers.image.licenses", "Apache-2.0"),
            ("org.opencontainers.image.revision", fake_hex(f"commit/hardened-vendor-{release}", 40)),
            ("org.opencontainers.image.source", VENDOR_SOURCE),
            ("org.opencontainers.image.title", "hardened-base"),
            ("org.opencontainers.image.vendor", VENDOR),
            ("org.opencontainers.image.version", release),
        ),
        commit=fake_hex(f"commit/hardened-vendor-{release}", 40),
        source_repo=VENDOR_SOURCE,
        source_ref=f"refs/tags/{release}",
        builder=VENDOR_BUILDER,
        base_ref=HARDENED_STATIC,
        attested=True,
        vex_author=f"{VENDOR} Product Security <psirt@vendor.example>",
        vex_claims=VENDOR_VEX,
        **fields,
    )


CANDIDATES = (
    # An unmaintained general-purpose Debian 12 base: its rootfs is of Debian 12.4 (December 2023), with CA
    # certificates, tzdata and the common runtime libraries, and its glibc and expat predate their security updates.
    debian_rootfs(
        "12",
        "2023-12-11T00:00:00Z",
        digest="sha256:81b1e8da1f74cc1bfc76b99e1a15562570370641eddf04500c650f5fe6aaeba1",
        kind="distro",
        key=None,
        debian="12.4",
        debs=candidate_debs(
            DEBIAN_PACKAGES,
            base_files="12.4+deb12u4",
            tzdata="2023c-5+deb12u1",
            older={"libc6": OLD_GLIBC, "libc-bin": OLD_GLIBC, "libexpat1": OLD_EXPAT},
        ),
        layer_sizes=(("rootfs", 49_602_113),),
        sbom_time="2026-12-03T05:02:41+00:00",
        trivy_time="2026-12-03T05:03:18.550912337Z",
        grype_time="2026-12-03T05:04:02.118463920Z",
    ),
    # debian:12-slim's rootfs at Debian 12.13, as the proxy's base above, rebuilt on 2026-11-17.
    debian_rootfs(
        "12-slim",
        "2026-11-17T00:00:00Z",
        digest="sha256:e54590681609dac1ff766d8ae8957c057e3d3cc4bd0121e99648e618d91c00dd",
        kind="minimal-distro",
        key="bases-community",
        debian="12.13",
        debs=candidate_debs(
            frozenset(name for name in DEBIAN_PACKAGES if proxy_layer(name) == 0),
            base_files="12.4+deb12u13",
            tzdata="2026a-0+deb12u1",
        ),
        layer_sizes=(("rootfs", 28_240_771),),
        sbom_time="2026-12-03T05:05:12+00:00",
        trivy_time="2026-12-03T05:05:40.903117254Z",
        grype_time="2026-12-03T05:06:19.330285016Z",
    ),
    nonroot_image(
        name="distroless/static",
        version="nonroot",
        label="distroless-static",
        digest="sha256:caa24ab583a77e03b47657cac386a0f9f7129be66aee108d6a6feab3cad15da4",
        kind="distroless",
        key="bases-distroless",
        folder="bases/distroless-static",
        debian="12.13",
        debs=candidate_debs(STATIC_PACKAGES, base_files="12.4+deb12u13", tzdata="2026a-0+deb12u1"),
        layer_sizes=(("rootfs", 1_021_904),),
        copies=(("COPY rootfs/ / # buildkit", 0),),
        labels=(
            ("org.opencontainers.image.created", "2026-11-20T03:12:44Z"),
            ("org.opencontainers.image.description", "Distroless-style static base: Debian 12 data files, no libc"),
            ("org.opencontainers.image.licenses", "Apache-2.0"),
            ("org.opencontainers.image.revision", fake_hex("commit/distroless-static", 40)),
            ("org.opencontainers.image.source", DISTROLESS_SOURCE),
            ("org.opencontainers.image.title", "static"),
        ),
        image_created="2026-11-20T03:12:44.607213998Z",
        sbom_time="2026-12-03T05:07:02+00:00",
        trivy_time="2026-12-03T05:07:21.784402961Z",
        grype_time="2026-12-03T05:07:49.027731564Z",
        commit=fake_hex("commit/distroless-static", 40),
        source_repo=DISTROLESS_SOURCE,
        source_ref="refs/heads/main",
        run_id=88412,
        build_started="2026-11-20T03:10:05Z",
        build_finished="2026-11-20T03:13:31Z",
        builder=DISTROLESS_BUILDER,
        db_built=CANDIDATE_DB_BUILT,
    ),
    # Scanned on 2026-11-30: glibc's CVE-2023-6246 and CVE-2023-6779 (High) listed as fixed in 2.36-9+deb12u4.
    hardened_vendor(
        "2026.11",
        "sha256:16b6a4caccde9416cecee5b5a52e7b441565ed34eafa71c14ad27397d29dc136",
        OLD_GLIBC,
        image_created="2026-11-27T03:08:51.772014630Z",
        sbom_time="2026-11-27T03:10:36+00:00",
        trivy_time="2026-11-30T05:12:07.418203911Z",
        grype_time="2026-11-30T05:12:48.902617733Z",
        db_built="2026-11-30T04:02:37Z",
        run_id=5120,
        build_started="2026-11-27T03:04:12Z",
        build_finished="2026-11-27T03:09:40Z",
        vex_time="2026-11-27T03:10:58Z",
    ),
    # Built within two days of that scan (its stated SLA), with the fixed glibc: its scan no longer lists them.
    hardened_vendor(
        "2026.12",
        "sha256:9060a5050c071029e4e6a33bef41b8bb36f2e3e624da25cb5d7137edbf55ea36",
        None,
        image_created="2026-12-02T02:12:31.086642175Z",
        sbom_time="2026-12-02T02:14:10+00:00",
        trivy_time="2026-12-03T05:08:33.205916447Z",
        grype_time="2026-12-03T05:09:11.640128375Z",
        run_id=5163,
        build_started="2026-12-02T02:08:02Z",
        build_finished="2026-12-02T02:13:20Z",
        vex_time="2026-12-02T02:14:33Z",
        db_built=CANDIDATE_DB_BUILT,
    ),
)


def candidate_payload(c: Candidate) -> bytes:
    optional: Obj = {"release": c.version}
    if c.source_repo:
        optional = {"git-sha": c.commit, "release": c.version, "source": c.source_repo}
    payload = {
        "critical": {
            "identity": {"docker-reference": c.repository},
            "image": {"docker-manifest-digest": c.digest},
            "type": "cosign container image signature",
        },
        "optional": optional,
    }
    return go_json(payload, indent=None, escape_html=True).encode()


def candidate_statement(c: Candidate, predicate_type: str, predicate: Obj) -> bytes:
    statement = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": c.repository, "digest": {"sha256": c.digest.removeprefix("sha256:")}}],
        "predicateType": predicate_type,
        "predicate": predicate,
    }
    return go_json(statement, indent=None, escape_html=True).encode()


def candidate_provenance(c: Candidate) -> Obj:
    ref = c.source_ref
    dependencies: list[Obj] = [{"uri": f"git+{c.source_repo}@{ref}", "digest": {"gitCommit": c.commit}}]
    if c.base_ref:
        repository, _, digest = c.base_ref.partition("@")
        dependencies.append(
            {"uri": f"oci://{repository}@{digest}", "digest": {"sha256": digest.removeprefix("sha256:")}}
        )
    return {
        "buildDefinition": {
            "buildType": f"{c.builder}/buildtypes/oci-image/v1",
            "externalParameters": {"source": {"repository": c.source_repo, "ref": ref}},
            "internalParameters": {"builder_pool": "hosted", "isolated": True},
            "resolvedDependencies": dependencies,
        },
        "runDetails": {
            "builder": {"id": c.builder},
            "metadata": {
                "invocationId": f"{c.builder}/runs/{c.run_id}",
                "startedOn": c.build_started,
                "finishedOn": c.build_finished,
            },
        },
    }


def candidate_envelopes(c: Candidate) -> dict[str, bytes]:
    """The in-toto statements a candidate signs, by the file their DSSE envelope goes to."""
    out: dict[str, bytes] = {}
    if c.builder:
        out["provenance.intoto.json"] = candidate_statement(
            c, "https://slsa.dev/provenance/v1", candidate_provenance(c)
        )
    if c.attested:
        out["sbom.intoto.json"] = candidate_statement(c, "https://cyclonedx.org/bom", sbom(c))
        out["openvex.intoto.json"] = candidate_statement(c, "https://openvex.dev/ns/v0.2.0", vex_document(c))
    return out


def candidate_key_file(c: Candidate) -> Path:
    return KEYS / f"{c.key}.pub"


def write_candidate(c: Candidate, key: ec.EllipticCurvePrivateKey | None) -> None:
    """Write a candidate's evidence; with no key, keep the signatures already there (`candidate_signatures_hold`)."""
    out = write_reports(c, with_sbom=not c.attested)
    write(out / "image-inspect.json", go_json(docker_inspect(c), indent=4, escape_html=True) + "\n")
    if c.key is None:
        return
    payload = candidate_payload(c)
    (out / "cosign-payload.json").write_bytes(payload)
    envelopes = candidate_envelopes(c)
    if key is None:
        print(f"kept {out.relative_to(HERE.parent)}/{', '.join(['cosign-payload.sig', *envelopes])}: they still verify")
        return
    (out / "cosign-payload.sig").write_text(sign(key, payload), encoding="ascii")
    for name, body in envelopes.items():
        write(out / name, envelope_for(body, sign(key, pae(PAYLOAD_TYPE, body))))
    print(f"wrote {out.relative_to(HERE.parent)}/cosign-payload.json, cosign-payload.sig")


def candidate_signatures_hold(c: Candidate) -> bool:
    out = HERE / c.folder
    try:
        pub = public_key(candidate_key_file(c))
        if not verify(pub, candidate_payload(c), (out / "cosign-payload.sig").read_text(encoding="ascii")):
            return False
        for name, body in candidate_envelopes(c).items():
            written = (out / name).read_text(encoding="utf-8")
            sig = str(json.loads(written)["signatures"][0]["sig"])
            if written != envelope_for(body, sig) or not verify(pub, pae(PAYLOAD_TYPE, body), sig):
                return False
    except (OSError, ValueError, LookupError, TypeError, SystemExit):
        return False
    return True


def check_candidate_signatures(c: Candidate) -> None:
    """Verify what was written, from the files alone, the way a consumer would."""
    if c.key is None:
        return
    out = HERE / c.folder
    pub = public_key(candidate_key_file(c))
    if not verify(pub, (out / "cosign-payload.json").read_bytes(), (out / "cosign-payload.sig").read_text("ascii")):
        raise SystemExit(f"{c.folder}: cosign-payload.sig does not verify with {candidate_key_file(c).name}")
    names = list(candidate_envelopes(c))
    for name in names:
        env_obj = json.loads((out / name).read_text(encoding="utf-8"))
        body = base64.b64decode(env_obj["payload"])
        if not verify(pub, pae(env_obj["payloadType"], body), env_obj["signatures"][0]["sig"]):
            raise SystemExit(f"{c.folder}: {name} signature does not verify with {candidate_key_file(c).name}")
    signed = ", ".join(["cosign-payload.sig", *names])
    print(f"verified {c.folder}: {signed}, with {candidate_key_file(c).name}")


# The vendor's published patch SLA, in days from a fix being available (synthetic, like the vendor).
VENDOR_SLA = {"critical": 2, "high": 7}


def candidates_yaml() -> str:
    by_folder = {c.folder.removeprefix("bases/"): c for c in CANDIDATES}
    vendor_history = [c for c in CANDIDATES if c.kind == "hardened"]
    lines = [
        "# Written by samples/make_samples.py; synthetic, like the evidence it names (samples/README.md).",
        "# Candidate base images for `fromline bases`, each with its evidence folder and the key that signs it",
        "# (paths relative to this file). hardened-vendor's history lists its earlier digests, oldest",
        "# first, and sla_days its vendor's stated patch SLA: days from a fix being available to an image with it.",
        "version: 1",
        "candidates:",
    ]
    for name in ("debian-12", "debian-12-slim", "distroless-static"):
        c = by_folder[name]
        lines += [f"  - name: {name}", f"    image: {c.reference}", f"    kind: {c.kind}", f"    evidence: {name}/"]
        if c.key:
            lines.append(f"    key: ../keys/{c.key}.pub")
    latest, *earlier = reversed(vendor_history)
    lines += [
        "  - name: hardened-vendor",
        f"    image: {latest.reference}",
        f"    kind: {latest.kind}",
        f"    evidence: {latest.folder.removeprefix('bases/')}/",
        f"    history: [{', '.join(c.folder.removeprefix('bases/') + '/' for c in reversed(earlier))}]",
        f"    sla_days: {{{', '.join(f'{k}: {v}' for k, v in VENDOR_SLA.items())}}}",
        f"    key: ../keys/{latest.key}.pub",
    ]
    return "\n".join(lines) + "\n"


def write_candidates(new_keys: bool) -> None:
    for team in dict.fromkeys(c.key for c in CANDIDATES):
        signed = [c for c in CANDIDATES if c.key == team]
        key = None
        if team is not None and (new_keys or not all(candidate_signatures_hold(c) for c in signed)):
            key = new_team_key(team, [c.folder for c in signed])
        for c in signed:
            write_candidate(c, key)
    write(BASES / "candidates.yaml", candidates_yaml())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--new-keys", action="store_true", help="give every team a fresh key and sign again")
    args = parser.parse_args(argv)
    for image in (*RELEASES, *CANDIDATES):  # before anything is written
        check_digest(image)
    KEYS.mkdir(exist_ok=True)
    for team in dict.fromkeys(rel.key for rel in RELEASES):
        releases = [rel for rel in RELEASES if rel.key == team]
        key = None
        if args.new_keys or not all(signatures_hold(rel) for rel in releases):
            key = new_team_key(team, [rel.folder for rel in releases])
        for rel in releases:
            write_release(rel, key)
    write(HERE / "boundary" / "boundary.yaml", boundary_yaml())
    write_candidates(args.new_keys)
    for rel in RELEASES:
        check_signatures(rel)
    for candidate in CANDIDATES:
        check_candidate_signatures(candidate)


if __name__ == "__main__":
    main()
