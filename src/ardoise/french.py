"""French language vocabulary Ardoise writes: month and day names, full and abbreviated.

Both the ODSQL ``date_format()`` function (``lang=fr``, see ``ardoise.odsql.dates``) and
the certificates of enrolment (``ardoise.scolarite.certificates_pdf``) spell dates with
these names, so the two can never disagree.
"""

from __future__ import annotations

import re

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


# Words that dataset labels (copied from the portal's CSV headers) write without their
# accents; the dashboard shows them accented. Lower case, unaccented → accented.
_WORDS = (
    "académie académies accès âge ajoutée ajoutées année années boîte catégorie collège "
    "collèges collectivité département départements écart écarts échanges école "
    "écoles éducation électricité électronique élémentaire élève élèves entrée état "
    "établissement établissements générale génie hébergement intitulé libellé localité "
    "lycée lycées matériaux mécanique millésime ministère numéro pédagogique première "
    "présents privé privée réseau réussite région régions série séries spécialité "
    "spécialités téléphone"
)
ACCENTED: dict[str, str] = {
    w.translate(str.maketrans("àâçéèêëîïôûù", "aaceeeeiiouu")): w for w in _WORDS.split()
}


def accented(text: str) -> str:
    """``text`` with the accents French needs, on the words of :data:`ACCENTED` (case kept)::

    >>> accented("Taux de reussite - Services a la collectivite")
    'Taux de réussite - Services à la collectivité'
    >>> accented("Academie"), accented("ECOLE"), accented("Code departement (UAI)")
    ('Académie', 'ÉCOLE', 'Code département (UAI)')

    A lone « a » between words becomes « à » only before « la » or « l' » (« Services a la
    collectivite »), where it can only be the preposition.
    """

    def word(m: re.Match[str]) -> str:
        w = m.group(0)
        found = ACCENTED.get(w.lower())
        if found is None:
            return w
        if w.isupper() and len(w) > 1:
            return found.upper()
        return found[0].upper() + found[1:] if w[0].isupper() else found

    out = re.sub(r"[A-Za-zÀ-ÿ]+", word, text)
    return re.sub(r"\ba (?=la\b|l')", "à ", out)
