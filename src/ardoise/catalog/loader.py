"""Load and validate the dataset descriptors (one YAML per dataset in ``datasets/``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from ardoise.catalog.descriptor_text import read_yaml, unknown_keys, unknown_top_keys
from ardoise.catalog.model import (
    FIELD_TYPES,
    TERRITORY_ROLES,
    YEAR_KINDS,
    Dataset,
    Field,
    SchoolYear,
    Source,
    SpatialCoverage,
    TemporalCoverage,
    Territory,
)
from ardoise.catalog.names import field_name
from ardoise.errors import CatalogError, DatasetNotFound

DESCRIPTORS_DIR = Path(__file__).parent / "datasets"

_REQUIRED = (
    "id",
    "title",
    "description",
    "publisher",
    "licence",
    "source_url",
    "sources",
    "fields",
    "temporal_coverage",
    "spatial_coverage",
    "frequency",
)


def _tuple(value: Any) -> tuple[Any, ...]:
    if value is None:
        return ()
    if isinstance(value, list | tuple):
        return tuple(value)
    return (value,)


def _sentence(value: Any) -> str:
    """A caveat as written: "a : b" left unquoted in YAML reads as the mapping {a: b} (and
    releases published before it was quoted keep that copy), so it is joined back."""
    if isinstance(value, Mapping):
        return " ; ".join(f"{k} : {v}" for k, v in value.items()).strip()
    return str(value).strip()


def parse_descriptor(
    raw: Mapping[str, Any], origin: str = "<descripteur>", *, strict: bool = True
) -> Dataset:
    """Build a :class:`Dataset` from a YAML mapping; raise CatalogError naming what is wrong
    (``strict=False``: keys no descriptor knows are ignored, see :func:`load_published`)."""
    missing = [k for k in _REQUIRED if k not in raw]
    if missing:
        stray = "".join(f" ; {p}" for p in unknown_top_keys(raw, origin))  # "titel" for "title"
        raise CatalogError(f"{origin} : clés obligatoires absentes : {', '.join(missing)}{stray}")
    problems: list[str] = unknown_keys(raw, origin) if strict else []
    if problems:
        raise CatalogError("Descripteur invalide :\n  - " + "\n  - ".join(problems))
    fields = _fields(raw["fields"], origin, problems)
    names = [f.name for f in fields]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        problems.append(f"{origin} : champs en double : {', '.join(dupes)}")
    for k in _tuple(raw.get("key")):
        if k not in names:
            problems.append(f"{origin} : la clé {k!r} n'est pas un champ déclaré")
    territories: list[tuple[str, str]] = []
    for role, fname in (raw.get("territories") or {}).items():
        if role not in TERRITORY_ROLES:
            problems.append(f"{origin} : rôle territorial {role!r} inconnu")
        if fname not in names:
            problems.append(f"{origin} : le champ territorial {fname!r} n'est pas déclaré")
        territories.append((str(role), str(fname)))
    school_year = None
    if raw.get("school_year"):
        sy = raw["school_year"]
        if sy.get("field") not in names:
            problems.append(f"{origin} : champ d'année scolaire {sy.get('field')!r} non déclaré")
        if sy.get("kind") not in YEAR_KINDS:
            problems.append(f"{origin} : nature d'année {sy.get('kind')!r} inconnue")
        school_year = SchoolYear(field=str(sy.get("field")), kind=sy.get("kind"))
    _check_coverage_and_sources(raw, origin, names, problems)
    if problems:
        raise CatalogError("Descripteur invalide :\n  - " + "\n  - ".join(problems))
    return _dataset(raw, fields, school_year, territories)


def _fields(raw_fields: Any, origin: str, problems: list[str]) -> list[Field]:
    """The declared fields; the first field missing a key stops the reading of the rest."""
    fields: list[Field] = []
    for i, f in enumerate(raw_fields):
        where = f"{origin} champ n°{i + 1}"
        for k in ("name", "label", "type", "description"):
            if k not in f:
                problems.append(f"{where} : clé {k!r} absente")
        if problems:
            continue
        if f["type"] not in FIELD_TYPES:
            problems.append(f"{where} ({f['name']}) : type {f['type']!r} inconnu")
        if field_name(str(f["label"])) != f["name"] and not f.get("official_name_differs"):
            problems.append(
                f"{where} : le nom {f['name']!r} ne suit pas la règle du portail "
                f"(attendu {field_name(str(f['label']))!r} pour le libellé {f['label']!r})"
            )
        fields.append(
            Field(
                name=str(f["name"]),
                label=str(f["label"]),
                type=f["type"],
                description=str(f["description"]).strip(),
                unit=f.get("unit"),
                aliases=tuple(str(a) for a in _tuple(f.get("aliases"))),
                facet=bool(f.get("facet", False)),
                type_source=str(f.get("type_source") or "").strip(),
            )
        )
    return fields


def _check_coverage_and_sources(
    raw: Mapping[str, Any], origin: str, names: list[str], problems: list[str]
) -> None:
    tc = raw["temporal_coverage"]
    if tc.get("kind") not in YEAR_KINDS:
        problems.append(f"{origin} : temporal_coverage.kind {tc.get('kind')!r} inconnu")
    sc = raw["spatial_coverage"]
    if not sc.get("national") and not sc.get("territories"):
        problems.append(f"{origin} : un extrait partiel doit nommer les territoires couverts")
    if not raw["sources"]:
        problems.append(f"{origin} : aucune source")
    for s in raw["sources"]:
        if str(s.get("encoding", "utf-8")) not in ("utf-8", "latin-1"):
            problems.append(f"{origin} : encodage {s.get('encoding')!r} non pris en charge")
        for a in _tuple(s.get("absent")):
            if a not in names:
                problems.append(f"{origin} : champ absent {a!r} non déclaré")
        _check_source_years(s, raw, origin, problems)


def _check_source_years(
    source: Mapping[str, Any], raw: Mapping[str, Any], origin: str, problems: list[str]
) -> None:
    """A source's ``years`` need a school-year field and the AAAA-AAAA form of the coverage."""
    years = [str(y) for y in _tuple(source.get("years"))]
    if not years:
        return
    if not raw.get("school_year"):
        problems.append(f"{origin} : « years » d'une source demande un champ school_year")
    covered = {str(y) for y in _tuple(raw["temporal_coverage"].get("years"))}
    for y in years:
        if y not in covered:
            problems.append(
                f"{origin} : l'année {y!r} de la source {source.get('path')!r} "
                "n'est pas dans temporal_coverage.years (forme AAAA-AAAA)"
            )


