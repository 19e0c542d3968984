"""The portal's legacy v1 API (``/api/records/1.0/…``, ``/api/datasets/1.0/…``) and its
front-end download links (``/explore/dataset/{id}/download/``).

Still called by the portal's own pages and by many reusers (reference §1.9). Every handler
calls the data functions of ``ardoise.query.run``: the v1 parameters (``q``, ``refine.F``,
``exclude.F``, ``geofilter.*``, ``sort``, ``rows``, ``start``) become one
:class:`RecordsQuery` in ODSQL, built here with every value quoted by ``odsql_string`` or
checked to be a number first.

v1 conventions kept: ``sort=field`` is descending and ``sort=-field`` ascending;
``rows`` ≤ 10 000 and ``start + rows`` ≤ 10 000; ``fields`` hold non-null values only, a
``geo_point_2d`` as ``[lat, lon]`` and a ``geo_shape`` as its GeoJSON geometry; date facets
are a year / month / day tree whose ``path`` is ``2024/09/02``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from ardoise.api import params as P
from ardoise.api.explore import _catalog_query, export_response
from ardoise.api.jsonresponse import JSONBytes
from ardoise.api.metadata import dataset_json, dataset_metas, fields_json
from ardoise.api.values import render
from ardoise.exporters.model import ExportOptions
from ardoise.odsql.errors import InvalidParameter
from ardoise.odsql.schema import Schema
from ardoise.query import run
from ardoise.query.compile import compile_records
from ardoise.query.limits import parse_int_parameter
from ardoise.query.model import RecordsQuery
from ardoise.query.release import CATALOG_SCHEMA, DatasetView, ServedRelease

MAX_ROWS = 10_000  # rows, and start + rows (the v1 search window)
PAGE = 100  # run_records' own cap: bigger v1 pages are read in slices of this size
SORT_NOOP = frozenset({"record_timestamp", "-record_timestamp"})  # one timestamp per release

Dataset = Annotated[str | None, Query(description="Identifiant du jeu de données.")]
DatasetId = Annotated[str | None, Query(description="Ancien nom du paramètre `dataset`.")]
Q = Annotated[
    str | None,
    Query(
        description="Recherche plein texte (`mot`, `champ:valeur`, "
        "`champ>=valeur`, `champ:[a TO b]`, AND/OR/NOT)."
    ),
]
Rows = Annotated[str | None, Query(description="Nombre d'enregistrements (défaut 10, ≤ 10 000).")]
Start = Annotated[
    str | None, Query(description="Rang du premier enregistrement (start + rows ≤ 10 000).")
]
Sort = Annotated[
    list[str] | None, Query(description="Champ de tri : `champ` décroissant, `-champ` croissant.")
]
Facet = Annotated[
    list[str] | None, Query(description="Champ dont compter les valeurs (répétable).")
]
Timezone = Annotated[str | None, Query(description="Fuseau des dates (ex. Europe/Paris).")]
Lang = Annotated[str | None, Query(description="Langue (fr, en).")]
GeoDistance = Annotated[
    str | None,
    Query(
        alias="geofilter.distance", description="Cercle `latitude,longitude,distance en mètres`."
    ),
]
GeoPolygon = Annotated[
    str | None,
    Query(
        alias="geofilter.polygon", description="Polygone `(lat1,lon1),(lat2,lon2),(lat3,lon3)…`."
    ),
]
Format = Annotated[
    str | None, Query(description="Format : csv (défaut), json, jsonl, geojson, parquet, xlsx.")
]
Bool = Annotated[str | None, Query(description="true ou false.")]
Separator = Annotated[str | None, Query(description="Séparateur CSV (défaut `;`).")]


def _release(request: Request) -> ServedRelease:
    release: ServedRelease = request.app.state.releases.get()
    return release


def _invalid(name: str, raw: str, expected: str) -> InvalidParameter:
    shown = raw if len(raw) <= 60 else raw[:60] + "…"
    return InvalidParameter(
        f"Valeur invalide pour le paramètre {name} : « {shown} ». Attendu : {expected}."
    )


# --- reading the v1 parameters -------------------------------------------------------------------


@dataclass(frozen=True)
class V1Filters:
    """What every v1 records endpoint filters on, already as a RecordsQuery."""

    query: RecordsQuery
    refine: dict[str, list[str]]
    exclude: dict[str, list[str]]


def prefixed(request: Request, prefix: str) -> dict[str, list[str]]:
    """``refine.FIELD=value`` parameters → ``{FIELD: [values…]}`` (repeatable, ordered)."""
    out: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        if key.startswith(prefix) and len(key) > len(prefix):
            out.setdefault(key[len(prefix) :], []).append(value)
    return out


def v1_filters(
    request: Request,
    view: DatasetView,
    *,
    q: str | None,
    sort: Sequence[str] | None,
    distance: str | None,
    polygon: str | None,
    timezone: str | None,
    lang: str | None,
) -> V1Filters:
    P.zone(timezone)
    refine = prefixed(request, "refine.")
    exclude = prefixed(request, "exclude.")
    where = [w for w in (q_where(q, view.schema), geo_where(view, distance, polygon)) if w]
    query = RecordsQuery(
        where=tuple(where) or None,
        order_by=order_by(sort, view.schema),
        refine=tuple((f, v) for f, vs in refine.items() for v in vs),
        exclude=tuple((f, v) for f, vs in exclude.items() for v in vs),
        lang=lang,
        timezone=timezone,
    )
    return V1Filters(query, refine, exclude)


def order_by(sort: Sequence[str] | None, schema: Schema) -> str | None:
    """v1 ``sort``: ``field`` sorts descending, ``-field`` ascending (comma-separated or
    repeated)."""
    items = []
    for raw in sort or ():
        for part in raw.split(","):
            part = part.strip()
            if not part or part in SORT_NOOP:
                continue
            name, direction = (part[1:], "asc") if part.startswith("-") else (part, "desc")
            found = schema.lookup(name.strip())
            if found is None:
                raise _invalid(
                    "sort", raw, "le nom d'un champ du jeu, précédé de « - » pour un tri croissant"
                )
            items.append(f"`{found[0]}` {direction}")
    return ", ".join(items) or None


def window(rows: str | None, start: str | None) -> tuple[int, int]:
    n = parse_int_parameter("rows", rows)
    first = parse_int_parameter("start", start)
    n = 10 if n is None else n
    first = 0 if first is None else first
    if n < 0 or n > MAX_ROWS:
        raise _invalid("rows", str(rows), f"un entier entre 0 et {MAX_ROWS}")
    if first < 0:
        raise _invalid("start", str(start), "un entier positif ou nul")
    if first + n > MAX_ROWS:
        raise InvalidParameter(
            f"Valeur invalide pour start + rows : {first + n}. Attendu : au plus {MAX_ROWS} "
            "(utilisez le téléchargement pour tout obtenir)."
        )
    return n, first


# --- q: the v1 full-text query, as ODSQL -----------------------------------------------------------

_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)")
_DATE = re.compile(r"(\d{4})(?:[-/](\d{1,2})(?:[-/](\d{1,2}))?)?")
_DATETIME = re.compile(
    r"\d{4}[-/]\d{1,2}[-/]\d{1,2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
    r"(?:Z|[+-]\d{2}:?\d{2})?)?"
)
_FIELD_TERM = re.compile(r"([A-Za-z_][\w]*)(:|>=|<=|>|<|=)(.*)", re.DOTALL)
_RANGE = re.compile(r"[\[{]\s*(\S+)\s+TO\s+(\S+)\s*[\]}]")
_OPERATORS = {"AND": "and", "OR": "or", "NOT": "not", "&&": "and", "||": "or"}


def q_where(q: str | None, schema: Schema) -> str | None:
    """The v1 ``q`` as an ODSQL ``where``.

    Words and ``"phrases"`` are bare-string searches; ``AND``/``OR``/``NOT``, ``-word`` and
    parentheses keep their meaning (terms side by side are ANDed); ``field:value``,
    ``field>=value`` and ``field:[a TO b]`` on a known field become comparisons. Anything
    else is searched as text. Values reach ODSQL only as quoted strings, checked numbers or
    checked dates.
    """
    if q is None or not q.strip():
        return None
    out: list[str] = []
    need_operator = False
    for token in _q_tokens(q):
        op = _OPERATORS.get(token)
        if op in ("and", "or"):
            if need_operator:
                out.append(op)
                need_operator = False
            continue
        if token == ")":
            if need_operator:
                out.append(")")
            continue
        if need_operator:
            out.append("and")
        if op == "not" or token == "(":
            out.append(op or "(")
            need_operator = False
            continue
        if token.startswith("-") and len(token) > 1:
            out.append("not")
            token = token[1:]
        out.append(_term(token, schema))
        need_operator = True
    while out and out[-1] in ("and", "or", "not", "("):
        out.pop()
    depth = 0
    balanced: list[str] = []
    for part in out:  # drop unmatched parentheses rather than fail on a typo
        if part == "(":
            depth += 1
        elif part == ")":
            if depth == 0:
                continue
            depth -= 1
        balanced.append(part)
    balanced += [")"] * depth
    text = " ".join(balanced).replace("( )", "")
    return text or None


def _q_tokens(q: str) -> Iterator[str]:
    """Split on spaces, keeping ``"quoted text"`` and ``[a TO b]`` ranges whole."""
    i, n = 0, len(q)
    while i < n:
        ch = q[i]
        if ch.isspace():
            i += 1
            continue
        if ch in "()":
            yield ch
            i += 1
            continue
        j = i
        while j < n and not q[j].isspace() and q[j] not in "()":
            if q[j] == '"':
                close = q.find('"', j + 1)
                j = n if close < 0 else close + 1
                continue
            if q[j] in "[{":
                close = min((k for k in (q.find("]", j), q.find("}", j)) if k >= 0), default=-1)
                j = n if close < 0 else close + 1
                continue
            j += 1
        yield q[i:j]
        i = j


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1]
    return text.replace('"', "")


def _term(token: str, schema: Schema) -> str:
    m = _FIELD_TERM.fullmatch(token)
    found = schema.lookup(m[1]) if m else None
    if m is None or found is None or not m[3].strip():
        return P.odsql_string(_unquote(token))
    name, kind = found
    field, op, raw = f"`{name}`", m[2], m[3]
    r = _RANGE.fullmatch(raw.strip())
    if op == ":" and r is not None:
        low, high = _literal(r[1], kind), _literal(r[2], kind)
        parts = ([f"{field} >= {low}"] if r[1] != "*" and low else []) + (
            [f"{field} <= {high}"] if r[2] != "*" and high else []
        )
        return "(" + " and ".join(parts) + ")" if parts else P.odsql_string(_unquote(token))
    value = _unquote(raw)
    if op in (":", "="):
        if kind in ("date", "datetime"):
            span = _date_span(value)
            if span is not None:
                return f"({field} >= date'{span[0]}' and {field} < date'{span[1]}')"
        elif kind in ("int", "double") and _NUMBER.fullmatch(value):
            return f"{field} = {value}"
        elif kind == "boolean" and value.lower() in ("true", "false"):
            return f"{field} is {value.lower()}"
        elif kind not in ("geo_point_2d", "geo_shape", "file"):
            return (
                f"{field} = {P.odsql_string(value)}"
                if op == "="
                else f"search({field}, {P.odsql_string(value)})"
            )
        return P.odsql_string(_unquote(token))
    literal = _literal(value, kind)
    return f"{field} {op} {literal}" if literal else P.odsql_string(_unquote(token))


def _literal(value: str, kind: str) -> str | None:
    value = _unquote(value)
    if kind in ("int", "double"):
        return value if _NUMBER.fullmatch(value) else None
    if kind in ("date", "datetime"):
        return f"date'{value}'" if _DATETIME.fullmatch(value) or _DATE.fullmatch(value) else None
    if kind in ("geo_point_2d", "geo_shape", "file", "boolean"):
        return None
    return P.odsql_string(value)


def _date_span(value: str) -> tuple[str, str] | None:
    """``2024`` / ``2024-09`` / ``2024/09/02`` → the half-open period, as ISO dates."""
    m = _DATE.fullmatch(value.strip())
    if m is None:
        return None
    try:
        year = int(m[1])
        if m[3]:
            first = date(year, int(m[2]), int(m[3]))
            return first.isoformat(), (first + timedelta(days=1)).isoformat()
        if m[2]:
            month = int(m[2])
            first = date(year, month, 1)
            stop = date(year + month // 12, month % 12 + 1, 1)
            return first.isoformat(), stop.isoformat()
        return date(year, 1, 1).isoformat(), date(year + 1, 1, 1).isoformat()
    except ValueError:
        return None


# --- geofilter ---------------------------------------------------------------------------------------


def geo_where(view: DatasetView, distance: str | None, polygon: str | None) -> str | None:
    """``geofilter.distance`` / ``geofilter.polygon`` on the dataset's first geo_point_2d."""
    if not distance and not polygon:
        return None
    points = view.schema.of_type("geo_point_2d")
    if not points:
        name = "geofilter.distance" if distance else "geofilter.polygon"
        raise _invalid(
            name, distance or polygon or "", "un jeu de données ayant un champ geo_point_2d"
        )
    field = f"`{points[0]}`"
    parts = []
    if distance:
        lat, lon, metres = _distance(distance)
        parts.append(
            f"within_distance({field}, geom'POINT({_num(lon)} {_num(lat)})', {_num(metres)}m)"
        )
    if polygon:
        ring = _polygon(polygon)
        wkt = ", ".join(f"{_num(lon)} {_num(lat)}" for lat, lon in ring)
        parts.append(f"within({field}, geom'POLYGON(({wkt}))')")
    return " and ".join(parts)


