"""The ``ardoise scolarite`` commands end to end (SQLite registry in a temporary var dir),
the synthetic generator's promises, and the app-level mount (503 without registry)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from ardoise.cli import app
from ardoise.scolarite.database import make_engine
from ardoise.scolarite.normalise import name_key
from ardoise.scolarite.schema import audit as audit_table
from ardoise.scolarite.schema import eleves
from ardoise.scolarite.synthetic import fallback_schools, pupils
from ardoise.settings import load_settings
from ardoise.web.app import create_app
from tests.scolarite.sample import PUPILS, SIRET, identity_params, write_extract


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("var")


@pytest.fixture(scope="module")
def runner(var_dir: Path) -> CliRunner:
    return CliRunner(env={"ARDOISE_VAR_DIR": str(var_dir), "ARDOISE_SCOLARITE_DATABASE_URL": "",
                          "COLUMNS": "200"})  # fmt: skip


def test_app_without_registry_answers_503(tmp_path: Path) -> None:
    settings = load_settings(environ={}, var_dir=tmp_path / "vide")
    with TestClient(create_app(settings)) as client:
        res = client.get("/v3/men/scolarites/identite", params=identity_params(PUPILS[0]))
        assert res.status_code == 503
        assert "registre" in res.json()["errors"][0]["detail"]
        assert res.headers["X-Request-ID"]
        assert client.get("/api/introspect").status_code == 503
    assert not (tmp_path / "vide" / "scolarite.db").exists()  # never created by serving


def test_commands_without_registry(runner: CliRunner) -> None:
    res = runner.invoke(app, ["scolarite", "jeton", "lister"])
    assert res.exit_code == 2 and "Aucun registre" in res.output


def test_generate_import_tokens_audit(runner: CliRunner, var_dir: Path) -> None:
    res = runner.invoke(app, ["scolarite", "generate", "--eleves", "3000"])
    assert res.exit_code == 0, res.output
    assert "SYNTHÉTIQUE" in res.output and "3 000 élèves synthétiques" in res.output
    res = runner.invoke(
        app, ["scolarite", "importer", str(write_extract(var_dir / "e.csv", PUPILS))]
    )
    assert res.exit_code == 0, res.output
    bad = var_dir / "bad.csv"
    bad.write_text("identifiant;nom\n", encoding="utf-8")
    res = runner.invoke(app, ["scolarite", "importer", str(bad)])
    assert res.exit_code == 1 and "rien n'a changé" in res.output
    res = runner.invoke(app, ["scolarite", "etat"])
    assert "SYNTHÉTIQUE" in res.output
    total, synth = (int(x) for x in re.findall(r"\d+", res.output.split("Élèves :")[1])[:2])
    assert total - synth == len(PUPILS)  # the extract replaced its schools' pupils
    assert synth < 3000
    for wrong in (["--siret", "123"], ["--siret", SIRET, "--scopes", "men_tout"]):
        args = ["scolarite", "jeton", "creer", "--scopes", "men_statut_scolarite", *wrong]
        res = runner.invoke(app, args)
        assert res.exit_code == 2, res.output
    res = runner.invoke(app, ["scolarite", "jeton", "creer", "--siret", SIRET, "--scopes",
                              "men_statut_scolarite,men_statut_identite", "--expire", "90j",
                              "--intitule", "CAF de test"])  # fmt: skip
    assert res.exit_code == 0, res.output
    secret = res.output.strip().splitlines()[-1]
    token_id = res.output.split("Jeton ")[1].split()[0]
    listed = runner.invoke(app, ["scolarite", "jeton", "lister"]).output
    assert token_id in listed and secret not in listed and "valide" in listed
    settings = load_settings(environ={}, var_dir=var_dir)
    with TestClient(create_app(settings)) as client:
        headers = {"Authorization": f"Bearer {secret}"}
        ok = client.get("/v3/men/scolarites/identite", params=identity_params(PUPILS[0]),
                        headers=headers)  # fmt: skip
        assert ok.status_code == 200 and set(ok.json()["data"]) == {
            "identite", "annee_scolaire", "est_scolarise", "statut_eleve"}  # fmt: skip
        assert "ETag" not in ok.headers
        intro = client.get("/api/introspect", headers=headers)
        assert intro.json()["_id"] == token_id
        assert runner.invoke(app, ["scolarite", "jeton", "revoquer", token_id]).exit_code == 0
        revoked = client.get("/api/introspect", headers=headers)  # at once: no cache
        assert revoked.status_code == 401 and revoked.json()["errors"][0]["code"] == "00105"
        client.app.state.scolarite.close()  # type: ignore[attr-defined]
    res = runner.invoke(app, ["scolarite", "audit", "verifier"])
    assert res.exit_code == 0 and "3 entrée(s)" in res.output, res.output
    engine = make_engine(f"sqlite:///{var_dir / 'scolarite.db'}")
    with engine.begin() as conn:
        conn.execute(audit_table.update().where(audit_table.c.seq == 2).values(statut=418))
    res = runner.invoke(app, ["scolarite", "audit", "verifier"])
    assert res.exit_code == 1 and "Entrée 2 modifiée" in res.output
    assert runner.invoke(app, ["scolarite", "audit", "purger"]).exit_code == 0
    engine.dispose()


def test_synthetic_promises() -> None:
    schools = fallback_schools()
    rows = list(pupils(20_000, schools, "2025-2026", seed=11))
    cols = list(eleves.columns.keys())[1:]
    at = {c: i for i, c in enumerate(cols)}
    assert all(r[at["synthetique"]] is True for r in rows)
    assert len({r[at["identifiant"]] for r in rows}) == len(rows)
    names = [r[at["nom_naissance"]] for r in rows]
    assert any("-" in n for n in names) and any("'" in n or "’" in n for n in names)
    assert any(c in "".join(names) for c in "éèêëï")
    assert any(("Œ" in n or "œ" in n) for n in names)  # names the reference API rejects
    given = [r[at["prenom1"]] for r in rows]
    assert any("-" in g for g in given) and any(c in "".join(given) for c in "éëï")
    assert sum(1 for r in rows if r[at["nom_usage"]]) > 200
    identity = Counter(
        (r[at["nom_naissance_cle"]], r[at["prenom1"]], r[at["sexe"]], r[at["date_naissance"]],
         r[at["uai"]]) for r in rows
    )  # fmt: skip
    assert sum(1 for n in identity.values() if n > 1) >= 30  # homonyms on purpose
    by_school = Counter(r[at["uai"]] for r in rows)
    weights = {s.uai: s.pupils for s in schools}
    big, small = max(weights, key=weights.__getitem__), min(weights, key=weights.__getitem__)
    assert by_school[big] > 5 * by_school[small]  # proportional to known enrolments
    assert all(r[at["nom_naissance_cle"]] == name_key(r[at["nom_naissance"]]) for r in rows[:500])
    assert rows == list(pupils(20_000, schools, "2025-2026", seed=11))  # seeded


def test_generated_registry_is_marked_in_answers(runner: CliRunner, var_dir: Path) -> None:
    engine = make_engine(f"sqlite:///{var_dir / 'scolarite.db'}")
    with engine.connect() as conn:
        synth = conn.execute(select(eleves).where(eleves.c.synthetique.is_(True)).limit(1)).one()
    engine.dispose()
    res = runner.invoke(app, ["scolarite", "jeton", "creer", "--siret", SIRET, "--scopes",
                              "men_statut_scolarite"])  # fmt: skip
    secret = res.output.strip().splitlines()[-1]
    d = synth.date_naissance
    params = [("recipient", SIRET), ("nomNaissance", synth.nom_naissance),
              ("prenoms[]", synth.prenom1), ("sexeEtatCivil", synth.sexe),
              ("anneeDateNaissance", str(d.year)), ("moisDateNaissance", str(d.month)),
              ("jourDateNaissance", str(d.day)), ("codeEtablissement", synth.uai),
              ("anneeScolaire", synth.annee_scolaire)]  # fmt: skip
    with TestClient(create_app(load_settings(environ={}, var_dir=var_dir))) as client:
        res = client.get("/v3/men/scolarites/identite", params=params,
                         headers={"Authorization": f"Bearer {secret}"})  # fmt: skip
        client.app.state.scolarite.close()  # type: ignore[attr-defined]
    assert res.status_code in (200, 409)
    if res.status_code == 200:
        assert res.json()["meta"]["donnees_synthetiques"] is True
