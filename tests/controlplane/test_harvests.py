"""Harvests (issue #15): from a DCAT catalogue (a second Ardoise's own DCAT-AP, JSON-LD and
RDF/XML, on loopback) and on a schedule run by ``ardoise moissonner --dues`` with a clock
the test controls: a new version is submitted only when the source changed (ETag → 304,
same SHA-256), every run is journaled, a failing source is retried at the next period."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from sqlalchemy import Engine

from ardoise.controlplane import dcat_source, harvests, journal
from ardoise.controlplane.errors import ControlPlaneError, Forbidden
from ardoise.controlplane.fetch import fetch
from ardoise.controlplane.harvests import Frequency
from ardoise.controlplane.permissions import OPERATOR
from ardoise.controlplane.submissions import SubmissionState, list_submissions
from ardoise.settings import Settings
from tests.controlplane.jobs import validated
from tests.controlplane.test_submissions import IPS, _edited_ips, _people, cp, published
from tests.controlplane.test_submit_url import loopback, second_ardoise

__all__ = ["cp", "published"]
T0 = datetime(2026, 9, 1, 6, 0, tzinfo=UTC)


class Source:
    """A file served on loopback that honours If-None-Match, and what it was asked."""

    def __init__(self, body: bytes, etag: str | None = '"v1"') -> None:
        self.body, self.etag, self.status = body, etag, 200
        self.asked: list[dict[str, str]] = []


@contextmanager
def serving(source: Source) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            source.asked.append(dict(self.headers))
            if source.etag and self.headers.get("If-None-Match") == source.etag:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(source.status)
            if source.etag:
                self.send_header("ETag", source.etag)
            self.send_header("Content-Length", str(len(source.body)))
            self.end_headers()
            self.wfile.write(source.body)

        def log_message(self, *_args: object) -> None:
            pass

    with loopback(Handler) as base:
        yield f"{base}/ecoles.csv"


def _versions(cp: Engine) -> int:
    return len(list_submissions(cp, OPERATOR, "ministere"))


def test_a_schedule_submits_only_when_the_source_changed(published: Settings, cp: Engine) -> None:
    settings = published.replace(url_allow_private=True)
    source = Source(_edited_ips(published))
    with serving(source) as url:
        with cp.begin() as conn:
            harvests.schedule(conn, OPERATOR, IPS, url, Frequency.QUOTIDIENNE, now=T0)
        (first,) = harvests.run_due(cp, settings, T0)
        assert first.changed and first.submission_id and _versions(cp) == 1
        assert harvests.run_due(cp, settings, T0 + timedelta(hours=23)) == []  # not due yet
        (second,) = harvests.run_due(cp, settings, T0 + timedelta(days=1))
        assert not second.changed and "304" in second.state
        assert source.asked[-1]["If-None-Match"] == '"v1"'
        source.etag = None  # a server without ETag: the SHA-256 decides
        (third,) = harvests.run_due(cp, settings, T0 + timedelta(days=2))
        assert not third.changed and "SHA-256" in third.state and _versions(cp) == 1
        source.body = source.body.replace(b";107.4", b";108.0")
        (fourth,) = harvests.run_due(cp, settings, T0 + timedelta(days=3))
        assert fourth.changed and _versions(cp) == 2
        source.status = 500
        source.body = b"panne"
        (fifth,) = harvests.run_due(cp, settings, T0 + timedelta(days=4))
        assert not fifth.changed and fifth.state.startswith("échec : ") and "500" in fifth.state
    with cp.connect() as conn:
        h = harvests.get_harvest(conn, IPS)
        runs = [e for e in journal.entries(conn, OPERATOR, "ministere") if e.subject == IPS]
    assert h.due == T0 + timedelta(days=5) and h.last_state == fifth.state  # retried then
    assert [e.action for e in runs].count("moisson.executer") == 5
    assert not any(
        p.name.startswith("moisson-") for p in (settings.var_dir / "soumissions").iterdir()
    )


def test_scheduling_is_checked(published: Settings, cp: Engine) -> None:
    submitter, _ = _people(cp)  # a contributor: may submit, may not schedule
    with cp.begin() as conn:
        with pytest.raises(Forbidden):
            harvests.schedule(conn, submitter, IPS, "https://exemple.fr/a.csv", "quotidienne")
        with pytest.raises(ControlPlaneError, match="Fréquence « annuelle » inconnue"):
            harvests.schedule(conn, OPERATOR, IPS, "https://exemple.fr/a.csv", "annuelle")
        with pytest.raises(ControlPlaneError, match="http:// ou https://"):
            harvests.schedule(conn, OPERATOR, IPS, "file:///etc/passwd", "quotidienne")
        with pytest.raises(ControlPlaneError, match="aucune organisation"):
            harvests.schedule(conn, OPERATOR, "inconnu", "https://exemple.fr/a.csv", "mensuelle")


def test_harvest_from_the_dcat_catalogue_of_another_ardoise(
    published: Settings, cp: Engine, tmp_path: Path
) -> None:
    settings = published.replace(url_allow_private=True)
    with second_ardoise(published) as portal:
        for segment in ("jsonld", "rdf"):
            document = tmp_path / f"catalogue.{segment}"
            fetch(settings, f"{portal}/api/explore/v2.1/catalog/exports/{segment}", document)
            graph = dcat_source.read_catalogue(document)
            csv = dcat_source.distribution_url(graph, IPS, ".csv")
            assert csv.endswith(f"/catalog/datasets/{IPS}/exports/csv"), csv
            assert dcat_source.distribution_url(graph, IPS, ".parquet").endswith("/parquet")
            with pytest.raises(ControlPlaneError, match="absent du catalogue DCAT"):
                dcat_source.distribution_url(graph, "inconnu", ".csv")
        catalogue = f"{portal}/api/explore/v2.1/catalog/exports/jsonld"
        with cp.begin() as conn:
            harvests.schedule(conn, OPERATOR, IPS, catalogue, "hebdomadaire", IPS, now=T0)
        (run,) = harvests.run_due(cp, settings, T0)
        assert run.changed, run.state
        (again,) = harvests.run_due(cp, settings, T0 + timedelta(days=7))
        assert not again.changed  # the same export: same SHA-256 (or 304)
    (queued,) = list_submissions(cp, OPERATOR, "ministere")
    assert queued.state is SubmissionState.EN_ATTENTE  # validated by the queue's worker
    s = validated(cp, settings, queued)
    assert s.state is SubmissionState.A_RELIRE, s.report
    assert s.report["apercu"]["lignes_apres"] == s.report["apercu"]["lignes_avant"]


def test_hostile_catalogues_are_refused(tmp_path: Path) -> None:
    remote = tmp_path / "distant.jsonld"
    remote.write_text('{"@context": "http://169.254.169.254/contexte", "@id": "x"}')
    with pytest.raises(ControlPlaneError, match="@context JSON-LD distant"):
        dcat_source.read_catalogue(remote)
    broken = tmp_path / "casse.rdf"
    broken.write_text("<rdf:RDF><dcat:Dataset>")
    with pytest.raises(ControlPlaneError, match="Catalogue DCAT illisible"):
        dcat_source.read_catalogue(broken)
    entity = tmp_path / "entites.rdf"
    entity.write_text(
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">&e;</rdf:RDF>'
    )
    with pytest.raises(ControlPlaneError, match="DOCTYPE et ENTITY"):
        dcat_source.read_catalogue(entity)


def test_the_cli_declares_schedules_and_runs_what_is_due(
    published: Settings, cp: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from ardoise.cli import app
    from tests.controlplane.test_declarations import DESCRIPTOR, NEW

    for name, value in {
        "ARDOISE_CONTROLPLANE_DATABASE_URL": cp.url.render_as_string(hide_password=False),
        "ARDOISE_VAR_DIR": str(published.var_dir),
        "ARDOISE_CATALOG_DIR": str(published.catalog_dir),
        "ARDOISE_MIRROR": str(published.mirror),
        "ARDOISE_URL_ALLOW_PRIVATE": "1",
    }.items():
        monkeypatch.setenv(name, value)
    with cp.begin() as conn:
        from ardoise.controlplane.organisations import create_organisation

        create_organisation(conn, OPERATOR, id="region-84", name="Région",
                            siret="23690001900019", type="region")  # fmt: skip
    runner = CliRunner()
    descriptor = tmp_path / "repas.yaml"
    descriptor.write_text(DESCRIPTOR.replace("title:", "titel:"), encoding="utf-8")
    refused = runner.invoke(app, ["declarer", "region-84", str(descriptor)])
    assert refused.exit_code == 2
    assert "clé inconnue 'titel' (ligne 2)" in " ".join(refused.output.split())
    descriptor.write_text(DESCRIPTOR, encoding="utf-8")
    done = runner.invoke(app, ["declarer", "region-84", str(descriptor)])
    assert done.exit_code == 0 and f"Jeu « {NEW} » déclaré" in done.output, done.output
    source = Source(b"Rentr\xc3\xa9e scolaire;Code du d\xc3\xa9partement;Repas servis\n"
                    b"2022-2023;35;120000\n")  # fmt: skip
    with serving(source) as url:
        made = runner.invoke(app, ["moissons", "programmer", NEW, url, "--frequence", "mensuelle"])
        assert made.exit_code == 0, made.output
        first = runner.invoke(app, ["moissonner", "--dues"])
        said = " ".join(first.output.split())  # the console wraps long lines
        assert "nouvelle version soumise (en_attente)" in said, said
        assert "validation terminée : a_relire" in said, said  # waited here
        second = runner.invoke(app, ["moissonner", "--dues"])  # next run in a month
        assert "0 moisson(s) exécutée(s)" in second.output
    listed = runner.invoke(app, ["moissons", "lister"])
    # what the run did (a narrow table may wrap it)
    assert "mensuelle" in listed.output and "(en_attente)" in listed.output
