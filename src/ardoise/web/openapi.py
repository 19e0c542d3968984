"""The OpenAPI document states the answers the server really gives (issue #21.7).

FastAPI describes each route's 200 and a 422 it never sends (validation errors answer 400,
:mod:`ardoise.web.errors`). :func:`complete` rewrites the generated document once: every
operation declares the error answers it can give, with the one error body
(``{"error_code", "message"}``); a JSON 200 is an object; the quota headers of every
``/api/`` answer are declared. ``tests/api/test_schemathesis.py`` runs every schemathesis
check against this document.

>>> doc = {"paths": {"/api/x/{id}": {"get": {"parameters": [{"name": "id", "in": "path"}],
...     "responses": {"200": {"content": {"application/json": {"schema": {}}}},
...                   "422": {"description": "Validation Error"}}}}}}
>>> op = complete(doc)["paths"]["/api/x/{id}"]["get"]
>>> sorted(op["responses"])
['200', '400', '404', '429', '503']
>>> op["responses"]["200"]["content"]["application/json"]["schema"]
{'type': 'object'}
"""

from __future__ import annotations

import re
import zoneinfo
from typing import Any

from ardoise.api.media import DCAT_FORMATS, EXPORT_FORMATS
from ardoise.query.territories.levels import GEO_FILES, LEVELS
from ardoise.query.v1.params import CATALOG_SORT

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error_code", "message"],
    "properties": {
        "error_code": {"type": "string"},
        "message": {"type": "string"},
        "position": {
            "type": "object",
            "properties": {"clause": {"type": "string"}, "col": {"type": "integer"}},
        },
    },
}

ERROR_DESCRIPTIONS = {
    "400": "Requête invalide (paramètre, clause ODSQL ou SQL)",
    "401": "Clé d'API absente ou invalide",
    "403": "Droit manquant pour cette action",
    "404": "Jeu, enregistrement, territoire, indicateur ou release inconnu",
    "409": "Conflit avec l'état de la soumission",
    "429": "Quota d'appels par adresse dépassé",
    "503": "Aucune release servie, release servie illisible ou fonction non installée",
}

QUOTA_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")

# Query parameters that name something which may not exist (404), besides path parameters.
NAMING_QUERY = frozenset({"dataset", "datasetid", "release", "date", "parent", "territoire"})

# Paths authenticated by an API key (the producers' Automation API).
AUTHENTICATED = "/api/producteurs/"


def _alternatives(*words: str) -> str:
    """A regular expression matching one of ``words``, case ignored."""
    return "|".join(
        "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in w)
        for w in words
    )


def _caseless(*words: str) -> dict[str, Any]:
    """A string schema matching one of ``words`` (or nothing), case and surrounding spaces
    ignored, as the handlers read them (``.strip().lower()``, empty = the default)."""
    return {"type": "string", "pattern": rf"^(?:\s*(?:{_alternatives(*words)})\s*)?$"}


def _level_words(names: tuple[str, ...]) -> tuple[str, ...]:
    """Level names as :func:`ardoise.query.territories.levels.level` reads them: accents
    ignored, plural accepted."""
    accented = {"etablissement": "établissement", "departement": "département"}
    accented |= {"academie": "académie", "region": "région"}
    spelled = [*names, *(accented[n] for n in names if n in accented)]
    return (*spelled, *(f"{n}s" for n in spelled))


def _levels(names: tuple[str, ...]) -> dict[str, Any]:
    return _caseless(*_level_words(names))


def _territory() -> dict[str, Any]:
    """``niveau:code`` (``france`` alone, or ``france:FR``), as
    :func:`ardoise.query.territories.levels.parse` reads it; whether the code exists is the
    404's business."""
    level = _alternatives(*_level_words(tuple(n for n in LEVELS if n != "france")))
    france = _alternatives("france", "frances")
    code = rf"(?:\s*:\s*(?:{_alternatives('fr', 'france')})\s*)?"
    return {
        "type": "string",
        "pattern": rf"^\s*(?:(?:{level})\s*:\s*\S[\s\S]*|(?:{france})\s*{code})$",
    }


