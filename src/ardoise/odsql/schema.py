"""The table a query is resolved against: its name and its typed fields."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ardoise.catalog.model import FIELD_TYPES, FieldType

if TYPE_CHECKING:
    from ardoise.catalog.model import Dataset


@dataclass(frozen=True)
class Schema:
    """The single table a query may read, and its typed fields."""

    table: str
    fields: tuple[tuple[str, FieldType], ...]

    def __post_init__(self) -> None:
        for name, kind in self.fields:
            if kind not in FIELD_TYPES:
                raise ValueError(f"unknown field type {kind!r} for {name!r}")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.fields)

    def lookup(self, name: str) -> tuple[str, FieldType] | None:
        """Exact match first, then a unique case-insensitive match."""
        for pair in self.fields:
            if pair[0] == name:
                return pair
        folded = [pair for pair in self.fields if pair[0].lower() == name.lower()]
        return folded[0] if len(folded) == 1 else None

    def of_type(self, *types: str) -> tuple[str, ...]:
        return tuple(name for name, kind in self.fields if kind in types)

    @classmethod
    def from_dataset(cls, dataset: Dataset, table: str | None = None) -> Schema:
        return cls(table or dataset.id, tuple((f.name, f.type) for f in dataset.fields))
