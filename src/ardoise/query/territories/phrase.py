"""Search phrases mixing a school type, words of its name and its place.

« lycée Rennes », « Lycée Chateaubriand », « collège privé Villeurbanne »: type words
(lycée, collège, école, LP, pro…) filter the kind of school, sector words (public, privé)
its sector, the longest run of the other words that names a commune (or its parent commune,
or its département) locates it, and the words left must each be a word of its name (the
last one may be the start of a word). Every word of four letters or more may carry one typo
(deletion, transposition, substitution, insertion); answers with fewer typos come first.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TypeVar

TYPE_WORDS: Mapping[str, frozenset[str]] = {
    "LYCEE": frozenset({"lycee", "lycee_pro"}),
    "LYCEES": frozenset({"lycee", "lycee_pro"}),
    "LP": frozenset({"lycee_pro"}),
    "LPO": frozenset({"lycee"}),
    "LGT": frozenset({"lycee"}),
    "LEGT": frozenset({"lycee"}),
    "COLLEGE": frozenset({"college"}),
    "COLLEGES": frozenset({"college"}),
    "ECOLE": frozenset({"ecole"}),
    "ECOLES": frozenset({"ecole"}),
    "EREA": frozenset({"erea"}),
}
QUALIFIERS: Mapping[str, frozenset[str]] = {
    "PRO": frozenset({"lycee_pro"}),
    "PROFESSIONNEL": frozenset({"lycee_pro"}),
    "GENERAL": frozenset({"lycee"}),
    "TECHNOLOGIQUE": frozenset({"lycee"}),
    "POLYVALENT": frozenset({"lycee"}),
    "MATERNELLE": frozenset({"ecole"}),
    "ELEMENTAIRE": frozenset({"ecole"}),
    "PRIMAIRE": frozenset({"ecole"}),
}
SECTOR_WORDS: Mapping[str, str] = {
    "PUBLIC": "public",
    "PUBLIQUE": "public",
    "PRIVE": "privé",
    "PRIVEE": "privé",
}
_STOP = frozenset(
    {"A", "AU", "AUX", "D", "DE", "DES", "DU", "EN", "ET", "L", "LA", "LE", "LES", "SUR", "SOUS"}
)
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ "
_TYPO_MIN = 4  # shortest word read with one typo
_PREFIX_MIN = 3  # shortest last word read as the start of a name word
_PREFIX_WORDS = 300  # name words a prefix may stand for
_PLACE_WORDS = 5  # longest run of words read as a place
_V = TypeVar("_V")


def read(key: str) -> tuple[frozenset[str], str | None, list[str], int]:
    """Kinds, sector, the other words and the typos spent, from a search key. Qualifiers
    (pro, général…) narrow a type word and are name words without one.

    >>> read("LYCE PRO RENNES")
    (frozenset({'lycee_pro'}), None, ['RENNES'], 1)
    >>> read("GENERAL LECLERC")
    (frozenset(), None, ['GENERAL', 'LECLERC'], 0)
    """
    kinds: set[str] = set()
    sector: str | None = None
    rest: list[str] = []
    typos = 0
    for word in key.split():
        found, cost = _vocabulary_word(word, TYPE_WORDS)
        if found is not None:
            kinds |= found
            typos += cost
        else:
            rest.append(word)
    if kinds:
        narrowed: set[str] = set()
        left = []
        for word in rest:
            found, cost = _vocabulary_word(word, QUALIFIERS)
            if found is None:
                left.append(word)
            else:
                narrowed |= found
                typos += cost
        kinds = (kinds & narrowed) or kinds
        rest = left
    others = []
    for word in rest:
        said, cost = _vocabulary_word(word, SECTOR_WORDS)
        if said is None or sector is not None:
            others.append(word)
        else:
            sector = said
            typos += cost
    return frozenset(kinds), sector, others, typos


def _vocabulary_word(word: str, vocabulary: Mapping[str, _V]) -> tuple[_V | None, int]:
    if word in vocabulary:
        return vocabulary[word], 0
    if len(word) >= _TYPO_MIN:
        for known, value in vocabulary.items():
            if len(known) >= _TYPO_MIN + 1 and one_edit(word, known):
                return value, 1
    return None, 0


def one_edit(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` differ by exactly one deletion, insertion, substitution or
    transposition of adjacent letters.

    >>> [one_edit("LYCE", "LYCEE"), one_edit("RENENS", "RENNES"), one_edit("RENNES", "RENNES")]
    [True, True, False]
    """
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) < len(b):
        return a[i:] == b[i + 1 :]
    return a[i + 1 :] == b[i + 1 :] or (
        i + 1 < len(a) and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]
    )


