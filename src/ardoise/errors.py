"""Domain errors. No HTTP here: ``web`` maps these classes to statuses in one table.

Our exception hierarchy::

    * ArdoiseError
      x ConfigError                  bad setting value
      x NotFound         → DatasetNotFound, ReleaseNotFound
      x SourceError      → SourceMissing, SourceUnreadable     (cannot read a source at all)
      x StoreError       → ReleaseExists, ReleaseCorrupt, PublishError
      x CatalogError                 a descriptor is invalid

Data problems inside a readable source are not exceptions: they are Issues of a
Report (see ``ardoise.ingest.report``).
"""

from __future__ import annotations


class ArdoiseError(Exception):
    """Base of every error Ardoise raises on purpose. Messages are in French."""


class ConfigError(ArdoiseError):
    pass


class CatalogError(ArdoiseError):
    pass


class NotFound(ArdoiseError):
    pass


class DatasetNotFound(NotFound):
    pass


class ReleaseNotFound(NotFound):
    pass


class SourceError(ArdoiseError):
    pass


class SourceMissing(SourceError):
    pass


class SourceUnreadable(SourceError):
    pass


class StoreError(ArdoiseError):
    pass


class ReleaseExists(StoreError):
    pass


class ReleaseCorrupt(StoreError):
    pass


class PublishError(StoreError):
    pass
