"""The catalogue of a release and its one search, called by every surface (STYLE.md L1).

``search_catalog(release, CatalogQuery) -> CatalogPage`` answers the Explore API (v2.1 and
v2.0 ``/catalog/datasets``), v1 ``/api/datasets/1.0/search/``, the dashboard's
``/donnees?q=`` and MCP's ``search_datasets``; ``catalog_facets`` answers
``/catalog/facets``. A query chooses datasets in two ways, combined by AND:

* **ODSQL** (``where``, ``refine``, ``exclude``, ``order_by``) over the catalogue table
  ``__catalog`` (``CATALOG_SCHEMA``), with the Explore API's meaning: comparisons of its
  fields, ``like``, ``in``… ``keyword`` and ``theme`` hold several values (``"a, b"``): a
  refine on them matches within the list.
* **Words** (``text``: v1's ``q``, the dashboard's ``q``, MCP's ``query``; and in the
  Explore API's ``where``, each full-text term ANDed at the top of a clause — a bare
  string ``"ips"`` or ``search("ips")`` / ``search(*, "ips")``), with one matching rule
  whatever the surface, so that the same words find the same datasets everywhere (a
  full-text term under ``or`` or ``not`` keeps ODSQL's substring meaning):

  - the words of a text are its search keys (upper case, accents dropped, cut at anything
    but a letter or a digit) without the stop words (``des``, ``données``…), stemmed (a
    final S or X dropped from a word of four letters or more);
  - a dataset holds a word when one of its own words (identifier, title, description,
    keywords, themes, field labels and names) is that word or one of its synonyms
    (brevet/DNB, bac/baccalauréat…), or begins with one of them that has five letters or
    more;
  - a dataset is found when it holds every word; a text without a significant word finds
    every dataset.

MCP ranks the datasets found and suggests near misses on top of the same rule, through
``catalog_index`` and ``CatalogEntry.found``.

>>> words("Résultats du brevet des collèges")
('RESULTAT', 'BREVET', 'COLLEGE')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from ardoise.odsql import ast, limits, parser
from ardoise.odsql.errors import InvalidParameter
from ardoise.odsql.literals import quote_string
from ardoise.query.compile import RowFilter
from ardoise.query.limits import check_window
from ardoise.query.model import RecordsQuery
from ardoise.query.plan_cache import compile_cached
from ardoise.query.release import CATALOG_FACETS, CATALOG_SCHEMA, DatasetView, ServedRelease
from ardoise.query.run import FacetGroup, FacetValue
from ardoise.query.territories.search import search_key

MULTI_VALUED = ("keyword", "theme")  # catalogue fields holding a list as "a, b, c"
PREFIX_MIN = 5  # shorter words must match a whole word ("repas" is not "répartition")
# Words that say nothing about which dataset is wanted.
_STOP_TEXT = """
A AU AUX AVEC CE CES D DANS DE DES DU EN ET L LA LE LES OU PAR POUR QUE QUEL QUELS QUELLE
QUELLES QUI SUR UN UNE DONNEE DONNEES JEU JEUX DATASET DATASETS FICHIER FICHIERS CSV LISTE
NOMBRE TAUX OPEN DATA STATISTIQUE STATISTIQUES CHIFFRE CHIFFRES
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())
# Official abbreviations and their spelled-out forms, both ways (stemmed search keys).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "BREVET": ("DNB",),
    "DNB": ("BREVET",),
    "BAC": ("BACCALAUREAT",),
    "BACCALAUREAT": ("BAC",),
    "ELEVE": ("EFFECTIF",),
    "EFFECTIF": ("ELEVE",),
    "LYCEE": ("LGT", "LP"),
    "VACANCE": ("CALENDRIER",),
    "CALENDRIER": ("VACANCE",),
    "UAI": ("ETABLISSEMENT",),
}


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word[-1] in "SX" else word


def words(text: str) -> tuple[str, ...]:
    """The significant words of ``text``: search keys without stop words, stemmed, once
    each, in order."""
    stems = (_stem(w) for w in search_key(text).split() if w not in STOP_WORDS)
    return tuple(dict.fromkeys(s for s in stems if s not in STOP_WORDS))


