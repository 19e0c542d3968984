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
