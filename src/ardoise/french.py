"""French language vocabulary Ardoise writes: month and day names, full and abbreviated.

Both the ODSQL ``date_format()`` function (``lang=fr``, see ``ardoise.odsql.dates``) and
the certificates of enrolment (``ardoise.scolarite.certificates_pdf``) spell dates with
these names, so the two can never disagree.
"""

from __future__ import annotations

MONTHS: tuple[str, ...] = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
MONTHS_SHORT: tuple[str, ...] = (
    "janv.",
    "févr.",
    "mars",
    "avr.",
    "mai",
    "juin",
    "juil.",
    "août",
    "sept.",
    "oct.",
    "nov.",
    "déc.",
)
DAYS: tuple[str, ...] = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
DAYS_SHORT: tuple[str, ...] = ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim.")


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``count`` and its noun, agreed in French (0 and 1 take the singular)::

    >>> plural(1, "valeur manquante"), plural(0, "erreur bloquante")
    ('1 valeur manquante', '0 erreur bloquante')
    >>> plural(3, "valeur manquante"), plural(2, "anomalie signalée")
    ('3 valeurs manquantes', '2 anomalies signalées')
    >>> plural(2, "journal", "journaux")
    '2 journaux'

    Without ``plural_form``, each word takes an ``s`` (unless it ends in s, x or z).
    """
    if count <= 1:
        return f"{count} {singular}"
    if plural_form is None:
        plural_form = " ".join(w if w[-1:] in "sxz" else w + "s" for w in singular.split(" "))
    return f"{count} {plural_form}"
