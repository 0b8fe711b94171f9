"""Generate the bundled demo evidence: two releases of registry.example.com/webapp.

Everything written here is synthetic. The files follow the output shapes of the real tools (trivy,
grype, vexctl, cosign, docker) but were made by this script, not by those tools. The CVE facts
(identifiers, affected packages and versions, fixed versions, severities, CVSS vectors) are real
public facts; digests, dates, run ids and the signing key are invented.

Run from the repository root:  .venv/bin/python samples/make_samples.py
Output: samples/webapp-1.4.0/, samples/webapp-1.3.0/ and the public key samples/keys/webapp.pub. Reruns
give identical files except the signatures and the key (a fresh ECDSA P-256 key is made on every run; the
private key never leaves memory). The key is written outside the release folders: a key inside the evidence
is not a trust anchor, so the demo names it with `--key`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

Obj = dict[str, Any]

HERE = Path(__file__).resolve().parent
REPOSITORY = "registry.example.com/webapp"
SOURCE_REPO = "https://github.com/example-org/webapp"
BASE_TAG = "python:3.12-slim-bookworm"
TRIVY_VERSION = "0.54.1"
GRYPE_VERSION = "0.94.0"
PY_SITE = "usr/local/lib/python3.12/site-packages"

# Fixed manifest digests. The script rebuilds each image manifest and checks it hashes to this value,
# so every file of a release names the same digest and an edit that changes the image fails loudly.
MANIFEST_DIGEST = {
    "1.4.0": "sha256:443eebbdc163dfdc0d40e185574019e4bfbe4eac2b13b7257d91f53c990ff80f",
    "1.3.0": "sha256:adb5eac6b82b1e9257d3b0117f01b4f7116ad6bfad4cbaa88cdca942fd9a339b",
}
# python:3.12-slim-bookworm (linux/amd64) as resolved at each build.
BASE_DIGEST = {
    "1.4.0": "sha256:3b8e1f0c7d2a94e6b5f0c1d8a7e3b29f6c4d0e8a1b7f5c3e9d2a6b0f4c8e1d73",
    "1.3.0": "sha256:d61a0c9e4b7f2d38a5e1c0b9f6d4a27e8c3b1f5d0a9e6c2b7d4f8a1e3c5b0d96",
}


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


def oci_purl(digest: str) -> str:
    """The image as trivy names it (packageurl-go: version and qualifier values percent-encoded)."""
    return f"pkg:oci/webapp@{_pct(digest)}?arch=amd64&repository_url={_pct(REPOSITORY)}"


def vex_product(digest: str) -> str:
    return f"pkg:oci/webapp@{_pct(digest)}?repository_url={REPOSITORY}"


# --------------------------------------------------------------------------------------------------
# Debian 12 packages of python:3.12-slim-bookworm.
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

# Which base-image layer brought each package in (the rest are in the debian rootfs layer).
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


def deb_packages(base_files: str, tzdata: str) -> tuple[Deb, ...]:
    out = []
    for line in DEB_TABLE.format(base_files=base_files, tzdata=tzdata).strip().splitlines():
        name, version, arch, source, src_version, licenses, depends = line.split("|")
        if name in CA_LAYER_PACKAGES:
            layer = 1
        elif name in PYTHON_LAYER_PACKAGES:
            layer = 2
        else:
            layer = 0
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


# --------------------------------------------------------------------------------------------------
# Vulnerabilities. Only real CVEs, with the packages and versions they really affect.


@dataclass(frozen=True, slots=True)
class Vuln:
    cve: str
    packages: tuple[str, ...]  # binary packages (deb) or the distribution name (python)
    ecosystem: str  # "deb" or "python"
    releases: tuple[str, ...]
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
    constraint: str = ""  # grype's version constraint, without the "(python)" / "(deb)" suffix


BOTH = ("1.3.0", "1.4.0")

VULNS: tuple[Vuln, ...] = (
    # ----- Debian 12 packages: present in both releases, none fixed in bookworm.
    Vuln(
        cve="CVE-2023-45853",
        packages=("zlib1g",),
        ecosystem="deb",
        releases=BOTH,
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
        releases=BOTH,
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
        releases=BOTH,
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
        releases=BOTH,
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
        releases=BOTH,
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
        releases=BOTH,
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
        releases=BOTH,
        trivy_severity="LOW",
        grype_severity=None,  # the Debian TEMP- entries are only in trivy's database
        status="affected",
        severity_source="debian",
        title="[Privilege escalation possible to other user than root]",
        description="",
        published="",
        modified="",
    ),
    # ----- Python packages.
    Vuln(
        cve="CVE-2024-1135",
        ghsa="GHSA-w3h3-4rj7-4ph4",
        packages=("gunicorn",),
        ecosystem="python",
        releases=("1.3.0",),
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
        releases=("1.3.0",),
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
        releases=("1.3.0",),
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
        releases=BOTH,
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
        releases=("1.3.0",),
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
        releases=("1.3.0",),
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
        releases=BOTH,
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
        releases=BOTH,
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
        releases=BOTH,
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
        releases=BOTH,
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
        releases=BOTH,
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
        releases=BOTH,
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
        releases=("1.4.0",),
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
        releases=("1.4.0",),
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
# One release of the image: its packages, layers, configuration and dates.


@dataclass(frozen=True, slots=True)
class Layer:
    diff_id: str
    digest: str  # of the compressed blob
    size: int  # compressed
    uncompressed: int


@dataclass(frozen=True, slots=True)
class Release:
    version: str
    debian: str  # /etc/debian_version
    python: str
    debs: tuple[Deb, ...]
    pys: tuple[Py, ...]
    pinned_base: bool
    healthcheck: bool
    commit: str
    run_id: int
    base_created: str
    build_started: str
    image_created: str
    build_finished: str
    sbom_time: str
    trivy_time: str
    grype_time: str
    db_built: str
    vex_time: str
    signed_at: str

    @property
    def digest(self) -> str:
        return MANIFEST_DIGEST[self.version]

    @property
    def base_digest(self) -> str:
        return BASE_DIGEST[self.version]

    @property
    def tag(self) -> str:
        return f"{REPOSITORY}:{self.version}"

    @property
    def layers(self) -> tuple[Layer, ...]:
        base = f"base-{self.base_digest}"
        names: tuple[str, ...] = (f"{base}/rootfs", f"{base}/ca", f"{base}/python", f"{base}/links")
        names += tuple(f"app-{self.version}/{n}" for n in ("user", "pip", "workdir", "src"))
        sizes = (28_231_570, 3_511_200, 12_873_644, 250, 1_822, 15_904_331, 93, 48_207)
        return tuple(
            Layer(
                diff_id="sha256:" + fake_hex(f"{n}/diff"),
                digest="sha256:" + fake_hex(f"{n}/blob"),
                size=s,
                uncompressed=s * 3 + 512 if s > 1000 else s * 10 + 1024,
            )
            for n, s in zip(names, sizes, strict=True)
        )


RELEASES = (
    Release(
        version="1.4.0",
        debian="12.13",
        python="3.12.13",
        debs=deb_packages("12.4+deb12u13", "2026a-0+deb12u1"),
        pys=PY_140,
        pinned_base=True,
        healthcheck=True,
        commit=fake_hex("commit/1.4.0", 40),
        run_id=19427361058,
        base_created="2026-11-04T21:42:17Z",
        build_started="2026-11-18T14:02:11Z",
        image_created="2026-11-18T14:07:58.311849207Z",
        build_finished="2026-11-18T14:09:40Z",
        sbom_time="2026-11-18T14:10:21+00:00",
        trivy_time="2026-11-19T07:45:02.384915766Z",
        grype_time="2026-11-19T07:46:10.902114235Z",
        db_built="2026-11-19T04:09:51Z",
        vex_time="2026-11-19T16:28:44.501920117+01:00",
        signed_at="2026-11-18T14:10:05Z",
    ),
    Release(
        version="1.3.0",
        debian="12.12",
        python="3.12.12",
        debs=deb_packages("12.4+deb12u12", "2025b-0+deb12u1"),
        pys=PY_130,
        pinned_base=False,
        healthcheck=False,
        commit=fake_hex("commit/1.3.0", 40),
        run_id=17762039914,
        base_created="2026-09-08T19:13:40Z",
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
)

PYTHON_ENV = (
    "PATH=/usr/local/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG=C.UTF-8",
    "GPG_KEY=7169605F62C751356D054A26A821E680E5FA6305",
)
APP_ENV = (
    "PYTHONDONTWRITEBYTECODE=1",
    "PYTHONUNBUFFERED=1",
    "PIP_NO_CACHE_DIR=1",
    "PIP_DISABLE_PIP_VERSION_CHECK=1",
)
HEALTHCHECK_CMD = (
    "python",
    "-c",
    (
        "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz', "
        "timeout=2).status == 200 else 1)"
    ),
)
CMD = ("gunicorn", "--config", "/app/gunicorn.conf.py", "webapp.wsgi:app")


def env(rel: Release) -> list[str]:
    return [*PYTHON_ENV, f"PYTHON_VERSION={rel.python}", *APP_ENV]


def labels(rel: Release) -> dict[str, str]:
    out = {
        "org.opencontainers.image.base.name": f"docker.io/library/{BASE_TAG}",
        "org.opencontainers.image.created": rel.image_created[:19] + "Z",
        "org.opencontainers.image.description": "Example web application used by the Fromline demo",
        "org.opencontainers.image.licenses": "Apache-2.0",
        "org.opencontainers.image.revision": rel.commit,
        "org.opencontainers.image.source": SOURCE_REPO,
        "org.opencontainers.image.title": "webapp",
        "org.opencontainers.image.version": rel.version,
    }
    if rel.pinned_base:
        out["org.opencontainers.image.base.digest"] = rel.base_digest
    return dict(sorted(out.items()))


def healthcheck_obj() -> Obj:
    return {
        "Test": ["CMD", *HEALTHCHECK_CMD],
        "Interval": 30_000_000_000,
        "Timeout": 3_000_000_000,
        "StartPeriod": 10_000_000_000,
        "Retries": 3,
    }


def history(rel: Release) -> list[Obj]:
    """The OCI history: python:3.12-slim-bookworm's steps, then the Dockerfile's final stage."""
    b, c = rel.base_created, rel.image_created
    bk = {"comment": "buildkit.dockerfile.v0"}

    def step(created: str, by: str, *, empty: bool = False, comment: str | None = "buildkit") -> Obj:
        entry: Obj = {"created": created, "created_by": by}
        if comment == "buildkit":
            entry.update(bk)
        elif comment:
            entry["comment"] = comment
        if empty:
            entry["empty_layer"] = True
        return entry

    py_build = (
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
    steps = [
        step(b, "# debian.sh --arch 'amd64' out/ 'bookworm' '@1762732800'", comment="debuerreotype 0.15"),
        step(b, "ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", empty=True),
        step(b, "ENV LANG=C.UTF-8", empty=True),
        step(
            b,
            "RUN /bin/sh -c set -eux; apt-get update; apt-get install -y --no-install-recommends ca-certificates "
            "netbase tzdata ; rm -rf /var/lib/apt/lists/* # buildkit",
        ),
        step(b, f"ENV {PYTHON_ENV[2]}", empty=True),
        step(b, f"ENV PYTHON_VERSION={rel.python}", empty=True),
        step(b, py_build),
        step(
            b,
            'RUN /bin/sh -c set -eux; for src in idle3 pip3 pydoc3 python3 python3-config; do dst="$(echo '
            '"$src" | tr -d 3)"; [ -s "/usr/local/bin/$src" ]; [ ! -e "/usr/local/bin/$dst" ]; ln -svT '
            '"$src" "/usr/local/bin/$dst"; done # buildkit',
        ),
        step(b, 'CMD ["python3"]', empty=True),
    ]
    steps += [
        step(c, "ENV " + " ".join(APP_ENV), empty=True),
        step(
            c,
            "RUN /bin/sh -c groupadd --system --gid 10001 app && useradd --system --uid 10001 --gid app "
            "--no-create-home --home-dir /app --shell /usr/sbin/nologin app # buildkit",
        ),
        step(
            c,
            "RUN /bin/sh -c pip install --no-index --find-links=/wheels --requirement /wheels/requirements.txt "
            "# buildkit",
        ),
        step(c, "WORKDIR /app"),
        step(c, "COPY --chown=app:app src/ ./ # buildkit"),
        step(c, "USER 10001:10001", empty=True),
        step(c, "EXPOSE map[8080/tcp:{}]", empty=True),
    ]
    if rel.healthcheck:
        test = " ".join(json.dumps(part) for part in ("CMD", *HEALTHCHECK_CMD))
        steps.append(step(c, f'HEALTHCHECK &{{[{test}] "30s" "3s" "10s" "0s" \'\\x03\'}}', empty=True))
    steps.append(step(c, "CMD " + json.dumps(list(CMD)), empty=True))
    return steps


def image_config(rel: Release) -> Obj:
    """The OCI image configuration blob, as BuildKit writes it."""
    config: Obj = {
        "User": "10001:10001",
        "ExposedPorts": {"8080/tcp": {}},
        "Env": env(rel),
        "Cmd": list(CMD),
        "WorkingDir": "/app",
        "Labels": labels(rel),
    }
    if rel.healthcheck:
        config["Healthcheck"] = healthcheck_obj()
    return {
        "architecture": "amd64",
        "config": config,
        "created": rel.image_created,
        "history": history(rel),
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [layer.diff_id for layer in rel.layers]},
    }


def config_bytes(rel: Release) -> bytes:
    return go_json(image_config(rel), indent=None, escape_html=False).encode()


def image_id(rel: Release) -> str:
    return sha256_of(config_bytes(rel))


def manifest_bytes(rel: Release) -> bytes:
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


def check_digest(rel: Release) -> None:
    computed = sha256_of(manifest_bytes(rel))
    if computed != rel.digest:
        raise SystemExit(
            f"webapp {rel.version}: the image manifest now hashes to {computed}, not {rel.digest}; "
            "update MANIFEST_DIGEST (every file of the release names it)"
        )


def layer_of(rel: Release, index: int) -> Layer:
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


def packages(rel: Release) -> dict[str, Pkg]:
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


def release_vulns(rel: Release) -> list[tuple[Vuln, Pkg]]:
    pkgs = packages(rel)
    return [(v, pkgs[name]) for v in VULNS if rel.version in v.releases for name in v.packages]


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


def sbom(rel: Release) -> Obj:
    pkgs = packages(rel)
    root_ref = oci_purl(rel.digest)
    os_ref = str(uuid.UUID(fake_hex(f"cdx-os/{rel.version}", 32), version=4))
    root_props = [prop("DiffID", layer.diff_id) for layer in sorted(rel.layers, key=lambda la: la.diff_id)]
    root_props += [
        prop("ImageID", image_id(rel)),
        prop("RepoDigest", f"{REPOSITORY}@{rel.digest}"),
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
        "serialNumber": f"urn:uuid:{uuid.UUID(fake_hex(f'cdx-serial/{rel.version}', 32), version=4)}",
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
        entry["LastModifiedDate"] = v.modified
    return entry


def trivy_sort_key(entry: Obj) -> tuple[str, str, int, str]:
    rank = -TRIVY_VENDOR_NUMBER[str(entry["Severity"])]
    return (str(entry["PkgName"]), str(entry["InstalledVersion"]), rank, str(entry["VulnerabilityID"]))


def trivy_image_config(rel: Release) -> Obj:
    """go-containerregistry's ConfigFile, which orders its fields differently from BuildKit."""
    oci = image_config(rel)
    src = oci["config"]
    config: Obj = {"Cmd": src["Cmd"]}
    if "Healthcheck" in src:
        config["Healthcheck"] = src["Healthcheck"]
    config |= {
        "Env": src["Env"],
        "Labels": src["Labels"],
        "User": src["User"],
        "WorkingDir": src["WorkingDir"],
        "ExposedPorts": src["ExposedPorts"],
    }
    return {
        "architecture": oci["architecture"],
        "created": oci["created"],
        "history": oci["history"],
        "os": oci["os"],
        "rootfs": oci["rootfs"],
        "config": config,
    }