def _num(value: float) -> str:
    """A finite float in plain decimal notation (no exponent), for a geom or distance."""
    return f"{value:.9f}".rstrip("0").rstrip(".") or "0"


_UNITS = {"": 1.0, "m": 1.0, "km": 1000.0, "mi": 1609.344}


def _coordinate(text: str, lo: float, hi: float) -> float:
    value = float(text)  # ValueError for anything but a number
    if not (math.isfinite(value) and lo <= value <= hi):
        raise ValueError(text)
    return value


def _distance(raw: str) -> tuple[float, float, float]:
    expected = "latitude,longitude,distance en mètres (ex. 48.85,2.35,1000)"
    parts = [p.strip() for p in raw.split(",")]
    try:
        if len(parts) not in (2, 3):
            raise ValueError(raw)
        lat = _coordinate(parts[0], -90, 90)
        lon = _coordinate(parts[1], -180, 180)
        dist = parts[2].lower() if len(parts) == 3 else "0"
        unit = next(u for u in ("km", "mi", "m", "") if dist.endswith(u))
        metres = float(dist[: len(dist) - len(unit)]) * _UNITS[unit]
        if not (math.isfinite(metres) and 0 <= metres <= 50_000_000):
            raise ValueError(raw)
    except (ValueError, StopIteration):
        raise _invalid("geofilter.distance", raw, expected) from None
    return lat, lon, metres


