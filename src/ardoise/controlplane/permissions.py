"""Who may do what: the one declared table of the control plane.

A principal acts either as a person (a session, or the operator at the shell) or as an
API key of one organisation. :data:`PERMISSIONS` says, for each :class:`Action`, which
roles of the *owning* organisation allow it, whether the platform's national
administrator may, and which key scope allows it (None: no key may). Every operation of
the control plane and of the Automation API calls :func:`authorize` with its action, and
``tests/controlplane/test_permission_matrix.py`` runs every action for every kind of
principal against an expected table of its own.

>>> alice = Principal(account_id="a", roles=frozenset({("depp", Role.CONTRIBUTEUR)}))
>>> allowed(alice, Action.VERSION_SOUMETTRE, "depp"), allowed(alice, Action.MEMBRE_GERER, "depp")
(True, False)
>>> allowed(alice, Action.VERSION_SOUMETTRE, "region-84")
False
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ardoise.controlplane.errors import Forbidden, Unauthenticated


class Role(StrEnum):
    CONTRIBUTEUR = "contributeur"  # submits versions
    RELECTEUR = "relecteur"  # reviews and publishes
    ADMINISTRATEUR = "administrateur"  # members, datasets, API keys, journal
    INSTRUCTEUR = "instructeur"  # instructs habilitations (in the ministry's organisation)


class Scope(StrEnum):
    """What an API key may do (a key acts for its organisation only)."""

    LIRE = "lire"  # read the organisation's datasets and submissions
    SOUMETTRE = "soumettre"  # declare a dataset, submit a version
    RELIRE = "relire"  # approve, reject, publish


class Action(StrEnum):
    ORGANISATION_CREER = "organisation.creer"
    ORGANISATION_LIRE = "organisation.lire"
    MEMBRE_GERER = "membre.gerer"
    CLE_GERER = "cle.gerer"
    JOURNAL_LIRE = "journal.lire"
    JEU_DECLARER = "jeu.declarer"
    VERSION_SOUMETTRE = "version.soumettre"
    SOUMISSION_LIRE = "soumission.lire"
    SOUMISSION_RELIRE = "soumission.relire"
    JEU_RESTREINDRE = "jeu.restreindre"  # make a dataset restricted, or public again (#16)
    ACCES_GERER = "acces.gerer"  # grant or withdraw access to a restricted dataset (#16)
    USAGE_LIRE = "usage.lire"  # a partner's use of the enrolment API, per token (#16)
    FAMILLE_CONSULTER = "famille.consulter"  # a parent: the checks of their children (#16)
    # habilitations (#16): the requesting organisation's actions, then the instructors'
    # (checked on the ministry's organisation), then the public register
    HABILITATION_DEMANDER = "habilitation.demander"  # create, amend, submit a request
    HABILITATION_LIRE = "habilitation.lire"  # read its own organisation's habilitations
    JETON_EMETTRE = "jeton.emettre"  # issue or rotate the token of a granted habilitation
    HABILITATION_INSTRUIRE = "habilitation.instruire"  # read all, write in the thread
    HABILITATION_DECIDER = "habilitation.decider"  # ask for changes, grant, refuse
    HABILITATION_SUSPENDRE = "habilitation.suspendre"  # suspend, lift, revoke
    REGISTRE_LIRE = "registre.lire"  # the public register of granted habilitations
    COMPTE_GERER = "compte.gerer"  # deactivate or reactivate an account (platform-wide)
    MOISSON_GERER = "moisson.gerer"  # schedule, change or stop the harvest of a dataset


@dataclass(frozen=True)
class Rule:
    roles: frozenset[Role]  # roles in the owning organisation that allow the action
    national: bool  # the national administrator may
    scope: Scope | None  # the key scope that allows it; None: no API key may
    says: str  # in French, for the README and the error message
    personal: bool = False  # any signed-in person, on what is theirs (no organisation, no key)
    public: bool = False  # anyone may, anonymous included (the public register)


_ALL = frozenset(Role)
_ADMIN = frozenset({Role.ADMINISTRATEUR})
_INSTRUCT = frozenset({Role.INSTRUCTEUR})

PERMISSIONS: dict[Action, Rule] = {
    Action.ORGANISATION_CREER: Rule(frozenset(), True, None, "créer une organisation"),
    Action.ORGANISATION_LIRE: Rule(_ALL, True, Scope.LIRE, "voir l'organisation"),
    Action.MEMBRE_GERER: Rule(_ADMIN, True, None, "gérer les membres"),
    Action.CLE_GERER: Rule(_ADMIN, True, None, "gérer les clés d'API"),
    Action.JOURNAL_LIRE: Rule(_ADMIN, True, None, "lire le journal"),
    Action.JEU_DECLARER: Rule(_ADMIN, True, Scope.SOUMETTRE, "déclarer un jeu de données"),
    Action.VERSION_SOUMETTRE: Rule(
        frozenset({Role.CONTRIBUTEUR}), False, Scope.SOUMETTRE, "soumettre une version"
    ),
    Action.SOUMISSION_LIRE: Rule(_ALL, True, Scope.LIRE, "voir les soumissions"),
    Action.SOUMISSION_RELIRE: Rule(
        frozenset({Role.RELECTEUR}), False, Scope.RELIRE, "approuver, refuser, publier"
    ),
    Action.JEU_RESTREINDRE: Rule(_ADMIN, True, None, "restreindre un jeu ou le rendre public"),
    Action.ACCES_GERER: Rule(_ADMIN, True, None, "accorder ou retirer l'accès à un jeu restreint"),
    Action.USAGE_LIRE: Rule(_ALL, True, None, "voir l'usage de l'API de vérification"),
    Action.FAMILLE_CONSULTER: Rule(
        frozenset(), False, None, "voir les vérifications de ses enfants", personal=True
    ),
    Action.HABILITATION_DEMANDER: Rule(
        _ADMIN | {Role.CONTRIBUTEUR}, False, None, "demander une habilitation"
    ),
    Action.HABILITATION_LIRE: Rule(
        _ADMIN | {Role.CONTRIBUTEUR}, True, Scope.LIRE, "voir les habilitations"
    ),
    Action.JETON_EMETTRE: Rule(_ADMIN, False, None, "émettre le jeton d'une habilitation"),
    Action.HABILITATION_INSTRUIRE: Rule(_INSTRUCT, True, None, "instruire les habilitations"),
    Action.HABILITATION_DECIDER: Rule(_INSTRUCT, False, None, "décider d'une habilitation"),
    Action.HABILITATION_SUSPENDRE: Rule(
        _INSTRUCT, True, None, "suspendre ou révoquer une habilitation"
    ),
    Action.REGISTRE_LIRE: Rule(frozenset(), True, None, "lire le registre public", public=True),
    Action.COMPTE_GERER: Rule(frozenset(), True, None, "désactiver ou réactiver un compte"),
    Action.MOISSON_GERER: Rule(_ADMIN, True, Scope.SOUMETTRE, "programmer la moisson d'un jeu"),
}


@dataclass(frozen=True)
class Principal:
    """Who acts. Anonymous when it has neither account nor key nor ``cli``."""

    account_id: str | None = None
    key_id: str | None = None
    key_organisation: str | None = None  # the organisation an API key acts for
    session_id: str | None = None  # a digest of the session (journal), never the cookie
    national: bool = False
    roles: frozenset[tuple[str, Role]] = frozenset()  # (organisation id, role)
    scopes: frozenset[Scope] = frozenset()
    cli: bool = False  # the operator at the shell: every right, journaled as "cli"

    @property
    def anonymous(self) -> bool:
        return self.account_id is None and self.key_id is None and not self.cli

    @property
    def origin(self) -> str:
        return "cli" if self.cli else ("cle" if self.key_id else "session")

    def roles_in(self, organisation_id: str) -> frozenset[Role]:
        return frozenset(r for org, r in self.roles if org == organisation_id)


OPERATOR = Principal(cli=True, national=True)


def allowed(principal: Principal, action: Action, organisation_id: str | None) -> bool:
    """Whether ``principal`` may do ``action`` on ``organisation_id`` (None: platform)."""
    rule = PERMISSIONS[action]
    if rule.public:
        return True
    if principal.anonymous:
        return False
    if principal.cli:  # whoever runs the shell holds the database and the var dir anyway
        return True
    if rule.personal:  # a person, for themselves: never an API key
        return principal.key_id is None and principal.account_id is not None
    if principal.key_id is not None:
        return (
            rule.scope is not None
            and rule.scope in principal.scopes
            and organisation_id is not None
            and principal.key_organisation == organisation_id
        )
    if principal.national and rule.national:
        return True
    return organisation_id is not None and bool(principal.roles_in(organisation_id) & rule.roles)


def authorize(principal: Principal, action: Action, organisation_id: str | None) -> None:
    """Raise :class:`Unauthenticated` or :class:`Forbidden` unless :func:`allowed`."""
    if principal.anonymous and not PERMISSIONS[action].public:
        raise Unauthenticated("Connexion requise : identifiez-vous ou fournissez une clé d'API.")
    if not allowed(principal, action, organisation_id):
        where = f" pour l'organisation « {organisation_id} »" if organisation_id else ""
        raise Forbidden(f"Action non autorisée{where} : {PERMISSIONS[action].says}.")
