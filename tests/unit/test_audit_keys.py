"""Where the seal key comes from (diary/audit_keys.py): never the database."""

from __future__ import annotations

import base64
import stat

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from diary.audit_keys import SealKeyError, key_id, load_public_key, load_signer, public_pem

KEY = Ed25519PrivateKey.generate()
RAW = KEY.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                        serialization.NoEncryption())
PEM = KEY.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                        serialization.NoEncryption()).decode()


def _config(tmp_path, **settings):
    return {"AUDIT_SEAL_KEY_FILE": str(tmp_path / "audit-seal.key"), **settings}


class KeyService:
    """A stand-in for a key service: signs, and never hands out its private key."""

    def __init__(self, config):
        self._key = KEY

    def sign(self, data: bytes) -> bytes:
        return self._key.sign(data)

    def public_key(self):
        return self._key.public_key()


def key_service(config):
    return KeyService(config)


@pytest.mark.parametrize("text", [base64.b64encode(RAW).decode(), PEM])
def test_a_key_from_the_environment_base64_or_pem(tmp_path, text):
    signer = load_signer(_config(tmp_path, AUDIT_SEAL_KEY=text), create=True)
    assert key_id(signer.public_key()) == key_id(KEY.public_key())
    assert not (tmp_path / "audit-seal.key").exists()


def test_a_key_service_hook_wins(tmp_path):
    signer = load_signer(_config(tmp_path, AUDIT_SEAL_SIGNER=f"{__name__}:key_service",
                                 AUDIT_SEAL_KEY="ignored"), create=True)
    assert isinstance(signer, KeyService)


def test_the_key_file_is_created_once_private_with_its_public_key_beside(tmp_path):
    config = _config(tmp_path)
    assert load_signer(config, create=False) is None
    first = load_signer(config, create=True)
    path = tmp_path / "audit-seal.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = load_signer(config, create=True)
    assert key_id(first.public_key()) == key_id(again.public_key())
    public = load_public_key((tmp_path / "audit-seal.pub").read_text(), "pub")
    assert key_id(public) == key_id(first.public_key())


@pytest.mark.parametrize("settings, named", [
    ({"AUDIT_SEAL_KEY": "not base64!"}, "AUDIT_SEAL_KEY"),
    ({"AUDIT_SEAL_KEY": base64.b64encode(b"short").decode()}, "AUDIT_SEAL_KEY"),
    ({"AUDIT_SEAL_SIGNER": "no.such.module:signer"}, "AUDIT_SEAL_SIGNER"),
])
def test_an_unusable_key_setting_is_named(tmp_path, settings, named):
    with pytest.raises(SealKeyError, match=named):
        load_signer(_config(tmp_path, **settings), create=True)


def test_a_public_key_reads_from_pem_or_base64():
    pem = public_pem(KEY.public_key()).decode()
    raw = KEY.public_key().public_bytes(serialization.Encoding.Raw,
                                        serialization.PublicFormat.Raw)
    for text in (pem, base64.b64encode(raw).decode()):
        assert key_id(load_public_key(text, "x")) == key_id(KEY.public_key())
    with pytest.raises(SealKeyError, match="x: not an Ed25519 public key"):
        load_public_key("AAAA", "x")
