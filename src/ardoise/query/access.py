"""Who reads: restricted datasets, and what a reader's grants let them see (issue #16).

A dataset is public unless the control plane marks it restricted. A restricted dataset is
invisible to a reader without a grant on it (catalog, metadata, records, exports, DCAT,
SQL, pages, MCP: every surface goes through :class:`ServedRelease`, which applies the
reader here). With a grant, the reader sees the rows of the grant's ODSQL ``row_filter``
and every field but its ``hidden`` ones. Several grants of one reader on one dataset
combine conservatively: a row is shown when one of the filters admits it (``None``: every
row), a field when no grant hides it.

The reader of the running request is a context variable (:data:`READER`), set by the web
layer from the request's credentials; anything that does not set it (the stdio MCP server,
the CLI) reads as :data:`ANONYMOUS`.

>>> g = Grant(row_filter='code_academie = "10"', hidden=frozenset({"ips"}))
>>> reader = Reader(grants=(("ds", g),))
>>> a = Access(restricted=frozenset({"ds", "other"}), reader=reader)
>>> a.visible("ds"), a.visible("other"), a.visible("public")
(True, False, True)
>>> a.grant("ds") == g, a.grant("public")
(True, None)
>>> both = combine((Grant("a = 1", frozenset({"x", "y"})), Grant("b = 2", frozenset({"y"}))))
>>> both.row_filter, sorted(both.hidden)
('(a = 1) OR (b = 2)', ['x', 'y'])
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Grant:
    """What one grant shows of a restricted dataset: rows (ODSQL, None: all) and fields."""

    row_filter: str | None = None
    hidden: frozenset[str] = frozenset()

    @property
    def full(self) -> bool:
        """Every row and every field: the dataset as if it were public."""
        return self.row_filter is None and not self.hidden


def combine(grants: tuple[Grant, ...]) -> Grant:
    """One grant from several of one reader on one dataset (see the module's docstring)."""
    filters = [g.row_filter for g in grants]
    hidden = frozenset().union(*(g.hidden for g in grants))
    if any(f is None for f in filters):
        return Grant(None, hidden)
    if len(filters) == 1:
        return Grant(filters[0], hidden)
    return Grant(" OR ".join(f"({f})" for f in filters), hidden)


@dataclass(frozen=True)
class Reader:
    """The grants of whoever reads, by dataset id (sorted pairs: a hashable value)."""

    grants: tuple[tuple[str, Grant], ...] = ()
    label: str = "anonyme"  # for the journal and error messages, never a secret

    def grant(self, dataset_id: str) -> Grant | None:
        found = tuple(g for ds, g in self.grants if ds == dataset_id)
        return combine(found) if found else None


ANONYMOUS = Reader()
READER: ContextVar[Reader] = ContextVar("ardoise_reader", default=ANONYMOUS)


@contextmanager
def reading_as(reader: Reader) -> Iterator[None]:
    """Run the block as ``reader`` (tests, and the web layer around each request)."""
    token = READER.set(reader)
    try:
        yield
    finally:
        READER.reset(token)


@dataclass(frozen=True)
class Access:
    """The restricted datasets (from the control plane) and the current reader."""

    restricted: frozenset[str]
    reader: Reader

    def visible(self, dataset_id: str) -> bool:
        return dataset_id not in self.restricted or self.reader.grant(dataset_id) is not None

    def grant(self, dataset_id: str) -> Grant | None:
        """The reader's grant on a restricted dataset; None for a public one (or no grant)."""
        return self.reader.grant(dataset_id) if dataset_id in self.restricted else None

    def key(self, dataset_ids: frozenset[str]) -> tuple[object, ...]:
        """What of this access matters to values computed over ``dataset_ids`` (the release's
        datasets): empty when none of them is restricted, so public memo keys stay stable."""
        mine = self.restricted & dataset_ids
        if not mine:
            return ()
        return (tuple(sorted(mine)), tuple((d, self.reader.grant(d)) for d in sorted(mine)))
