"""The signing test vectors (contracts/test-vectors/signing.json) are what the code does, and what an
independent implementation does from the written rules alone (docs/signing.md): a hand-written RFC 8785
canonicaliser, OpenSSL's Ed25519 (the ``cryptography`` package, not libsodium, which the platform signs with), a
hand-written murmur2. So the vectors cannot drift from the code, and the rules are enough to sign."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from aiokafka.partitioner import DefaultPartitioner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given
from hypothesis import strategies as st

from contracts import publish
from contracts.envelope import Envelope, canonical_bytes, envelope_digest
from contracts.registry import PAYLOADS, decode_payload
from contracts.topics import ALL_TOPICS, DEPARTMENT_RESULTS, TopicSpec
from exchange.chain import verify_chain
from exchange.kafka.admin import ensure_topics
from exchange.kafka.producer import Producer
from exchange.request_signing import RequestRefused, sign_request, verify_request
from exchange.signing import KeyRing, publish_key_list

VECTORS_PATH = publish.REPO_ROOT / "contracts/test-vectors/signing.json"
VECTORS: dict[str, Any] = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))
KEY = VECTORS["key"]
PKCS8_ED25519_PREFIX = bytes.fromhex("302e020100300506032b657004220420")  # RFC 8410: the seed follows
SPKI_ED25519_PREFIX = bytes.fromhex("302a300506032b6570032100")  # RFC 8410: the raw public key follows


# ---------------------------------------------------------------------------------------------------
# An independent implementation of the written rules


def jcs(value: Any) -> bytes:
    """RFC 8785 for what envelopes hold: objects, arrays, strings, integers, booleans, null."""
    return _jcs(value).encode("utf-8")


_SHORT = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _string(text: str) -> str:
    out = []
    for char in text:
        if char in _SHORT:
            out.append(_SHORT[char])
        elif ord(char) < 0x20:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _jcs(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        assert abs(value) < 2**53, "JCS numbers are IEEE 754 doubles"
        return str(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list):
        return "[" + ",".join(_jcs(v) for v in value) + "]"
    if isinstance(value, dict):
        ordered = sorted(value, key=lambda k: k.encode("utf-16-be"))  # UTF-16 code units, as RFC 8785 says
        return "{" + ",".join(f"{_string(k)}:{_jcs(value[k])}" for k in ordered) + "}"
    raise TypeError(f"not in the signed subset: {value!r}")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def murmur2(data: bytes) -> int:
    """Kafka's ``Utils.murmur2`` (Java ints), written from the Java source's description."""
    m, mask = 0x5BD1E995, 0xFFFFFFFF
    h = (0x9747B28C ^ len(data)) & mask
    whole = len(data) - len(data) % 4
    for i in range(0, whole, 4):
        k = int.from_bytes(data[i:i + 4], "little")
        k = (k * m) & mask
        k ^= k >> 24
        k = (k * m) & mask
        h = ((h * m) & mask) ^ k
    tail = data[whole:]
    if len(tail) == 3:
        h ^= tail[2] << 16
    if len(tail) >= 2:
        h ^= tail[1] << 8
    if tail:
        h ^= tail[0]
        h = (h * m) & mask
    h ^= h >> 13
    h = (h * m) & mask
    h ^= h >> 15
    return h - (1 << 32) if h & 0x80000000 else h


# ---------------------------------------------------------------------------------------------------
# The key


def test_the_key_formats_agree() -> None:
    seed, public = bytes.fromhex(KEY["seed_hex"]), bytes.fromhex(KEY["public_key_hex"])
    assert Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw) == public
    assert unb64url(KEY["public_key_base64url"]) == public
    pem_body = lambda pem: base64.b64decode("".join(pem.strip().splitlines()[1:-1]))  # noqa: E731
    assert pem_body(KEY["private_key_pem"]) == PKCS8_ED25519_PREFIX + seed
    assert pem_body(KEY["public_key_pem"]) == SPKI_ED25519_PREFIX + public


@pytest.fixture
def vector_keys(tmp_path: Path) -> KeyRing:
    """A keys directory laid out as the platform's: ``private/<holder>/<key_id>.key`` (PKCS#8),
    ``public/<key_id>.pub`` (SPKI) and the signed key list naming it."""
    (tmp_path / "private" / "tests").mkdir(parents=True)
    (tmp_path / "public").mkdir()
    (tmp_path / "private" / "tests" / f"{KEY['key_id']}.key").write_text(KEY["private_key_pem"])
    (tmp_path / "public" / f"{KEY['key_id']}.pub").write_text(KEY["public_key_pem"])
    publish_key_list(tmp_path)  # what verifiers trust: the signed key list (public/keys.json)
    return KeyRing(tmp_path, holder="tests")


# ---------------------------------------------------------------------------------------------------
# Envelopes


@pytest.mark.parametrize("vector", VECTORS["envelopes"], ids=lambda v: v["name_en"][:30])
def test_envelope_vectors_are_what_the_platform_does(vector: dict[str, Any], vector_keys: KeyRing) -> None:
    unsigned, signed = vector["unsigned"], vector["signed"]
    decode_payload(Envelope.model_validate(signed))  # a valid v1 envelope and payload
    assert canonical_bytes(unsigned) == canonical_bytes(signed) == vector["canonical_utf8"].encode()
    assert vector_keys.signer(KEY["key_id"]).sign_envelope(unsigned) == signed
    vector_keys.verify_envelope(signed)
    assert envelope_digest(signed) == vector["digest"]


@pytest.mark.parametrize("vector", VECTORS["envelopes"], ids=lambda v: v["name_en"][:30])
def test_envelope_vectors_follow_from_the_written_rules(vector: dict[str, Any]) -> None:
    signed = vector["signed"]
    canonical = jcs({k: v for k, v in signed.items() if k != "signature"})
    assert canonical == vector["canonical_utf8"].encode()
    assert hashlib.sha256(canonical).hexdigest() == vector["canonical_sha256"]
    assert signed["signature"] == {"alg": "Ed25519", "key_id": signed["source"], "value": vector["signature"]}
    signature = unb64url(vector["signature"])
    assert len(signature) == 64 and len(vector["signature"]) == 86
    assert Ed25519PrivateKey.from_private_bytes(bytes.fromhex(KEY["seed_hex"])).sign(canonical) == signature
    Ed25519PublicKey.from_public_bytes(bytes.fromhex(KEY["public_key_hex"])).verify(signature, canonical)
    assert hashlib.sha256(jcs(signed)).hexdigest() == vector["digest"]


def test_the_envelope_vectors_form_one_chain() -> None:
    first, second = (v["signed"] for v in VECTORS["envelopes"])
    assert first["chain"] == {"seq": 1, "prev": "0" * 64}
    assert second["chain"] == {"seq": 2, "prev": VECTORS["envelopes"][0]["digest"]}
    assert verify_chain([first, second]).intact


@given(st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(st.characters(blacklist_categories=("Cs",))),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.text(st.characters(max_codepoint=0xD7FF, blacklist_categories=("Cs",)), max_size=6), inner, max_size=4),
    max_leaves=16))
def test_canonical_bytes_are_jcs_for_what_envelopes_carry(data: Any) -> None:
    wire = {"id": "x", "data": {"value": data}, "signature": {"value": "ignored"}}
    assert canonical_bytes(wire) == jcs({"id": "x", "data": {"value": data}})


def _types(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["type"]} if isinstance(node.get("type"), str) else set()
        return found.union(*(_types(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_types(v) for v in node))
    return set()


def test_what_departments_send_and_receive_has_no_fractional_numbers() -> None:
    """JCS writes numbers as ECMAScript does and the platform as Python does; they agree on integers only, so the
    payloads on department topics stay integer-only and the canonical bytes stay exactly JCS."""
    department_types = {t for spec in ALL_TOPICS if spec.department or spec is DEPARTMENT_RESULTS
                        for t in spec.event_types}
    checked = [cls for cls in PAYLOADS if cls.event_type in department_types]
    assert len(checked) >= 4
    for cls in checked:
        assert "number" not in _types(cls.model_json_schema()), cls.event_type


# ---------------------------------------------------------------------------------------------------
# Signed HTTP requests


@pytest.mark.parametrize("vector", VECTORS["requests"], ids=lambda v: v["name_en"])
def test_request_vectors_are_what_the_platform_does(vector: dict[str, Any], vector_keys: KeyRing) -> None:
    body = vector["body_utf8"].encode()
    headers = sign_request(vector_keys.signer(vector["principal"]), vector["method"], vector["target"],
                           purpose=vector["purpose"], body=body, at=datetime.fromisoformat(vector["date"]),
                           request_id=vector["nonce"])
    assert headers == vector["headers"]
    identity = verify_request(vector_keys, headers, vector["method"], vector["target"], body=body,
                              now=datetime.fromisoformat(vector["date"]))
    assert (identity.principal, identity.purpose) == (vector["principal"], vector["purpose"])


@pytest.mark.parametrize("vector", VECTORS["requests"], ids=lambda v: v["name_en"])
def test_request_vectors_follow_from_the_written_rules(vector: dict[str, Any]) -> None:
    """RFC 9421 §2.5's signature base, written out by hand from docs/signing.md §5, signed with OpenSSL."""
    body = vector["body_utf8"].encode()
    headers = vector["headers"]
    assert headers["OneThing-Purpose"] == quote(vector["purpose"].encode("utf-8"), safe="")
    digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
    assert headers["Content-Digest"] == vector["content_digest"] == f"sha-256=:{digest}:"  # RFC 9530
    path, _, query = vector["target"].partition("?")
    params = ('("@method" "@path" "@query" "content-digest" "onething-purpose")'
              f';created={vector["created"]};keyid="{vector["principal"]}";nonce="{vector["nonce"]}"'
              ';alg="ed25519";tag="onething"')
    assert vector["created"] == int(datetime.fromisoformat(vector["date"]).timestamp())
    base = "\n".join([f'"@method": {vector["method"].upper()}', f'"@path": {path}', f'"@query": ?{query}',
                      f'"content-digest": sha-256=:{digest}:', f'"onething-purpose": {headers["OneThing-Purpose"]}',
                      f'"@signature-params": {params}']).encode("utf-8")
    assert base == vector["signature_base"].encode()
    assert headers["Signature-Input"] == f"onething={params}"
    signature = base64.b64decode(vector["signature_base64"])
    assert headers["Signature"] == f"onething=:{vector['signature_base64']}:"
    assert Ed25519PrivateKey.from_private_bytes(bytes.fromhex(KEY["seed_hex"])).sign(base) == signature
    Ed25519PublicKey.from_public_bytes(bytes.fromhex(KEY["public_key_hex"])).verify(signature, base)


