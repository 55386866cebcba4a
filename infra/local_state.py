"""Local data that survives a restart: one snapshot of every moto backend `make run` uses, kept in a file under run/.

moto keeps everything in Python objects. Replaying recorded requests cannot restore them (a replayed CreateKey makes a
new random KMS key, so earlier signatures and sealed data would no longer verify or open), so the snapshot is the
backend objects themselves, pickled: DynamoDB items, KMS key material, S3 objects, Cognito users and passwords, IAM
roles, and any other service the stack touches (moto lists the backends in use). Private keys, which cryptography's
objects cannot pickle, are written as DER and loaded back as the same keys.

The file is a one-line JSON header (format, schema, moto and Python versions, a SHA-256 of the body) and the pickle.
It is written atomically (temporary file, fsync, rename), so a crash leaves the previous snapshot or the new one,
never half of one. A file this code cannot use (another moto, another schema, a damaged body) is moved aside and the
stack starts fresh, saying why. Unpickling runs code: the file is created mode 600, and one that others could have
written is not loaded. It is trusted local data, like the code in the work tree.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import moto
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa, x448, x25519
from moto.core.base_backend import BackendDict

FORMAT = "carparker-local-state"
SCHEMA = 1  # bump when the payload's layout changes: older files then start fresh instead of failing to load
PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"

PRIVATE_KEYS = (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey, dsa.DSAPrivateKey, ed25519.Ed25519PrivateKey,
                ed448.Ed448PrivateKey, x25519.X25519PrivateKey, x448.X448PrivateKey)
PUBLIC_KEYS = (rsa.RSAPublicKey, ec.EllipticCurvePublicKey, dsa.DSAPublicKey, ed25519.Ed25519PublicKey,
               ed448.Ed448PublicKey, x25519.X25519PublicKey, x448.X448PublicKey)
LOCKS = ((type(threading.Lock()), threading.Lock), (type(threading.RLock()), threading.RLock))

Backends = dict[tuple[str, str], dict[str, dict[str, Any]]]  # (module, name of its BackendDict) -> account -> region -> backend


class StateError(Exception):
    """A state file this code will not load; the message says why, for the person running `make run`."""


@dataclass
class Snapshot:
    backends: Backends
    stack: dict[str, Any]  # what applying the template made (apply_local.Applied.to_dict())
    extra: dict[str, Any] = field(default_factory=dict)  # the launcher's own records, such as the demo data's ids
    header: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------- moto's backends in, and out


def _locator(backends: BackendDict[Any]) -> tuple[str, str]:
    module = sys.modules[backends.backend.__module__]
    for name, value in vars(module).items():
        if value is backends:
            return module.__name__, name
    raise StateError(f"cannot find the module attribute that holds moto's {backends.service_name} backends")


def capture() -> Backends:
    """Every backend moto has created, by the module attribute that holds it. Call it while requests are held."""
    return {_locator(bd): {account: dict(regions) for account, regions in bd.items()} for bd in list(BackendDict._instances)}  # type: ignore[misc]


def install(backends: Backends) -> list[str]:
    """Put captured backends in place of the ones moto would create; returns the services restored."""
    import importlib

    services = []
    for (module, name), accounts in backends.items():
        bd = getattr(importlib.import_module(module), name)
        for account, regions in accounts.items():
            holder = bd[account]  # moto creates the account's (empty) holder and lists the service as in use
            for region, backend in regions.items():
                holder[region] = backend
        services.append(bd.service_name)
    return sorted(services)


def private_key(der: bytes) -> Any:
    """The key a snapshot wrote as DER (cryptography's own loaders are not importable by pickle)."""
    return serialization.load_der_private_key(der, None)


def public_key(der: bytes) -> Any:
    return serialization.load_der_public_key(der)


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, PRIVATE_KEYS):
            der = obj.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
            return private_key, (der,)
        if isinstance(obj, PUBLIC_KEYS):
            return public_key, (obj.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo),)
        for kind, make in LOCKS:
            if isinstance(obj, kind):
                return make, ()  # a lock is held by nobody after a restart
        return NotImplemented


def encode(snapshot: Snapshot, changes: int) -> bytes:
    """The file's bytes: a JSON header line, then the pickle it describes."""
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump({"backends": snapshot.backends, "stack": snapshot.stack,
                                                            "extra": snapshot.extra})
    body = buffer.getvalue()
    header = {**stamp(), "saved_at": datetime.now(UTC).isoformat(timespec="milliseconds"), "changes": changes,
              "bytes": len(body), "sha256": hashlib.sha256(body).hexdigest()}
    return json.dumps(header, sort_keys=True).encode() + b"\n" + body


def stamp() -> dict[str, Any]:
    return {"format": FORMAT, "schema": SCHEMA, "moto": moto.__version__, "python": PYTHON}


