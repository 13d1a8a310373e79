"""OneThing e-licence credentials (电子证照): build, sign, encode and verify, online or offline.

W3C Verifiable Credentials 2.0 data model, Data Integrity proofs with the ``eddsa-jcs-2022`` cryptosuite
(Ed25519 over RFC 8785 canonical JSON), W3C Bitstring Status List entries for revocation (撤销) and
suspension (暂停), an issuer trust list (可信签发机关名录) for mutual recognition across regions (互通互认),
and a compact QR payload. Everything but ``platform`` (which reads the seal keys) is pure, so the licence
service, intake, department systems and the ``onething verify`` command all verify the same way.
"""