@dataclass(frozen=True)
class WordSet:
    """The words of a text, with every prefix of ``PREFIX_MIN`` letters or more."""

    words: frozenset[str]
    prefixes: frozenset[str]

    @classmethod
    def of(cls, text: str) -> WordSet:
        found = frozenset(words(text))
        prefixes = frozenset(w[:n] for w in found for n in range(PREFIX_MIN, len(w) + 1))
        return cls(found, prefixes)

    def holds(self, word: str) -> bool:
        """The matching rule: ``word`` or a synonym is one of these words, or begins one of
        them when it has ``PREFIX_MIN`` letters or more."""
        return any(
            option in self.words or (len(option) >= PREFIX_MIN and option in self.prefixes)
            for option in (word, *SYNONYMS.get(word, ()))
        )


@dataclass(frozen=True)
class CatalogEntry:
    """One dataset as the words rule sees it."""

    view: DatasetView
    text: WordSet  # every word of its metadata
    title: WordSet  # the words of its title (MCP ranks on them)

    def found(self, wanted: Sequence[str]) -> list[str]:
        """The words of ``wanted`` this dataset holds, in order."""
        return [w for w in wanted if self.text.holds(w)]


def _entry(view: DatasetView) -> CatalogEntry:
    ds = view.dataset
    text = " ".join(
        [
            ds.id.replace("-", " ").replace("_", " "),
            ds.title,
            ds.description,
            " ".join(ds.keywords),
            " ".join(ds.themes),
            " ".join(f"{f.label} {f.name.replace('_', ' ')}" for f in ds.fields),
        ]
    )
    return CatalogEntry(view, WordSet.of(text), WordSet.of(ds.title))


def catalog_index(release: ServedRelease) -> Mapping[str, CatalogEntry]:
    """Dataset id → its entry, in the release's order; computed once per release (its memo)."""
    return release.memo(catalog_index, lambda: {v.id: _entry(v) for v in release.datasets.values()})


@dataclass(frozen=True)
class CatalogQuery:
    """Which datasets, in which order, which page. Every part is optional.

    ``limit`` None means every dataset found. ``capped`` applies the Explore records caps
    to ``limit``/``offset`` (limit ≤ 100, offset + limit ≤ 10 000), as the API requires.
    """

    text: str = ""  # words, matched by the rule of this module
    where: tuple[str, ...] = ()  # ODSQL over the catalogue table, ANDed
    refine: tuple[tuple[str, str], ...] = ()
    exclude: tuple[tuple[str, str], ...] = ()
    theme: str | None = None  # datasets having exactly this theme among theirs
    order_by: str | None = None  # ODSQL; dataset_id when not given
    limit: int | None = None
    offset: int | None = None
    capped: bool = False
    lang: str | None = None
    timezone: str | None = None


@dataclass(frozen=True)
class CatalogPage:
    total_count: int  # every dataset found, beyond the page
    datasets: tuple[DatasetView, ...]  # the page, in order
    words: tuple[str, ...]  # the significant words of ``query.text``


def _full_text_term(node: ast.Expr) -> str | None:
    """The words of a full-text term over every field (``"w"``, ``search("w")``,
    ``search(*, "w")``), or None for any other condition."""
    if isinstance(node, ast.String):
        return node.value
    if isinstance(node, ast.Call) and node.name == "search" and not node.distinct:
        *targets, text = node.args
        if isinstance(text, ast.String) and all(isinstance(t, ast.Star) for t in targets):
            return text.value
    return None


def _words_of_where(query: CatalogQuery) -> CatalogQuery:
    """The query with the full-text terms ANDed at the top of its ``where`` clauses moved
    into ``text``. Each term is overwritten by ``true`` padded to its length, so that an
    error elsewhere in the clause keeps its column."""
    texts, clauses = [query.text] if query.text else [], []
    for clause in query.where:
        if len(clause) > limits.MAX_CLAUSE_LENGTH:
            clauses.append(clause)  # the compiler refuses it with its own message
            continue
        tree = parser.parse_where(clause)
        conjuncts = tree.operands if isinstance(tree, ast.And) else (tree,)
        for node in conjuncts:
            term = _full_text_term(node) if node is not None else None
            if term is not None:
                texts.append(term)
                clause = clause[: node.pos] + "true".ljust(node.end - node.pos) + clause[node.end :]
        clauses.append(clause)
    return replace(query, text=" ".join(texts), where=tuple(clauses))


