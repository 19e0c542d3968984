"""SIRET validation, shared by the enrolment registry and the control plane: 14 digits
and a Luhn checksum (La Poste's establishments, SIREN 356000000, use the sum of digits
modulo 5 instead, as in API Particulier)."""

from __future__ import annotations

_LA_POSTE = "356000000"


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def is_siret(value: str) -> bool:
    if len(value) != 14 or not value.isascii() or not value.isdigit():
        return False
    if value.startswith(_LA_POSTE):
        return sum(int(c) for c in value) % 5 == 0
    return luhn_ok(value)