# ---------------------------------------------------------------------------------------------------
# Partitioning


# Apache Kafka's own test of Utils.murmur2 (UtilsTest.testMurmur2): the Java client's values.
KAFKA_MURMUR2 = {b"21": -973932308, b"foobar": -790332482, b"a-little-bit-long-string": -985981536,
                 b"a-little-bit-longer-string": -1486304829,
                 b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971, b"abc": 479470107}


def test_the_murmur2_here_is_the_java_clients() -> None:
    assert {key: murmur2(key) for key in KAFKA_MURMUR2} == KAFKA_MURMUR2


@pytest.mark.parametrize("entry", VECTORS["partitioning"]["keys"], ids=lambda e: e["key"])
def test_partition_vectors_are_murmur2_and_what_the_producer_picks(entry: dict[str, Any]) -> None:
    key = entry["key"].encode()
    assert murmur2(key) == entry["murmur2"]
    for count, partition in entry["partition"].items():
        assert (murmur2(key) & 0x7FFFFFFF) % int(count) == partition
        partitions = list(range(int(count)))
        assert DefaultPartitioner()(key, partitions, partitions) == partition  # the producer's partitioner


@pytest.mark.integration
async def test_the_platform_producer_puts_each_case_where_murmur2_says(kafka_bootstrap: str, unique_name: str) -> None:
    """On the real broker: the partition each record lands on, sent one by one and in a batch (the outbox relay)."""
    spec = TopicSpec(name=f"test.{unique_name}.partitions", key="case_id", description_zh="测试", description_en="test",
                     event_types=(), partitions=6)
    await ensure_topics(kafka_bootstrap, [spec], spec.partitions)
    keys = [e["key"] for e in VECTORS["partitioning"]["keys"]] + [f"OT20261121{n:012X}" for n in range(40)]
    producer = Producer(kafka_bootstrap, client_id=unique_name)
    await producer.start()
    try:
        landed = {key: (await producer.send(spec.name, key, b"{}")).partition for key in keys}
        batch = await producer.send_batch([(spec.name, key, b"{}", []) for key in keys])
    finally:
        await producer.stop()
    expected = {key: (murmur2(key.encode()) & 0x7FFFFFFF) % 6 for key in keys}
    assert landed == expected and [m.partition for m in batch] == [expected[key] for key in keys]
    assert len(set(expected.values())) == 6  # the keys spread over every partition: the check is not vacuous


