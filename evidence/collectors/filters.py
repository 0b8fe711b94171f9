"""The settings a scan records that hid findings from its report (`Evidence.scan_filters`), per format.

Only what the file records is read, and only settings that hide findings count: `only-fixed: false`, a severity
list that names every severity, a fail-on threshold (which sets the exit code and hides nothing) are not filters.
What each format can record:

- Grype JSON: `descriptor.configuration`, the whole configuration Grype ran with, the rules it added itself
  included; in a report without it, the matches listed in `ignoredMatches` with the rules that hid them. Grype's
  kernel-header rules (added unless `match-upstream-kernel-headers` is true) set aside matches of the kernel's
  vulnerabilities to kernel header packages; the kernel is the host's, so they hide nothing about the image and are
  not counted. Rules Grype adds for a setting (`only-fixed` ignores the other fix states, VEX documents
  ignore `not_affected` and `fixed`) are shown as that setting.
- Trivy JSON: no command line or configuration. `--severity`, `--ignore-unfixed`, `--ignore-status`, `--skip-dirs`
  and a `.trivyignore` applied without `--show-suppressed` leave no trace; with it, each finding set aside is listed
  in `ExperimentalModifiedFindings`, which is read.
- SARIF: `invocations[].arguments` or `commandLine`, for the flags of Trivy, Grype and Snyk that hide findings, and
  `ruleConfigurationOverrides` that disable a rule. A result with `suppressions` is still in the log, and read.
- Snyk JSON: `severityThreshold` above low, and the vulnerabilities its policy set aside (`filtered.ignore`,
  `filtered.patch`).
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from typing import Any

from evidence.collectors._util import (
    array_at,
    expect_array,
    expect_bool,
    expect_object,
    expect_string,
    expect_strings,
    pointer,
    string_at,
)
from evidence.model import ScanFilter

# --- Grype JSON ---------------------------------------------------------------------------------------------------

GRYPE_CONFIGURATION = "/descriptor/configuration"
# (package name, package type, upstream name) of the rules Grype adds when match-upstream-kernel-headers is false.
_KERNEL_HEADER_RULES = frozenset(
    {
        ("kernel-headers", "rpm", "kernel"),
        ("linux(-.*)?-headers-.*", "deb", "linux.*"),
        ("linux-libc-dev", "deb", "linux"),
    }
)
# The rules Grype adds for a setting: a rule of one condition, (field, value).
_RULES_OF_SETTING = {
    "only-fixed": frozenset({("fix-state", "not-fixed"), ("fix-state", "wont-fix"), ("fix-state", "unknown")}),
    "only-notfixed": frozenset({("fix-state", "fixed")}),
    "vex-documents": frozenset({("vex-status", "not_affected"), ("vex-status", "fixed")}),
}
# The conditions of an ignore rule, in the order they are shown; `reason` is shown but is no condition.
_RULE_FIELDS = ("vulnerability", "namespace", "fix-state", "vex-status", "vex-justification", "match-type")
_PACKAGE_FIELDS = ("name", "version", "language", "type", "location", "upstream-name")


def grype_filters(report: dict[str, Any], descriptor: dict[str, Any], path: str) -> tuple[ScanFilter, ...]:
    """The filters in a Grype report's `descriptor.configuration`; in a report that does not record it, the
    matches it lists as ignored (`ignoredMatches`), each with the rules that hid it."""
    at = GRYPE_CONFIGURATION
    if descriptor.get("configuration") is None:
        return _grype_ignored_matches(report, path)
    configuration = expect_object(descriptor.get("configuration"), path, at)
    settings = _grype_settings(configuration, path)
    active = {f.setting for f in settings}
    implied = frozenset().union(*(_RULES_OF_SETTING.get(setting, frozenset()) for setting in active))
    rules: list[ScanFilter] = []
    for i, entry in enumerate(expect_array(configuration.get("ignore"), path, f"{at}/ignore")):
        rule_at = f"{at}/ignore/{i}"
        conditions, reason = _grype_rule(expect_object(entry, path, rule_at), path, rule_at)
        if _hides_nothing(conditions, implied, vex="vex-documents" in active):
            continue
        shown = ", ".join(f"{name} {value}" for name, value in conditions)
        if reason:
            shown += f", reason {reason!r}"
        rules.append(ScanFilter(setting="ignore", value=shown, location=rule_at))
    return (*settings, *rules)


def _grype_settings(configuration: dict[str, Any], path: str) -> list[ScanFilter]:
    """The settings other than ignore rules that hide findings."""
    at = GRYPE_CONFIGURATION
    found = [
        ScanFilter(setting=setting, value="true", location=f"{at}/{setting}")
        for setting in ("only-fixed", "only-notfixed")
        if expect_bool(configuration.get(setting), path, f"{at}/{setting}")
    ]
    states = string_at(configuration, "ignore-wontfix", path, at)
    if states:  # the fix states `--ignore-states` ignores
        found.append(ScanFilter(setting="ignore-wontfix", value=states, location=f"{at}/ignore-wontfix"))
    for key in ("exclude", "vex-documents"):
        for i, entry in enumerate(expect_array(configuration.get(key), path, f"{at}/{key}")):
            value = expect_string(entry, path, f"{at}/{key}/{i}")
            if value:
                found.append(ScanFilter(setting=key, value=value, location=f"{at}/{key}/{i}"))
    return found


def _grype_ignored_matches(report: dict[str, Any], path: str) -> tuple[ScanFilter, ...]:
    found: list[ScanFilter] = []
    for i, entry in enumerate(expect_array(report.get("ignoredMatches"), path, "/ignoredMatches")):
        at = f"/ignoredMatches/{i}"
        ignored = expect_object(entry, path, at)
        vulnerability = expect_object(ignored.get("vulnerability"), path, f"{at}/vulnerability", optional=True)
        artifact = expect_object(ignored.get("artifact"), path, f"{at}/artifact", optional=True)
        rules = []
        for j, rule in enumerate(array_at(ignored, "appliedIgnoreRules", path, at)):
            rule_at = f"{at}/appliedIgnoreRules/{j}"
            conditions, _ = _grype_rule(expect_object(rule, path, rule_at), path, rule_at)
            if not _hides_nothing(conditions, frozenset(), vex=True):
                rules.append(", ".join(f"{name} {value}" for name, value in conditions))
        if not rules:  # hidden by Grype's kernel-header rules only, or by no rule it names
            continue
        named = " ".join(
            part
            for part in (
                string_at(vulnerability, "id", path, f"{at}/vulnerability"),
                "in",
                string_at(artifact, "name", path, f"{at}/artifact"),
                string_at(artifact, "version", path, f"{at}/artifact"),
            )
            if part
        )
        found.append(ScanFilter(setting="ignoredMatches", value=f"{named} (rule {'; '.join(rules)})", location=at))
    return tuple(found)


def _grype_rule(rule: dict[str, Any], path: str, where: str) -> tuple[list[tuple[str, str]], str | None]:
    """The conditions of an ignore rule, (field, value) with `package.` before package fields, and its reason."""
    conditions = [(name, value) for name in _RULE_FIELDS if (value := string_at(rule, name, path, where))]
    package = expect_object(rule.get("package"), path, f"{where}/package", optional=True)
    conditions += [
        (f"package.{name}", value)
        for name in _PACKAGE_FIELDS
        if (value := string_at(package, name, path, f"{where}/package"))
    ]
    return conditions, string_at(rule, "reason", path, where)


def _hides_nothing(conditions: list[tuple[str, str]], implied: frozenset[tuple[str, str]], *, vex: bool) -> bool:
    """A rule that hides no finding about the image, or one already shown as the setting that added it."""
    if not conditions:  # Grype applies a rule of no condition to nothing
        return True
    if len(conditions) == 1 and conditions[0] in implied:
        return True
    if any(name == "vex-status" for name, _ in conditions) and not vex:  # only the VEX step applies these
        return True
    fields = dict(conditions)
    kernel = (fields.get("package.name"), fields.get("package.type"), fields.get("package.upstream-name"))
    return set(fields) == {"package.name", "package.type", "package.upstream-name", "match-type"} and (
        fields["match-type"] == "exact-indirect-match" and kernel in _KERNEL_HEADER_RULES
    )


# --- Trivy JSON ---------------------------------------------------------------------------------------------------


def trivy_filters(report: dict[str, Any], path: str) -> tuple[ScanFilter, ...]:
    """The findings a Trivy report lists as set aside (`--show-suppressed`), each with what set it aside."""
    found: list[ScanFilter] = []
    for i, entry in enumerate(expect_array(report.get("Results"), path, "/Results")):
        where = pointer("Results", i)
        result = expect_object(entry, path, where)
        for j, item in enumerate(array_at(result, "ExperimentalModifiedFindings", path, where)):
            at = f"{where}/ExperimentalModifiedFindings/{j}"
            modified = expect_object(item, path, at)
            finding = expect_object(modified.get("Finding"), path, f"{at}/Finding", optional=True)
            identifier = (
                string_at(finding, "VulnerabilityID", path, f"{at}/Finding")
                or string_at(finding, "AVDID", path, f"{at}/Finding")
                or string_at(finding, "RuleID", path, f"{at}/Finding")
                or string_at(finding, "ID", path, f"{at}/Finding")
                or "a finding"
            )
            package = string_at(finding, "PkgName", path, f"{at}/Finding")
            status = string_at(modified, "Status", path, at) or "modified"
            statement = string_at(modified, "Statement", path, at)
            value = f"{identifier}{f' in {package}' if package else ''} {status}"
            found.append(
                ScanFilter(
                    setting=string_at(modified, "Source", path, at) or "ExperimentalModifiedFindings",
                    value=f"{value}: {statement}" if statement else value,
                    location=at,
                )
            )
    return tuple(found)


# --- SARIF --------------------------------------------------------------------------------------------------------

_ALL_TRIVY_SEVERITIES = frozenset({"UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"})


def _always(_: str) -> bool:
    return True


def _not_every_trivy_severity(value: str) -> bool:
    return not {s.strip().upper() for s in value.split(",")} >= _ALL_TRIVY_SEVERITIES


def _above_low(value: str) -> bool:
    return value.strip().lower() not in {"", "low"}


# Per tool: flag -> (takes a value, whether that value hides findings). A flag without a value hides findings when
# present, unless written `--flag=false`.
_Flags = dict[str, tuple[bool, Callable[[str], bool]]]
_SARIF_FLAGS: dict[str, _Flags] = {
    "trivy": {
        "--ignore-unfixed": (False, _always),
        "--ignore-status": (True, _always),
        "--severity": (True, _not_every_trivy_severity),
        "-s": (True, _not_every_trivy_severity),
        "--ignorefile": (True, _always),
        "--ignore-policy": (True, _always),
        "--vex": (True, _always),
        "--skip-dirs": (True, _always),
        "--skip-files": (True, _always),
        "--pkg-types": (True, _always),
        "--vuln-type": (True, _always),
    },
    "grype": {
        "--only-fixed": (False, _always),
        "--only-notfixed": (False, _always),
        "--ignore-states": (True, _always),
        "--exclude": (True, _always),
        "-e": (True, _always),
        "--vex": (True, _always),
    },
    "snyk": {
        "--severity-threshold": (True, _above_low),
        "--policy-path": (True, _always),
        "--exclude-base-image-vulns": (False, _always),
        "--exclude-app-vulns": (False, _always),
    },
}


def sarif_filters(run: dict[str, Any], tool: str, path: str, where: str) -> tuple[ScanFilter, ...]:
    """Filter flags on a run's recorded command lines, and rules its invocations disabled."""
    found: list[ScanFilter] = []
    flags = _SARIF_FLAGS.get(tool, {})
    for i, entry in enumerate(array_at(run, "invocations", path, where)):
        at = f"{where}/invocations/{i}"
        invocation = expect_object(entry, path, at)
        arguments = expect_strings(invocation.get("arguments"), path, f"{at}/arguments")
        if arguments:
            found += _flag_filters(arguments, flags, f"{at}/arguments")
        else:
            command = string_at(invocation, "commandLine", path, at)
            found += _flag_filters(_words(command or ""), flags, f"{at}/commandLine")
        for j, override in enumerate(array_at(invocation, "ruleConfigurationOverrides", path, at)):
            override_at = f"{at}/ruleConfigurationOverrides/{j}"
            fields = expect_object(override, path, override_at)
            configuration = expect_object(
                fields.get("configuration"), path, f"{override_at}/configuration", optional=True
            )
            if expect_bool(configuration.get("enabled"), path, f"{override_at}/configuration/enabled") is False:
                descriptor = expect_object(fields.get("descriptor"), path, f"{override_at}/descriptor", optional=True)
                rule = string_at(descriptor, "id", path, f"{override_at}/descriptor") or "a rule"
                found.append(
                    ScanFilter(
                        setting="ruleConfigurationOverrides",
                        value=f"{rule} disabled",
                        location=f"{override_at}/configuration/enabled",
                    )
                )
    return tuple(found)


