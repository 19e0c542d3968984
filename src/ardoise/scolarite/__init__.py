"""Enrolment checks for administrations (issue #7): the restricted pupil registry, the
verification API compatible with API Particulier, school certificates, protected
statistics. Needs the ``scolarite`` extra (``ardoise.extras``); its exceptions
(``errors.py``) import without it.

The registry      ``schema`` (tables), ``database`` (engines, alembic ``migrations/``),
                  ``extract`` (CSV import), ``loader`` (bulk load), ``synthetic`` and
                  ``synthetic_names`` (a generator, marked synthetic), ``normalise``
                  (identity keys), ``matching`` (identity matching)
Access            ``tokens`` (bearer tokens per SIRET and purpose), ``scopes``, ``siret``,
                  ``throttle`` (per-token limits), ``audit`` (hash-chained journal, one
                  writer)
The API           ``router`` (the ASGI layer in front of the app), ``calls`` (one
                  authenticated, audited call), ``lookup`` (its one SQL read), ``store``
                  (async access to the registry), ``verification`` (parameters and answer),
                  ``service`` (engines and writer of an app), ``standalone`` (the API alone),
                  ``errors`` (API Particulier's error shape)
Certificates      ``certificates`` (issue, store, verify), ``certificates_pdf``,
                  ``certificates_signing`` (Ed25519), ``certificates_routes``,
                  ``certificates_cli``, ``school_names`` (the school's name from the release)
Statistics        ``statistics`` (counts up the geographic hierarchy), ``disclosure``
                  (statistical disclosure control), ``statistics_cli``
Transparency      ``representatives`` (legal representatives, who a signed-in person
                  represents), ``checks`` (a pupil's checks, from the journal),
                  ``family_guard`` (the families' view's throttle and journal entries),
                  ``activity`` (use of the API per token or habilitation) — issue #16
Commands          ``commands`` (``ardoise scolarite …``)
"""