_PAIR = re.compile(r"\(\s*([^(),]+?)\s*,\s*([^(),]+?)\s*\)")


def _polygon(raw: str) -> list[tuple[float, float]]:
    expected = "(lat1,lon1),(lat2,lon2),(lat3,lon3)… avec au moins trois points"
    text = raw.strip()
    pairs = _PAIR.findall(text)
    rebuilt = ",".join(f"({a},{b})" for a, b in pairs)
    if len(pairs) < 3 or len(pairs) > 10_000 or rebuilt != re.sub(r"\s+", "", text):
        raise _invalid("geofilter.polygon", raw, expected)
    try:
        ring = [(_coordinate(a, -90, 90), _coordinate(b, -180, 180)) for a, b in pairs]
    except ValueError:
        raise _invalid("geofilter.polygon", raw, expected) from None
    if ring[0] != ring[-1]:
        ring.append(ring[0])
    return ring


# --- rendering ----------------------------------------------------------------------------------------


def v1_value(value: Any, kind: str, tz: ZoneInfo) -> Any:
    """A stored value in the v1 record shape (points as ``[lat, lon]``, shapes as geometry)."""
    if kind == "geo_point_2d" and isinstance(value, Mapping):
        return [value.get("lat"), value.get("lon")]
    out = render(value, kind, tz)
    if kind == "geo_shape" and isinstance(out, dict):
        return out.get("geometry")
    return out