def edits(key: str) -> Iterator[str]:
    """Every string one deletion, transposition, substitution or insertion away."""
    for i in range(len(key) + 1):
        left, right = key[:i], key[i:]
        if right:
            yield left + right[1:]
            if len(right) > 1:
                yield left + right[1] + right[0] + right[2:]
            for c in _ALPHABET:
                yield left + c + right[1:]
        for c in _ALPHABET:
            yield left + c + right


class PhraseIndex:
    """School ids by name word and by place key; ids are the search index's (best first)."""

    def __init__(self, schools: Iterable[tuple[int, str, Sequence[str]]]) -> None:
        """``schools``: (id, name key, place keys) of every school."""
        words: dict[str, list[int]] = {}
        places: dict[str, list[int]] = {}
        self.name_words: dict[int, frozenset[str]] = {}
        for i, name, place_keys in schools:
            own = frozenset(name.split())
            self.name_words[i] = own
            for w in own:
                words.setdefault(w, []).append(i)
            for p in dict.fromkeys(place_keys):
                places.setdefault(p, []).append(i)
        self.words = words
        self.vocabulary = sorted(words)
        self.places = places

    def find(self, key: str) -> tuple[frozenset[str], str | None, dict[int, int]] | None:
        """(kinds, sector, {school id: cost}) of the schools a phrase names (cost: twice the
        typos, plus one for the reading without a place), or None when
        the phrase is not one (a single word with no type word, or nothing to search).

        Two readings are merged, each school keeping its fewest typos: the longest run of
        words naming a place, the other words naming the school; and every word naming the
        school (« Lycée Chateaubriand » is not a lycée of Châteaubriant)."""
        kinds, sector, rest, typos = read(key)
        typed = bool(kinds) or sector is not None
        if not rest or (not typed and len(rest) < 2):
            return None
        found: dict[int, int] = {}
        place, place_ids, place_typos = self._place(rest, allow_all=typed)
        readings: list[tuple[list[str], list[int], int]] = [(rest, [], 0)]
        if place_ids:
            readings.append((_without(rest, place), place_ids, place_typos))
        for n, (words, ids, cost) in enumerate(readings):
            # on equal typos, the reading with a place first (a typo in a commune's name
            # rather than in a word of the name: « lycé renes »)
            later = 1 if n == 0 and len(readings) > 1 else 0
            for i, c in self._named([w for w in words if w not in _STOP], ids, cost).items():
                total = 2 * (c + typos) + later
                if found.get(i, total + 1) > total:
                    found[i] = total
        return kinds, sector, found

    def _named(self, name: list[str], within: list[int], cost: int) -> dict[int, int]:
        """{id: typos} of the schools whose name has every word of ``name``, among
        ``within`` (every school when empty)."""
        if not name and not within:
            return {}
        found = dict.fromkeys(within, cost) if within else None
        for n, word in enumerate(name):
            matches = self._word(word, last=n == len(name) - 1)
            if found is None:
                found = {i: c + cost for i, c in matches.items()}
            else:
                found = {i: c + matches[i] for i, c in found.items() if i in matches}
            if not found:
                return {}
        return found or {}

    def _place(self, rest: list[str], allow_all: bool) -> tuple[tuple[int, int], list[int], int]:
        """The longest run of words naming a place (exact first, else with one typo), as its
        (start, end) in ``rest``, the ids of its schools and the typos spent."""
        runs = [
            (i, j)
            for size in range(min(len(rest), _PLACE_WORDS), 0, -1)
            for i in range(len(rest) - size, -1, -1)
            for j in (i + size,)
            if allow_all or size < len(rest)
        ]
        for i, j in runs:
            ids = self.places.get(" ".join(rest[i:j]))
            if ids:
                return (i, j), ids, 0
        for i, j in runs:
            run = " ".join(rest[i:j])
            if len(run) >= _TYPO_MIN + 1:
                ids = sorted({x for v in set(edits(run)) for x in self.places.get(v, ())})
                if ids:
                    return (i, j), ids, 1
        return (0, 0), [], 0

    def _word(self, word: str, last: bool) -> dict[int, int]:
        """School ids whose name has ``word`` (0 typo), a word one typo away (1), or, for
        the last word of the phrase, a word starting with it (0)."""
        out: dict[int, int] = {}
        for i in self.words.get(word, ()):
            out[i] = 0
        if last and len(word) >= _PREFIX_MIN:
            lo = bisect_left(self.vocabulary, word)
            for w in self.vocabulary[lo : lo + _PREFIX_WORDS]:
                if not w.startswith(word):
                    break
                for i in self.words[w]:
                    out.setdefault(i, 0)
        if not out and len(word) >= _TYPO_MIN:
            for v in set(edits(word)):
                for i in self.words.get(v, ()):
                    out.setdefault(i, 1)
        return out


def _without(rest: list[str], place: tuple[int, int]) -> list[str]:
    return rest[: place[0]] + rest[place[1] :]
