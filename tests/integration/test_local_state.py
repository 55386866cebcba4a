"""Local state (infra/local_state.py): moto's backend objects written to a file and read back as the same keys and
data; a file that cannot be used is moved aside with a reason, never loaded half; the template applied again over a
restored stack creates only what is new. The launcher's restart is tested end to end in tests/e2e."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import boto3
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from moto.kms.models import KmsBackend
from moto.s3.models import FakeKey

from infra import apply_local, local_state
from infra.local_state import Snapshot, Snapshotter, StateError, StateFile, decode, encode, write_atomically
from infra.localstack import REGION, changes_state

ACCOUNT = "123456789012"
KMS = ("moto.kms.models", "kms_backends")


def roundtrip(backends: dict[Any, Any]) -> dict[Any, Any]:
    return decode(encode(Snapshot(backends, {"prefix": "p"}, {"demo": {"id": "x"}}), changes=1)).backends


def test_kms_keys_survive_as_keys() -> None:
    kms = KmsBackend(REGION, ACCOUNT)
    signer = kms.create_key(None, "SIGN_VERIFY", "ECC_NIST_P256", "validator", None)
    rsa = kms.create_key(None, "SIGN_VERIFY", "RSA_2048", "rsa", None)
    data = kms.create_key(None, "ENCRYPT_DECRYPT", "SYMMETRIC_DEFAULT", "data", None)
    message = b"block header"
    _, before, _ = kms.sign(signer.id, message, "ECDSA_SHA_256")
    _, rsa_before, _ = kms.sign(rsa.id, message, "RSASSA_PSS_SHA_256")
    sealed, _ = kms.encrypt(data.id, b"plate NL01AB", {"purpose": "test"})

    restored: KmsBackend = roundtrip({KMS: {ACCOUNT: {REGION: kms}}})[KMS][ACCOUNT][REGION]

    assert restored.verify(signer.id, message, before, "ECDSA_SHA_256")[1]  # a signature made before still verifies
    assert restored.verify(rsa.id, message, rsa_before, "RSASSA_PSS_SHA_256")[1]
    _, after, _ = restored.sign(signer.id, message, "ECDSA_SHA_256")
    signer.private_key.private_key.public_key().verify(after, message, ec.ECDSA(hashes.SHA256()))  # same key signs after
    assert restored.decrypt(sealed, {"purpose": "test"})[0] == b"plate NL01AB"  # sealed data still opens
    assert restored.describe_key(signer.id).arn == signer.arn


def test_s3_objects_keep_their_bytes() -> None:
    blob = FakeKey("photos/1.jpg", b"\xff\xd8 jpeg bytes", account_id=ACCOUNT, region_name=REGION, bucket_name="b")
    restored = roundtrip({("moto.s3.models", "s3_backends"): {ACCOUNT: {"aws": {"key": blob}}}})
    again = restored[("moto.s3.models", "s3_backends")][ACCOUNT]["aws"]["key"]
    assert again.value == b"\xff\xd8 jpeg bytes" and again.etag == blob.etag
    with again.lock:  # a fresh, unheld lock
        pass


def test_locks_and_keys_held_outside_moto_classes_pickle_too() -> None:
    import threading

    from cryptography.hazmat.primitives.asymmetric import ed25519

    key = ed25519.Ed25519PrivateKey.generate()
    restored = roundtrip({("m", "n"): {ACCOUNT: {REGION: {"lock": threading.Lock(), "rlock": threading.RLock(), "key": key,
                                                           "public": key.public_key()}}}})[("m", "n")][ACCOUNT][REGION]
    assert restored["lock"].acquire(blocking=False) and restored["rlock"].acquire(blocking=False)
    restored["public"].verify(restored["key"].sign(b"m"), b"m")
    key.public_key().verify(restored["key"].sign(b"m"), b"m")


def test_a_snapshot_of_the_stack_holds_every_backend_it_uses(stack: Any) -> None:
    taken = decode(stack.snapshot()[1])
    services = {module.split(".")[1] for module, _ in taken.backends}
    assert {"dynamodb", "kms", "s3", "cognitoidp", "iam"} <= services
    assert taken.stack["outputs"] == stack.applied.outputs
    assert taken.header["moto"] == local_state.moto.__version__ and taken.header["schema"] == local_state.SCHEMA


def state_file(tmp_path: Path, said: list[str]) -> StateFile:
    return StateFile(tmp_path / "local-state.pickle", said.append)


def good_bytes() -> bytes:
    return encode(Snapshot({}, {"prefix": "p"}, {"demo": {"CP_DEMO_CARPARK": "cp1"}}), changes=3)


def test_a_saved_file_loads_back_private_to_the_user(tmp_path: Path) -> None:
    said: list[str] = []
    state = state_file(tmp_path, said)
    state.path.write_bytes(b"old")
    os.chmod(state.path, 0o644)
    state.save(good_bytes())
    assert stat.S_IMODE(state.path.stat().st_mode) == 0o600
    loaded = state.load()
    assert loaded is not None and loaded.extra == {"demo": {"CP_DEMO_CARPARK": "cp1"}} and loaded.header["changes"] == 3
    assert said == []


def with_header(data: bytes, **changes: Any) -> bytes:
    line, _, body = data.partition(b"\n")
    return json.dumps({**json.loads(line), **changes}).encode() + b"\n" + body


@pytest.mark.parametrize(("damage", "reason"), [
    (lambda data: with_header(data, moto="4.0.0"), "written by moto 4.0.0"),
    (lambda data: with_header(data, schema=0), "state schema 0"),
    (lambda data: with_header(data, python="3.9"), "on Python 3.9"),
    (lambda data: data[:-10], "damaged"),
    (lambda data: data[:-1] + bytes([data[-1] ^ 1]), "damaged"),
    (lambda data: b"\x80\x04garbage", "not a CarParker state file"),
    (lambda data: b"", "not a CarParker state file"),
])
def test_a_file_that_cannot_be_used_is_moved_aside_and_the_stack_starts_fresh(tmp_path: Path, damage: Any, reason: str) -> None:
    said: list[str] = []
    state = state_file(tmp_path, said)
    damaged = damage(good_bytes())
    write_atomically(state.path, damaged)
    assert state.load() is None
    assert len(said) == 1 and reason in said[0] and "Starting with a fresh stack" in said[0], said
    assert not state.path.exists() and state.rejected.read_bytes() == damaged


def test_the_version_mismatch_message_names_both_versions(tmp_path: Path) -> None:
    with pytest.raises(StateError, match=rf"moto 4\.0\.0 .*this is moto {local_state.moto.__version__}"):
        decode(with_header(good_bytes(), moto="4.0.0"))


def test_a_file_others_could_write_is_not_unpickled(tmp_path: Path) -> None:
    said: list[str] = []
    state = state_file(tmp_path, said)
    state.save(good_bytes())
    os.chmod(state.path, 0o666)
    assert state.load() is None
    assert "others may write it (mode 666)" in said[0]


def test_a_write_that_fails_leaves_the_previous_snapshot_whole(tmp_path: Path) -> None:
    state = state_file(tmp_path, [])
    saved = good_bytes()
    state.save(saved)
    with pytest.raises(TypeError):
        write_atomically(state.path, "not bytes")  # type: ignore[arg-type]
    assert state.path.read_bytes() == saved
    assert [p.name for p in tmp_path.iterdir()] == ["local-state.pickle"]


def test_a_temporary_file_left_by_a_kill_is_ignored_and_removed(tmp_path: Path) -> None:
    state = state_file(tmp_path, [])
    state.save(good_bytes())
    half = tmp_path / ".local-state.pickle.4242.tmp"
    half.write_bytes(good_bytes()[:100])
    assert state.load() is not None
    assert not half.exists()


def test_snapshots_are_written_only_when_something_changed_and_once_more_at_stop(tmp_path: Path) -> None:
    said: list[str] = []
    state = state_file(tmp_path, said)
    counter = {"changes": 0, "takes": 0, "fail": False}

    def take() -> tuple[int, bytes]:
        counter["takes"] += 1
        if counter["fail"]:
            raise RuntimeError("cannot pickle a socket")
        return counter["changes"], good_bytes()

    snapshots = Snapshotter(state, take, lambda: counter["changes"], interval_s=3600, say=said.append)
    assert snapshots.save_if_changed() and state.path.exists()
    assert not snapshots.save_if_changed() and counter["takes"] == 1  # nothing changed: nothing taken
    counter["changes"], counter["fail"] = 5, True
    assert not snapshots.save_if_changed() and not snapshots.save_if_changed()
    assert said == ["local state not saved: RuntimeError: cannot pickle a socket"]  # said once, tried each time
    counter["fail"] = False
    snapshots.start()
    assert snapshots.stop() and snapshots.saved == 5  # the last changes are saved at stop


def test_the_template_applied_over_a_restored_stack_creates_only_what_is_new(stack: Any) -> None:
    import uuid

    prefix = f"st-{uuid.uuid4().hex[:8]}"
    first = apply_local.apply_stack(prefix, REGION)
    again = apply_local.apply_stack(prefix, REGION, previous=apply_local.Applied.from_dict(first.to_dict()))
    assert again.outputs == first.outputs  # creating an existing table, pool or alias again would have raised

    template = apply_local.load_template()
    extra = {"Type": "AWS::DynamoDB::Table", "Properties": {
        "TableName": {"Fn::Sub": "${Prefix}-extra"}, "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}}
    grown = {**template, "Resources": {**template["Resources"], "ExtraTable": extra}}
    after = apply_local.apply_stack(prefix, REGION, grown, previous=again)
    assert boto3.client("dynamodb", region_name=REGION).describe_table(TableName=f"{prefix}-extra")["Table"]["TableStatus"]
    assert "ExtraTable" in after.digests and after.outputs == first.outputs

    changed = json.loads(json.dumps(grown))
    changed["Resources"]["ExtraTable"]["Properties"]["AttributeDefinitions"][0]["AttributeType"] = "N"
    with pytest.raises(apply_local.StackChanged, match="ExtraTable"):
        apply_local.apply_stack(prefix, REGION, changed, previous=after)
    with pytest.raises(apply_local.StackChanged, match="ExtraTable"):
        apply_local.apply_stack(prefix, REGION, template, previous=after)  # a resource removed from the template


@pytest.mark.parametrize(("environ", "changes"), [
    ({"REQUEST_METHOD": "GET", "PATH_INFO": "/bucket/key"}, False),
    ({"REQUEST_METHOD": "HEAD"}, False),
    ({"REQUEST_METHOD": "POST", "HTTP_X_AMZ_TARGET": "DynamoDB_20120810.Query"}, False),
    ({"REQUEST_METHOD": "POST", "HTTP_X_AMZ_TARGET": "DynamoDB_20120810.TransactGetItems"}, False),
    ({"REQUEST_METHOD": "POST", "HTTP_X_AMZ_TARGET": "TrentService.Sign"}, False),
    ({"REQUEST_METHOD": "POST", "HTTP_X_AMZ_TARGET": "TrentService.Decrypt"}, False),
    ({"REQUEST_METHOD": "POST", "HTTP_X_AMZ_TARGET": "DynamoDB_20120810.PutItem"}, True),
    ({"REQUEST_METHOD": "POST", "HTTP_X_AMZ_TARGET": "DynamoDB_20120810.TransactWriteItems"}, True),
    ({"REQUEST_METHOD": "POST", "HTTP_X_AMZ_TARGET": "AWSCognitoIdentityProviderService.InitiateAuth"}, True),
    ({"REQUEST_METHOD": "PUT", "PATH_INFO": "/bucket/key"}, True),
    ({"REQUEST_METHOD": "POST"}, True),  # IAM, STS: the action is in the body, so it counts as a change
])
def test_only_requests_that_may_change_a_backend_count_as_changes(environ: dict[str, str], changes: bool) -> None:
    assert changes_state(environ) is changes
