"""Command line tools: ``python -m chalicelib.cli <subcommand> ...``.

Subcommands live in one table (SUBCOMMANDS). Each one imports what it needs inside its
run function, so that ``--help`` and unrelated subcommands stay fast and so that the
offline verifier never pulls in AWS libraries.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Subcommand:
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


def _read(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def _add_verify_ledger_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--env", metavar="FILE", help="settings file of export KEY=VALUE lines (make run writes run/local.env)")
    parser.add_argument("--validators", metavar="FILE",
                        help="published validator set (GET /ledger/validators); default: the keys from KMS")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def _load_env(path: str) -> None:
    import os

    for line in _read(path).decode("utf-8").splitlines():
        key, sep, value = line.removeprefix("export ").partition("=")
        if sep and key.strip():
            os.environ[key.strip()] = value.strip()


def _run_verify_ledger(args: argparse.Namespace) -> int:
    """Audit the stored ledger on the configured endpoint (AWS_ENDPOINT_URL and CP_* settings)."""
    if args.env:
        _load_env(args.env)
    from chalicelib import audit, config, verify
    from chalicelib.domain.quorum import Validator, ValidatorSet
    from chalicelib.services.ledger import validator_set_of

    if args.validators:
        try:
            published = verify.read_validators_file(args.validators)
        except verify.VerificationError as exc:
            print(f"FAIL: {exc}", file=sys.stderr)
            return 1
        vset = ValidatorSet(tuple(Validator(vid, der) for vid, der in published.keys.items()), published.f)
    else:
        from chalicelib.adapters.validators import KmsKeyDirectory

        vset = validator_set_of(KmsKeyDirectory(config.validator_key_arns(), config.region()))
    try:
        logs = audit.dynamo_auditor(vset, config.ledger_id(), None if args.quiet else sys.stderr).audit()
    except audit.AuditError as exc:
        print(f"FAIL: {exc}", file=sys.stderr)
        return 1
    parts = ", ".join(f"{s.log} {s.blocks} blocks / {s.entries} entries" for s in logs)
    print(f"OK: ledger {config.ledger_id()}: {parts}; every link, root and certificate verified")
    return 0


def _lazy(module: str, help: str) -> Subcommand:
    """A subcommand whose module (the offline verifier, a device simulator) is imported only when it is used: its
    add_arguments(parser) and run(args) are the subcommand."""

    def add_arguments(parser: argparse.ArgumentParser) -> None:
        importlib.import_module(f"chalicelib.{module}").add_arguments(parser)

    def run(args: argparse.Namespace) -> int:
        return int(importlib.import_module(f"chalicelib.{module}").run(args))

    return Subcommand(help=help, add_arguments=add_arguments, run=run)


SUBCOMMANDS: dict[str, Subcommand] = {
    "verify-ledger": Subcommand(
        help="audit the whole stored ledger (exit 0 if it verifies, 1 naming the first bad block or entry)",
        add_arguments=_add_verify_ledger_arguments,
        run=_run_verify_ledger,
    ),
    # The very file GET /verifier.py serves (python3 verifier.py ... runs the same code).
    "verify-bundle": _lazy("verify", "verify an evidence bundle offline (exit 0 if it verifies, 1 if not)"),
    "camera": _lazy("camera_sim", "simulate the parker's phone: photograph the car from four sides now and record the set"),
    "gate": _lazy("gate_sim", "simulate a gate device: sign a plate read and POST it (exit 0 open, 2 deny, 1 refused)"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.cli",
                                     description="CarParker command line tools")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, command in SUBCOMMANDS.items():
        command.add_arguments(commands.add_parser(name, help=command.help))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return SUBCOMMANDS[args.command].run(args)


if __name__ == "__main__":
    sys.exit(main())
