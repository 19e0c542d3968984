"""Domain errors. No HTTP here: ``web.errors`` maps these classes to statuses in one table,
which the dashboard receives from the app; MCP turns the same classes into tool errors, and
the scolarité API into its own error shape (``scolarite.errors.API_ERRORS``).

Our exception hierarchy (HTTP status and ``error_code`` of the Explore API in brackets)::

    * ArdoiseError                       [500, class name] raised bare by a few CLI paths
      x ConfigError                      [500] a setting or the installation is wrong
      x MissingExtra                     [503] an optional part is not installed (pip extra)
      x CatalogError                     [500] a descriptor is invalid (catalog.loader)
      x IndicatorDefinitionError         [500] an indicator declaration is invalid
                                               (indicators.model)
      x NoRelease                        [503 "NoReleaseError"] nothing is published
      x NotFound                         [404 "NotFound"]
        x DatasetNotFound                      no dataset has this id in the release
        x ReleaseNotFound                [404 "UnknownRelease"] no release has this id
        x RecordNotFound                       no record has this id (query.run)
        x TerritoryNotFound                    no territory or school has this code
                                               (query.territories.levels)
        x IndicatorNotFound                    no indicator has this id (query.indicators)
        x OrganisationNotFound                 (controlplane.errors)
        x AccountNotFound                      (controlplane.errors)
        x KeyNotFound                          (controlplane.errors)
        x SubmissionNotFound                   (controlplane.errors)
        x HabilitationNotFound                 (controlplane.errors)
      x SourceError                      [500] cannot read a source at all (ingest)
        x SourceMissing
        x SourceUnreadable
      x StoreError                       [500] the release store (release.store)
        x ReleaseExists
        x ReleaseCorrupt                 [503] a release cannot be served: unreadable
                                               manifest, missing Parquet file, bad contours
        x PublishError
      x QueryError                       [400 "ODSQLError" unless stated] (odsql.errors)
        x OdsqlSyntaxError                     description, clause, col, highlight
          x UnknownField
          x UnknownFunction
          x UnsupportedFeature                 valid ODSQL that Ardoise does not implement
        x GeometryError                        a bad geometry literal (odsql.geo)
        x LimitExceeded                        caps on input size, AST size, IN lists, limit
        x InvalidParameter               [400 "InvalidRESTParameterError"] a bad REST value
          x ExportError                        (exporters.errors)
            x UnknownExportFormat
            x InvalidExportOption
            x ExportTooLarge
        x QueryTimeout                   [400 "QueryTimeout"] (query.errors)
        x SqlRefused                     [400 "SQLError"] SQL of /api/v1/sql refused
                                               (query.sql_guard)
      x TokenError                       [400] a bad token request (scolarite.errors, CLI)
      x RegistryUnavailable              [503] the pupil registry cannot be read
      x AuditUnavailable                 [503] the audit journal cannot be written
      x ControlPlaneError                [400] a producers' request that cannot be done
                                               as asked (controlplane.errors)
        x Unauthenticated                [401] no session or API key, or an unknown one
        x Forbidden                      [403] not allowed by the permission table
          x AccountDisabled              [403] a deactivated account: no sign-in, no session
        x Conflict                       [409] already exists, or held by another action
        x Throttled                      [429] too many attempts (token issuance)
        x UploadTooLarge                 [413] an upload above upload_max_mb
        x ProviderUnavailable            [503] the OpenID Connect provider cannot be reached

Each name means one thing: ``NoRelease`` (nothing to serve yet: publish one) is not
``ReleaseNotFound`` (a release id that does not exist) nor ``ReleaseCorrupt`` (the served
release is broken: roll back). A server fault is never a client error: a missing Parquet
file is ``ReleaseCorrupt`` and a bad engine setting ``ConfigError``, both 5xx.

Data problems inside a readable source are not exceptions: they are Issues of a
Report (see ``ardoise.ingest.report``).
"""

from __future__ import annotations


class ArdoiseError(Exception):
    """Base of every error Ardoise raises on purpose. Messages are in French."""


class ConfigError(ArdoiseError):
    """A setting or the installation is wrong (a server fault, never the client's)."""


class MissingExtra(ArdoiseError):
    """An optional part of Ardoise is not installed; the message gives the pip command."""

    def __init__(self, feature: str, extra: str, module: str) -> None:
        super().__init__(
            f"{feature} : fonction non installée sur ce serveur (module Python « {module} » "
            f"absent). L'administrateur peut l'installer avec "
            f"`pip install 'ardoise[{extra}]'` (ou `make install`)."
        )
        self.feature = feature
        self.extra = extra
        self.module = module


class CatalogError(ArdoiseError):
    """A dataset descriptor is invalid."""


class NoRelease(ArdoiseError):
    """No release is published (or the one a request used is no longer served)."""


class NotFound(ArdoiseError):
    """The thing a request names does not exist."""


class DatasetNotFound(NotFound):
    pass


class ReleaseNotFound(NotFound):
    """No published release has this id."""


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
    """A release cannot be served as it is on disk (roll back to a previous one)."""


class PublishError(StoreError):
    pass
