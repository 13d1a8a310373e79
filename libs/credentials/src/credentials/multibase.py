"""Multibase text encodings used by Data Integrity proofs and status lists.

* ``z`` + base58btc: proof values and Ed25519 public keys as Multikey (multicodec ``0xed01`` prefix).
* ``u`` + base64url without padding: the Bitstring Status List's ``encodedList``.
* base45 (RFC 9285): the QR payload, because QR alphanumeric mode packs its alphabet densely.
"""

from __future__ import annotations

import base64

__all__ = [
    "BASE45_ALPHABET",
    "b45decode",
    "b45encode",
    "b64url_decode",
    "b64url_encode",
    "base58btc_decode",
    "base58btc_encode",
    "multikey_decode",
    "multikey_encode",
]

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {char: index for index, char in enumerate(_B58)}
_B58_SQUARE = 58 * 58
_B58_PAIRS = [a + b for a in _B58 for b in _B58]  # value → two digits
_B58_PAIR_INDEX = {pair: value for value, pair in enumerate(_B58_PAIRS)}
_ED25519_PUB = b"\xed\x01"
BASE45_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"  # = QR alphanumeric mode
_B45_INDEX = {char: index for index, char in enumerate(BASE45_ALPHABET)}


def base58btc_encode(data: bytes) -> str:
    """Multibase ``z`` text of ``data``."""
    number = int.from_bytes(data, "big")
    out = []
    while number:  # two digits per step: half the big-integer divisions
        number, rem = divmod(number, _B58_SQUARE)
        out.append(_B58_PAIRS[rem])
    text = "".join(reversed(out)).lstrip("1")
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "z" + "1" * zeros + text


def base58btc_decode(text: str) -> bytes:
    """Bytes of a multibase ``z`` text; ``ValueError`` when it is not one."""
    if not text.startswith("z"):
        raise ValueError("not a base58btc multibase value (must start with 'z')")
    body = text[1:]
    try:
        number = _B58_INDEX[body[0]] if len(body) % 2 else 0
        for i in range(len(body) % 2, len(body), 2):  # two digits per step (verification speed)
            number = number * _B58_SQUARE + _B58_PAIR_INDEX[body[i : i + 2]]
    except KeyError as exc:
        raise ValueError(f"invalid base58 character in {exc.args[0]!r}") from None
    zeros = len(body) - len(body.lstrip("1"))
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + raw


def multikey_encode(public_key: bytes) -> str:
    """An Ed25519 public key (32 bytes) as ``publicKeyMultibase`` (``z6Mk…``)."""
    if len(public_key) != 32:
        raise ValueError("an Ed25519 public key has 32 bytes")
    return base58btc_encode(_ED25519_PUB + public_key)


def multikey_decode(text: str) -> bytes:
    """The 32 raw bytes of an Ed25519 ``publicKeyMultibase``."""
    raw = base58btc_decode(text)
    if len(raw) != 34 or not raw.startswith(_ED25519_PUB):
        raise ValueError("not an Ed25519 Multikey")
    return raw[2:]


def b64url_encode(data: bytes) -> str:
    """Multibase ``u`` text of ``data``."""
    return "u" + base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    if not text.startswith("u"):
        raise ValueError("not a base64url multibase value (must start with 'u')")
    body = text[1:]
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))


def b45encode(data: bytes) -> str:
    """RFC 9285 base45."""
    out = []
    for i in range(0, len(data) - 1, 2):
        number = data[i] * 256 + data[i + 1]
        number, c = divmod(number, 45)
        e, d = divmod(number, 45)
        out.append(BASE45_ALPHABET[c] + BASE45_ALPHABET[d] + BASE45_ALPHABET[e])
    if len(data) % 2:
        d, c = divmod(data[-1], 45)
        out.append(BASE45_ALPHABET[c] + BASE45_ALPHABET[d])
    return "".join(out)


def b45decode(text: str) -> bytes:
    """RFC 9285 base45; ``ValueError`` on a character outside the alphabet or a bad length."""
    try:
        digits = [_B45_INDEX[char] for char in text]
    except KeyError as exc:
        raise ValueError(f"invalid base45 character {exc.args[0]!r}") from None
    if len(digits) % 3 == 1:
        raise ValueError("invalid base45 length")
    out = bytearray()
    for i in range(0, len(digits), 3):
        chunk = digits[i : i + 3]
        if len(chunk) == 3:
            number = chunk[0] + chunk[1] * 45 + chunk[2] * 45 * 45
            if number > 0xFFFF:
                raise ValueError("invalid base45 triple")
            out += number.to_bytes(2, "big")
        else:
            number = chunk[0] + chunk[1] * 45
            if number > 0xFF:
                raise ValueError("invalid base45 pair")
            out.append(number)
    return bytes(out)
