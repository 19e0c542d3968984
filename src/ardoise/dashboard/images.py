"""Downloads of a chart: CSV of exactly its rows, SVG and PNG rendered on the server by
vl-convert from the same Vega-Lite spec (contours inlined: no HTTP from the renderer).

vl-convert is the ``images`` extra. Without it, CSV downloads still work, SVG and PNG answer
a French 503 naming the extra (:class:`~ardoise.errors.MissingExtra`), and pages send their
Vega-Lite specs as they are, for the browser to compile with vega-lite.js
(:data:`IN_BROWSER`)."""

from __future__ import annotations

import copy
import csv
import functools
import io
from typing import Any

import orjson

from ardoise.dashboard.citation import captioned, sidecar
from ardoise.dashboard.contexts import Chart
from ardoise.extras import installed, require
from ardoise.odsql.errors import InvalidParameter
from ardoise.query import territories as T
from ardoise.query.release import ServedRelease

VL_VERSION = "6.4"  # the newest Vega-Lite vl-convert embeds; the browser's is 6.x too
SERVER_WIDTH = 640
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "svg": "image/svg+xml",
    "png": "image/png",
    "txt": "text/plain; charset=utf-8",
}
IN_BROWSER = not installed("images")  # no vl-convert: the browser compiles Vega-Lite


def chart_csv(chart: Chart) -> bytes:
    """The chart's table: one row per plotted datum, columns named as in the JSON twin."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(chart.table.keys)
    for row in chart.table.rows:
        writer.writerow(["" if row.get(k) is None else row.get(k) for k in chart.table.keys])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def server_spec(release: ServedRelease, chart: Chart) -> dict[str, Any]:
    """The spec with fixed widths and its contours inlined."""
    spec = copy.deepcopy(chart.spec)
    geo = chart.geo
    topology = orjson.loads(T.geometry(release, geo.niveau, geo.parent)) if geo else None

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if geo is not None and node.get("url") == geo.url:
                return {"values": topology, "format": node.get("format")}
            return {
                k: (SERVER_WIDTH if k == "width" and v == "container" else walk(v))
                for k, v in node.items()
            }
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    result: dict[str, Any] = walk(spec)
    return result


def chart_file(
    release: ServedRelease, chart: Chart, fmt: str, base: str = "", page_url: str = ""
) -> bytes:
    """The chart as ``fmt``: its rows (CSV), its citation (TXT), its image with a caption
    giving source, version and date (SVG, PNG)."""
    if fmt == "csv":
        return chart_csv(chart)
    if fmt == "txt":
        return sidecar(chart, page_url, base + chart.telechargements.get("csv", ""))
    require("images")
    import vl_convert

    spec = captioned(server_spec(release, chart), chart)
    if fmt == "svg":
        return str(vl_convert.vegalite_to_svg(spec, vl_version=VL_VERSION)).encode("utf-8")
    if fmt == "png":
        return bytes(vl_convert.vegalite_to_png(spec, vl_version=VL_VERSION, scale=2))
    raise InvalidParameter(
        f"Format de téléchargement inconnu : {fmt[:20]!r} (formats : csv, svg, png)."
    )


@functools.lru_cache(maxsize=512)
def _compiled(spec_json: str) -> str:
    import vl_convert

    vega = vl_convert.vegalite_to_vega(orjson.loads(spec_json), vl_version=VL_VERSION)
    return orjson.dumps(vega).decode("utf-8")


def vega_spec(spec: dict[str, Any]) -> str:
    """The Vega spec (JSON text) of a Vega-Lite spec, compiled here by vl-convert, so that
    browsers load vega and vega-embed only (not vega-lite: 260 KB less to parse on a phone).
    Without vl-convert, the Vega-Lite spec itself (pages then load vega-lite.js)."""
    if IN_BROWSER:
        return orjson.dumps(spec).decode("utf-8")
    return _compiled(orjson.dumps(spec, option=orjson.OPT_SORT_KEYS).decode("utf-8"))


def warm_up() -> None:
    """vl-convert starts its JavaScript engine on first use (about a second): do it now."""
    if IN_BROWSER:
        return
    vega_spec({"mark": "point", "data": {"values": []}})
