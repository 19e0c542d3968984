"""The catalogue's words rule (ardoise.query.catalog), as a table: which words a text
gives, and which words a dataset's text holds."""

from __future__ import annotations

import pytest

from ardoise.query.catalog import WordSet, words


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("IPS des écoles", ("IPS", "ECOLE")),
        ("Résultats du brevet", ("RESULTAT", "BREVET")),
        ("les données du jeu", ()),  # stop words only
        ("Taux de réussite au bac", ("REUSSITE", "BAC")),
        ("lycée LYCÉES lycees", ("LYCEE",)),  # once each, accents and plurals ignored
        ("St-Étienne", ("SAINT", "ETIENNE")),
        ("cours bus", ("COUR", "BUS")),  # a final S goes from words of four letters or more
        ("fr-en-ips_colleges", ("FR", "IPS", "COLLEGE")),  # "en" is a stop word
        ("", ()),
    ],
)
def test_words(text: str, expected: tuple[str, ...]) -> None:
    assert words(text) == expected


DATASET = WordSet.of(
    "fr-en-resultats-detailles-au-dnb Résultats détaillés au diplôme national du brevet "
    "Effectifs d'élèves des lycées professionnels, baccalauréat"
)


@pytest.mark.parametrize(
    ("word", "held"),
    [
        ("RESULTAT", True),  # a word of the text, stemmed
        ("DETAILLE", True),
        ("BREVET", True),
        ("DNB", True),
        ("DIPLO", True),  # five letters: the beginning of a word
        ("DIP", False),  # shorter: whole words only
        ("NATIONALES", False),  # longer than the text's word
        ("BAC", True),  # synonym of BACCALAUREAT
        ("ELEVE", True),
        ("EFFECTIF", True),
        ("LP", False),  # LYCEE → LGT, LP, not the other way
        ("LYCEE", True),
        ("CANTINE", False),
    ],
)
def test_holds(word: str, held: bool) -> None:
    assert DATASET.holds(word) is held
