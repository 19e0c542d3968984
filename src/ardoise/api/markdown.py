"""Markdown twins of the dataset, indicator and territory pages, for LLMs and crawlers.

Pure renderers: each takes the result of the same ``query`` data function the JSON API
calls (a ``DatasetView``, an ``IndicatorInfo``, a ``Territory``…) and returns Markdown.
Figures are written as the API gives them (decimal point, no rounding beyond the
indicator's own display precision), each with the URL that reproduces it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ardoise.catalog.downloads import download_formats
from ardoise.catalog.licence import licence_url
from ardoise.query.indicators import IndicatorInfo, IndicatorValue, TerritoryIndicators
from ardoise.query.release import DatasetView, ServedRelease
from ardoise.query.territories.detail import Territory
from ardoise.urls import Urls, portal_dataset, query_string

STATUS_LABELS = {
    "ok": "valeur publiée",
    "non_significatif": "non significatif (base trop faible)",
    "absent": "absent (pas de donnée source)",
    "secret_statistique": "secret statistique",
}


def cell(text: object) -> str:
    """A Markdown table cell: one line, pipes escaped."""
    return " ".join(str(text if text is not None else "").split()).replace("|", "\\|")


def table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def number(value: float | None, decimals: int) -> str:
    if value is None:
        return "—"
    return f"{value:.{decimals}f}" if decimals > 0 else f"{round(value)}"


def year_field(view: DatasetView) -> str | None:
    sy = view.dataset.school_year
    return sy.field if sy is not None and sy.field in view.dataset.field_names else None


def example_queries(base: str, view: DatasetView) -> list[tuple[str, str]]:
    """(description, URL) of Explore API queries that work on this dataset."""
    urls = Urls(base)
    out = [("Les 10 premiers enregistrements", urls.records(view.id, "limit=10"))]
    if (yf := year_field(view)) is not None:
        out.append(
            (
                f"Nombre d'enregistrements par valeur de `{yf}`",
                urls.records(view.id, query_string({"select": "count(*) as n", "group_by": yf})),
            )
        )
    return out


def dataset_md(view: DatasetView, release: ServedRelease, base: str) -> str:
    ds = view.dataset
    quality = view.entry.quality
    years = quality.years
    cov = ds.spatial_coverage
    lic = licence_url(ds.licence)
    lines = [
        f"# {ds.title}",
        "",
        f"> Jeu de données officiel `{ds.id}` ({ds.publisher}), servi par Ardoise dans la "
        f"release {release.id} ({release.created_at[:10]}) : {view.rows} enregistrements.",
        "",
        f"- Identifiant : `{ds.id}`",
        f"- Producteur : {ds.publisher}",
        f"- Licence : [{ds.licence}]({lic})" if lic else f"- Licence : {ds.licence}",
        f"- Release : `{release.id}` (publiée le {release.created_at[:10]})",
        f"- Enregistrements : {view.rows}",
        "- Années : "
        + (
            ", ".join(f"{y} ({n} lignes)" for y, n in sorted(years.items()))
            or ", ".join(ds.temporal_coverage.years)
            or "non précisées"
        ),
        "- Couverture territoriale : "
        + ("nationale" if cov.national else "partielle")
        + (f" — {cov.description}" if cov.description else ""),
        f"- Fréquence de mise à jour : {ds.frequency}",
        f"- Page officielle : {portal_dataset(ds.id)}",
        f"- Métadonnées (JSON) : {Urls(base).dataset(ds.id)}",
        "",
        "## Description",
        "",
        ds.description.strip(),
        "",
    ]
    if ds.caveats:
        lines += ["## Précautions", "", *(f"- {c}" for c in ds.caveats), ""]
    lines += [
        "## Champs",
        "",
        table(
            ("nom", "libellé", "type", "unité", "description"),
            ((f"`{f.name}`", f.label, f.type, f.unit or "", f.description) for f in ds.fields),
        ),
        "",
    ]
    lines += ["## Interroger ce jeu (API Explore v2.1, ODSQL)", ""]
    lines += [f"- {label} : {url}" for label, url in example_queries(base, view)]
    lines += ["", "## Téléchargements", ""]
    lines += [f"- [{f.label}]({Urls(base).export(ds.id, f.name)})" for f in download_formats(ds)]
    lines += [
        "",
        f"Qualité : {quality.warnings} avertissement(s), "
        f"{quality.blocking} problème(s) bloquant(s) à la publication.",
        "",
    ]
    return "\n".join(lines)


def _value_line(v: IndicatorValue, decimals: int, unit: str, base: str) -> str:
    where = v.nom or f"{v.niveau} {v.code}"
    text = (
        f"{number(v.valeur, decimals)} {unit}".strip()
        if v.statut == "ok"
        else (STATUS_LABELS.get(v.statut, v.statut))
    )
    if v.secret_libelle:
        text += f" ({v.secret_libelle})"
    base_txt = f", base {v.base}" if v.base is not None else ""
    src = (
        f" — vérifier : {Urls(base).absolute(v.provenance.requete)}" if v.provenance.requete else ""
    )
    if v.provenance.requete and v.provenance.lecture:
        src += f" ({v.provenance.lecture})"
    return f"- {where}, {v.annee} : {text}{base_txt}{src}"


def indicator_md(
    info: IndicatorInfo, release: ServedRelease, base: str, national: Sequence[IndicatorValue]
) -> str:
    d = info.definition
    lines = [
        f"# {d.title}",
        "",
        f"> {d.short_description}",
        "",
        f"- Identifiant : `{d.id}` (définition version {d.version})",
        f"- Unité : {d.unit}",
        f"- Thème : {info.theme_label}",
        f"- Niveaux calculés : {', '.join(d.levels)}",
        f"- Années scolaires : {', '.join(info.annees) or 'aucune'}",
        f"- Agrégation : {info.aggregation_label} ; base : {info.base_label} "
        f"(valeur non significative sous {d.min_base})",
        f"- Release : `{release.id}`",
        f"- API : {Urls(base).indicator(d.id)}",
        "",
        "## Définition",
        "",
        d.description.strip(),
        "",
        "## Formule",
        "",
        d.formula.text.strip(),
        "",
    ]
    if d.methodology:
        lines += ["## Méthode", "", d.methodology.strip(), ""]
    lines += ["## Sources", ""]
    for s in d.sources:
        view = release.datasets.get(s.dataset)
        title = view.dataset.title if view else "absent de cette release"
        link = f"[{title}]({Urls(base).dataset_md(s.dataset)})" if view else title
        lines.append(f"- `{s.dataset}` : {link}")
    lines.append("")
    if d.caveats:
        lines += ["## Précautions", "", *(f"- {c}" for c in d.caveats), ""]
    if national:
        lines += ["## France entière", ""]
        lines += [_value_line(v, d.decimals, d.unit, base) for v in national]
        lines.append("")
    return "\n".join(lines)


def territory_md(
    t: Territory, indicators: TerritoryIndicators | None, release: ServedRelease, base: str
) -> str:
    urls = Urls(base)
    lines = [
        f"# {t.libelle or t.nom}",
        "",
        f"> Territoire `{t.niveau}:{t.code}` ({t.nom}) dans la release {release.id}.",
        "",
    ]
    if t.parents:
        lines.append(
            "- Rattachements : "
            + ", ".join(f"[{p.nom}]({urls.territory_md(p.niveau, p.code)})" for p in t.parents)
        )
    if t.population is not None:
        lines.append(f"- Population : {t.population} ({t.population_source})")
    if t.enfants:
        lines.append("- Contient : " + ", ".join(f"{n} {lv}" for lv, n in t.enfants.items()))
    lines.append(f"- API : {urls.territory(t.niveau, t.code)}")
    lines.append("")
    if indicators is not None and indicators.items:
        lines += ["## Indicateurs", ""]
        for item in indicators.items:
            d = item.indicator.definition
            lines.append(f"### [{d.title}]({urls.indicator_md(d.id)})")
            lines.append("")
            lines.append(_value_line(item.value, d.decimals, d.unit, base))
            lines += [_value_line(p, d.decimals, d.unit, base) for p in item.parents]
            lines.append("")
    else:
        lines += ["Aucun indicateur n'est calculé pour ce territoire.", ""]
    if t.jeux:
        lines += ["## Jeux de données couvrant ce territoire", ""]
        lines += [
            f"- [{j.titre}]({urls.dataset_md(j.dataset_id)}) : {j.enregistrements} "
            f"enregistrements — {urls.absolute(j.url)}"
            for j in t.jeux
        ]
        lines.append("")
    return "\n".join(lines)
