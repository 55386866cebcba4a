"""S3 blob store: presigned PUTs that must carry SSE-KMS under our key, and HEAD checks after upload."""

from __future__ import annotations

import base64

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from ..domain.errors import NotFoundError
from ..services.ports import StoredObject, UploadTicket

URL_TTL_S = 900
MAX_OBJECT_BYTES = 64 * 1024 * 1024  # what the API itself reads back whole (sealed documents)


def _missing(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound")


class S3BlobStore:
    def __init__(self, bucket: str, kms_key_arn: str, region: str) -> None:
        self.bucket, self.kms_key_arn = bucket, kms_key_arn
        # SigV4 is mandatory for SSE-KMS objects on AWS (SigV2 presigned URLs are refused there).
        self.client = boto3.client("s3", region_name=region, config=Config(signature_version="s3v4"))

    def upload_ticket(self, key: str, content_type: str, max_bytes: int, sha256_hex: str | None = None) -> UploadTicket:
        """A PUT URL whose signature covers the type, encryption and (if given) checksum headers the client must send.

        With a SHA-256, S3 itself refuses a body that does not match it (moto does not check; we
        recompute the digest after upload anyway)."""
        headers = {
            "Content-Type": content_type,
            "x-amz-server-side-encryption": "aws:kms",
            "x-amz-server-side-encryption-aws-kms-key-id": self.kms_key_arn,
        }
        params = {
            "Bucket": self.bucket,
            "Key": key,
            "ContentType": content_type,
            "ServerSideEncryption": "aws:kms",
            "SSEKMSKeyId": self.kms_key_arn,
        }
        if sha256_hex is not None:
            checksum = base64.b64encode(bytes.fromhex(sha256_hex)).decode()
            headers["x-amz-checksum-sha256"] = checksum
            params["ChecksumSHA256"] = checksum
        url = self.client.generate_presigned_url("put_object", Params=params, ExpiresIn=URL_TTL_S)
        del max_bytes  # enforced after upload by head(): presigned PUTs cannot cap the length
        return UploadTicket(url=url, method="PUT", headers=headers, key=key, expires_in=URL_TTL_S)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type,
                               ServerSideEncryption="aws:kms", SSEKMSKeyId=self.kms_key_arn)

    def get(self, key: str) -> bytes:
        data = self.read(key, MAX_OBJECT_BYTES)
        if data is None:
            raise NotFoundError("no such document", field="key")
        return data

    def head(self, key: str) -> StoredObject | None:
        try:
            meta = self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _missing(exc):
                return None
            raise
        return StoredObject(
            key=key,
            size=int(meta["ContentLength"]),
            content_type=str(meta.get("ContentType", "")),
            sse=meta.get("ServerSideEncryption"),
            kms_key_id=meta.get("SSEKMSKeyId"),
        )

    def read(self, key: str, max_bytes: int) -> bytes | None:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _missing(exc):
                return None
            raise
        if int(response["ContentLength"]) > max_bytes:
            return None
        return bytes(response["Body"].read())

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)

    def download_url(self, key: str, filename: str, ttl_s: int) -> str:
        return str(self.client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket, "Key": key, "ResponseContentDisposition": f'attachment; filename="{filename}"'},
            ExpiresIn=ttl_s,
        ))