def trivy_report(rel: Release) -> Obj:
    found = release_vulns(rel)
    os_vulns = sorted((trivy_vuln(v, p) for v, p in found if v.ecosystem == "deb"), key=trivy_sort_key)
    py_vulns = sorted((trivy_vuln(v, p) for v, p in found if v.ecosystem == "python"), key=trivy_sort_key)
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
            "RepoDigests": [f"{REPOSITORY}@{rel.digest}"],
            "ImageConfig": trivy_image_config(rel),
            "Layers": [
                {"Size": layer.uncompressed, "Digest": layer.digest, "DiffID": layer.diff_id} for layer in rel.layers
            ],
        },
        "Results": [
            {
                "Target": f"{rel.tag} (debian {rel.debian})",
                "Class": "os-pkgs",
                "Type": "debian",
                "Vulnerabilities": os_vulns,
            },
            {"Target": "Python", "Class": "lang-pkgs", "Type": "python-pkg", "Vulnerabilities": py_vulns},
        ],
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


def grype_match(v: Vuln, pkg: Pkg) -> Obj:
    if v.ecosystem == "deb":
        vuln: Obj = {
            "id": v.cve,
            "dataSource": f"https://security-tracker.debian.org/tracker/{v.cve}",
            "namespace": "debian:distro:debian:12",
            "severity": v.grype_severity,
            "urls": [f"https://security-tracker.debian.org/tracker/{v.cve}"],
            "cvss": [],
            "fix": {"versions": [], "state": "wont-fix" if v.status == "will_not_fix" else "not-fixed"},
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
            "found": {"vulnerabilityID": v.cve, "versionConstraint": "none (deb)"},
        }
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


