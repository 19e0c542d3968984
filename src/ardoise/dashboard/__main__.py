"""``python -m ardoise.dashboard`` (``make assets``): vendor the front-end assets from
node_modules into the cache under their hashed names, and list them."""

from __future__ import annotations

from ardoise.dashboard.assets import build_assets
from ardoise.settings import load_settings


def main() -> None:
    settings = load_settings()
    assets = build_assets(settings.node_modules, settings.cache_dir / "static")
    for logical, name in sorted(assets.names.items()):
        print(f"{logical:16} {assets.directory / name}")


if __name__ == "__main__":
    main()