# ---------------------------------------------------------------------------------------------------
# The published document points to all of it


def test_the_asyncapi_document_specifies_signing_and_partitioning() -> None:
    document = publish.asyncapi_document()
    text = document["info"]["description"]
    for needed in ("RFC 8785", "Ed25519", "base64url", "key_id", "contracts/test-vectors/signing.json",
                   "docs/signing.md", "murmur2", "murmur2_random", "consistent_random"):
        assert needed in text, needed
    assert (publish.REPO_ROOT / "docs/signing.md").is_file()
    signing = document["x-signing"]
    assert signing["test_vectors"] == "contracts/test-vectors/signing.json" and VECTORS_PATH.is_file()
    assert document["x-partitioning"]["librdkafka"] == "partitioner=murmur2_random"


def test_the_worked_example_quotes_the_vectors() -> None:
    """docs/signing.md walks through the first envelope and request vector: its figures are the file's."""
    guide = (publish.REPO_ROOT / "docs/signing.md").read_text(encoding="utf-8")
    envelope, request = VECTORS["envelopes"][0], VECTORS["requests"][0]
    for quoted in (KEY["seed_hex"], KEY["public_key_hex"], KEY["public_key_pem"].strip(), envelope["canonical_utf8"],
                   envelope["canonical_sha256"], envelope["signature"], envelope["digest"], request["signature_base"],
                   request["signature_base64"], PKCS8_ED25519_PREFIX.hex(), SPKI_ED25519_PREFIX.hex()):
        assert quoted in guide, quoted[:60]


