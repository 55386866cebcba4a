"""`python -m chalicelib.cli verify-bundle` as an auditor runs it, in a subprocess."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib.cli import SUBCOMMANDS
from tests.unit.bundle_factory import (
    dump,
    make_bundle,
    make_ledger,
    make_zip,
    validator_set,
)

ROOT = Path(__file__).resolve().parents[2]
LEDGER = make_ledger()
AWS_PACKAGES = ("boto3", "botocore", "chalice", "pynamodb", "aws_encryption_sdk")
CORE_FILES = ["chalicelib/domain/merkle.py", "chalicelib/domain/canonical.py",
              "chalicelib/domain/ledger.py", "chalicelib/domain/quorum.py",
              "chalicelib/verify.py", "chalicelib/cli.py"]


def run_cli(*args: str, prelude: str = "") -> subprocess.CompletedProcess[str]:
    code = f"{prelude}import sys; from chalicelib.cli import main; sys.exit(main({list(args)!r}))"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=False)


@pytest.fixture(scope="module")
def bundle_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("evidence") / "bundle.json"
    path.write_bytes(dump(make_bundle(LEDGER, items=[("parent", 1, 0), ("parent", 9, 2),
                                                     ("parent", 6, 2)])))
    return path


def test_verified_bundle_exits_zero_with_the_summary_line(bundle_file: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "chalicelib.cli", "verify-bundle",
                             str(bundle_file)], cwd=ROOT, capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ("OK: 3 entries verified against 4 validators (quorum 3/4), "
                             "ledger carparker-local, log parent up to tree size 12\n")
    assert "--validators" in result.stderr  # says the keys were not pinned


def test_zip_bundle_with_pinned_validators_verifies(tmp_path: Path) -> None:
    evidence = tmp_path / "evidence.zip"
    evidence.write_bytes(make_zip(make_bundle(LEDGER)))
    published = tmp_path / "validators.json"
    published.write_text(json.dumps(validator_set()))
    result = run_cli("verify-bundle", str(evidence), "--validators", str(published))
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith("side up to tree size 4, 2 attachments checked\n")
    assert result.stderr == ""


def test_tampered_bundle_exits_one_with_a_reason(tmp_path: Path, bundle_file: Path) -> None:
    tampered = tmp_path / "tampered.json"
    tampered.write_bytes(bundle_file.read_bytes().replace(b'"user_id":"user-0"',
                                                          b'"user_id":"user-2"', 1))
    result = run_cli("verify-bundle", str(tampered))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("FAIL: item ")
    assert "inclusion proof" in result.stderr


@pytest.mark.parametrize("content", [b"{not json", b"", b"PK\x03\x04 not a zip"])
def test_unparseable_input_fails_cleanly(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad"
    path.write_bytes(content)
    result = run_cli("verify-bundle", str(path))
    assert (result.returncode, result.stderr[:6]) == (1, "FAIL: ")
    assert "Traceback" not in result.stderr


def test_missing_file_fails_cleanly(tmp_path: Path) -> None:
    result = run_cli("verify-bundle", str(tmp_path / "absent.json"))
    assert (result.returncode, result.stderr[:6]) == (1, "FAIL: ")


def test_verifier_runs_with_aws_libraries_blocked(bundle_file: Path) -> None:
    # sys.modules[name] = None makes any import of that name raise ImportError.
    block = "".join(f"sys.modules[{name!r}] = None; " for name in AWS_PACKAGES)
    check = ("import atexit; atexit.register(lambda: print('loaded:', sorted("
             "m for m in sys.modules if m.split('.')[0] in "
             f"{AWS_PACKAGES!r} and sys.modules[m] is not None)))\n")
    result = run_cli("verify-bundle", str(bundle_file), prelude=f"import sys; {block}\n{check}")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK: 3 entries verified")
    assert result.stdout.endswith("loaded: []\n")


@pytest.mark.parametrize("path", CORE_FILES)
def test_core_modules_import_only_stdlib_cryptography_and_our_core(path: str) -> None:
    allowed = set(sys.stdlib_module_names) | {"chalicelib", "__future__"}
    if path.endswith(("quorum.py", "verify.py")):
        allowed.add("cryptography")
    tree = ast.parse((ROOT / path).read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert {name.split(".")[0] for name in imported} <= allowed


def test_the_verifier_is_one_file_that_imports_only_the_standard_library_and_cryptography() -> None:
    tree = ast.parse((ROOT / "chalicelib/verify.py").read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert {name.split(".")[0] for name in imported} <= set(sys.stdlib_module_names) | {"cryptography", "__future__"}
    assert not any(isinstance(node, ast.ImportFrom) and node.level for node in ast.walk(tree))  # no relative imports


@pytest.mark.parametrize("edit", [
    (b'"user_id":"user-1"', b'"user_id":"user-1\\ud800"'),  # a lone surrogate, as JSON escapes it
    (b'"user_id":"user-1"', b'"user_id":"user-1\xed\xa0\x80"'),  # the same in (invalid) UTF-8
    (b'"first_seq":0,', b'"first_seq":-0,'),  # the same value to json.loads, another spelling to the format
])
def test_odd_text_or_numbers_fail_with_a_reason_not_a_traceback(tmp_path: Path, bundle_file: Path,
                                                                  edit: tuple[bytes, bytes]) -> None:
    old, new = edit
    data = bundle_file.read_bytes()
    assert old in data
    path = tmp_path / "odd.json"
    path.write_bytes(data.replace(old, new, 1))
    result = run_cli("verify-bundle", str(path))
    assert (result.returncode, result.stderr[:6]) == (1, "FAIL: "), result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize("content,reason", [
    (b"{not json", "is not valid JSON"),
    (b'{"f": 1, "validators": []}', "validator_set.validators must be a non-empty JSON array"),
    (b'{"f": 1, "validators": [{"id": "v", "public_key": "AAAA"}]}', "public_key is not DER"),
])
@pytest.mark.parametrize("command", ["verify-bundle", "verify-ledger"])
def test_an_invalid_validators_file_is_named_as_such(tmp_path: Path, bundle_file: Path, content: bytes, reason: str,
                                                      command: str) -> None:
    published = tmp_path / "published.json"
    published.write_bytes(content)
    args = [str(bundle_file)] if command == "verify-bundle" else []
    result = run_cli(command, *args, "--validators", str(published))
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith(f"FAIL: validators file {published}") and reason in result.stderr, result.stderr


def test_a_missing_validators_file_is_named_as_such(tmp_path: Path, bundle_file: Path) -> None:
    result = run_cli("verify-bundle", str(bundle_file), "--validators", str(tmp_path / "nope.json"))
    assert result.returncode == 1 and result.stderr.startswith(f"FAIL: cannot read the validators file {tmp_path}")


@pytest.mark.parametrize("tampered", [False, True])
def test_verify_bundle_and_the_file_run_alone_say_the_same(tmp_path: Path, bundle_file: Path, tampered: bool) -> None:
    path = bundle_file
    if tampered:
        path = tmp_path / "tampered.json"
        path.write_bytes(bundle_file.read_bytes().replace(b'"user_id":"user-0"', b'"user_id":"user-2"', 1))
    platform = run_cli("verify-bundle", str(path))
    alone = subprocess.run([sys.executable, "-I", str(ROOT / "chalicelib" / "verify.py"), str(path)], cwd=tmp_path,
                           capture_output=True, text=True, timeout=60, check=False)
    assert (alone.returncode, alone.stdout, alone.stderr) == (platform.returncode, platform.stdout, platform.stderr)
    assert platform.returncode == (1 if tampered else 0)


def test_cli_subcommands_are_a_table_and_help_works() -> None:
    assert "verify-bundle" in SUBCOMMANDS
    result = run_cli("--help")
    assert result.returncode == 0 and "verify-bundle" in result.stdout
