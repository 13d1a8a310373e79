"""exchange.ed25519: the key files are the PEM forms every other toolkit reads and writes (checked against OpenSSL
through the ``cryptography`` package), and signatures verify across the two implementations."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import generate_private_key as rsa_key

from exchange.ed25519 import KeyFormatError, SigningKey, VerifyKey


def test_keys_written_by_openssl_are_read_and_sign_alike() -> None:
    theirs = Ed25519PrivateKey.generate()
    pem = theirs.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                               serialization.NoEncryption())
    public_pem = theirs.public_key().public_bytes(serialization.Encoding.PEM,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo)
    ours = SigningKey.from_pem(pem)

    assert ours.sign(b"data") == theirs.sign(b"data")  # Ed25519 is deterministic
    assert VerifyKey.from_pem(public_pem) == ours.public_key
    assert ours.to_pem() == pem and ours.public_key.to_pem() == public_pem  # byte for byte, both ways


def test_keys_written_here_are_read_by_openssl() -> None:
    ours = SigningKey.generate()
    theirs = serialization.load_pem_private_key(ours.to_pem(), password=None)
    public = serialization.load_pem_public_key(ours.public_key.to_pem())
    assert isinstance(theirs, Ed25519PrivateKey) and isinstance(public, Ed25519PublicKey)

    public.verify(ours.sign(b"envelope"), b"envelope")  # raises if not
    assert ours.public_key.verifies(theirs.sign(b"envelope"), b"envelope")


def test_a_wrong_signature_does_not_verify() -> None:
    key = SigningKey.generate()
    signature = key.sign(b"case OT1")
    assert key.public_key.verifies(signature, b"case OT1")
    assert not key.public_key.verifies(signature, b"case OT2")
    assert not SigningKey.generate().public_key.verifies(signature, b"case OT1")
    assert not key.public_key.verifies(signature[:-1], b"case OT1")  # not 64 bytes


def test_other_keys_and_damaged_files_are_refused_with_a_reason() -> None:
    rsa_pem = rsa_key(public_exponent=65537, key_size=1024).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    with pytest.raises(KeyFormatError, match="not an Ed25519 key"):
        SigningKey.from_pem(rsa_pem)
    with pytest.raises(KeyFormatError, match="not a PEM PUBLIC KEY"):
        VerifyKey.from_pem(SigningKey.generate().to_pem())  # a private key where a public one belongs
    with pytest.raises(KeyFormatError, match="32"):
        VerifyKey(b"short")