def test_the_gateway_guides_own_python_client_signs_as_the_platform_verifies(vector_keys: KeyRing) -> None:
    """docs/gateway.md shows a department's client without any of the platform's code: its ``signed_headers``,
    taken from the page and run as written (OpenSSL's Ed25519; the test key, so as dept.health), passes
    ``verify_request``, and a body other than the one signed does not."""
    guide = (publish.REPO_ROOT / "docs/gateway.md").read_text(encoding="utf-8")
    code = guide[guide.index("import base64, hashlib, json, time, uuid"):guide.index('target = "/departments/')]
    code = code.replace('open("dept.police.key", "rb").read()', "KEY_PEM").replace('"dept.police"', '"dept.health"')
    namespace: dict[str, Any] = {"KEY_PEM": KEY["private_key_pem"].encode()}
    exec(compile(code, "docs/gateway.md", "exec"), namespace)  # the guide's own code, on purpose
    target, body = "/departments/police/results?x=1", b'{"request_id": "r-1", "outcome": "approved"}'
    headers = namespace["signed_headers"]("POST", target, body)
    identity = verify_request(vector_keys, headers, "POST", target, body=body, now=datetime.now(UTC))
    assert (identity.principal, identity.purpose) == ("dept.health", "户口登记审批")
    with pytest.raises(RequestRefused):
        verify_request(vector_keys, headers, "POST", target, body=body + b" ", now=datetime.now(UTC))
