"""The v1 shapes of what the query layer returns: records (``fields`` holding non-null
values only, a ``geo_point_2d`` as ``[lat, lon]``, a ``geo_shape`` as its GeoJSON geometry),
facet groups (a date as a year / month / day tree whose ``path`` is ``2024/09/02``) and
datasets (flat ``metas``, field annotations as a list of ``{"name"}``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from ardoise.api.metadata import dataset_json, dataset_metas, fields_json
from ardoise.api.values import render
from ardoise.query import run
from ardoise.query.release import DatasetView, ServedRelease
from ardoise.query.v1 import unquote


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
    return unquote(value).replace("-", "/")


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
