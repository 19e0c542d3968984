"""Match the columns of a source to the fields its descriptor declares."""

from __future__ import annotations

from dataclasses import dataclass

from ardoise.catalog.model import Dataset, Source
from ardoise.catalog.names import field_name
from ardoise.ingest.report import Issue


@dataclass(frozen=True)
class ColumnMap:
    columns: tuple[tuple[str, str], ...]  # (source column, field name)
    issues: tuple[Issue, ...]

    @property
    def fields(self) -> set[str]:
        return {f for _, f in self.columns}


def map_columns(ds: Dataset, source: Source, header: list[str]) -> ColumnMap:
    """Each header → at most one field; report duplicates, unknown and missing columns."""
    by_alias = {a: f.name for f in ds.fields for a in f.aliases}
    names = set(ds.field_names)
    columns: list[tuple[str, str]] = []
    issues: list[Issue] = []
    seen: dict[str, str] = {}
    for col in header:
        target = by_alias.get(col) or (field_name(col) if field_name(col) in names else None)
        if target is None:
            issues.append(
                Issue(
                    type="colonne-inconnue",
                    source=source.path,
                    field=col,
                    message=f"{source.path} : la colonne {col!r} n'est pas décrite ; elle est ignorée.",
                )
            )
            continue
        if target in seen:
            issues.append(
                Issue(
                    type="entete-en-double",
                    source=source.path,
                    field=target,
                    row=1,
                    message=(
                        f"{source.path} : les colonnes {seen[target]!r} et {col!r} "
                        f"désignent toutes deux le champ {target!r} (en-tête en double)."
                    ),
                )
            )
            continue
        seen[target] = col
        columns.append((col, target))
    expected = [f for f in ds.field_names if f not in source.absent]
    missing = [f for f in expected if f not in seen]
    for f in missing:
        issues.append(
            Issue(
                type="colonne-manquante",
                source=source.path,
                field=f,
                row=1,
                message=(
                    f"{source.path} : la colonne déclarée {f!r} "
                    f"(« {ds.field(f).label} ») est absente de l'en-tête."
                ),
            )
        )
    return ColumnMap(columns=tuple(columns), issues=tuple(issues))