def _dataset(
    raw: Mapping[str, Any],
    fields: list[Field],
    school_year: SchoolYear | None,
    territories: list[tuple[str, str]],
) -> Dataset:
    """The dataset of a descriptor already checked."""
    tc, sc = raw["temporal_coverage"], raw["spatial_coverage"]
    return Dataset(
        id=str(raw["id"]),
        title=str(raw["title"]).strip(),
        description=str(raw["description"]).strip(),
        publisher=str(raw["publisher"]),
        licence=str(raw["licence"]),
        source_url=str(raw["source_url"]),
        sources=tuple(
            Source(
                path=str(s["path"]),
                description=str(s.get("description", "")).strip(),
                sheet=s.get("sheet"),
                header_row=int(s.get("header_row", 1)),
                encoding=str(s.get("encoding", "utf-8")),
                absent=tuple(str(a) for a in _tuple(s.get("absent"))),
                years=tuple(str(y) for y in _tuple(s.get("years"))),
            )
            for s in raw["sources"]
        ),
        fields=tuple(fields),
        temporal_coverage=TemporalCoverage(
            kind=tc["kind"],
            years=tuple(str(y) for y in _tuple(tc.get("years"))),
            description=str(tc.get("description", "")).strip(),
        ),
        spatial_coverage=SpatialCoverage(
            national=bool(sc["national"]),
            description=str(sc.get("description", "")).strip(),
            territories=tuple(
                Territory(niveau=str(t["niveau"]), code=str(t["code"]), nom=str(t["nom"]))
                for t in _tuple(sc.get("territories"))
            ),
        ),
        frequency=str(raw["frequency"]),
        keywords=tuple(str(k) for k in _tuple(raw.get("keywords"))),
        themes=tuple(str(k) for k in _tuple(raw.get("themes"))),
        key=tuple(str(k) for k in _tuple(raw.get("key"))),
        school_year=school_year,
        territories=tuple(territories),
        caveats=tuple(_sentence(c) for c in _tuple(raw.get("caveats"))),
        null_markers=tuple(str(m) for m in _tuple(raw.get("null_markers"))),
    )


def load_descriptor(path: Path, *, strict: bool = True) -> Dataset:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{path.name} : lecture impossible ({exc})") from exc
    ds = parse_descriptor(read_yaml(text, path.name), origin=path.name, strict=strict)
    if path.stem != ds.id:
        raise CatalogError(f"{path.name} : le fichier doit s'appeler {ds.id}.yaml")
    return ds


def load_published(path: Path) -> Dataset:
    """A descriptor as a release keeps it (``<release>/catalog/<id>.yaml``): it was checked
    when the release was published, so keys this code does not know are ignored — a key
    added later, or the stray keys of a flow mapping cut at an unquoted comma in releases
    published before the descriptor was quoted. Every published release stays servable
    (a rollback to it included); a producer's descriptor is read strictly."""
    return load_descriptor(path, strict=False)


@cache
def load_catalog(directory: Path = DESCRIPTORS_DIR) -> tuple[Dataset, ...]:
    """Every descriptor, sorted by id."""
    return tuple(load_descriptor(p) for p in sorted(directory.glob("*.yaml")))


def select(datasets: Iterable[Dataset], only: Iterable[str] | None) -> tuple[Dataset, ...]:
    """The datasets named in ``only`` (all when empty); unknown ids raise DatasetNotFound."""
    all_ds = tuple(datasets)
    wanted = [o for o in (only or ()) if o]
    if not wanted:
        return all_ds
    by_id = {d.id: d for d in all_ds}
    unknown = [w for w in wanted if w not in by_id]
    if unknown:
        raise DatasetNotFound(
            f"Jeu(x) de données inconnu(s) : {', '.join(unknown)}. "
            f"Identifiants valides : {', '.join(sorted(by_id))}"
        )
    return tuple(by_id[w] for w in wanted)
