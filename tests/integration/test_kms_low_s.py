"""KMS Sign returns either of the two valid ECDSA values of s (AWS KMS does not normalise, and neither does moto);
the format allows only s <= n/2, so the validator signer normalises what KMS returns."""

from __future__ import annotations

import base64

import boto3
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from chalicelib import config
from chalicelib.adapters.validators import KmsKeyDirectory, KmsSigner
from chalicelib.domain.quorum import load_p256_public_key, signature_is_valid
from chalicelib.verify import P256_HALF_ORDER

PAYLOAD = b"carparker-ledger-block-v1\n{}"
SIGNATURES = 32  # all 32 raw KMS signatures low by chance: 1 in 2^32


def test_kms_gives_high_s_signatures_and_the_validator_signer_never_does(stack: object) -> None:
    arn = config.validator_key_arns()[0]
    kms = boto3.client("kms", region_name=config.region())
    raw = [kms.sign(KeyId=arn.rsplit("key/", 1)[-1], Message=PAYLOAD, MessageType="RAW",
                    SigningAlgorithm="ECDSA_SHA_256")["Signature"] for _ in range(SIGNATURES)]
    assert any(decode_dss_signature(der)[1] > P256_HALF_ORDER for der in raw)

    signer = KmsSigner(arn, config.region())
    key = load_p256_public_key(KmsKeyDirectory([arn], config.region()).public_keys()[0][1])
    for _ in range(SIGNATURES):
        der = signer.sign(PAYLOAD)
        assert decode_dss_signature(der)[1] <= P256_HALF_ORDER
        assert signature_is_valid(key, PAYLOAD, base64.b64encode(der).decode())
