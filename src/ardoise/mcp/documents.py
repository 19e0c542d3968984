"""The MCP resources, as Markdown: the catalogue overview ("what this server can answer, and
what it cannot", datagouv-mcp #63), one document per dataset and one per indicator
(methodology). Written from the release being served, so they never lag behind it
(reference §4.6).
"""

from __future__ import annotations

from ardoise.mcp.citations import Citer
from ardoise.mcp.datasets import school_years, view_of
from ardoise.mcp.indicators import info_of
from ardoise.query import indicators as q
from ardoise.query.release import ServedRelease

TOOLS_GUIDE = """\
## Comment interroger ce serveur

1. `search_datasets(query)` filtre les jeux par mots (accents ignorés) ; s'il ne trouve rien,
   il le dit et propose les jeux proches : cherchez avec d'autres mots avant de conclure
   qu'une donnée n'existe pas.
2. `describe_dataset(dataset_id)` : champs, types, années, couverture, qualité, licence.
3. `query_records(dataset_id, where, select, group_by, order_by, limit)` : ODSQL, comme
   l'API Explore v2.1. `total_count` est exact ; les lignes rendues sont plafonnées
   (100) : pour un chiffre d'ensemble, agrégez (`select=avg(ips), count(*)`,
   `group_by=…`) au lieu de compter des lignes.
4. `find_territory(name)` : nom → codes ; plusieurs homonymes sont listés, jamais devinés.
5. `list_indicators()`, `get_indicator(indicator_id, territory, school_year)`,
   `compare_territories(indicator_id, territories, school_year)` : indicateurs calculés à
   la publication pour chaque niveau (établissement, commune, département, académie,
   région, France), avec base, statut et série.

Chaque chiffre rendu porte une `citation` : jeux sources, release et date, licence,
version de la définition (indicateurs) et une URL de l'API qui redonne exactement ce
chiffre. Citez-la.
"""

CANNOT = """\
## Ce que ce serveur ne sait pas faire

- Aucune donnée personnelle : pas d'élève, pas de personnel nommé.
- Rien hors des jeux listés ci-dessous et de leurs années : une année absente de la liste
  n'est pas dans la release (ce n'est pas un zéro). Les jeux du portail officiel non repris
  ici sont signalés par `search_datasets` (« non_detenus »).
- Pas de prévision, pas d'estimation : seulement les chiffres publiés et les indicateurs
  définis (`list_indicators`).
- Une valeur au statut `non_significatif` (base trop petite), `absent` ou
  `secret_statistique` (comptage d'un jeu restreint couvert par le secret) ne se cite pas
  comme un chiffre.
- Lecture seule : le serveur ne modifie rien.
"""


def overview(release: ServedRelease, citer: Citer) -> str:
    lines = [
        f"# Ardoise — données ouvertes de l'éducation (release {release.id})",
        "",
        f"Release publiée le {release.created_at}, servie par {citer.base}. Les données "
        "viennent des exports officiels de data.education.gouv.fr (identifiants et "
        "champs identiques).",
        "",
        TOOLS_GUIDE,
        CANNOT,
        f"## Jeux de données ({len(release.datasets)})",
        "",
    ]
    for view in release.datasets.values():
        ds = view.dataset
        years = school_years(view)
        span = f"{years[0]} à {years[-1]}" if len(years) > 1 else (years[0] if years else "—")
        cov = "national" if ds.spatial_coverage.national else "partiel"
        lines.append(
            f"- `{ds.id}` — {ds.title} ({view.rows} lignes ; années : {span} ; "
            f"{cov}) : ardoise://jeux/{ds.id}"
        )
    infos = q.list_indicators(release)
    lines += ["", f"## Indicateurs ({len(infos)})", ""]
    for info in infos:
        d = info.definition
        span = f"{info.annees[0]} à {info.annees[-1]}" if info.annees else "aucune année"
        lines.append(
            f"- `{d.id}` — {d.title} ({d.unit} ; {span} ; niveaux : "
            f"{', '.join(d.levels)}) : ardoise://indicateurs/{d.id}"
        )
    return "\n".join(lines) + "\n"


def dataset_document(release: ServedRelease, citer: Citer, dataset_id: str) -> str:
    view = view_of(release, dataset_id)
    ds = view.dataset
    years = view.entry.quality.years
    lines = [
        f"# {ds.title}",
        "",
        f"- Identifiant : `{ds.id}`",
        f"- Producteur : {ds.publisher}",
        f"- Licence : {ds.licence}",
        f"- Source officielle : {ds.source_url}",
        f"- Release : {release.id} ({release.created_at})",
        f"- Enregistrements : {view.rows}",
        f"- Couverture : {'nationale' if ds.spatial_coverage.national else 'partielle'} — "
        f"{ds.spatial_coverage.description}",
        f"- API : {citer.urls.records(ds.id)}",
        "",
        "## Description",
        "",
        ds.description.strip(),
        "",
    ]
    if years:
        lines += ["## Années scolaires", ""]
        lines += [f"- {y} : {n} lignes" for y, n in sorted(years.items())]
        lines.append("")
    lines += ["## Champs", "", "| champ | libellé | type | description |", "|---|---|---|---|"]
    for f in ds.fields:
        unit = f" ({f.unit})" if f.unit else ""
        desc = f.description.replace("|", "/").replace("\n", " ")
        lines.append(f"| `{f.name}` | {f.label} | {f.type}{unit} | {desc} |")
    if ds.caveats:
        lines += ["", "## Précautions", ""] + [f"- {c}" for c in ds.caveats]
    return "\n".join(lines) + "\n"


def indicator_document(release: ServedRelease, indicator_id: str) -> str:
    info = info_of(release, indicator_id)
    d = info.definition
    lines = [
        f"# {d.title}",
        "",
        f"- Identifiant : `{d.id}` (définition version {d.version})",
        f"- Unité : {d.unit}",
        f"- Thème : {info.theme_label}",
        f"- Niveaux : {', '.join(d.levels)}",
        f"- Années scolaires : {', '.join(info.annees) or 'aucune'}",
        f"- Sources : {', '.join(f'`{s}`' for s in d.dataset_ids)}",
        f"- Agrégation : {info.aggregation_label} ; base : {info.base_label} ; base "
        f"minimale : {d.min_base}",
        "",
        "## Définition",
        "",
        d.description.strip(),
        "",
        "## Formule",
        "",
        d.formula.text.strip(),
        "",
        "## Méthodologie",
        "",
        d.methodology.strip(),
        "",
    ]
    if d.caveats:
        lines += ["## Précautions", ""] + [f"- {c}" for c in d.caveats] + [""]
    note = q.secret_note(info)
    if note:  # a count of a restricted dataset (issue #16)
        lines += ["## Secret statistique", "", note, ""]
    missing = info.couverture.get("annees_manquantes") or []
    if missing:
        lines += ["## Années manquantes", "", ", ".join(missing), ""]
    return "\n".join(lines)
