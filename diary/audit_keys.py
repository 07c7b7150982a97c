"""The Ed25519 key that seals the audit trail: never in the database (issue 17).

Where the signing key comes from, first match wins:

1. ``AUDIT_SEAL_SIGNER``: ``package.module:callable``, called with the app's config; it
   returns an object with ``sign(data: bytes) -> bytes`` and ``public_key()`` (an
   ``Ed25519PublicKey``). This is the hook for a key service (an HSM or a cloud KMS):
   the private key then never reaches this process.
2. ``AUDIT_SEAL_KEY``: the private key itself, PEM (PKCS#8) or the base64 of its 32 raw
   bytes, from the environment.
3. ``AUDIT_SEAL_KEY_FILE`` (default ``instance/audit-seal.key``): a PEM file, created on
   first use with mode 0600, its public key written beside it (``audit-seal.pub``).

A verifier needs only the public key: ``audit verify --public-key FILE``.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import os
from pathlib import Path
from typing import Any, Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)


class Signer(Protocol):
    def sign(self, data: bytes) -> bytes: ...

    def public_key(self) -> Ed25519PublicKey: ...


class SealKeyError(ValueError):
    """A configured key that cannot be used; the message says which setting and why."""


def key_id(public: Ed25519PublicKey) -> str:
    """A short fingerprint of a public key: the first 16 hex digits of its SHA-256."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_pem(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.PEM,
                               serialization.PublicFormat.SubjectPublicKeyInfo)


def load_signer(config: dict[str, Any], *, create: bool) -> Signer | None:
    """The configured signing key; None when there is none and ``create`` is false."""
    hook = config.get("AUDIT_SEAL_SIGNER")
    if hook:
        return _from_hook(hook, config)
    if config.get("AUDIT_SEAL_KEY"):
        return _private_from_text(config["AUDIT_SEAL_KEY"], "AUDIT_SEAL_KEY")
    path = Path(config["AUDIT_SEAL_KEY_FILE"])
    if path.exists():
        return _private_from_text(path.read_text(), str(path))
    if not create:
        return None
    return _create_key_file(path)


def load_public_key(text: str, where: str) -> Ed25519PublicKey:
    """A public key from PEM or the base64 of its 32 raw bytes (``where`` names the source)."""
    try:
        if "-----BEGIN" in text:
            key = serialization.load_pem_public_key(text.encode())
        else:
            key = Ed25519PublicKey.from_public_bytes(base64.b64decode(text.strip(),
                                                                      validate=True))
    except ValueError as exc:
        raise SealKeyError(f"{where}: not an Ed25519 public key ({exc})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise SealKeyError(f"{where}: not an Ed25519 public key")
    return key


def _from_hook(hook: str, config: dict[str, Any]) -> Signer:
    module, _, name = hook.partition(":")
    try:
        factory = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError, ValueError) as exc:
        raise SealKeyError(f"AUDIT_SEAL_SIGNER={hook!r}: cannot import ({exc})") from None
    signer = factory(config)
    if not (hasattr(signer, "sign") and hasattr(signer, "public_key")):
        raise SealKeyError(f"AUDIT_SEAL_SIGNER={hook!r}: returned no sign()/public_key()")
    return signer


def _private_from_text(text: str, where: str) -> Ed25519PrivateKey:
    try:
        if "-----BEGIN" in text:
            key = serialization.load_pem_private_key(text.encode(), password=None)
        else:
            key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(text.strip(),
                                                                        validate=True))
    except ValueError as exc:
        raise SealKeyError(f"{where}: not an Ed25519 private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SealKeyError(f"{where}: not an Ed25519 private key")
    return key


def _create_key_file(path: Path) -> Ed25519PrivateKey:
    """A new key in ``path`` (0600, never overwritten: O_EXCL), its public key beside it."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return _private_from_text(path.read_text(), str(path))
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    path.with_suffix(".pub").write_bytes(public_pem(key.public_key()))
    return key
