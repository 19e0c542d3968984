"""SIRET validation, re-exported from :mod:`ardoise.siret` (shared with the control plane)."""

from __future__ import annotations

from ardoise.siret import is_siret as is_siret
from ardoise.siret import luhn_ok as luhn_ok
