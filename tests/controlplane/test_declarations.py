"""Declaring a new dataset (issue #15): the descriptor is checked by the catalog's own
reader and validator before anything is accepted; hostile or wrong descriptors get a French
refusal naming the key and its line; a declared dataset belongs to the declaring
organisation, has no data until its first approved submission, and is then published in a
release where only it changes."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import Engine

from ardoise.catalog.declared import declared_dir
from ardoise.catalog.loader import load_descriptor
from ardoise.controlplane import accounts, datasets, journal, organisations
from ardoise.controlplane.database import make_engine, migrate
from ardoise.controlplane.declarations import declare
from ardoise.controlplane.errors import Conflict, ControlPlaneError, Forbidden
from ardoise.controlplane.permissions import OPERATOR, Principal
from ardoise.controlplane.submissions import SubmissionState, approve
from ardoise.release.build import build_release
from ardoise.release.changelog import release_changelog
from ardoise.release.store import ReleaseStore
from ardoise.settings import Settings
from tests.controlplane.jobs import submitted
from tests.fixtures import fake_referential

NEW = "region-84-repas"
ORG = "region-84"

DESCRIPTOR = f"""\
id: {NEW}
title: Repas servis dans les cantines
description: Nombre de repas servis par département et par rentrée.
publisher: Région Auvergne-Rhône-Alpes
licence: Licence Ouverte v2.0 (Etalab)
source_url: https://example.invalid/repas.csv
frequency: annuelle
sources:
  - path: repas.csv
fields:
  - {{name: rentree_scolaire, label: Rentrée scolaire, type: text, description: La rentrée.}}
  - {{name: code_du_departement, label: Code du département, type: text, description: Code.}}
  - name: repas_servis
    label: Repas servis
    type: int
    unit: repas
    description: Repas servis dans l'année.