def v1_record(
    dataset_id: str,
    record_id: str | None,
    row: Mapping[str, Any],
    kinds: Mapping[str, str],
    tz: ZoneInfo,
    timestamp: str,
) -> dict[str, Any]:
    fields = {}
    geometry = None
    for name, value in row.items():
        kind = kinds.get(name, "")
        shown = v1_value(value, kind, tz)
        if shown is None or shown == "":
            continue
        fields[name] = shown
        if geometry is None and kind == "geo_point_2d" and isinstance(value, Mapping):
            geometry = {"type": "Point", "coordinates": [value.get("lon"), value.get("lat")]}
    record: dict[str, Any] = {"datasetid": dataset_id, "recordid": record_id, "fields": fields}
    if geometry is not None:
        record["geometry"] = geometry
    record["record_timestamp"] = timestamp
    return record


def facet_groups(
    groups: Sequence[run.FacetGroup],
    kinds: Mapping[str, str],
    tz: ZoneInfo,
    refine: Mapping[str, list[str]],
) -> list[dict[str, Any]]:
    out = []
    for group in groups:
        refined = refine.get(group.name, [])
        if kinds.get(group.name) in ("date", "datetime"):
            facets = _date_tree(group.facets, tz, [_date_path(r) for r in refined])
        else:
            facets = [
                {
                    "name": f.name,
                    "count": f.count,
                    "state": "refined" if f.name in refined else "displayed",
                    "path": f.name,
                }
                for f in group.facets
            ]
        out.append({"name": group.name, "facets": facets})
    return out


