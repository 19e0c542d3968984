"""The text of a dataset descriptor, read the same way for the catalog's own files and for a
descriptor a producer declares (issue #15): YAML without surprises, then its shape.

:func:`read_yaml` refuses what a hostile file could use: more than :data:`MAX_BYTES`,
anchors and aliases (the "billion laughs"), explicit tags (``!!python/object`` and the
like: the safe loader refuses them too, this says it in French), nesting deeper than
:data:`MAX_DEPTH`, duplicate keys; every mapping remembers the line of each key, so that
:func:`unknown_keys` names the line of a key it does not know.

>>> raw = read_yaml("id: a\\ntitel: b\\n", "x.yaml")
>>> raw.lines["titel"]
2
>>> unknown_keys(raw, "x.yaml")[0]
"x.yaml : clé inconnue 'titel' (ligne 2)"
>>> read_yaml("a: &x [1]\\nb: *x\\n", "x.yaml")
Traceback (most recent call last):
...
ardoise.errors.CatalogError: x.yaml : ligne 1 : les ancres et alias YAML (& et *) ne sont pas admis
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import yaml

from ardoise.errors import CatalogError

MAX_BYTES = 512 * 1024
MAX_DEPTH = 12

TOP_KEYS = frozenset(
    {
        "id", "title", "description", "publisher", "licence", "source_url", "sources",
        "fields", "temporal_coverage", "spatial_coverage", "frequency", "key", "keywords",
        "themes", "territories", "school_year", "caveats", "null_markers",
    }
)  # fmt: skip
FIELD_KEYS = frozenset(
    {
        "name", "label", "type", "description", "unit", "aliases", "facet", "type_source",
        "official_name_differs",
    }
)  # fmt: skip
SOURCE_KEYS = frozenset(
    {"path", "description", "sheet", "header_row", "encoding", "absent", "years"}
)
PART_KEYS = {
    "temporal_coverage": frozenset({"kind", "years", "description"}),
    "spatial_coverage": frozenset({"national", "description", "territories"}),
    "school_year": frozenset({"kind", "field"}),
}


class LineDict(dict[str, Any]):
    """A YAML mapping that remembers the line (1-based) of each of its keys."""

    lines: dict[str, int]

    def __init__(self) -> None:
        super().__init__()
        self.lines = {}


class _Loader(yaml.SafeLoader):
    pass


def _mapping(loader: _Loader, node: yaml.MappingNode) -> Iterator[LineDict]:
    data = LineDict()
    yield data
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, str | int | float | bool) or key is None:
            raise CatalogError(f"ligne {line} : une clé doit être un texte")
        name = str(key)
        if name in data:
            raise CatalogError(f"ligne {line} : clé {name!r} en double")
        data[name] = loader.construct_object(value_node, deep=True)
        data.lines[name] = line


_Loader.add_constructor("tag:yaml.org,2002:map", _mapping)


def _scan(text: str, origin: str) -> None:
    """Refuse anchors, aliases, explicit tags and deep nesting before anything is built."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            line = event.start_mark.line + 1 if event.start_mark is not None else 0
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise CatalogError(
                    f"{origin} : ligne {line} : les ancres et alias YAML (& et *) ne sont pas admis"
                )
            tag = getattr(event, "tag", None)
            if isinstance(event, yaml.NodeEvent) and tag:
                raise CatalogError(
                    f"{origin} : ligne {line} : les étiquettes YAML ({tag}) ne sont pas admises"
                )
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise CatalogError(f"{origin} : ligne {line} : imbrication trop profonde")
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"ligne {mark.line + 1}" if mark is not None else "position inconnue"
        raise CatalogError(f"{origin} : YAML illisible, {where} : {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise CatalogError(f"{origin} : YAML illisible ({exc})") from None


def read_yaml(text: str, origin: str) -> LineDict:
    """The mapping of a descriptor's YAML text; CatalogError (French, with the line) else."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise CatalogError(f"{origin} : descripteur trop volumineux (plus de {MAX_BYTES >> 10} Ko)")
    _scan(text, origin)
    try:
        raw = yaml.load(text, Loader=_Loader)  # a SafeLoader subclass
    except CatalogError as exc:
        raise CatalogError(f"{origin} : {exc}") from None
    except yaml.YAMLError as exc:
        raise CatalogError(f"{origin} : YAML illisible ({exc})") from None
    if not isinstance(raw, LineDict):
        raise CatalogError(f"{origin} : le descripteur doit être un dictionnaire YAML")
    return raw


def _at(mapping: Mapping[str, Any], key: str) -> str:
    line = getattr(mapping, "lines", {}).get(key)
    return f" (ligne {line})" if line else ""


def _unknown(mapping: Mapping[str, Any], known: frozenset[str], where: str) -> list[str]:
    return [f"{where} : clé inconnue {k!r}{_at(mapping, k)}" for k in mapping if k not in known]


def _list_of_mappings(raw: Mapping[str, Any], key: str, origin: str) -> list[str]:
    value = raw.get(key)
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        return [f"{origin} : « {key} »{_at(raw, key)} doit être une liste de dictionnaires"]
    return []


def unknown_top_keys(raw: Mapping[str, Any], origin: str) -> list[str]:
    """The top-level keys of ``raw`` no descriptor knows, with their lines."""
    return _unknown(raw, TOP_KEYS, origin)


def unknown_keys(raw: Mapping[str, Any], origin: str) -> list[str]:
    """The keys of ``raw`` no descriptor knows, and the parts of the wrong shape (a list
    where a mapping is expected…), each with its line when known."""
    problems = unknown_top_keys(raw, origin)
    for key in ("fields", "sources"):
        problems += _list_of_mappings(raw, key, origin)
    for key, known in PART_KEYS.items():
        part = raw.get(key)
        if part is None and key == "school_year":
            continue
        if not isinstance(part, Mapping):
            problems.append(f"{origin} : « {key} »{_at(raw, key)} doit être un dictionnaire")
        else:
            problems += _unknown(part, known, f"{origin} {key}")
    if raw.get("territories") is not None and not isinstance(raw["territories"], Mapping):
        problems.append(
            f"{origin} : « territories »{_at(raw, 'territories')} doit être un dictionnaire"
        )
    if problems:
        return problems
    for i, f in enumerate(raw["fields"]):
        problems += _unknown(f, FIELD_KEYS, f"{origin} champ n°{i + 1}")
    for i, s in enumerate(raw["sources"]):
        problems += _unknown(s, SOURCE_KEYS, f"{origin} source n°{i + 1}")
    for t in raw["spatial_coverage"].get("territories") or ():
        if not isinstance(t, Mapping) or not {"niveau", "code", "nom"} <= set(t):
            problems.append(f"{origin} : un territoire couvert demande niveau, code et nom")
    return problems
