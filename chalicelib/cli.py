"""Command line tools: ``python -m chalicelib.cli <subcommand> ...``.

Subcommands live in one table (SUBCOMMANDS). Each one imports what it needs inside its
run function, so that ``--help`` and unrelated subcommands stay fast and so that the
offline verifier never pulls in AWS libraries.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Subcommand:
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


def _add_verify_bundle_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="evidence bundle: bundle.json, or a .zip holding "
                                     "bundle.json and the attached files")
    parser.add_argument("--validators", metavar="FILE",
                        help="published validator set (JSON, same shape as the bundle's "
                             "validator_set); the bundle's set must match it")


def _run_verify_bundle(args: argparse.Namespace) -> int:
    from chalicelib import verify

    try:
        trusted = None
        if args.validators is not None:
            trusted = verify.parse_json(_read(args.validators))
        summary = verify.verify_evidence(_read(args.file), trusted_validator_set=trusted)
    except (verify.VerificationError, OSError) as exc:
        print(f"FAIL: {exc}", file=sys.stderr)
        return 1
    print(summary.line())
    if not summary.validator_set_pinned:
        print("note: validator keys were taken from the bundle itself; pass --validators FILE "
              "to check them against the published set", file=sys.stderr)
    return 0


def _read(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


SUBCOMMANDS: dict[str, Subcommand] = {
    "verify-bundle": Subcommand(
        help="verify an evidence bundle offline (exit 0 if it verifies, 1 if not)",
        add_arguments=_add_verify_bundle_arguments,
        run=_run_verify_bundle,
    ),
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