def search_catalog(release: ServedRelease, query: CatalogQuery) -> CatalogPage:
    """The datasets the query finds: ODSQL on the catalogue table, then the words rule."""
    query = _words_of_where(query)
    wanted = words(query.text)
    if not wanted and query.theme is None:  # all in SQL, the page and the count too
        compiled = compile_cached(
            _records_query(query),
            CATALOG_SCHEMA,
            export=not query.capped,
            row_filter=_visible_rows(release),
        )
        ids = [str(row[0]) for row in release.engine.run(compiled).rows]
        total = release.engine.count(compiled)
        return CatalogPage(total, tuple(release.dataset(i) for i in ids), wanted)
    rows = _found(release, query, wanted)
    window = check_window(query.limit, query.offset, grouped=False, export=not query.capped)
    stop = None if window.limit is None else window.offset + window.limit
    views = tuple(release.dataset(str(row[0])) for row in rows[window.offset : stop])
    return CatalogPage(len(rows), views, wanted)


def catalog_facets(
    release: ServedRelease, names: Sequence[str], query: CatalogQuery
) -> list[FacetGroup]:
    """Value counts of catalogue facets (every one of ``CATALOG_FACETS`` when ``names`` is
    empty) over the datasets the query finds, by count then value; ``keyword`` and
    ``theme`` count each value of their lists."""
    query = _words_of_where(query)
    rows: list[tuple[object, ...]] | None = None
    groups = []
    for name in names or CATALOG_FACETS:
        if name not in CATALOG_FACETS:
            raise InvalidParameter(f"Unknown facet field: {name}")
        if rows is None:  # the query's own errors come after a first unknown facet's
            rows = _found(release, query, words(query.text), CATALOG_FACETS)
        column = 1 + CATALOG_FACETS.index(name)
        counts: dict[str, int] = {}
        for row in rows:
            value = row[column]
            for part in str(value).split(", ") if name in MULTI_VALUED else [value]:
                if part not in (None, ""):
                    counts[str(part)] = counts.get(str(part), 0) + 1
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        groups.append(FacetGroup(name, [FacetValue(k, n, k) for k, n in ranked]))
    return groups


def _found(
    release: ServedRelease,
    query: CatalogQuery,
    wanted: Sequence[str],
    columns: Sequence[str] = (),
) -> list[tuple[object, ...]]:
    """``dataset_id`` and ``columns`` of every dataset of the ODSQL part (in its order,
    without its page) that holds the ``wanted`` words and the theme."""
    select = ", ".join(("dataset_id", *columns))
    ods = replace(_records_query(query), select=select, limit=None, offset=None)
    index = catalog_index(release)
    return [
        row
        for row in release.engine.run(
            compile_cached(ods, CATALOG_SCHEMA, export=True, row_filter=_visible_rows(release))
        ).rows
        if _holds(index[str(row[0])], wanted, query.theme)
    ]


def _visible_rows(release: ServedRelease) -> RowFilter | None:
    """The catalogue rows of the datasets the current reader may see (issue #16)."""
    hidden = release.hidden_datasets()
    if not hidden:
        return None
    either = " or ".join(f"dataset_id = {quote_string(d)}" for d in hidden)
    return RowFilter(f"not ({either})", CATALOG_SCHEMA)


def _holds(entry: CatalogEntry, wanted: Sequence[str], theme: str | None) -> bool:
    if theme is not None and theme not in entry.view.dataset.themes:
        return False
    return all(entry.text.holds(w) for w in wanted)


def _records_query(query: CatalogQuery) -> RecordsQuery:
    """The ODSQL part as a records query on the catalogue table (ids only): a refine on a
    list field becomes a ``like`` on the list."""
    where = list(query.where)
    refine, exclude = [], []
    for field, value in query.refine:
        if field in MULTI_VALUED:
            where.append(f"{field} like {quote_string('*' + value + '*')}")
        else:
            refine.append((field, value))
    for field, value in query.exclude:
        if field in MULTI_VALUED:
            where.append(f"not {field} like {quote_string('*' + value + '*')}")
        else:
            exclude.append((field, value))
    return RecordsQuery(
        select="dataset_id",
        where=tuple(where) or None,
        order_by=query.order_by or "dataset_id",
        limit=query.limit,
        offset=query.offset,
        refine=tuple(refine),
        exclude=tuple(exclude),
        lang=query.lang,
        timezone=query.timezone,
    )


__all__ = [
    "CatalogEntry",
    "CatalogPage",
    "CatalogQuery",
    "WordSet",
    "catalog_facets",
    "catalog_index",
    "search_catalog",
    "words",
]
