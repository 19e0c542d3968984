"""The control plane's errors (part of the tree in ``ardoise.errors``; ``web.errors`` maps
them)::

    * ArdoiseError
      x ControlPlaneError      [400] a request the control plane cannot do as asked
        x Unauthenticated      [401] no session or API key, or an unknown one
        x Forbidden            [403] the principal may not do this action here
        x Conflict             [409] the thing already exists, or another action holds it
        x Throttled            [429] too many attempts (token issuance), retry later
        x UploadTooLarge       [413] an upload above the upload_max_mb setting
        x ProviderUnavailable  [503] the identity provider cannot be reached or is misconfigured
      x NotFound               (ardoise.errors)
        x OrganisationNotFound       no organisation has this id
        x AccountNotFound            no account has this id or email
        x KeyNotFound                no API key has this id in this organisation
        x SubmissionNotFound         no submission has this id
        x HabilitationNotFound       no habilitation has this id (or it is not the reader's)
"""

from __future__ import annotations

from ardoise.errors import ArdoiseError, NotFound


class ControlPlaneError(ArdoiseError, ValueError):
    """A request the control plane cannot do as asked (message in French)."""


class Unauthenticated(ControlPlaneError):
    """No session or API key came with the request, or it is unknown, expired or revoked."""


class Forbidden(ControlPlaneError):
    """The principal is known but may not do this action on this organisation."""


class AccountDisabled(Forbidden):
    """The account was deactivated: no sign-in, its sessions are refused."""


class Conflict(ControlPlaneError):
    """The thing already exists, or another action holds it (serialised publications)."""


class Throttled(ControlPlaneError):
    """Too many attempts of one action in a window (token issuance of a habilitation)."""


class UploadTooLarge(ControlPlaneError):
    """An upload above the ``upload_max_mb`` setting (refused while it streams in)."""


class ProviderUnavailable(ControlPlaneError):
    """The OpenID Connect provider cannot be reached, or its discovery document is wrong."""


class OrganisationNotFound(NotFound):
    pass


class AccountNotFound(NotFound):
    pass


class KeyNotFound(NotFound):
    pass


class SubmissionNotFound(NotFound):
    pass


class HabilitationNotFound(NotFound):
    pass