def _date_path(value: str) -> str:
    return _unquote(value).replace("-", "/")


def _date_tree(
    values: Sequence[run.FacetValue], tz: ZoneInfo, refined: Sequence[str]
) -> list[dict[str, Any]]:
    """Day counts folded into a year → month → day tree, as the v1 facets of a date."""
    counts: dict[tuple[str, ...], int] = {}
    for v in values:
        day = v.value
        if isinstance(day, datetime):
            day = (day.astimezone(tz) if day.tzinfo else day).date()
        if not isinstance(day, date):
            continue
        key = (f"{day.year:04d}", f"{day.month:02d}", f"{day.day:02d}")
        for depth in (1, 2, 3):
            counts[key[:depth]] = counts.get(key[:depth], 0) + v.count

    def level(prefix: tuple[str, ...]) -> list[dict[str, Any]]:
        items = []
        for key in sorted(k for k in counts if len(k) == len(prefix) + 1 and k[:-1] == prefix):
            path = "/".join(key)
            state = (
                "refined"
                if any(r == path or r.startswith(path + "/") for r in refined)
                else "displayed"
            )
            item: dict[str, Any] = {
                "name": key[-1],
                "count": counts[key],
                "state": state,
                "path": path,
            }
            if len(key) < 3:
                item["facets"] = level(key)
            items.append(item)
        return items

    return level(())


# --- the router ------------------------------------------------------------------------------------------


def records_page(
    release: ServedRelease, dataset_id: str, query: RecordsQuery, rows: int, start: int
) -> run.RecordsPage:
    """``rows`` records from ``start``, read in slices that run_records accepts."""
    page = run.run_records(release, dataset_id, replace(query, limit=min(rows, PAGE), offset=start))
    all_rows, ids = list(page.rows), list(page.record_ids)
    while len(all_rows) < rows and len(all_rows) < page.total_count - start:
        more = run.run_records(
            release,
            dataset_id,
            replace(query, limit=min(PAGE, rows - len(all_rows)), offset=start + len(all_rows)),
        )
        if not more.rows:
            break
        all_rows += more.rows
        ids += more.record_ids
    return replace(page, rows=all_rows, record_ids=ids)


def _dataset_param(dataset: str | None, datasetid: str | None) -> str:
    name = dataset or datasetid
    if not name:
        raise InvalidParameter(
            "Paramètre dataset manquant : indiquez l'identifiant du jeu de données "
            "(ex. dataset=fr-en-calendrier-scolaire)."
        )
    return name


