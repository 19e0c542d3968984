"""Issue #19, « figures must equal the official ones »: every indicator whose formula is
exact (sums, counts, means, weighted means, ratios of sums), at every level it is computed
for (school, commune, département, académie, région, France) and every school year,
recomputed from the RAW mirror files with plain DuckDB SQL written here, independently of
``ardoise.indicators`` and ``ardoise.ingest``: no difference allowed.

Only the territorial referential of the release (communes, départements, académies and their
régions) is shared with the code under test. Column names, codes (« 620 » for Corse-du-Sud,
« 1 » for Ain, names in capitals), « NS » markers, school years and the aggregations are all
handled below. A row counts in the territory its source states (département code, then
département name), the commune's only where the source states none: the DEPP files the
schools of Saint-Martin and Saint-Barthélemy under Guadeloupe (971), and so must we.

The reference values published by the ministry (``ips_reference_ecoles``) are checked by
``test_mirror.py::test_reference_ips``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.indicators.conftest import Key

pytestmark = pytest.mark.mirror


ALL_LEVELS = ("etablissement", "commune", "departement", "academie", "region", "france")


@dataclass(frozen=True)
class Raw:
    """One raw file and where its territory, year and measures are."""

    path: str
    year: str  # SQL: the school year « AAAA-AAAA »
    fields: dict[str, str]  # a name used by the formulas below → SQL on the raw columns
    uai: str = "NULL"
    commune: str = "NULL"
    dep: str = "NULL"  # a département code as written
    dep_name: str = "NULL"
    aca: str = "NULL"  # an académie code as written
    aca_name: str = "NULL"
    delim: str = ";"
    years: tuple[str, ...] = ()  # only these school years of the file (all when empty)


@dataclass(frozen=True)
class Spec:
    """An indicator as its method text defines it."""

    sources: tuple[str, ...]  # datasets, in order: a later one only adds the years before lacks
    kind: str  # count, sum, mean, weighted, ratio
    value: str  # SQL over the fields: the row's value (or numerator)
    levels: tuple[str, ...]
    min_base: int
    weight: str = "NULL"  # weighted: the weight; ratio: the denominator
    required: tuple[str, ...] = ()  # fields a row must give to count
    where: str = "true"
    factor: float = 1.0
    partial: bool = False  # an académie, région or France needs all its départements


def _rentree(col: str) -> str:  # « 2019 » → « 2019-2020 »
    return f"(trim({col}) || '-' || (CAST(trim({col}) AS INTEGER) + 1))"


def _session(col: str) -> str:  # session 2022 → « 2021-2022 »
    return f"((CAST(trim({col}) AS INTEGER) - 1) || '-' || trim({col}))"


IPS_CSV = {
    "uai": "UAI",
    "commune": '"Code INSEE de la commune"',
    "dep": '"Code du département"',
    "aca_name": '"Académie"',
}
IPS_SNAKE = {
    "uai": "uai",
    "commune": "code_insee_de_la_commune",
    "dep": "code_du_departement",
    "aca_name": "academie",
}
DNB_FIELDS = {
    "admis": '"Admis"',
    "presents": '"Présents"',
    "mentions": '"Admis mention assez bien" + "Admis mention bien" + "Admis mention très bien"',
    "admis_filles": '"Admis filles"',
    "presents_filles": '"Présents filles"',
}
LYCEE_GT_SEXES = [
    f"{level}_{sex}"
    for sex in ("filles", "garcons")
    for level in (
        "2ndes_gt",
        "1eres_g",
        "1eres_sti2d",
        "1eres_stl",
        "1eres_stmg",
        "1eres_st2s",
        "1eres_std2a",
        "terminales_g",
        "terminales_sti2d",
        "terminales_stl",
        "terminales_stmg",
        "terminales_st2s",
        "terminales_std2a",
    )
]
LYCEE_PRO_SEXES = [
    f"{level}_{sex}"
    for sex in ("filles", "garcons")
    for level in (
        "2ndes_pro",
        "1eres_pro",
        "terminales_pro",
        "cap_1ere_annee",
        "cap_2nde_annee",
        "cap_en_1_an",
        "cap_en_3_ans",
        "bma_1ere_annee",
        "bma_2nde_annee",
        "mc",
    )
]
LYCEE_EFFECTIFS = {"uai": "numero_lycee", "dep_name": "departement", "aca_name": "academie"}
# Share of girls per speciality (a pupil counts in each of hers), per doublette of terminale
# and per triplette of première: indicator → (dataset, the file's column prefix).
SPECIALITES_TERMINALE = "fr-en-effectifs-specialites-doublettes-terminale-generale"
SPECIALITES_PREMIERE = "fr-en-effectifs-specialites-triplettes-1ere-generale"
SPECIALITES = {
    "hlp": (SPECIALITES_TERMINALE, "0105_humanites_litterature_et_philosophie"),
    "ses": (SPECIALITES_TERMINALE, "0507_sciences_economiques_et_sociales"),
    "mathematiques": (SPECIALITES_TERMINALE, "0613_mathematiques"),
    "physique_chimie": (SPECIALITES_TERMINALE, "0623_physique_chimie"),
    "svt": (SPECIALITES_TERMINALE, "0629_sciences_de_la_vie_et_de_la_terre"),
    "nsi": (SPECIALITES_TERMINALE, "0747_numerique_et_sciences_informatiques"),
    "maths_physique": (SPECIALITES_TERMINALE, "0001_mathematiques_physique_chimie"),
    "maths_nsi": (SPECIALITES_TERMINALE, "0011_mathematiques_numerique_et_sciences_informatiques"),
    "maths_physique_svt": (
        SPECIALITES_PREMIERE,
        "01_mathematiques_physique_chimie_sciences_de_la_vie_et_de_la_terre",
    ),
    "maths_nsi_physique": (
        SPECIALITES_PREMIERE,
        "05_mathematiques_numerique_et_sciences_informatiques_physique_chimie",
    ),
}
ECOLES_EFFECTIFS = {
    "uai": '"Numéro de l\'école"',
    "dep_name": '"Département"',
    "aca_name": '"Académie"',
}

RAW: dict[str, tuple[Raw, ...]] = {
    "fr-en-ips_ecoles": (
        Raw(
            "nicolasbchb-ips-dataviz/fr-en-ips_ecoles.csv",
            'trim("Rentrée scolaire")',
            {"ips": "num(IPS)", "secteur": '"Secteur"'},
            **IPS_CSV,
        ),
    ),
    "fr-en-ips-ecoles-ap2022": (
        Raw(
            "helene-s-etablissement-ips/fr-en-ips-ecoles-ap2022.parquet",
            "trim(rentree_scolaire)",
            {"ips": "num(ips)", "secteur": "secteur"},
            **(IPS_SNAKE | {"aca": "code_de_l_academie", "aca_name": "NULL"}),
        ),
    ),
    "fr-en-ips_colleges": (
        Raw(
            "karimaidibi-businessmodelsdataig5/fr-en-ips_colleges.csv",
            'trim("Rentrée scolaire")',
            {"ips": "num(IPS)", "secteur": '"Secteur"'},
            **IPS_CSV,
        ),
    ),
    "fr-en-ips-colleges-ap2022": (
        Raw(
            "helene-s-etablissement-ips/fr-en-ips-colleges-ap2022.csv",
            'trim("Rentrée scolaire")',
            {"ips": "num(IPS)", "secteur": '"Secteur"'},
            **IPS_CSV,
        ),
    ),
    "fr-en-ips_lycees": (
        Raw(
            "lisebs-exam-data/fr-en-ips_lycees.csv",
            "trim(rentree_scolaire)",
            {"ips": "num(ips_ensemble_gt_pro)"},
            **IPS_SNAKE,
        ),
    ),
    "fr-en-ips-lycees-ap2022": (
        Raw(
            "helene-s-etablissement-ips/fr-en-ips-lycees-ap2022.parquet",
            "trim(rentree_scolaire)",
            {"ips": "num(ips_ensemble_gt_pro)"},
            **IPS_SNAKE,
        ),
    ),
    "fr-en-resultats-detailles-au-dnb": (
        Raw(
            "sokyrio-datavisualisation-education/fr-en-resultats-detailles-au-dnb.csv",
            _session('"Année"'),
            {
                k: " + ".join(f"num({c.strip()})" for c in v.split(" + "))
                for k, v in DNB_FIELDS.items()
            },
            dep='"Code département"',
            aca='"Code académie"',
        ),
    ),
    "fr-en-baccalaureat-par-departement": (
        Raw(
            "sokyrio-datavisualisation-education/fr-en-baccalaureat-par-departement.csv",
            _session('"Session"'),
            {
                "admis": "num(\"Nombre d'admis à l'examen\")",
                "presents": 'num("Nombre de présents à l\'examen")',
                "voie": '"Voie"',
            },
            dep='"Code département"',
            aca='"Code académie"',
        ),
    ),
    "fr-en-indicateurs-valeur-ajoutee-colleges": (
        Raw(
            "manoonaub-ivac-streamlit-app/fr-en-indicateurs-valeur-ajoutee-colleges.csv",
            _session('"Session"'),
            {
                "taux": 'num("Taux de réussite G")',
                "va": 'num("VA du taux de réussite G")',
                "note": 'num("Note à l\'écrit G")',
                "candidats": 'num("Nb candidats G")',
            },
            uai="UAI",
            dep='"Code département"',
            aca='"Code académie"',
        ),
    ),
    "fr-en-indicateurs_personnels_etablissements2d": (
        Raw(
            "sokyrio-datavisualisation-education/fr-en-indicateurs_personnels_etablissements2d.csv",
            _rentree('"Année de la rentrée scolaire"'),
            {"etp": 'num("ETP total")'},
            uai='"Identifiant de l\'établissement"',
            dep='"Code département"',
            aca='"Code académie"',
            delim=",",
        ),
    ),
    # a union of two copies (SOURCES.md §3): rentrée 2019 from the older, 2020-2022 from
    # the newer, which covers 2020 and 2021 too (61 more lycées in 2020)
    "fr-en-lycee_gt-effectifs-niveau-sexe-lv": tuple(
        Raw(
            f"{copy}/fr-en-lycee_gt-effectifs-niveau-sexe-lv.csv",
            _rentree("rentree_scolaire"),
            {"eleves": "num(nombre_d_eleves)"} | {c: f'num("{c}")' for c in LYCEE_GT_SEXES},
            years=years,
            **LYCEE_EFFECTIFS,
        )
        for copy, years in (
            ("lisebs-exam-data", ("2019-2020",)),
            ("leaajo-parcoursup-isd", ("2020-2021", "2021-2022", "2022-2023")),
        )
    ),
    "fr-en-lycee_pro-effectifs-niveau-sexe-lv": (
        Raw(
            "leaajo-parcoursup-isd/fr-en-lycee_pro-effectifs-niveau-sexe-lv.csv",
            _rentree("rentree_scolaire"),
            {"eleves": "num(nombre_d_eleves)"} | {c: f'num("{c}")' for c in LYCEE_PRO_SEXES},
            **LYCEE_EFFECTIFS,
        ),
    ),
    **{
        dataset: (
            Raw(
                f"leaajo-parcoursup-isd/{dataset}.csv",
                _rentree("rentree_scolaire"),
                {
                    f"{prefix}_{sex}": f'num("{prefix}_{sex}")'
                    for d, prefix in SPECIALITES.values()
                    if d == dataset
                    for sex in ("filles", "garcons")
                },
                **(LYCEE_EFFECTIFS | {"uai": "numero_etablissement"}),
            ),
        )
        for dataset in (SPECIALITES_TERMINALE, SPECIALITES_PREMIERE)
    },
    "fr-en-ecoles-effectifs-nb_classes": tuple(
        Raw(
            path,
            _rentree('"Rentrée scolaire"'),
            {
                "eleves": 'num("Nombre total d\'élèves")',
                "classes": 'num("Nombre total de classes")',
            },
            **ECOLES_EFFECTIFS,
        )
        for path in (
            "msimonin-coll-ges35/fr-en-ecoles-effectifs-nb_classes.csv",
            "karimaidibi-businessmodelsdataig5/fr-en-ecoles-effectifs-nb_classes_occitanie.csv",
        )
    ),
    "fr-en-etic_2d": (
        Raw(
            "karimaidibi-businessmodelsdataig5/fr-en-etic_2d_occitanie.csv",
            _session("Millesime"),
            {"terminaux": "num(NbTerminaux)", "eleves": "num(NbEleve)"},
            uai="Code_UAI",
            dep_name="Departement",
            aca_name="Academie",
        ),
    ),
}

IPS = {
    "ecoles": ("fr-en-ips_ecoles", "fr-en-ips-ecoles-ap2022"),
    "colleges": ("fr-en-ips_colleges", "fr-en-ips-colleges-ap2022"),
    "lycees": ("fr-en-ips_lycees", "fr-en-ips-lycees-ap2022"),
}
ABOVE_SCHOOL = ALL_LEVELS[1:]
FROM_DEP = ALL_LEVELS[2:]
IVAC = ("fr-en-indicateurs-valeur-ajoutee-colleges",)
DNB = ("fr-en-resultats-detailles-au-dnb",)
BAC = ("fr-en-baccalaureat-par-departement",)
PRIVE = "CASE WHEN secteur = 'privé sous contrat' THEN 1 ELSE 0 END"
FILLES = " + ".join(f'"{c}"' for c in LYCEE_GT_SEXES if c.endswith("filles"))
FILLES_PRO = " + ".join(f'"{c}"' for c in LYCEE_PRO_SEXES if c.endswith("filles"))
LYCEES = ALL_LEVELS[:1] + FROM_DEP


def _girls_share(dataset: str, prefix: str) -> Spec:
    """Girls among the pupils of a speciality: an empty cell of these files is no pupil (a
    girls' lycée leaves every « garcons » cell empty, and its totals add up with 0), and a
    lycée where both cells are empty does not teach it (no value, not a zero base)."""
    girls, boys = (f'"{prefix}_{sex}"' for sex in ("filles", "garcons"))
    return Spec(
        (dataset,),
        "ratio",
        f"coalesce({girls}, 0)",
        LYCEES,
        20,
        weight=f"coalesce({girls}, 0) + coalesce({boys}, 0)",
        where=f"({girls} IS NOT NULL OR {boys} IS NOT NULL)",
        factor=100,
    )


SPECS: dict[str, Spec] = {
    **{
        f"nb_{k}_ips": Spec(s, "count", "1", ABOVE_SCHOOL, 0, required=("ips",))
        for k, s in IPS.items()
    },
    **{f"ips_moyen_{k}": Spec(s, "mean", "ips", ALL_LEVELS, 1) for k, s in IPS.items()},
    **{
        f"part_prive_{k}": Spec(
            IPS[k], "ratio", PRIVE, ABOVE_SCHOOL, 5, weight="1", required=("ips",), factor=100
        )
        for k in ("ecoles", "colleges")
    },
    "taux_reussite_dnb": Spec(DNB, "ratio", "admis", FROM_DEP, 20, weight="presents", factor=100),
    "taux_mentions_dnb": Spec(DNB, "ratio", "mentions", FROM_DEP, 20, weight="admis", factor=100),
    "taux_reussite_dnb_filles": Spec(
        DNB, "ratio", "admis_filles", FROM_DEP, 20, weight="presents_filles", factor=100
    ),
    "taux_reussite_bac": Spec(BAC, "ratio", "admis", FROM_DEP, 20, weight="presents", factor=100),
    "taux_reussite_bac_pro": Spec(
        BAC,
        "ratio",
        "admis",
        FROM_DEP,
        20,
        weight="presents",
        factor=100,
        where="voie = 'Professionnelle'",
    ),
    "taux_reussite_dnb_colleges": Spec(IVAC, "mean", "taux", ALL_LEVELS[:1] + FROM_DEP, 1),
    "va_taux_reussite_colleges": Spec(IVAC, "mean", "va", ALL_LEVELS[:1] + FROM_DEP, 1),
    "note_ecrit_dnb_colleges": Spec(
        IVAC, "weighted", "note", ALL_LEVELS[:1] + FROM_DEP, 1, weight="candidats"
    ),
    "etp_total_2d": Spec(
        ("fr-en-indicateurs_personnels_etablissements2d",), "sum", "etp", FROM_DEP, 1
    ),
    "etp_moyen_etablissements_2d": Spec(
        ("fr-en-indicateurs_personnels_etablissements2d",),
        "mean",
        "etp",
        ALL_LEVELS[:1] + FROM_DEP,
        1,
    ),
    "effectif_lycees_gt": Spec(
        ("fr-en-lycee_gt-effectifs-niveau-sexe-lv",), "sum", "eleves", ALL_LEVELS[:1] + FROM_DEP, 1
    ),
    "part_filles_lycees_gt": Spec(
        ("fr-en-lycee_gt-effectifs-niveau-sexe-lv",),
        "ratio",
        FILLES,
        ALL_LEVELS[:1] + FROM_DEP,
        20,
        weight=" + ".join(f'"{c}"' for c in LYCEE_GT_SEXES),
        required=tuple(LYCEE_GT_SEXES),
        factor=100,
    ),
    "effectif_lycees_pro": Spec(
        ("fr-en-lycee_pro-effectifs-niveau-sexe-lv",), "sum", "eleves", LYCEES, 1
    ),
    "part_filles_lycees_pro": Spec(
        ("fr-en-lycee_pro-effectifs-niveau-sexe-lv",),
        "ratio",
        FILLES_PRO,
        LYCEES,
        20,
        weight=" + ".join(f'"{c}"' for c in LYCEE_PRO_SEXES),
        required=tuple(LYCEE_PRO_SEXES),
        factor=100,
    ),
    **{
        f"part_filles_specialite_{name}": _girls_share(dataset, prefix)
        for name, (dataset, prefix) in SPECIALITES.items()
    },
    "eleves_par_classe_ecoles": Spec(
        ("fr-en-ecoles-effectifs-nb_classes",),
        "ratio",
        "eleves",
        ("etablissement", "departement", "academie", "region"),
        1,
        weight="classes",
        partial=True,
    ),
    "terminaux_pour_100_eleves": Spec(
        ("fr-en-etic_2d",),
        "ratio",
        "terminaux",
        ("etablissement", "departement", "academie", "region"),
        100,
        weight="eleves",
        factor=100,
        partial=True,
    ),
}
# Not an exact formula over rows: values published by the ministry (test_mirror.py); the
# lycées' own IVAL figures, published per lycée as the file gives them, are compared with
# the raw files one by one in test_mirror_lycees.py.
NOT_RECOMPUTED_HERE = {
    "ips_reference_ecoles",
    "taux_reussite_bac_lycee",
    "taux_reussite_bac_pro_lycee",
    "valeur_ajoutee_bac",
    "valeur_ajoutee_bac_pro",
}

# Département names that no spelling rule maps to the referential's (« HTE », « ST »…).
DEP_NAME_ALIASES = {
    "ALPESDEHTEPROVENCE": "04",
    "STPIERREETMIQUELON": "975",
}


def _scan(path: Path, delim: str) -> str:
    if path.suffix == ".parquet":
        return f"read_parquet('{path}')"
    return f"read_csv('{path}', delim='{delim}', header=true, all_varchar=true)"


def connect_referential(ref: Path) -> duckdb.DuckDBPyConnection:
    """Macros and tables of the independent computation, over the release's referential."""
    con = duckdb.connect()
    aliases = " UNION ALL ".join(f"SELECT '{k}', '{v}'" for k, v in DEP_NAME_ALIASES.items())
    con.execute(f"""
        CREATE TABLE dep AS SELECT code, nom, academie, region
            FROM read_parquet('{ref}/departements.parquet');
        CREATE TABLE aca AS SELECT code, nom, alias,
            CASE WHEN ancienne THEN coalesce(remplacee_par, code) ELSE code END AS actuelle,
            region FROM read_parquet('{ref}/academies.parquet');
        CREATE MACRO num(x) AS TRY_CAST(replace(trim(CAST(x AS VARCHAR)), ',', '.') AS DOUBLE);
        CREATE MACRO namekey(x) AS
            regexp_replace(upper(strip_accents(trim(CAST(x AS VARCHAR)))), '[^A-Z0-9]', '', 'g');
        CREATE MACRO dep_code(x) AS (CASE
            WHEN upper(trim(x)) IN ('620', '0620') THEN '2A'
            WHEN upper(trim(x)) IN ('720', '0720') THEN '2B'
            WHEN regexp_full_match(upper(trim(x)), '0*2[AB]') THEN right(upper(trim(x)), 2)
            WHEN TRY_CAST(trim(x) AS INTEGER) IS NULL THEN NULL
            WHEN CAST(trim(x) AS INTEGER) < 100
                 THEN lpad(CAST(CAST(trim(x) AS INTEGER) AS VARCHAR), 2, '0')
            ELSE CAST(CAST(trim(x) AS INTEGER) AS VARCHAR) END);
        CREATE TABLE dep_names AS
            SELECT namekey(nom) AS k, code FROM dep UNION ALL {aliases};
        CREATE TABLE aca_names AS
            SELECT DISTINCT namekey(n) AS k, actuelle AS code
            FROM (SELECT nom AS n, actuelle FROM aca
                  UNION ALL SELECT unnest(alias), actuelle FROM aca);
        CREATE MACRO valid_uai(u) AS regexp_full_match(u, '[0-9]{{7}}[A-Z]') AND
            substr('ABCDEFGHJKLMNPRSTUVWXYZ', CAST(left(u, 7) AS INTEGER) % 23 + 1, 1) = right(u, 1);
        -- a commune code as written → today's commune (arrondissements and communes
        -- déléguées count in theirs) and its département
        CREATE TABLE cmap AS
        WITH k AS (SELECT cle, min(code) AS code
                   FROM read_parquet('{ref}/territory_codes.parquet') WHERE niveau = 'commune'
                   GROUP BY cle HAVING count(DISTINCT code) = 1),
             c AS (SELECT code, bool_or(type = 'commune-actuelle') AS actuelle,
                          min(commune_parente) AS parent, min(departement) AS dep
                   FROM read_parquet('{ref}/communes.parquet') GROUP BY code)
        SELECT k.cle, CASE WHEN c.actuelle THEN c.code ELSE coalesce(c.parent, c.code) END
               AS commune, c.dep FROM k JOIN c ON c.code = k.code;
    """)
    return con


def _rows_sql(mirror: Path, raw: Raw, spec: Spec) -> str:
    """One row per raw line: year, territory at each level (placed by what the source
    states first), value and weight."""
    named = ", ".join(f"{sql} AS {_q(name)}" for name, sql in raw.fields.items())
    required = " AND ".join([f"{_q(f)} IS NOT NULL" for f in spec.required] or ["true"])
    value = spec.value
    years = f"s.annee IN ({', '.join(repr(y) for y in raw.years)})" if raw.years else "true"
    base_filter = {
        "count": "true",
        "sum": f"({value}) IS NOT NULL",
        "mean": f"({value}) IS NOT NULL",
        "weighted": f"({value}) IS NOT NULL AND ({spec.weight}) IS NOT NULL",
        "ratio": f"({value}) IS NOT NULL AND ({spec.weight}) IS NOT NULL",
    }[spec.kind]
    return f"""
        SELECT s.annee,
               CASE WHEN valid_uai(s.uai) THEN s.uai END AS etablissement,
               m.commune,
               coalesce(dc.code, dn.code, m.dep) AS departement,
               coalesce(d.academie, ac.actuelle, an.code) AS academie,
               coalesce(d.region, ac.region, ar.region) AS region,
               'FR' AS france,
               CAST({value} AS DOUBLE) AS v, CAST({spec.weight} AS DOUBLE) AS w
        FROM (SELECT {raw.year} AS annee, upper(trim({raw.uai})) AS uai,
                     upper(lpad(trim({raw.commune}), 5, '0')) AS commune_raw,
                     {raw.dep} AS dep_raw, namekey({raw.dep_name}) AS dep_name,
                     lpad(trim({raw.aca}), 2, '0') AS aca_raw, namekey({raw.aca_name}) AS aca_name,
                     {named}
              FROM {_scan(mirror / raw.path, raw.delim)}) s
        LEFT JOIN cmap m ON m.cle = s.commune_raw
        LEFT JOIN dep dc ON dc.code = dep_code(s.dep_raw)
        LEFT JOIN dep_names dn ON dn.k = s.dep_name
        LEFT JOIN dep d ON d.code = coalesce(dc.code, dn.code, m.dep)
        LEFT JOIN aca ac ON ac.code = s.aca_raw
        LEFT JOIN aca_names an ON an.k = s.aca_name
        LEFT JOIN aca ar ON ar.code = coalesce(ac.actuelle, an.code)
        WHERE {required} AND ({spec.where}) AND {base_filter} AND {years}"""


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def recompute(con: duckdb.DuckDBPyConnection, mirror: Path, ident: str) -> dict[Key, Any]:
    """(niveau, code, année) → (value or None, base) of ``ident``, from the raw files."""
    spec = SPECS[ident]
    parts: list[str] = []
    taken: set[str] = set()
    for dataset in spec.sources:  # a later dataset only adds the years the earlier lack
        sqls = [_rows_sql(mirror, raw, spec) for raw in RAW[dataset]]
        union = " UNION ALL ".join(sqls)
        years = {r[0] for r in con.execute(f"SELECT DISTINCT annee FROM ({union})").fetchall()}
        new = sorted(y for y in years if y is not None and y not in taken)
        if new:
            quoted = ", ".join(f"'{y}'" for y in new)
            parts.append(f"SELECT * FROM ({union}) WHERE annee IN ({quoted})")
        taken.update(new)
    con.execute(f"CREATE OR REPLACE TABLE _rows AS {' UNION ALL '.join(parts)}")
    value, base = {
        "count": ("count(*)", "count(*)"),
        "sum": ("sum(v)", "count(*)"),
        "mean": ("sum(v) / count(*)", "count(*)"),
        "weighted": ("sum(v * w) / sum(w)", "count(*)"),
        "ratio": (f"{spec.factor} * sum(v) / sum(w)", "CAST(round(sum(w)) AS BIGINT)"),
    }[spec.kind]
    out: dict[Key, Any] = {}
    for level in spec.levels:
        for code, year, val, n in con.execute(
            f"SELECT {level}, annee, {value}, {base} FROM _rows "
            f"WHERE {level} IS NOT NULL GROUP BY ALL"
        ).fetchall():
            ok = n >= spec.min_base and val is not None
            out[(level, str(code), str(year))] = (val if ok else None, n)
    if spec.partial:
        _drop_incomplete(con, out)
    return out


def _drop_incomplete(con: duckdb.DuckDBPyConnection, out: dict[Key, Any]) -> None:
    """Partial coverage: no académie, région or France value unless every département of
    it (in the referential) has one that year."""
    deps = con.execute("SELECT code, academie, region FROM dep").fetchall()
    for level, code, year in list(out):
        if level not in ("academie", "region", "france"):
            continue
        members = [
            d for d, a, r in deps if level == "france" or (a if level == "academie" else r) == code
        ]
        if any(("departement", d, year) not in out for d in members):
            del out[(level, code, year)]


@pytest.fixture(scope="session")
def raw_con(real_release: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect_referential(real_release / "referential")
    yield con
    con.close()


def compare(ident: str, published: dict[Key, Any], expected: dict[Key, Any]) -> list[str]:
    """Every difference between the published values of ``ident`` and ``expected``."""
    spec = SPECS[ident]
    problems: list[str] = []
    with_data = {k for k, v in published.items() if v[2] != "absent"}
    for key in sorted(with_data - set(expected))[:5]:
        problems.append(f"{ident} {key}: publié {published[key]}, absent des fichiers bruts")
    for key in sorted(set(expected) - with_data)[:5]:
        problems.append(f"{ident} {key}: {expected[key]} dans les fichiers bruts, non publié")
    exact = spec.kind in ("count",) or (spec.kind == "sum" and ident != "etp_total_2d")
    for key in sorted(set(expected) & with_data):
        value, base = expected[key]
        got_value, got_base, status = published[key]
        if got_base != base:
            problems.append(f"{ident} {key}: base {got_base} au lieu de {base}")
        elif value is None:
            if (got_value, status) != (None, "non_significatif"):
                problems.append(f"{ident} {key}: {got_value} {status}, non significatif attendu")
        elif status != "ok" or not (
            got_value == value if exact else got_value == pytest.approx(value, rel=1e-12, abs=1e-9)
        ):
            problems.append(f"{ident} {key}: {got_value} ({status}) au lieu de {value}")
    levels = {k[0] for k in with_data}
    if levels != set(spec.levels):
        problems.append(f"{ident}: niveaux publiés {sorted(levels)}, attendus {spec.levels}")
    return problems


def test_every_exact_indicator_is_declared_here(published: dict[str, Any]) -> None:
    """A new indicator must be recomputed here too (or say why it cannot be)."""
    assert set(published) - NOT_RECOMPUTED_HERE == set(SPECS)


@pytest.mark.parametrize("ident", sorted(SPECS))
def test_published_figures_equal_a_recomputation_from_the_raw_files(
    ident: str,
    raw_con: duckdb.DuckDBPyConnection,
    mirror_dir: Path,
    published: dict[str, dict[Key, tuple[Any, ...]]],
) -> None:
    expected = recompute(raw_con, mirror_dir, ident)
    assert len(expected) > 20, ident
    assert compare(ident, published[ident], expected) == []


def test_guadeloupe_counts_the_schools_its_source_files_under_it(
    raw_con: duckdb.DuckDBPyConnection,
    mirror_dir: Path,
    published: dict[str, dict[Key, tuple[Any, ...]]],
) -> None:
    """The issue's example: 178 schools with an IPS in 2021-2022 (167 before the fix: the
    3 of Saint-Barthélemy and the 8 of Saint-Martin were moved out), in the département,
    the académie and the région alike."""
    for level, code in (("departement", "971"), ("academie", "32"), ("region", "01")):
        assert published["nb_ecoles_ips"][(level, code, "2021-2022")][:2] == (178.0, 178)
    expected = recompute(raw_con, mirror_dir, "nb_ecoles_ips")
    assert expected[("departement", "971", "2021-2022")] == (178, 178)
    # their communes keep their own figures
    assert published["nb_ecoles_ips"][("commune", "97801", "2021-2022")][:2] == (8.0, 8)
    assert published["nb_ecoles_ips"][("commune", "97701", "2021-2022")][:2] == (3.0, 3)
    # Corse: « 620 » / « 720 » in DEPP files, 2A / 2B in the referential, région 94
    corse = [published["nb_colleges_ips"][("departement", d, "2021-2022")][1] for d in ("2A", "2B")]
    assert all(n and n > 5 for n in corse)
    assert published["nb_colleges_ips"][("region", "94", "2021-2022")][1] == sum(corse)