def grype_db(rel: Release) -> Obj:
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


def grype_report(rel: Release) -> Obj:
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
                "repoDigests": [f"{REPOSITORY}@{rel.digest}"],
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
    "1.4.0": (
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
    "1.3.0": (
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


def vex_document(rel: Release) -> Obj:
    pkgs = packages(rel)
    by_id = {v.cve: v for v in VULNS}
    statements = []
    for claim in VEX_CLAIMS[rel.version]:
        vuln = by_id[claim.cve]
        subject: Obj = {"@id": nvd_url(claim.cve), "name": claim.cve}
        if vuln.ghsa:
            subject["aliases"] = [vuln.ghsa]
        statement: Obj = {
            "vulnerability": subject,
            "timestamp": rel.vex_time,
            "products": [
                {
                    "@id": vex_product(rel.digest),
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
        "author": "Example Org Product Security <psirt@example.com>",
        "role": "Document Creator",
        "timestamp": rel.vex_time,
        "version": 1,
        "statements": statements,
    }


# --------------------------------------------------------------------------------------------------
# Dockerfile and docker inspect.

REQUIREMENTS_NOTE = "# requirements.txt is compiled with pip-compile --generate-hashes"


def dockerfile(rel: Release) -> str:
    base = f"{BASE_TAG}@{rel.base_digest}" if rel.pinned_base else BASE_TAG
    health = (
        "HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \\\n"
        f"    CMD {json.dumps(list(HEALTHCHECK_CMD))}\n"
        if rel.healthcheck
        else ""
    )
    return f"""# syntax=docker/dockerfile:1.7
# webapp {rel.version}: Flask application served by gunicorn.

FROM {base} AS builder
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
{REQUIREMENTS_NOTE}
COPY requirements.txt .
RUN pip wheel --require-hashes --wheel-dir /wheels --requirement requirements.txt \\
 && cp requirements.txt /wheels/requirements.txt

FROM {base}
ENV {" ".join(APP_ENV)}
RUN groupadd --system --gid 10001 app \\
 && useradd --system --uid 10001 --gid app --no-create-home --home-dir /app --shell /usr/sbin/nologin app
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \\
    pip install --no-index --find-links=/wheels --requirement /wheels/requirements.txt
WORKDIR /app
COPY --chown=app:app src/ ./
USER 10001:10001
EXPOSE 8080
{health}CMD {json.dumps(list(CMD))}
"""


def docker_inspect(rel: Release) -> list[Obj]:
    config: Obj = {
        "Hostname": "",
        "Domainname": "",
        "User": "10001:10001",
        "AttachStdin": False,
        "AttachStdout": False,
        "AttachStderr": False,
        "ExposedPorts": {"8080/tcp": {}},
        "Tty": False,
        "OpenStdin": False,
        "StdinOnce": False,
        "Env": env(rel),
        "Cmd": list(CMD),
    }
    if rel.healthcheck:
        config["Healthcheck"] = healthcheck_obj()
    config |= {
        "Image": "",
        "Volumes": None,
        "WorkingDir": "/app",
        "Entrypoint": None,
        "OnBuild": None,
        "Labels": labels(rel),
    }
    overlay = [fake_hex(f"overlay/{rel.version}/{i}") for i in range(len(rel.layers))]
    top = overlay[-1]
    return [
        {
            "Id": image_id(rel),
            "RepoTags": [rel.tag],
            "RepoDigests": [f"{REPOSITORY}@{rel.digest}"],
            "Parent": "",
            "Comment": "buildkit.dockerfile.v0",
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
# Signatures: cosign simple signing and a DSSE-wrapped SLSA provenance, one sample key for both.


def cosign_payload(rel: Release) -> bytes:
    payload = {
        "critical": {
            "identity": {"docker-reference": REPOSITORY},
            "image": {"docker-manifest-digest": rel.digest},
            "type": "cosign container image signature",
        },
        "optional": {
            "git-sha": rel.commit,
            "release": rel.version,
            "run": f"{SOURCE_REPO}/actions/runs/{rel.run_id}",
        },
    }
    return go_json(payload, indent=None, escape_html=True).encode()


def provenance_statement(rel: Release) -> bytes:
    ref = f"refs/tags/v{rel.version}"
    statement = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": REPOSITORY, "digest": {"sha256": rel.digest.removeprefix("sha256:")}}],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {
            "buildDefinition": {
                "buildType": "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1",
                "externalParameters": {
                    "workflow": {"ref": ref, "repository": SOURCE_REPO, "path": ".github/workflows/release.yml"}
                },
                "internalParameters": {
                    "github": {
                        "event_name": "push",
                        "repository_id": "873316502",
                        "repository_owner_id": "190274435",
                        "runner_environment": "github-hosted",
                    }
                },
                "resolvedDependencies": [
                    {"uri": f"git+{SOURCE_REPO}@{ref}", "digest": {"gitCommit": rel.commit}},
                    # the build file, by content: what binds the Dockerfile (which names no image) to the image
                    {
                        "uri": f"git+{SOURCE_REPO}@{ref}#Dockerfile",
                        "digest": {"sha256": hashlib.sha256(dockerfile(rel).encode()).hexdigest()},
                    },
                    {
                        "uri": f"pkg:docker/python@3.12-slim-bookworm?digest={_pct(rel.base_digest)}"
                        "&platform=linux%2Famd64",
                        "digest": {"sha256": rel.base_digest.removeprefix("sha256:")},
                    },
                ],
            },
            "runDetails": {
                "builder": {"id": "https://github.com/actions/runner/github-hosted"},
                "metadata": {
                    "invocationId": f"{SOURCE_REPO}/actions/runs/{rel.run_id}/attempts/1",
                    "startedOn": rel.build_started,
                    "finishedOn": rel.build_finished,
                },
            },
        },
    }
    return go_json(statement, indent=None, escape_html=True).encode()


PAYLOAD_TYPE = "application/vnd.in-toto+json"


def pae(payload_type: str, body: bytes) -> bytes:
    """DSSE pre-authentication encoding."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(body), body)


def sign(key: ec.EllipticCurvePrivateKey, data: bytes) -> str:
    return base64.b64encode(key.sign(data, ec.ECDSA(hashes.SHA256()))).decode()


def verify(pub: ec.EllipticCurvePublicKey, data: bytes, signature_b64: str) -> bool:
    try:
        pub.verify(base64.b64decode(signature_b64), data, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


def envelope(key: ec.EllipticCurvePrivateKey, rel: Release) -> str:
    body = provenance_statement(rel)
    env_obj = {
        "payloadType": PAYLOAD_TYPE,
        "payload": base64.b64encode(body).decode(),
        "signatures": [{"keyid": "", "sig": sign(key, pae(PAYLOAD_TYPE, body))}],
    }
    return go_json(env_obj, indent=None, escape_html=True) + "\n"


# --------------------------------------------------------------------------------------------------


KEY_FILE = HERE / "keys" / "webapp.pub"


def write_release(rel: Release, key: ec.EllipticCurvePrivateKey) -> Path:
    check_digest(rel)
    out = HERE / f"webapp-{rel.version}"
    out.mkdir(exist_ok=True)
    write(out / "sbom.cdx.json", go_json(sbom(rel), indent=2, escape_html=False) + "\n")
    write(out / "trivy.json", go_json(trivy_report(rel), indent=2, escape_html=True) + "\n")
    write(out / "grype.json", go_json(grype_report(rel), indent=1, escape_html=False) + "\n")
    write(out / "openvex.json", go_json(vex_document(rel), indent=2, escape_html=True) + "\n")
    write(out / "Dockerfile", dockerfile(rel))
    write(out / "image-inspect.json", go_json(docker_inspect(rel), indent=4, escape_html=True) + "\n")
    payload = cosign_payload(rel)
    (out / "cosign-payload.json").write_bytes(payload)
    (out / "cosign-payload.sig").write_text(sign(key, payload), encoding="ascii")
    write(out / "provenance.intoto.json", envelope(key, rel))
    print(f"wrote {out.relative_to(HERE.parent)}/cosign-payload.json, cosign-payload.sig")
    return out


def check_signatures(out: Path) -> None:
    """Verify what was written, from the files alone, the way a consumer would."""
    pub = serialization.load_pem_public_key(KEY_FILE.read_bytes())
    if not isinstance(pub, ec.EllipticCurvePublicKey):
        raise SystemExit(f"{KEY_FILE.relative_to(HERE.parent)} is not an EC public key")
    payload = (out / "cosign-payload.json").read_bytes()
    if not verify(pub, payload, (out / "cosign-payload.sig").read_text(encoding="ascii")):
        raise SystemExit(f"{out.name}: cosign-payload.sig does not verify")
    env_obj = json.loads((out / "provenance.intoto.json").read_text(encoding="utf-8"))
    body = base64.b64decode(env_obj["payload"])
    if not verify(pub, pae(env_obj["payloadType"], body), env_obj["signatures"][0]["sig"]):
        raise SystemExit(f"{out.name}: provenance.intoto.json signature does not verify")
    print(f"verified {out.name}: cosign-payload.sig and the provenance DSSE signature")


def main() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    KEY_FILE.parent.mkdir(exist_ok=True)
    KEY_FILE.write_bytes(public_pem)
    print(f"wrote {KEY_FILE.relative_to(HERE.parent)}")
    for rel in RELEASES:
        check_signatures(write_release(rel, key))


if __name__ == "__main__":
    main()