def build_router() -> APIRouter:
    """The v1 routes, each also answering without its final slash (clients write both)."""
    router = APIRouter(tags=["API v1 (historique)"])

    @router.get("/api/records/1.0/search/", summary="Rechercher des enregistrements (v1)")
    @router.get("/api/records/1.0/search", include_in_schema=False)
    def search(
        request: Request,
        dataset: Dataset = None,
        datasetid: DatasetId = None,
        q: Q = None,
        rows: Rows = None,
        start: Start = None,
        sort: Sort = None,
        facet: Facet = None,
        timezone: Timezone = None,
        lang: Lang = None,
        geofilter_distance: GeoDistance = None,
        geofilter_polygon: GeoPolygon = None,
    ) -> JSONBytes:
        release = _release(request)
        dataset_id = _dataset_param(dataset, datasetid)
        view = release.dataset(dataset_id)
        n, first = window(rows, start)
        filters = v1_filters(
            request,
            view,
            q=q,
            sort=sort,
            distance=geofilter_distance,
            polygon=geofilter_polygon,
            timezone=timezone,
            lang=lang,
        )
        tz = P.zone(timezone)
        page = records_page(release, dataset_id, filters.query, n, first)
        kinds = dict(view.schema.fields)
        names = [f for f in facet or () if f]
        groups = run.run_facets(release, dataset_id, names, filters.query) if names else []
        parameters: dict[str, Any] = {
            "dataset": [dataset_id],
            "timezone": timezone or "UTC",
            "rows": n,
            "start": first,
            "format": "json",
            "facet": names,
        }
        if q:
            parameters["q"] = q
        if sort:
            parameters["sort"] = list(sort)
        for key, values in (("refine", filters.refine), ("exclude", filters.exclude)):
            if values:
                parameters[key] = {f: v[0] if len(v) == 1 else v for f, v in values.items()}
        if geofilter_distance:
            parameters["geofilter.distance"] = geofilter_distance
        if geofilter_polygon:
            parameters["geofilter.polygon"] = geofilter_polygon
        return JSONBytes(
            {
                "nhits": page.total_count,
                "parameters": parameters,
                "records": [
                    v1_record(dataset_id, rid, row, kinds, tz, release.created_at)
                    for rid, row in zip(page.record_ids, page.rows, strict=True)
                ],
                "facet_groups": facet_groups(groups, kinds, tz, filters.refine),
            }
        )

    def download(
        request: Request,
        dataset_id: str,
        fmt: str | None,
        q: str | None,
        rows: str | None,
        sort: list[str] | None,
        timezone: str | None,
        lang: str | None,
        distance: str | None,
        polygon: str | None,
        use_labels: str | None,
        separator: str | None,
        with_bom: str | None,
    ) -> StreamingResponse:
        release = _release(request)
        view = release.dataset(dataset_id)
        filters = v1_filters(
            request,
            view,
            q=q,
            sort=sort,
            distance=distance,
            polygon=polygon,
            timezone=timezone,
            lang=lang,
        )
        limit = parse_int_parameter("rows", rows)
        query = replace(filters.query, limit=limit if limit is not None and limit >= 0 else None)
        return export_response(
            release,
            dataset_id,
            (fmt or "csv").strip().lower(),
            query,
            ExportOptions(
                delimiter=separator or ";",
                with_bom=P.boolean(with_bom, "with_bom", True),
                use_labels=P.boolean(use_labels, "use_labels_for_header", False),
                timezone=str(P.zone(timezone)),
                dataset_id=dataset_id,
            ),
            time_limit_ms=request.app.state.settings.export_time_limit_ms,
        )

    @router.get(
        "/api/records/1.0/download/",
        summary="Télécharger des enregistrements (v1)",
        response_class=StreamingResponse,
    )
    @router.get(
        "/api/records/1.0/download", include_in_schema=False, response_class=StreamingResponse
    )
    def records_download(
        request: Request,
        dataset: Dataset = None,
        datasetid: DatasetId = None,
        format: Format = None,
        q: Q = None,
        rows: Rows = None,
        sort: Sort = None,
        timezone: Timezone = None,
        lang: Lang = None,
        geofilter_distance: GeoDistance = None,
        geofilter_polygon: GeoPolygon = None,
        use_labels_for_header: Bool = None,
        csv_separator: Separator = None,
        delimiter: Separator = None,
        with_bom: Bool = None,
    ) -> StreamingResponse:
        return download(
            request,
            _dataset_param(dataset, datasetid),
            format,
            q,
            rows,
            sort,
            timezone,
            lang,
            geofilter_distance,
            geofilter_polygon,
            use_labels_for_header,
            csv_separator or delimiter,
            with_bom,
        )

    @router.get(
        "/explore/dataset/{dataset_id}/download/",
        summary="Lien de téléchargement du portail",
        response_class=StreamingResponse,
    )
    @router.get(
        "/explore/dataset/{dataset_id}/download",
        include_in_schema=False,
        response_class=StreamingResponse,
    )
    def explore_download(
        request: Request,
        dataset_id: str,
        format: Format = None,
        q: Q = None,
        rows: Rows = None,
        sort: Sort = None,
        timezone: Timezone = None,
        lang: Lang = None,
        geofilter_distance: GeoDistance = None,
        geofilter_polygon: GeoPolygon = None,
        use_labels_for_header: Bool = None,
        csv_separator: Separator = None,
        delimiter: Separator = None,
        with_bom: Bool = None,
    ) -> StreamingResponse:
        return download(
            request,
            dataset_id,
            format,
            q,
            rows,
            sort,
            timezone,
            lang,
            geofilter_distance,
            geofilter_polygon,
            use_labels_for_header,
            csv_separator or delimiter,
            with_bom,
        )

    @router.get("/api/datasets/1.0/search/", summary="Rechercher des jeux de données (v1)")
    @router.get("/api/datasets/1.0/search", include_in_schema=False)
    def datasets_search(
        request: Request, q: Q = None, rows: Rows = None, start: Start = None, sort: Sort = None
    ) -> JSONBytes:
        release = _release(request)
        n, first = window(rows, start)
        refine = prefixed(request, "refine.")
        exclude = prefixed(request, "exclude.")
        base = _catalog_query(
            [P.odsql_string(q)] if q and q.strip() else None,
            _catalog_order(sort),
            None,
            None,
            [f"{k}:{v}" for k, vs in refine.items() for v in vs],
            [f"{k}:{v}" for k, vs in exclude.items() for v in vs],
            None,
            None,
        )
        ids: list[str] = []
        total = 0
        while True:
            query = replace(base, limit=min(PAGE, n - len(ids)), offset=first + len(ids))
            compiled = compile_records(query, CATALOG_SCHEMA)
            chunk = [str(r[0]) for r in release.engine.run(compiled).rows]
            if not ids:
                total = release.engine.count(compiled)
            ids += chunk
            if len(chunk) < PAGE or len(ids) >= n:
                break
        parameters: dict[str, Any] = {"rows": n, "start": first, "format": "json"}
        if q:
            parameters["q"] = q
        if sort:
            parameters["sort"] = list(sort)
        return JSONBytes(
            {
                "nhits": total,
                "parameters": parameters,
                "datasets": [v1_dataset(release.dataset(i), release) for i in ids],
            }
        )

    @router.get("/api/datasets/1.0/{dataset_id}/", summary="Métadonnées d'un jeu (v1)")
    @router.get("/api/datasets/1.0/{dataset_id}", include_in_schema=False)
    def dataset_info(request: Request, dataset_id: str, extrametas: Bool = None) -> JSONBytes:
        release = _release(request)
        body = v1_dataset(release.dataset(dataset_id), release)
        if P.boolean(extrametas, "extrametas", False):
            body["extra_metas"] = {
                "ardoise": dataset_metas(release.dataset(dataset_id), release)["ardoise"]
            }
        return JSONBytes(body)

    return router


