"""Every DSFR icon class a page uses is defined by the stylesheets the pages link.

``dsfr.min.css`` defines only a handful of icons (the components' own); the icon utilities
(``dist/utility/icons``) are not served. An ``fr-icon-…`` class without its rule draws a
filled square in place of the icon, and on a ``fr-btn`` it hides the button's text (DSFR
makes such a button icon-only): the families' back link and the sign-out buttons did.
"""

from __future__ import annotations

import re
from pathlib import Path

import ardoise
from ardoise.dashboard.assets import VENDOR, build_assets
from ardoise.settings import Settings

ICON = re.compile(r"\bfr-(?:icon|fi)-[a-z0-9-]+")
TEMPLATES = sorted(Path(ardoise.__file__).parent.glob("**/templates/**/*.html"))


def test_every_icon_used_is_defined(fixture_settings: Settings) -> None:
    assert len(TEMPLATES) > 20  # the dashboard's, the producers' and the families' pages
    assets = build_assets(fixture_settings.node_modules, fixture_settings.cache_dir / "static")
    css = "".join(
        (assets.directory / assets.names[name]).read_text("utf-8")
        for name in VENDOR
        if name.endswith(".css") and not name.startswith("swagger")
    )
    defined = set(re.findall(r"\.(fr-(?:icon|fi)-[a-z0-9-]+)", css))
    used = {
        (path.relative_to(path.parents[2]).as_posix(), icon)
        for path in TEMPLATES
        for icon in ICON.findall(path.read_text("utf-8"))
    }
    missing = sorted((where, icon) for where, icon in used if icon not in defined)
    assert missing == [], f"icônes DSFR sans règle CSS : {missing}"
