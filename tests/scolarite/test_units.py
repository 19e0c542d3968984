"""Identity normalisation, SIRET checksum, limiter and enumeration guard (pure units)."""

from __future__ import annotations

import unicodedata

import pytest

from ardoise.scolarite.normalise import given_names_key, name_key
from ardoise.scolarite.siret import is_siret, luhn_ok
from ardoise.scolarite.throttle import EnumerationGuard, RateLimiter


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("Lefèvre", "LEFEVRE"),
        ("LEFÈVRE", "LEFEVRE"),
        (unicodedata.normalize("NFD", "Lefèvre"), "LEFEVRE"),
        ("O’Brien", "O BRIEN"),
        ("O'Brien", "O BRIEN"),
        ("d‘Arc", "D ARC"),
        ("Œuvrard", "OEUVRARD"),
        ("cœur", "COEUR"),
        ("Lætitia", "LAETITIA"),
        ("Strauß", "STRAUSS"),
        ("Jean-Pierre", "JEAN PIERRE"),
        ("  jean -- pierre  ", "JEAN PIERRE"),
        ("Zyśk", "ZYSK"),
        ("Nguyễn", "NGUYEN"),
        ("Ÿvette", "YVETTE"),
        ("Ørsted", "ØRSTED"),  # no decomposition: kept, upper-cased, still comparable
        ("Σοφία", "ΣΟΦΙΑ"),
        ("---", ""),
    ],
)
def test_name_key(raw: str, key: str) -> None:
    assert name_key(raw) == key


def test_given_names_key() -> None:
    assert given_names_key(["Zoé", "Marie-Ève", " "]) == "ZOE|MARIE EVE"


@pytest.mark.parametrize(
    ("siret", "ok"),
    [("13002526500013", True), ("73282932000074", True), ("73282932000075", False),
     ("35600000000001", True), ("35600000000002", False), ("abc", False)],
)  # fmt: skip
def test_siret(siret: str, ok: bool) -> None:
    assert is_siret(siret) is ok


def test_luhn() -> None:
    assert luhn_ok("79927398713") and not luhn_ok("79927398710")


def test_rate_limiter_windows() -> None:
    now = [100.2]
    limiter = RateLimiter(clock=lambda: now[0])
    decisions = [limiter.hit("t", 3) for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0]
    assert limiter.hit("other", 3).allowed  # per token
    now[0] = 101.0
    assert limiter.hit("t", 3).allowed  # next window


def test_enumeration_guard() -> None:
    now = [0.0]
    guard = EnumerationGuard(threshold=3, clock=lambda: now[0])
    for _ in range(3):
        assert not guard.check("t").flagged
        guard.miss("t")
    first = guard.check("t")
    assert first.flagged and first.delay > 0 and not first.blocked
    for _ in range(3):
        guard.miss("t")
    assert guard.check("t").blocked and guard.check("t").retry_after >= 1
    now[0] = 61.0  # the window empties
    assert not guard.check("t").flagged
