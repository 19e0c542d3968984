"""Enrolment checks for administrations (issue #7): the restricted pupil registry, its
import and synthetic generator, bearer tokens, the audit chain and the verification API
compatible with API Particulier v3 ``/v3/men/scolarites/identite``.

Modules: ``schema`` (tables), ``database`` (engines, alembic migrations), ``normalise``
(identity keys), ``extract`` (CSV import), ``synthetic`` (generator), ``tokens``,
``siret``, ``audit``, ``throttle``, ``matching``, ``verification``, ``router``, ``commands``.
"""