def _words(command: str) -> list[str]:
    try:
        return shlex.split(command)
    except ValueError:  # an unbalanced quote: the words as written
        return command.split()


def _flag_filters(words: list[str], flags: _Flags, where: str) -> list[ScanFilter]:
    """`--flag value`, `--flag=value` and value-less flags among the words of a command line.

    A location names the arguments entry for `arguments`, the whole command line for `commandLine`.
    """
    found: list[ScanFilter] = []
    by_entry = where.endswith("/arguments")
    for i, word in enumerate(words):
        name, equals, attached = word.partition("=")
        if name not in flags:
            continue
        takes_value, hides = flags[name]
        if takes_value:
            value = attached if equals else (words[i + 1] if i + 1 < len(words) else "")
        else:
            value = attached if equals else "true"
            if value.lower() == "false":
                continue
        if value and hides(value):
            found.append(ScanFilter(setting=name, value=value, location=f"{where}/{i}" if by_entry else where))
    return found


# --- Snyk JSON ----------------------------------------------------------------------------------------------------


def snyk_filters(project: dict[str, Any], path: str, where: str) -> tuple[ScanFilter, ...]:
    """A Snyk project's severity threshold above low, and the vulnerabilities its policy set aside."""
    found: list[ScanFilter] = []
    threshold = string_at(project, "severityThreshold", path, where)
    if threshold and _above_low(threshold):
        found.append(ScanFilter(setting="severityThreshold", value=threshold, location=f"{where}/severityThreshold"))
    filtered = expect_object(project.get("filtered"), path, f"{where}/filtered", optional=True)
    for key in ("ignore", "patch"):
        for i, entry in enumerate(array_at(filtered, key, path, f"{where}/filtered")):
            at = f"{where}/filtered/{key}/{i}"
            vulnerability = expect_object(entry, path, at)
            identifier = string_at(vulnerability, "id", path, at) or "a vulnerability"
            package = string_at(vulnerability, "packageName", path, at) or string_at(vulnerability, "name", path, at)
            version = string_at(vulnerability, "version", path, at)
            named = " ".join(part for part in (package, version) if part)
            value = f"{identifier} in {named}" if named else identifier
            reasons = _snyk_reasons(vulnerability, path, at)
            found.append(
                ScanFilter(
                    setting=f"filtered.{key}",
                    value=f"{value}, reason {'; '.join(reasons)!r}" if reasons else value,
                    location=at,
                )
            )
    return tuple(found)


def _snyk_reasons(vulnerability: dict[str, Any], path: str, where: str) -> list[str]:
    """The reasons the policy gave for setting a vulnerability aside (`filtered.ignored[].reason`)."""
    at = f"{where}/filtered"
    filtered = expect_object(vulnerability.get("filtered"), path, at, optional=True)
    reasons = []
    for i, entry in enumerate(array_at(filtered, "ignored", path, at)):
        reason = string_at(expect_object(entry, path, f"{at}/ignored/{i}"), "reason", path, f"{at}/ignored/{i}")
        if reason:
            reasons.append(reason)
    return reasons
