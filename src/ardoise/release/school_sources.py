"""What the schools-over-time tables read from each dataset of a release (issue #18).

Every published dataset carries the link columns of the ingest (``_uai``, ``_annee_scolaire``,
``_commune``…); what differs is where a dataset spells a school's name, sector, type and
enrolment. These tables say it once, by column name, in order of preference (the first
column a dataset has is the one read). The indicator values (IPS, DNB, value added) are
not re-read from the datasets: they are the indicator values the release computed
(``indicators/valeurs.parquet``, level ``etablissement``), one number, one function.
"""

from __future__ import annotations

NAME_COLUMNS = (
    "nom_etablissement",
    "nom_de_l_etablissement",
    "nom_de_l_etablissment",
    "appellation_officielle",
    "denomination_principale",
    "etablissement",
    "ecole",
)
SECTOR_COLUMNS = (
    "secteur",
    "statut_public_prive",
    "secteur_d_enseignement",
    "secteur_public_prive_libe",
)
TYPE_COLUMNS = ("type_etablissement", "type_d_etablissement", "nature_uai_libe", "typ_etab")
# a dataset about one kind of school says so in its id
TYPE_BY_ID = (("ecole", "école"), ("college", "collège"), ("lycee", "lycée"))
ENROLMENT_COLUMNS = (
    "nombre_total_eleves",
    "nombre_eleves_total",
    "nombre_d_eleves",
    "effectifs",
    "effectifs_ensemble_gt_pro",
    "nbeleve",
)

# indicator id (level etablissement) → column of etablissements_annees
INDICATOR_COLUMNS = {
    "ips_moyen_ecoles": "ips",
    "ips_moyen_colleges": "ips",
    "ips_moyen_lycees": "ips",
    "taux_reussite_dnb_colleges": "taux_reussite_dnb",
    "va_taux_reussite_colleges": "va_taux_reussite_dnb",
    "note_ecrit_dnb_colleges": "note_ecrit_dnb",
}

# datasets that continue one another form one series (the join share is measured per series)
SERIES = {
    "fr-en-ips_ecoles": "ips-ecoles",
    "fr-en-ips-ecoles-ap2022": "ips-ecoles",
    "fr-en-ips_colleges": "ips-colleges",
    "fr-en-ips-colleges-ap2022": "ips-colleges",
    "fr-en-ips_lycees": "ips-lycees",
    "fr-en-ips-lycees-ap2022": "ips-lycees",
}

# datasets with no school year: what they say of a school's identity (opening date, state,
# parent school)
DIRECTORY = "fr-en-annuaire-education"
GEOLOCATION = "fr-en-adresse-et-geolocalisation-etablissements-premier-et-second-degre"


def series_of(dataset_id: str) -> str:
    """>>> series_of("fr-en-ips-ecoles-ap2022"), series_of("fr-en-etic_2d")
    ('ips-ecoles', 'fr-en-etic_2d')
    """
    return SERIES.get(dataset_id, dataset_id)


def school_type_of(dataset_id: str) -> str | None:
    """>>> school_type_of("fr-en-ips_colleges"), school_type_of("fr-en-etic_2d")
    ('collège', None)
    """
    for word, label in TYPE_BY_ID:
        if word in dataset_id:
            return label
    return None
