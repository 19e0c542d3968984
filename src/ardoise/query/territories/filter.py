"""``territoire=niveau:code`` on the Explore API: which link codes a dataset's rows must hold.

The filter reads the hidden link column of the level (``_academie``…, ``_uai`` for a
school; France: no condition), so ``territoire=academie:10`` works on a dataset that only
holds commune codes. A commune stands for itself and its arrondissements and communes
déléguées; an académie for itself and those it replaced (Normandie: Caen and Rouen, which
older sessions name). A name is accepted where a code is expected ("academie:lyon").
"""

from __future__ import annotations

from ardoise.odsql.errors import InvalidParameter
from ardoise.query.compile import TerritoryFilter
from ardoise.query.release import DatasetView, ServedRelease
from ardoise.query.territories import levels
from ardoise.query.territories.context import territories_of
from ardoise.query.territories.levels import TerritoryNotFound
from ardoise.referential.levels import LINKS


def territory_filter(
    release: ServedRelease, view: DatasetView, niveau: str, code: str
) -> TerritoryFilter:
    """The filter of ``territoire=niveau:code`` on ``view``; InvalidParameter when the
    dataset links no row at that level or the territory does not exist."""
    niveau = levels.level(niveau, parameter="territoire")
    column = LINKS[niveau]
    if column is None:
        return TerritoryFilter(None)
    code = levels.code(niveau, code)
    state = territories_of(release)
    if not state.has_links(view, column):
        usable = [lv for lv, col in LINKS.items() if col is None or state.has_links(view, col)]
        raise InvalidParameter(
            f"Valeur invalide pour le paramètre territoire : le jeu {view.id} ne relie aucune "
            f"ligne au niveau {niveau} (niveaux possibles pour ce jeu : {', '.join(usable)})."
        )
    ref = state.referential_or_none
    if ref is not None and niveau != "etablissement" and not state.exists(niveau, code):
        resolved = ref.resolve(niveau, code)
        if resolved is None or not state.exists(niveau, resolved):
            try:
                state.require(niveau, code)
            except TerritoryNotFound as exc:
                raise InvalidParameter(
                    f"Valeur invalide pour le paramètre territoire : {exc}"
                ) from None
        code = resolved or code
    return TerritoryFilter(column, state.members(niveau, code))
