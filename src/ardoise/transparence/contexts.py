"""Who checked, and under what, for the families' view: the seam between the tokens of the
registry and the habilitations of issue #16.

:func:`with_habilitations` answers, for a token, the :class:`CheckContext` of its
habilitation (``describe``: habilitation id → context, e.g. an adapter over
``controlplane.habilitations.describe(engine, habilitation_id)``), and falls back on the
token's own (``intitule``, SIRET; no legal basis) for a token without a habilitation or a
habilitation ``describe`` does not know. The web app passes :func:`of_habilitations`,
which describes through ``controlplane.habilitations.describe`` (the control plane's
database, not the registry's).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine, select

from ardoise.controlplane import habilitations
from ardoise.controlplane.database import LazyEngine
from ardoise.controlplane.errors import HabilitationNotFound
from ardoise.scolarite.checks import CheckContext, ContextOf, token_contexts
from ardoise.scolarite.schema import jetons

Describe = Callable[[str], CheckContext | None]  # habilitation id → who, why, on what basis
HabilitationOf = Callable[[str], str | None]  # token id → its habilitation id


def habilitation_column(engine: Engine) -> HabilitationOf:
    """A token's ``habilitation_id`` (the column the habilitations add), None without it."""
    column = jetons.c.get("habilitation_id")

    def of(token_id: str) -> str | None:
        if column is None:
            return None
        with engine.connect() as conn:
            value = conn.execute(select(column).where(jetons.c.id == token_id)).scalar()
        return str(value) if value else None

    return of


def with_habilitations(
    engine: Engine, describe: Describe, habilitation_of: HabilitationOf | None = None
) -> ContextOf:
    base = token_contexts(engine)
    find = habilitation_of or habilitation_column(engine)

    def of(token_id: str) -> CheckContext | None:
        habilitation = find(token_id)
        described = describe(habilitation) if habilitation else None
        return described or base(token_id)

    return of


def describer(control_plane: LazyEngine) -> Describe:
    """``describe`` over the habilitations of the control plane: the organisation, the
    purpose and the legal basis (text, then its reference) of a habilitation."""

    def describe(habilitation_id: str) -> CheckContext | None:
        try:
            found = habilitations.describe(control_plane.get(), habilitation_id)
        except HabilitationNotFound:
            return None
        basis = f"{found.legal_basis} ({found.legal_reference})"
        return CheckContext(found.organisation, found.purpose, basis, found.siret)

    return describe


def of_habilitations(control_plane: LazyEngine) -> Callable[[Engine], ContextOf]:
    """The families' contexts (registry engine → token → context), habilitations first."""
    return lambda registry: with_habilitations(registry, describer(control_plane))
