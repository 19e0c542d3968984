"""Search territories and schools by name or code, for autocompletion.

Names are compared as search keys: upper case, no accents, words separated by one space,
"ST"/"STE" read as "SAINT"/"SAINTE" ("st-étienne" → "SAINT ETIENNE"). Entries are numbered
by a static rank (population, largest first; then level, then name), so that "smallest id"
means "best" and the best of a set of ids is ``heapq.nsmallest``.

Tiers, best first: 0 exact code; 1 exact name; 2 name (or code) starting with the query;
3 a later word of the name starting with the query ("etienne" → "Saint-Étienne");
4 a name at one edit (deletion, transposition, substitution, insertion) from the query;
5 a name starting with such a variant. Tiers 4-5 run only when 0-3 found nothing and the
query has no digit; tier 5 skips schools (long names, many false friends). Tiers 6-7
("mots"): schools named by a phrase mixing a type, words of the name and a place
(« lycée Rennes », phrase.py), ranked right after exact names when the phrase has a type
or sector word, last otherwise. Each level keeps sorted arrays (keys,
later-word suffixes, codes) searched with ``bisect``; the best ids of a large range are
cached.
"""

from __future__ import annotations

import heapq
import re
import threading
import unicodedata
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from ardoise.query.territories.levels import LEVELS
from ardoise.query.territories.phrase import TYPE_WORDS, PhraseIndex, edits
from ardoise.referential.load import canonical_code

MAX_LIMIT = 50
TIERS = ("code", "nom", "debut", "mot", "approchant", "approchant", "mots", "mots")
# Order of the tiers: a phrase with a type word (« lycée Rennes ») right after exact names,
# one without (« chateaubriand rennes ») last (« Saint-Etiene » is the commune one typo
# away before the schools named « Saint-Étienne »).
_RANK = (0, 1, 3, 4, 5, 6, 2, 7)
_ABBREVIATIONS = {"ST": "SAINT", "STE": "SAINTE", "STS": "SAINTS", "STES": "SAINTES"}
_STOP_WORDS = frozenset(
    {"A", "AU", "AUX", "D", "DE", "DES", "DU", "EN", "ET", "L", "LA", "LE", "LES", "SUR", "SOUS"}
)
_NON_ALNUM = re.compile(r"[^A-Z0-9]+")
_END = "\x7f"  # sorts after every character of a key
_BIG_RANGE = 2000  # ranges larger than this keep their best ids in a cache
_FUZZY_MIN = 4  # shortest query tried with typos
_FUZZY_MAX = 40  # longest (the variants grow with the length)
_ORDER = {level: i for i, level in enumerate(reversed(LEVELS))}  # France first on ties


def search_key(text: str) -> str:
    """The referential's name key (``name_key``) with "ST"/"STE" spelled out.

    >>> search_key("St-Étienne")
    'SAINT ETIENNE'
    >>> search_key("Lycée Œuvre d'Orient")
    'LYCEE OEUVRE D ORIENT'
    """
    # name_key's rule, written for speed (it runs on every name of the index).
    upper = text.upper().replace("Œ", "OE").replace("Æ", "AE")
    folded = unicodedata.normalize("NFKD", upper).encode("ascii", "ignore").decode("ascii")
    return " ".join(_ABBREVIATIONS.get(w, w) for w in _NON_ALNUM.sub(" ", folded).split())


@dataclass(frozen=True, slots=True)
class Entry:
    niveau: str
    code: str
    nom: str
    libelle: str  # what a list shows: "Saint-Étienne (42)", "Académie de Lyon"…
    population: int | None = None
    keys: tuple[str, ...] = ()  # search keys of the name and its other spellings
    codes: tuple[str, ...] = ()  # codes it answers to (the code first)
    kind: str | None = None  # a school's kind (schools.KINDS)
    secteur: str | None = None  # a school's sector ("public", "privé")
    places: tuple[str, ...] = ()  # a school's place keys: commune, parent commune, département


@dataclass(frozen=True, slots=True)
class Hit:
    entry: Entry
    correspondance: str  # one of TIERS


