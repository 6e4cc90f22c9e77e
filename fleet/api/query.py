"""The API refuses query parameters it does not know.

A typo in a filter (`from_date` for `from`) would otherwise be ignored without a word, and an auditor would download a
report of another period than the one asked for, registered and signed as if it were the one. The known parameters of
an operation are the ones its OpenAPI description lists, so the description and the rule cannot drift apart. Pages may
keep ignoring unknown parameters (links from elsewhere); the API does not.
"""

from __future__ import annotations

import re
from functools import cached_property

from flask import Flask, request

from fleet.errors import ValidationFailed

_VARIABLE = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def openapi_path(rule: str) -> str:
    """A Flask URL rule as its OpenAPI path: `/loans/<ref>` → `/loans/{ref}`."""
    return _VARIABLE.sub(r"{\1}", rule)


class KnownQueryParameters:
    """The query parameters of each API operation, read once from the OpenAPI description."""

    def __init__(self, app: Flask, spec, blueprints: set[str]):
        self.app, self.spec, self.blueprints = app, spec, blueprints

    @cached_property
    def by_operation(self) -> dict[tuple[str, str], tuple[str, ...]]:
        document = self.spec.to_dict()
        shared = document.get("components", {}).get("parameters", {})
        known: dict[tuple[str, str], tuple[str, ...]] = {}
        for rule in self.app.url_map.iter_rules():
            if rule.endpoint.partition(".")[0] not in self.blueprints:
                continue
            path = document["paths"].get(openapi_path(rule.rule), {})
            for method, operation in path.items():
                if not isinstance(operation, dict) or method == "parameters":
                    continue
                parameters = [shared.get(p["$ref"].rpartition("/")[2], {}) if "$ref" in p else p
                              for p in [*path.get("parameters", []), *operation.get("parameters", [])]]
                known[(rule.endpoint, method.upper())] = tuple(p["name"] for p in parameters if p.get("in") == "query")
        return known

    def check(self) -> None:
        """ValidationFailed naming each unknown parameter of this request, and listing the known ones."""
        # No query string at all (every write of the desk): nothing to parse into `request.args`.
        if not request.query_string or not request.args or request.blueprint not in self.blueprints:
            return
        method = "GET" if request.method == "HEAD" else request.method
        known = self.by_operation.get((request.endpoint, method))
        if known is None:  # OPTIONS, or a method the route does not have: Flask answers those itself
            return
        unknown = [name for name in request.args if name not in known]
        if unknown:
            listed = ", ".join(known) if known else "none"
            raise ValidationFailed(f"Unknown query parameter: {', '.join(unknown)}. This operation takes: {listed}.",
                                   errors={name: ["Unknown parameter."] for name in unknown})