key: [rentree_scolaire, code_du_departement]
school_year: {{field: rentree_scolaire, kind: rentree}}
territories: {{departement: code_du_departement}}
temporal_coverage: {{kind: rentree, years: [2022-2023]}}
spatial_coverage: {{national: true, description: France entière}}
"""

CSV = (
    "Rentrée scolaire;Code du département;Repas servis\n2022-2023;35;120000\n2022-2023;69;340000\n"
).encode()


@pytest.fixture
def published(fixture_settings: Settings) -> Settings:
    assert build_release(fixture_settings, build_referential_fn=fake_referential).published
    return fixture_settings


@pytest.fixture
def cp(published: Settings, cp_url: str) -> Engine:
    """The control plane, on SQLite and on PostgreSQL (``conftest.cp_url``)."""
    engine = make_engine(cp_url)
    migrate(engine)
    with engine.begin() as conn:
        organisations.create_organisation(
            conn, OPERATOR, id=ORG, name="Région", siret="23690001900019", type="region"
        )
    return engine


def _person(engine: Engine, email: str, *roles: str) -> Principal:
    with engine.begin() as conn:
        account = accounts.create_local_account(
            conn, OPERATOR, email=email, name=email, password="x" * 12
        )
        for role in roles:
            organisations.add_member(conn, OPERATOR, ORG, account.id, role)
        return accounts.principal_of(conn, account.id)


def test_a_declared_dataset_has_no_data_until_approved_then_only_it_changes(
    published: Settings, cp: Engine
) -> None:
    admin = _person(cp, "a@exemple.fr", "administrateur")
    contributor = _person(cp, "c@exemple.fr", "contributeur")
    reviewer = _person(cp, "r@exemple.fr", "relecteur")
    store = ReleaseStore(published.var_dir)
    before = store.current_id()
    with pytest.raises(Forbidden):  # a contributor may not declare
        declare(cp, published, contributor, ORG, DESCRIPTOR)
    ds = declare(cp, published, admin, ORG, DESCRIPTOR.encode())
    assert ds.id == NEW and ds.key == ("rentree_scolaire", "code_du_departement")
    assert load_descriptor(declared_dir(published) / f"{NEW}.yaml") == ds
    with cp.connect() as conn:
        assert datasets.owner(conn, NEW) == ORG
        entries = journal.entries(conn, OPERATOR, ORG)
    assert entries[0].action == "jeu.declarer" and entries[0].subject == NEW
    # no data yet: an ingest of everything does not publish it, nor fail on it
    build_release(published, build_referential_fn=fake_referential)
    assert NEW not in store.manifest(str(store.current_id())).datasets
    s = submitted(cp, published, contributor, NEW, io.BytesIO(CSV), "repas.csv", note="Première")
    assert s.state is SubmissionState.A_RELIRE, s.report
    assert store.current_id() == before
    done = approve(cp, published, reviewer, s.id)
    manifest = store.manifest(str(done.release_id))
    assert manifest.datasets[NEW].rows == 2
    log = release_changelog(published.releases_dir, str(done.release_id))
    assert [c.dataset_id for c in log.datasets] == [NEW]
    assert (store.releases_dir / str(done.release_id) / "catalog" / f"{NEW}.yaml").is_file()
    # a later ingest of the mirror carries it over
    again = build_release(published, build_referential_fn=fake_referential)
    assert NEW in store.manifest(str(store.current_id())).datasets, again.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (DESCRIPTOR.replace("title:", "titel:"), "clé inconnue 'titel' (ligne 2)"),
        (
            DESCRIPTOR.replace("    unit: repas\n", "    unite: repas\n"),
            "champ n°3 : clé inconnue 'unite' (ligne 16)",
        ),
        (DESCRIPTOR.replace("type: int", "type: entier"), "type 'entier' inconnu"),
        (DESCRIPTOR.replace("key: [rentree_scolaire,", "key: [annee,"), "la clé 'annee'"),
        (DESCRIPTOR.replace("frequency: annuelle\n", ""), "clés obligatoires absentes : frequency"),
        (
            DESCRIPTOR.replace("sources:\n  - path: repas.csv", "sources: repas.csv"),
            "« sources » (ligne 8) doit être une liste",
        ),
        (DESCRIPTOR.replace("path: repas.csv", "path: ../../etc/repas.csv"), "simple nom"),
        (DESCRIPTOR.replace("path: repas.csv", "path: repas.exe"), "format non pris en charge"),
        (DESCRIPTOR + "title: encore\n", "clé 'title' en double"),
        (DESCRIPTOR.replace("title: Repas", "title: [Repas"), "YAML illisible, ligne"),
        ("- une\n- liste\n", "doit être un dictionnaire YAML"),
        ('a: &a ["x","x"]\nb: &b [*a,*a]\nc: &c [*b,*b]\n', "ancres et alias"),
        ("id: !!python/object/apply:os.system ['true']\n", "étiquettes YAML"),
        ("a: " + "[" * 50 + "]" * 50 + "\n", "imbrication trop profonde"),
        ("x" * (600 * 1024), "trop volumineux"),
    ],
)
def test_wrong_or_hostile_descriptors_are_refused_in_french(
    published: Settings, cp: Engine, text: str, expected: str
) -> None:
    with pytest.raises(ControlPlaneError) as refused:
        declare(cp, published, OPERATOR, ORG, text)
    assert expected in str(refused.value)
    assert not declared_dir(published).exists() or not list(declared_dir(published).iterdir())
    with cp.connect() as conn:
        assert datasets.owner(conn, NEW) is None


def test_bad_bytes_and_taken_ids_are_refused(published: Settings, cp: Engine) -> None:
    with pytest.raises(ControlPlaneError, match="UTF-8"):
        declare(cp, published, OPERATOR, ORG, DESCRIPTOR.encode("utf-16"))
    taken = DESCRIPTOR.replace(f"id: {NEW}", "id: test-ips-ecoles")  # a catalog dataset
    with pytest.raises(Conflict, match="déjà celui d'un jeu"):
        declare(cp, published, OPERATOR, ORG, taken)
    with pytest.raises(Conflict, match="déjà celui d'un jeu"):
        declare(
            cp, published, OPERATOR, ORG, DESCRIPTOR.replace(f"id: {NEW}", "id: ardoise-usages")
        )
    declare(cp, published, OPERATOR, ORG, DESCRIPTOR)
    with pytest.raises(Conflict):  # declared twice
        declare(cp, published, OPERATOR, ORG, DESCRIPTOR)