@dataclass
class _Sorted:
    """Sorted strings with the id each belongs to; best ids of big ranges are cached."""

    keys: list[str] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)
    _best: dict[str, list[int]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def of(cls, pairs: Iterable[tuple[str, int]]) -> _Sorted:
        ordered = sorted(pairs)
        return cls([k for k, _ in ordered], [i for _, i in ordered])

    def best(self, prefix: str, k: int) -> list[int]:
        lo = bisect_left(self.keys, prefix)
        if lo == len(self.keys) or not self.keys[lo].startswith(prefix):
            return []
        hi = bisect_left(self.keys, prefix + _END, lo)
        if hi - lo <= k:
            return self.ids[lo:hi]
        if hi - lo <= _BIG_RANGE:
            return heapq.nsmallest(k, self.ids[lo:hi])
        cached = self._best.get(prefix)
        if cached is None:
            cached = heapq.nsmallest(MAX_LIMIT, set(self.ids[lo:hi]))
            with self._lock:
                if len(self._best) > 10_000:
                    self._best.clear()
                self._best[prefix] = cached
        return cached[:k]


@dataclass
class _LevelArrays:
    keys: _Sorted
    words: _Sorted
    codes: _Sorted


class SearchIndex:
    def __init__(self, entries: Iterable[Entry]) -> None:
        ordered = sorted(
            entries,
            key=lambda e: (
                -(e.population or 0),
                _ORDER[e.niveau],
                e.keys[0] if e.keys else "",
                e.code,
            ),
        )
        self.entries: list[Entry] = ordered
        self.by_code: dict[str, list[int]] = {}
        self.by_key: dict[str, list[int]] = {}
        pairs: dict[
            str, tuple[list[tuple[str, int]], list[tuple[str, int]], list[tuple[str, int]]]
        ] = {n: ([], [], []) for n in LEVELS}
        for i, e in enumerate(ordered):
            keys, words, codes = pairs[e.niveau]
            for c in e.codes:
                self.by_code.setdefault(c, []).append(i)
                codes.append((c, i))
            for key in e.keys:
                self.by_key.setdefault(key, []).append(i)
                keys.append((key, i))
                words.extend((suffix, i) for suffix in _later_words(key))
        self.levels = {
            n: _LevelArrays(_Sorted.of(k), _Sorted.of(w), _Sorted.of(c))
            for n, (k, w, c) in pairs.items()
        }
        self.phrases = PhraseIndex(
            (i, e.keys[0] if e.keys else "", e.places)
            for i, e in enumerate(ordered)
            if e.niveau == "etablissement"
        )

    def __len__(self) -> int:
        return len(self.entries)

    def search(self, q: str, niveaux: tuple[str, ...] = LEVELS, limit: int = 10) -> list[Hit]:
        key = search_key(q)[:100]
        raw = q.strip().upper()[:100]
        if not key and not raw:
            return []
        limit = max(1, min(limit, MAX_LIMIT))
        wanted = frozenset(niveaux)
        found: dict[int, int] = {}
        typos: dict[int, int] = {}

        def add(ids: Iterable[int], tier: int) -> None:
            taken = 0  # ids come best first: the first ``limit`` of the wanted levels suffice
            for i in ids:
                if self.entries[i].niveau in wanted:
                    if i not in found or _RANK[found[i]] > _RANK[tier]:
                        found[i] = tier
                    taken += 1
                    if taken == limit:
                        return

        codes = {raw} | {
            canonical_code(n, raw) for n in niveaux if n not in ("france", "etablissement")
        }
        for c in codes:
            add(self.by_code.get(c, ()), 0)
        add(self.by_key.get(key, ()), 1)
        arrays = [self.levels[n] for n in niveaux]
        if len(found) < limit and key:
            for a in arrays:
                add(a.keys.best(key, limit), 2)
                add(a.codes.best(raw, limit), 2)
            if len(found) < limit:
                for a in arrays:
                    add(a.words.best(key, limit), 3)
        if not found and _FUZZY_MIN <= len(key) <= _FUZZY_MAX and not any(c.isdigit() for c in key):
            variants = set(edits(key)) - {key}
            for v in variants:
                add(self.by_key.get(v, ()), 4)
            if len(found) < limit:
                loose = [self.levels[n] for n in niveaux if n != "etablissement"]
                for v in variants:
                    if len(v) > _FUZZY_MIN:
                        for a in loose:
                            add(a.keys.best(v, limit), 5)
        if "etablissement" in wanted:
            self._phrase(key, limit, add, typos)
        best = sorted(found, key=lambda i: (_RANK[found[i]], typos.get(i, 0), i))[:limit]
        return [Hit(self.entries[i], TIERS[found[i]]) for i in best]

    def _phrase(
        self, key: str, limit: int, add: Callable[[Iterable[int], int], None], typos: dict[int, int]
    ) -> None:
        """Schools named by a phrase mixing type, name and place words (phrase.py)."""
        read = self.phrases.find(key)
        if read is None:
            return
        kinds, sector, ids = read
        words = self.phrases.name_words
        kept = sorted(
            # fewest typos, then names saying the type (« Lycée … » before « École technique
            # privée … », a lycée pro by its nature)
            (cost, not any(TYPE_WORDS.get(w, frozenset()) & kinds for w in words[i]), i)
            for i, cost in ids.items()
            if self._is(self.entries[i], kinds, sector, words[i])
        )[:limit]
        for cost, unsaid, i in kept:
            typos[i] = min(typos.get(i, 99), cost * 2 + unsaid)
        add([i for *_, i in kept], 6 if kinds or sector else 7)

    @staticmethod
    def _is(e: Entry, kinds: frozenset[str], sector: str | None, words: frozenset[str]) -> bool:
        if sector is not None and e.secteur != sector:
            return False
        if not kinds or e.kind in kinds:
            return True
        # a school of unknown kind whose name says only kinds wanted (« Lycée … » is no
        # lycée pro for sure)
        return e.kind is None and any(kinds >= TYPE_WORDS.get(w, kinds | {""}) for w in words)


def _later_words(key: str) -> Iterator[str]:
    """Suffixes of ``key`` starting at its second, third… word (stop words skipped)."""
    start = 0
    while True:
        space = key.find(" ", start)
        if space < 0:
            return
        start = space + 1
        word_end = key.find(" ", start)
        word = key[start:] if word_end < 0 else key[start:word_end]
        if word not in _STOP_WORDS:
            yield key[start:]
