"""``ardoise organisations …`` and ``ardoise comptes …`` (issue #15): the operator's
commands on the SQLite default, French errors with exit code 2, a key shown once."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from ardoise.cli import app


def _run(var: Path, *args: str, input: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(
        app, list(args), env={"ARDOISE_VAR_DIR": str(var), "COLUMNS": "250"}, input=input
    )
    return result.exit_code, result.output


def test_an_operator_sets_up_an_organisation(tmp_path: Path) -> None:
    var = tmp_path / "var"
    code, out = _run(var, "organisations", "initialiser")
    assert code == 0 and "« ministere » prête" in out and "jeu(x) attribué(s)" in out
    assert _run(var, "organisations", "initialiser")[1].count("0 jeu(x)") == 1  # idempotent
    code, out = _run(
        var,
        "organisations",
        "creer",
        "depp",
        "--nom",
        "DEPP",
        "--siret",
        "13002526500013",
        "--type",
        "direction",
        "--territoire",
        "FR",
    )
    assert code == 0, out
    password = "un long mot de passe\n"
    code, out = _run(
        var, "comptes", "creer", "alice@exemple.fr", "--nom", "Alice", input=password * 2
    )
    assert code == 0, out
    assert (
        _run(var, "organisations", "membres", "ajouter", "depp", "alice@exemple.fr", "relecteur")[0]
        == 0
    )
    code, out = _run(var, "organisations", "membres", "lister", "depp")
    assert "alice@exemple.fr" in out and "relecteur" in out
    code, out = _run(var, "organisations", "cles", "creer", "depp", "--scopes", "lire,soumettre")
    secret = out.strip().splitlines()[-1]
    assert code == 0 and secret.startswith("ard_")
    code, out = _run(var, "organisations", "cles", "lister", "depp")
    assert "lire soumettre" in out and secret not in out and "active" in out
    code, out = _run(var, "organisations", "journal", "depp")
    assert all(a in out for a in ("cle.creer", "membre.ajout", "organisation")), out
    assert secret not in out and "un long mot de passe" not in out
    assert (var / "controle.db").is_file()


def test_bad_requests_get_a_french_message_and_exit_2(tmp_path: Path) -> None:
    var = tmp_path / "var"
    code, out = _run(
        var, "organisations", "creer", "x1", "--nom", "X", "--siret", "123", "--type", "region"
    )
    assert code == 2 and "SIRET « 123 » invalide" in out and "Traceback" not in out
    code, out = _run(
        var, "organisations", "membres", "ajouter", "inconnue", "a@exemple.fr", "relecteur"
    )
    assert code == 2 and "Aucun compte" in out
    code, out = _run(var, "organisations", "cles", "revoquer", "inconnue", "id")
    assert code == 2 and "Aucune organisation" in out
    code, out = _run(var, "comptes", "creer", "b@exemple.fr", input="court\ncourt\n")
    assert code == 2 and "trop court" in out


def test_an_operator_restricts_a_dataset_and_grants_access(tmp_path: Path) -> None:
    var = tmp_path / "var"
    assert _run(var, "organisations", "initialiser")[0] == 0
    code, _ = _run(
        var,
        "organisations",
        "creer",
        "lyon",
        "--nom",
        "Lyon",
        "--siret",
        "21690123100011",
        "--type",
        "commune",
    )
    assert code == 0
    assert _run(var, "acces", "restreindre", "jeu-inconnu")[0] == 2  # declared by nobody
    dataset = "fr-en-ips-ecoles-ap2022"
    code, out = _run(var, "acces", "restreindre", dataset)
    assert code == 0 and "restreint" in out
    code, out = _run(
        var, "acces", "accorder", dataset, "lyon", "--filtre", "ips >", "--masquer", "x"
    )
    assert code == 2 and "Filtre de lignes invalide" in out
    code, out = _run(
        var,
        "acces",
        "accorder",
        dataset,
        "lyon",
        "--filtre",
        'code_du_departement = "69"',
        "--masquer",
        "ips,secteur",
    )
    assert code == 0, out
    grant_id = out.split()[1]
    code, out = _run(var, "acces", "lister", dataset)
    assert code == 0 and "lyon" in out and "ips, secteur" in out
    assert _run(var, "acces", "retirer", grant_id)[0] == 0
    assert "lyon" not in _run(var, "acces", "lister", dataset)[1]
    assert _run(var, "acces", "publier", dataset)[0] == 0
    code, out = _run(var, "organisations", "journal", "ministere")
    assert "jeu.restreindre" in out and "acces.accorder" in out and "acces.retirer" in out