def read_header(data: bytes) -> dict[str, Any]:
    line, newline, _ = data.partition(b"\n")
    try:
        header = json.loads(line) if newline else None
    except ValueError:
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise StateError("it is not a CarParker state file (no header line)")
    return header


def decode(data: bytes) -> Snapshot:
    header = read_header(data)
    written = {k: header.get(k) for k in ("schema", "moto", "python")}
    current = {k: v for k, v in stamp().items() if k in written}
    if written != current:
        raise StateError(f"it was written by moto {written['moto']} on Python {written['python']} (state schema {written['schema']}); "
                         f"this is moto {current['moto']} on Python {current['python']} (schema {current['schema']})")
    body = data[data.index(b"\n") + 1:]
    if len(body) != header.get("bytes") or hashlib.sha256(body).hexdigest() != header.get("sha256"):
        raise StateError("it is damaged: its contents do not match the checksum in its header")
    try:
        payload = pickle.loads(body)  # trusted local data: see the module's docstring and check_private()
        return Snapshot(payload["backends"], payload["stack"], payload.get("extra", {}), header)
    except Exception as exc:  # whatever the pickle holds, a file that does not load starts fresh, never a crash
        raise StateError(f"it could not be loaded ({type(exc).__name__}: {exc})") from exc


# ---------------------------------------------------------------- the file


def write_atomically(path: Path, data: bytes) -> None:
    """Write a temporary file beside `path`, fsync it, rename it over `path`, fsync the directory: after a crash the
    file is the old one or the new one, whole."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # the mode given to os.open applies only to a file it creates
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def check_private(path: Path) -> None:
    """Unpickling runs code: load only a file that this user owns and nobody else could have written."""
    st = path.stat()
    if st.st_uid != os.getuid():
        raise StateError(f"it belongs to another user (uid {st.st_uid})")
    if st.st_mode & 0o022:
        raise StateError(f"others may write it (mode {st.st_mode & 0o777:o}); unpickling it would run their code. "
                         "If you trust it, `chmod 600` it and start again")


class StateFile:
    """Where the snapshot lives (run/local-state.pickle), and what happens to a file that cannot be used."""

    def __init__(self, path: Path, say: Callable[[str], None] = print) -> None:
        self.path = path
        self.say = say

    @property
    def rejected(self) -> Path:
        return self.path.with_name(self.path.stem + ".rejected")

    def load(self) -> Snapshot | None:
        """The saved snapshot, or None (no file, or one that cannot be used: it is moved aside and the reason said)."""
        for stale in self.path.parent.glob(f".{self.path.name}.*.tmp"):  # a snapshot cut short by a kill -9
            stale.unlink(missing_ok=True)
        if not self.path.exists():
            return None
        try:
            check_private(self.path)
            return decode(self.path.read_bytes())
        except (StateError, OSError) as exc:
            self.reject(str(exc))
            return None

    def reject(self, reason: str) -> None:
        """Move the file aside (never delete someone's data silently) and say why the stack starts fresh."""
        try:
            os.replace(self.path, self.rejected)
            kept = f"it is kept as {self.rejected}"
        except OSError as exc:
            kept = f"it could not be moved aside ({exc})"
        self.say(f"Local state in {self.path} is not used: {reason}. Starting with a fresh stack; {kept}.")

    def save(self, data: bytes) -> None:
        write_atomically(self.path, data)


class Snapshotter:
    """Saves a snapshot every `interval_s` seconds if anything changed since the last one, and once more at stop.

    `take` returns the change count and the file's bytes, captured while moto holds its requests; the file is written
    after the hold ends, so requests wait only for the pickling, not for the disk."""

    def __init__(self, state: StateFile, take: Callable[[], tuple[int, bytes]], changes: Callable[[], int],
                 interval_s: float, say: Callable[[str], None] = print) -> None:
        self.state = state
        self.take = take
        self.changes = changes
        self.interval_s = interval_s
        self.say = say
        self.saved: int | None = None
        self.failure: str | None = None
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="local-state", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _run(self) -> None:
        while not self.stopping.wait(self.interval_s):
            self.save_if_changed()

    def save_if_changed(self) -> bool:
        if self.saved is not None and self.changes() == self.saved:
            return False
        try:
            changes, data = self.take()
            self.state.save(data)
        except Exception as exc:  # a snapshot that fails is said once and tried again next time; the stack goes on
            message = f"local state not saved: {type(exc).__name__}: {exc}"
            if message != self.failure:
                self.say(message)
            self.failure = message
            return False
        self.saved, self.failure = changes, None
        return True

    def stop(self) -> bool:
        """Stop the periodic snapshots and save the last changes; True if a snapshot was written now."""
        self.stopping.set()
        if self.thread.is_alive():
            self.thread.join()
        self.failure = None  # a failure of the last snapshot is said again
        return self.save_if_changed()

