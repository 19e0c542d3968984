"""The producers' control plane: organisations (SIRET, type, territory), accounts (OpenID
Connect identities; argon2 local accounts for development), roles per organisation, API
keys, the ownership of datasets, one declared permission table and the journal of every
action. SQLAlchemy Core on PostgreSQL (production, tests) or SQLite (``make run``),
alembic migrations; the ``producteurs`` pip extra.

Every operation takes an open connection and the :class:`~.permissions.Principal` acting,
authorises it against :data:`~.permissions.PERMISSIONS` and journals it in the same
transaction. The enrolment governance (issue #16) reuses organisations, accounts, roles
and the journal.
"""
