"""Ed25519 keys of the school certificates.

The private key lives in one PEM file under the var dir (``scolarite/certificats-ed25519.pem``,
mode 0600), created on first use; the public key is published at ``/verifier/cle-publique``
so that anyone can check a certificate offline. Signatures and keys travel as unpadded
base64url text.
"""

from __future__ import annotations

import base64
import binascii
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from ardoise.errors import ConfigError

KEY_FILE = Path("scolarite") / "certificats-ed25519.pem"


def b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64decode(text: str) -> bytes | None:
    """The bytes of unpadded base64url ``text``, or None when it is not valid base64url."""
    if (
        not text
        or len(text) > 8192
        or any(not (c.isascii() and (c.isalnum() or c in "-_")) for c in text)
    ):
        return None
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None


@dataclass(frozen=True)
class Signer:
    key: Ed25519PrivateKey

    @property
    def public(self) -> Ed25519PublicKey:
        return self.key.public_key()

    def sign(self, data: bytes) -> str:
        return b64encode(self.key.sign(data))

    def public_pem(self) -> bytes:
        return self.public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def public_raw(self) -> str:
        return b64encode(
            self.public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        )


def verify(public: Ed25519PublicKey, data: bytes, signature: str) -> bool:
    """True when ``signature`` (base64url) is ``public``'s signature of ``data``."""
    raw = b64decode(signature)
    if raw is None or len(raw) != 64:
        return False
    try:
        public.verify(raw, data)
    except InvalidSignature:
        return False
    return True


def load_or_create(var_dir: Path) -> Signer:
    """The certificate key of this var dir, generated (atomically, mode 0600) if absent."""
    path = var_dir / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)  # fails if another process created the key meanwhile
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"{path} ne contient pas une clé Ed25519.")
    return Signer(key)


def lazy(var_dir: Path) -> Callable[[], Signer]:
    """A loader of the key of ``var_dir``: read (or created) on first call, then kept."""
    lock = threading.Lock()
    box: list[Signer] = []

    def get() -> Signer:
        with lock:
            if not box:
                box.append(load_or_create(var_dir))
            return box[0]

    return get
