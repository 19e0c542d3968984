"""The operator's side of habilitations (issue #16): ``ardoise scolarite jeton creer
--habilitation`` (never beyond the grant), ``ardoise habilitations rappels`` with a
controlled clock (J-30 then J-7, once each, to the technical contact and the DPO; expiry
revokes the tokens), ``ardoise habilitations revoquer``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from ardoise.cli import app
from ardoise.controlplane import habilitations as hab
from ardoise.controlplane.database import make_engine, migrate
from ardoise.controlplane.habilitation_tokens import Registry
from ardoise.controlplane.instruction import Instruction
from ardoise.scolarite import scopes, tokens
from ardoise.settings import load_settings
from tests.controlplane.habilitation_world import DPO, PARTNER, TECH, request, seed
from tests.identity import SmtpSink


def _run(var: Path, sink: SmtpSink, *args: str) -> tuple[int, str]:
    env = {
        "ARDOISE_VAR_DIR": str(var),
        "COLUMNS": "250",
        "ARDOISE_SMTP_HOST": sink.host,
        "ARDOISE_SMTP_PORT": str(sink.port),
        "ARDOISE_SMTP_STARTTLS": "0",
    }
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.output


def _granted(var: Path, expires: datetime) -> str:
    engine = make_engine(f"sqlite:///{var / 'controle.db'}")
    migrate(engine)
    world = seed(engine)
    registry = Registry(load_settings(var_dir=var)).get
    flow = Instruction(engine, registry)
    with engine.begin() as conn:
        created = hab.create(conn, world.principal(conn, "partenaire"), PARTNER, request())
        partner, instructor = (
            world.principal(conn, "partenaire"),
            world.principal(conn, "instructeur"),
        )
    flow.submit(partner, created.id)
    flow.grant(instructor, created.id, [scopes.SCOLARITE, scopes.BOURSIER], expires)
    engine.dispose()
    return created.id


def test_the_operator_token_follows_the_grant_then_reminders_and_expiry(
    tmp_path: Path, smtp_sink: SmtpSink
) -> None:
    var = tmp_path / "var"
    start = datetime.now(UTC).replace(microsecond=0)
    hid = _granted(var, start + timedelta(days=40))

    code, out = _run(var, smtp_sink, "scolarite", "jeton", "creer", "--habilitation", hid,
                     "--scopes", f"{scopes.SCOLARITE},{scopes.REGIME}")  # fmt: skip
    assert code == 2 and "non accordé" in out and scopes.REGIME in out, out
    code, out = _run(var, smtp_sink, "scolarite", "jeton", "creer", "--habilitation", hid,
                     "--expire", "400j")  # fmt: skip
    assert code == 2 and "après l'habilitation" in out, out
    code, out = _run(var, smtp_sink, "scolarite", "jeton", "creer", "--habilitation", hid)
    assert code == 0, out
    assert tokens.well_formed(out.strip().splitlines()[-1])
    registry = Registry(load_settings(var_dir=var)).get()
    [token] = tokens.list_all(registry, hid)
    assert token.scopes == {scopes.SCOLARITE, scopes.BOURSIER} and token.siret == "23690001900019"

    def at(days: int) -> str:
        return (start + timedelta(days=days)).isoformat()

    assert (
        "Aucun rappel" in _run(var, smtp_sink, "habilitations", "rappels", "--maintenant", at(5))[1]
    )
    code, out = _run(var, smtp_sink, "habilitations", "rappels", "--maintenant", at(11))
    assert code == 0 and "Rappel J-30" in out and "envoyé" in out, out
    assert (
        "Aucun rappel"
        in _run(var, smtp_sink, "habilitations", "rappels", "--maintenant", at(12))[1]
    )
    code, out = _run(var, smtp_sink, "habilitations", "rappels", "--maintenant", at(34))
    assert code == 0 and "Rappel J-7" in out, out
    assert (
        "Aucun rappel"
        in _run(var, smtp_sink, "habilitations", "rappels", "--maintenant", at(35))[1]
    )
    reminders = [m for m in smtp_sink.wait(2) if "échéance" in str(m["Subject"])]
    assert [m["Subject"] for m in reminders] == [
        "[Ardoise] Habilitation à échéance dans 30 jours : CAF du Rhône",
        "[Ardoise] Habilitation à échéance dans 7 jours : CAF du Rhône",
    ]
    assert all(TECH in str(m["To"]) and DPO in str(m["To"]) for m in reminders)

    code, out = _run(var, smtp_sink, "habilitations", "rappels", "--maintenant", at(41))
    assert code == 0 and f"Habilitation {hid} expirée" in out, out
    [token] = tokens.list_all(registry, hid)
    assert token.revoque_le is not None
    assert smtp_sink.wait(3)[-1]["Subject"] == "[Ardoise] Habilitation expirée : CAF du Rhône"
    code, out = _run(var, smtp_sink, "habilitations", "lister")
    assert "expirée" in out and DPO not in out and TECH not in out
    code, out = _run(var, smtp_sink, "habilitations", "revoquer", hid, "--motif", "fin")
    assert code == 2 and "Impossible de révoquer une habilitation à l'état « expirée »" in out


def test_an_emergency_revocation_from_the_shell(tmp_path: Path, smtp_sink: SmtpSink) -> None:
    var = tmp_path / "var"
    hid = _granted(var, datetime.now(UTC) + timedelta(days=90))
    assert _run(var, smtp_sink, "scolarite", "jeton", "creer", "--habilitation", hid)[0] == 0
    code, out = _run(var, smtp_sink, "habilitations", "revoquer", hid, "--motif", "Fuite.")
    assert code == 0 and "révoquée" in out, out
    registry = Registry(load_settings(var_dir=var)).get()
    assert all(t.revoque_le is not None for t in tokens.list_all(registry, hid))
    code, out = _run(var, smtp_sink, "scolarite", "jeton", "creer", "--habilitation", hid)
    assert code == 2 and "validée" in out