_CATALOG_SORT = {
    "modified": "modified",
    "issued": "modified",
    "created": "modified",
    "records_count": "records_count",
    "title": "title",
    "datasetid": "dataset_id",
    "dataset_id": "dataset_id",
}


def _catalog_order(sort: Sequence[str] | None) -> str | None:
    items = []
    for raw in sort or ():
        for part in raw.split(","):
            part = part.strip()
            if not part:
                continue
            name, direction = (part[1:], "asc") if part.startswith("-") else (part, "desc")
            field = _CATALOG_SORT.get(name)
            if field is None:
                raise _invalid(
                    "sort",
                    raw,
                    "modified, issued, created, records_count, title "
                    "ou datasetid, précédé de « - » pour un tri croissant",
                )
            items.append(f"{field} {direction}")
    return ", ".join([*items, "dataset_id"]) if items else None


def v1_dataset(view: DatasetView, release: ServedRelease) -> dict[str, Any]:
    """A dataset in the v1 shape: flat ``metas``, annotations as a list of ``{"name"}``."""
    item = dataset_json(view, release)
    metas = dict(dataset_metas(view, release)["default"])
    metas.update({"domain": "ardoise", "visibility": "domain", "timezone": "UTC"})
    fields = []
    for f in fields_json(view):
        annotations = [
            {"name": k, "args": v} if v else {"name": k} for k, v in f["annotations"].items()
        ]
        fields.append({**f, "annotations": annotations})
    return {
        "datasetid": view.id,
        "metas": metas,
        "fields": fields,
        "has_records": item["has_records"],
        "features": item["features"],
        "attachments": [],
        "alternative_exports": [],
        "billing_plans": [],
        "interop_metas": {},
    }


__all__ = ["build_router", "q_where"]
