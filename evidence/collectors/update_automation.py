"""Dependency update automation: a Renovate configuration or a Dependabot `dependabot.yml`.

Renovate: plain JSON only (`renovate.json`, or `.renovaterc.json`); a JSON5 file with comments is not read, since
stripping comments safely needs a JSON5 parser. Recognized by a Renovate `$schema`, or `extends` naming Renovate
presets. `ecosystems` are the `enabledManagers`, or `("*",)` when every manager is enabled (Renovate's default).
Base images are updated when the `dockerfile` or `docker-compose` manager is enabled and not disabled (`docker:disable`,
`"dockerfile": {"enabled": false}`, or a package rule that disables the docker datasource or those managers outright).
Digests are pinned by `pinDigests: true` globally, under `docker` / `dockerfile`, or in a package rule that matches
the docker datasource or those managers (or matches everything), or by the `docker:pinDigests` preset, which
`config:best-practices` includes. `helpers:pinGitHubActionDigests` pins actions, not images, and does not count.

Dependabot: `version: 2` with `updates`. Its `docker` (and `docker-compose`) ecosystem updates FROM lines, and on
a line pinned by digest it updates the digest with the tag, keeping the pin; it never adds a pin to an unpinned
line. So `pins_digests` is true with the docker ecosystem: pinned base images stay pinned and current. Whether
they are pinned at all is the Dockerfile's evidence.
"""

from __future__ import annotations

import re
from typing import Any

from evidence.collectors._util import expect_array, expect_object, expect_string, expect_strings, pointer
from evidence.collectors.interface import CollectorError, Document
from evidence.collectors.kubernetes import load_documents, looks_like_yaml_text
from evidence.model import Evidence, EvidenceKind, UpdateAutomationFacts

RENOVATE_SCHEMA_RE = re.compile(r"renovate", re.IGNORECASE)
_PRESET_RE = re.compile(
    r"^(?:config|docker|helpers|group|schedule|default|workarounds|preview|customManagers|regexManagers|security"
    r"|packages|monorepo|replacements|abandonments|mergeConfidence|npm)?:[A-Za-z]"
)
DOCKER_MANAGERS = frozenset({"dockerfile", "docker-compose"})
PIN_PRESETS = frozenset({"docker:pinDigests", "config:best-practices"})
DISABLE_PRESETS = frozenset({"docker:disable"})
_MATCH_KEYS_OTHER = ("matchPackageNames", "matchPackagePatterns", "matchDepNames", "matchFileNames", "matchPaths")

_DEPENDABOT_VERSION_RE = re.compile(r"""^version[ \t]*:[ \t]*["']?2["']?[ \t]*(?:#.*)?$""", re.MULTILINE)
_DEPENDABOT_ECOSYSTEM_RE = re.compile(r"""^[ \t-]*["']?package-ecosystem["']?[ \t]*:""", re.MULTILINE)
DEPENDABOT_DOCKER = frozenset({"docker", "docker-compose"})


def _is_renovate(data: object) -> bool:
    if not isinstance(data, dict):
        return False
    schema = data.get("$schema")
    if isinstance(schema, str) and RENOVATE_SCHEMA_RE.search(schema):
        return True
    extends = data.get("extends")
    return isinstance(extends, list) and any(isinstance(p, str) and _PRESET_RE.match(p) for p in extends)


class RenovateConfig:
    name = "renovate"

    def sniff(self, doc: Document) -> bool:
        return _is_renovate(doc.json())

    def parse(self, doc: Document) -> Evidence:
        config = expect_object(doc.json(), doc.path, "")
        if not _is_renovate(config):
            raise CollectorError(doc.path, "not a Renovate configuration")
        path = doc.path
        extends = set(expect_strings(config.get("extends"), path, "/extends"))
        managers = expect_strings(config.get("enabledManagers"), path, "/enabledManagers")
        restricted = "enabledManagers" in config
        docker_on = not DISABLE_PRESETS.intersection(extends) and (
            not restricted or bool(DOCKER_MANAGERS.intersection(managers))
        )
        pins = config.get("pinDigests") is True or bool(PIN_PRESETS.intersection(extends))
        for key in ("docker", *sorted(DOCKER_MANAGERS)):
            section = expect_object(config.get(key), path, pointer(key), optional=True)
            if section.get("enabled") is False:
                docker_on = False
            pins = pins or section.get("pinDigests") is True
        for i, entry in enumerate(expect_array(config.get("packageRules"), path, "/packageRules")):
            rule = expect_object(entry, path, pointer("packageRules", i))
            datasources = expect_strings(
                rule.get("matchDatasources"), path, pointer("packageRules", i, "matchDatasources")
            )
            rule_managers = expect_strings(rule.get("matchManagers"), path, pointer("packageRules", i, "matchManagers"))
            for_docker = "docker" in datasources or bool(DOCKER_MANAGERS.intersection(rule_managers))
            for_all = not datasources and not rule_managers
            narrowed = any(key in rule for key in _MATCH_KEYS_OTHER)
            if for_docker and not narrowed and rule.get("enabled") is False:
                docker_on = False
            if (for_docker or for_all) and rule.get("pinDigests") is True:
                pins = True
        return doc.evidence(
            kind=EvidenceKind.UPDATE_AUTOMATION,
            format="Renovate configuration",
            update_automation=UpdateAutomationFacts(
                tool="renovate",
                ecosystems=tuple(managers) if "enabledManagers" in config else ("*",),
                updates_base_images=docker_on,
                pins_digests=docker_on and pins,
                location="/",
            ),
        )


def _is_dependabot(data: object) -> bool:
    return (
        isinstance(data, dict)
        and data.get("version") in (2, "2")
        and isinstance(data.get("updates"), list)
        and any(isinstance(u, dict) and "package-ecosystem" in u for u in data["updates"])
    )


class DependabotConfig:
    name = "dependabot"

    def sniff(self, doc: Document) -> bool:
        data = doc.json()
        if data is not None or doc.looks_like_json:
            return _is_dependabot(data)
        text = looks_like_yaml_text(doc)
        return (
            text is not None
            and bool(_DEPENDABOT_VERSION_RE.search(text))
            and bool(_DEPENDABOT_ECOSYSTEM_RE.search(text))
        )

    def parse(self, doc: Document) -> Evidence:
        documents = load_documents(doc)
        config: Any = documents[0] if len(documents) == 1 else None
        if not _is_dependabot(config):
            raise CollectorError(doc.path, "not a Dependabot configuration: `version: 2` with an `updates` list")
        ecosystems: list[str] = []
        for i, entry in enumerate(expect_array(config.get("updates"), doc.path, "/updates")):
            update = expect_object(entry, doc.path, pointer("updates", i))
            ecosystem = expect_string(
                update.get("package-ecosystem"), doc.path, pointer("updates", i, "package-ecosystem")
            )
            if ecosystem:
                ecosystems.append(ecosystem.strip())
        docker = bool(DEPENDABOT_DOCKER.intersection(ecosystems))
        return doc.evidence(
            kind=EvidenceKind.UPDATE_AUTOMATION,
            format="Dependabot configuration",
            format_version="2",
            update_automation=UpdateAutomationFacts(
                tool="dependabot",
                ecosystems=tuple(dict.fromkeys(ecosystems)),
                updates_base_images=docker,
                pins_digests=docker,
                location="/updates",
            ),
        )
