"""The optional parts of Ardoise: each is a pip extra of ``pyproject.toml``.

The open-data server needs none of them. A restricted feature imports its extra at the
boundary (its first call, not the app's start) through :func:`require`, which raises
:class:`~ardoise.errors.MissingExtra` with a French message naming the pip command; the
surfaces answer it as a 503 with their error body.

    EXTRAS = {"scolarite": (...modules...), "images": ("vl_convert",)}
    require(extra, feature) -> None          # raises MissingExtra when a module is absent
    installed(extra) -> bool
"""

from __future__ import annotations

import importlib.util
import sys

from ardoise.errors import MissingExtra

# extra → the modules it brings (import names, not distribution names)
EXTRAS: dict[str, tuple[str, ...]] = {
    # enrolment checks, certificates and registry statistics (issue #7)
    "scolarite": (
        "sqlalchemy",
        "alembic",
        "psycopg",
        "aiosqlite",
        "cryptography",
        "fpdf",
        "segno",
    ),
    # PNG and SVG downloads of the dashboard's charts, rendered on the server
    "images": ("vl_convert",),
    # the producers' control plane: organisations, accounts, roles, API keys, journal
    "producteurs": (
        "sqlalchemy",
        "alembic",
        "psycopg",
        "argon2",
        "authlib",
        "itsdangerous",
        "httpx",
    ),
    # releases through object storage and their announcement to the replicas (issue #17)
    "deploy": ("boto3", "psycopg"),
}

FEATURES: dict[str, str] = {
    "scolarite": "Vérification de scolarité (registre, jetons, attestations)",
    "images": "Images PNG et SVG des graphiques",
    "producteurs": "Espace des producteurs (organisations, comptes, clés d'API)",
    "deploy": "Distribution des releases aux répliques (stockage objet, annonce)",
}


def missing_module(extra: str) -> str | None:
    """The first module of ``extra`` that is not installed, or None. Nothing is imported:
    the check is cheap enough for a command's start."""
    for module in EXTRAS[extra]:
        if module in sys.modules:
            if sys.modules[module] is None:  # an import blocked on purpose (tests)
                return module
            continue
        try:
            if importlib.util.find_spec(module) is None:
                return module
        except (ImportError, ValueError):
            return module
    return None


def installed(extra: str) -> bool:
    return missing_module(extra) is None


def require(extra: str, feature: str | None = None) -> None:
    """Raise :class:`MissingExtra` when a module of ``extra`` is absent."""
    module = missing_module(extra)
    if module is not None:
        raise MissingExtra(feature or FEATURES[extra], extra, module)
