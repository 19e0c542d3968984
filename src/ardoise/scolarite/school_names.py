"""The name a certificate prints beside a UAI: the school's name in the current release's
directory of schools, or None (no release, unknown UAI). One function for the CLI and the
API, so both certificates read the same."""

from __future__ import annotations

from ardoise.errors import ArdoiseError
from ardoise.query.release import ReleaseHolder
from ardoise.query.territories.context import territories_of


def school_name(holder: ReleaseHolder, uai: str) -> str | None:
    try:
        school = territories_of(holder.get()).schools.by_uai.get(uai)
    except ArdoiseError:
        return None
    return school.nom if school else None
