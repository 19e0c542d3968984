"""Transparency of the data exchange between administrations (issue #16).

families        the families' view ``/mes-enfants``: a parent signed in through
                FranceConnect sees the checks of each child linked to them
family_session  the families' signed cookie (the identity pivot; nothing kept server-side)
usage_pages     each partner's use of the enrolment API, per token or habilitation
render          DSFR pages of this part
"""
