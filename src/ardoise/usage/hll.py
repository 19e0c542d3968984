"""Unique visitors by HyperLogLog (Flajolet et al., 2007), salted daily.

A visitor is the pair (IP address, User-Agent) of a request. It is prefixed with a random
32-byte salt drawn when the day (UTC) starts and held in memory only, and hashed with the
interpreter's own keyed hash (SipHash-1-3 under the process's random hash key, which is
never written either; 64 bits, about 0.2 µs where BLAKE2b costs 2 µs on the cached path's
budget). When the day changes the salt is replaced and the old one is gone, so nobody (not
even the operator) can test whether a given address visited on a past day. Of the hash,
12 bits choose one of m = 4096 registers and the rest update it with the position of its
first 1 bit; only the registers (4 KiB a day, a maximum per register) are stored. The estimate is
α·m²/Σ2^−M[j], with linear counting below 5m/2; its relative standard error is
1.04/√m ≈ 1.6 %.

Each process draws its own salt (a salt shared between processes would have to be stored
somewhere). So the registers of two processes cannot be merged, and the day's estimate is
the sum of the per-process estimates: a visitor served by k processes in a day is counted k
times (behind a proxy that hashes the client address to pick a replica, a visitor stays on
one replica; keep-alive connections keep most visits on one worker).
The published figure is therefore an upper bound, documented as such.

>>> sketch = Sketch()
>>> for i in range(10_000):
...     sketch.add(f"198.51.100.{i % 250} ua-{i // 250}".encode(), salt=b"s" * 32)
>>> abs(sketch.estimate() - 10_000) < 700  # 4.4 standard errors
True
>>> Sketch.from_bytes(sketch.to_bytes()).estimate() == sketch.estimate()
True
"""

from __future__ import annotations

import math

P = 12
M = 1 << P
STANDARD_ERROR = 1.04 / math.sqrt(M)
_MASK = (1 << 64) - 1
_SHIFT = 64 - P  # the bits of a hash below its register index
_REST = (1 << _SHIFT) - 1
_ALPHA = 0.7213 / (1 + 1.079 / M)


class Sketch:
    """The m registers of one day in one process."""

    def __init__(self, registers: bytearray | None = None) -> None:
        self.registers = registers if registers is not None else bytearray(M)

    def add(self, value: bytes, salt: bytes) -> None:
        h = hash(salt + value) & _MASK
        rank = _SHIFT - (h & _REST).bit_length() + 1
        registers = self.registers
        if rank > registers[h >> _SHIFT]:
            registers[h >> _SHIFT] = rank

    def merge(self, other: Sketch) -> None:
        """The union of two sketches drawn with the same salt."""
        self.registers = bytearray(
            max(a, b) for a, b in zip(self.registers, other.registers, strict=True)
        )

    def estimate(self) -> int:
        raw = _ALPHA * M * M / sum(2.0**-r for r in self.registers)
        zeros = self.registers.count(0)
        if raw <= 2.5 * M and zeros:
            return round(M * math.log(M / zeros))
        return round(raw)

    def to_bytes(self) -> bytes:
        return bytes(self.registers)

    @classmethod
    def from_bytes(cls, data: bytes) -> Sketch:
        if len(data) != M:
            raise ValueError(f"un croquis HyperLogLog a {M} registres, pas {len(data)}")
        return cls(bytearray(data))
