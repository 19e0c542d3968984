"""The figures of ``/usages``, computed once from the store's rows: calls and downloads per
day, unique visitors (an upper bound, see ``hll``), share of phones, top datasets, MCP tools.

>>> from ardoise.usage.store import Count
>>> rows = [Count("2026-12-07", "ips", "records", "", "phone", 3, 30),
...         Count("2026-12-07", "ips", "export", "csv", "desktop", 1, 900),
...         Count("2026-12-07", "", "mcp", "get_records", "program", 2, 40)]
>>> r = summarise(rows, {"2026-12-07": 4})
>>> r.days[0]
Day(day='2026-12-07', calls=6, downloads=1, bytes=970, visitors=4, phone_share=0.75)
>>> r.datasets, r.mcp_tools
((('ips', 4),), (('get_records', 2),))
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from ardoise.usage.store import Count

DOWNLOADS = frozenset({("export", ""), ("v1", "download")})  # (surface, detail or "")
TOP = 20


@dataclass(frozen=True)
class Day:
    day: str
    calls: int
    downloads: int
    bytes: int
    visitors: int
    phone_share: float  # phones among calls from browsers (phone, tablet, desktop)


@dataclass(frozen=True)
class UsageReport:
    days: tuple[Day, ...]
    datasets: tuple[tuple[str, int], ...]  # the most called, calls
    mcp_tools: tuple[tuple[str, int], ...]
    devices: tuple[tuple[str, int], ...]
    surfaces: tuple[tuple[str, int], ...]


def is_download(row: Count) -> bool:
    return (row.surface, "" if row.surface == "export" else row.detail) in DOWNLOADS


def summarise(rows: list[Count], visitors: dict[str, int]) -> UsageReport:
    calls: Counter[str] = Counter()
    downloads: Counter[str] = Counter()
    sizes: Counter[str] = Counter()
    phones: Counter[str] = Counter()
    browsers: Counter[str] = Counter()
    datasets: Counter[str] = Counter()
    tools: Counter[str] = Counter()
    devices: Counter[str] = Counter()
    surfaces: Counter[str] = Counter()
    for row in rows:
        calls[row.day] += row.calls
        sizes[row.day] += row.bytes
        downloads[row.day] += row.calls if is_download(row) else 0
        if row.device != "program":
            browsers[row.day] += row.calls
            phones[row.day] += row.calls if row.device == "phone" else 0
        if row.dataset:
            datasets[row.dataset] += row.calls
        if row.surface == "mcp":
            tools[row.detail] += row.calls
        devices[row.device] += row.calls
        surfaces[row.surface] += row.calls
    days = tuple(
        Day(
            d,
            calls[d],
            downloads[d],
            sizes[d],
            visitors.get(d, 0),
            round(phones[d] / browsers[d], 4) if browsers[d] else 0.0,
        )
        for d in sorted(calls)
    )
    return UsageReport(
        days,
        tuple(datasets.most_common(TOP)),
        tuple(tools.most_common(TOP)),
        tuple(devices.most_common()),
        tuple(surfaces.most_common()),
    )