# refine/exclude: `champ:valeur`, a field name that is not blank (Python's strip() also
# takes \x1c-\x1f away, which \s of other regex engines does not)
FILTER = {"type": "string", "pattern": r"^[\s\x1c-\x1f]*[^\s\x1c-\x1f:][^:]*:"}
# one character, not a quote, a line break or NUL (exporters.csv_export.check_delimiter)
DELIMITER = {"type": "string", "pattern": '^[^"\\r\\n\\x00]?$'}
# lang: its first two letters, after spaces (odsql.dates.lang_code)
LANG = r"^(?:\s*[A-Za-z](?:[A-Za-z][\s\S]*|\s*))?$"
CATALOG_SORTS = (*CATALOG_SORT, *(f"-{name}" for name in CATALOG_SORT))
# query.limits.parse_int_parameter reads at most 12 digits
MAX_INTEGER = 10**12 - 1
BOOLEAN = _caseless("true", "false", "1", "0", "yes", "no", "oui", "non")
# What each parameter really accepts, where the routes declare a plain string (they read
# the text themselves, to answer the portal's error messages): (path fragment, name, schema),
# the first match wins. Grammars (ODSQL, SQL, the v1 `q`) and cross-parameter limits
# (offset + limit ≤ 10,000) cannot be said in JSON Schema; tests/api/test_schemathesis.py
# says how those are checked.
PARAMETERS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("/exports/", "limit", {"type": "integer", "minimum": -1, "maximum": MAX_INTEGER}),
    ("/download", "rows", {"type": "integer", "minimum": -1, "maximum": MAX_INTEGER}),
    ("/api/explore/", "limit", {"type": "integer", "minimum": -1, "maximum": 100}),
    ("/api/explore/", "offset", {"type": "integer", "minimum": 0, "maximum": 9_900}),
    ("/1.0/", "rows", {"type": "integer", "minimum": 0, "maximum": 10_000}),
    ("/1.0/", "start", {"type": "integer", "minimum": 0, "maximum": 10_000}),
    ("/territoires", "limit", {"type": "integer", "minimum": 1, "maximum": 50}),
    ("/exports/{fmt}", "fmt", {"type": "string", "enum": list(EXPORT_FORMATS)}),
    ("/download", "format", _caseless(*EXPORT_FORMATS)),
    ("/catalog/exports/", "format", _caseless(*DCAT_FORMATS)),
    ("/sql", "format", {"type": "string", "enum": ["json", "csv", "parquet"]}),
    ("/geo/", "niveau", _levels(tuple(GEO_FILES))),
    ("", "niveau", _levels(LEVELS)),
    ("", "uai", {"type": "string", "pattern": r"^\s*[0-9]{7}[A-Za-z]\s*$"}),
    ("", "delimiter", DELIMITER),
    ("", "csv_separator", DELIMITER),
    ("", "territoire", _territory()),
    ("", "parent", _territory()),
    ("", "date", {"type": "string", "format": "date"}),
    ("", "annee", {"type": "string", "pattern": r"^\s*(?:[0-9]{4}-[0-9]{2}(?:[0-9]{2})?)?\s*$"}),
    ("", "lang", {"type": "string", "maxLength": 16, "pattern": LANG}),
    ("/datasets/1.0/search/", "sort", {"type": "array", "items": _caseless(*CATALOG_SORTS)}),
    ("", "timezone", {"type": "string", "enum": sorted(zoneinfo.available_timezones())}),
    ("", "refine", {"type": "array", "items": FILTER}),
    ("", "exclude", {"type": "array", "items": FILTER}),
    *(
        ("", name, BOOLEAN)
        for name in ("extrametas", "with_bom", "quote_all", "use_labels", "use_labels_for_header")
    ),
)

# Parameters a route reads as optional but answers 400 without: (path ending, name).
REQUIRED = frozenset(
    {
        ("/sql", "q"),
        ("/valeurs", "niveau"),
    }
)

# Parameters a route declares but ignores: the DCAT routes of one fixed serialisation.
IGNORED = frozenset((f"/catalog/exports/{s}", "format") for s in ("rdf", "ttl", "jsonld"))


def complete(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with every operation's real answers declared (changed in place, returned)."""
    for path, operations in doc.get("paths", {}).items():
        for operation in operations.values():
            _complete_operation(path, operation)
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["Erreur"] = ERROR_SCHEMA
    return doc


def _complete_operation(path: str, operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    responses.pop("422", None)
    params = [p for p in operation.get("parameters", []) if not _ignored(path, p.get("name", ""))]
    if params:
        operation["parameters"] = params
    for param in params:
        _declare(path, param)
    for status in _error_statuses(path, params, "requestBody" in operation):
        responses.setdefault(
            status,
            {
                "description": ERROR_DESCRIPTIONS[status],
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Erreur"}}
                },
            },
        )
    ok = responses.get("200", {})
    json_ok = ok.get("content", {}).get("application/json")
    if json_ok is not None and not json_ok.get("schema"):
        json_ok["schema"] = {"type": "object"}
    if path.startswith("/api/"):
        headers = ok.setdefault("headers", {})
        for name in QUOTA_HEADERS:
            headers.setdefault(name, {"required": True, "schema": {"type": "integer"}})


def _error_statuses(path: str, params: list[dict[str, Any]], has_body: bool) -> list[str]:
    statuses = ["429", "503"]
    if params or has_body:
        statuses.append("400")
    if any(p.get("in") == "path" or p.get("name") in NAMING_QUERY for p in params):
        statuses.append("404")
    if path.startswith(AUTHENTICATED):
        statuses += ["401", "403", "404", "409"]
    return sorted(set(statuses))


def install(app: Any) -> None:
    """Serve :func:`complete` of FastAPI's document (built once, on first request)."""
    generate = app.openapi

    def document() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete(generate())
        return app.openapi_schema  # type: ignore[no-any-return]

    app.openapi = document


def _declare(path: str, param: dict[str, Any]) -> None:
    """Give ``param`` the schema of :data:`PARAMETERS` that matches it, if any."""
    required = any(path.endswith(end) and param.get("name") == n for end, n in REQUIRED)
    if required:
        param["required"] = True
    for fragment, name, schema in PARAMETERS:
        if param.get("name") == name and fragment in path:
            old = param.get("schema", {})
            kept = {k: old[k] for k in ("description", "title", "default") if k in old}
            param["schema"] = {**schema, **kept}
            break
    if required and param.get("schema", {}).get("type") == "string":
        param["schema"]["minLength"] = 1  # given empty is not given


def _ignored(path: str, name: str) -> bool:
    return any(path.endswith(end) and name == n for end, n in IGNORED)
