"""Command line tools: ``python -m chalicelib.cli <subcommand> ...``.

Subcommands live in one table (SUBCOMMANDS). Each one imports what it needs inside its run
function, so that ``--help`` and unrelated subcommands stay fast.
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


def _add_gate_arguments(parser: argparse.ArgumentParser) -> None:
    from chalicelib import gate_sim

    gate_sim.add_arguments(parser)


def _run_gate(args: argparse.Namespace) -> int:
    from chalicelib import gate_sim

    return gate_sim.run(args)


SUBCOMMANDS: dict[str, Subcommand] = {
    "gate": Subcommand(
        help="simulate a gate device: sign a plate read and POST it (exit 0 open, 2 deny, 1 refused)",
        add_arguments=_add_gate_arguments,
        run=_run_gate,
    ),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.cli", description="CarParker command line tools")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, command in SUBCOMMANDS.items():
        command.add_arguments(commands.add_parser(name, help=command.help))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return SUBCOMMANDS[args.command].run(args)


if __name__ == "__main__":
    sys.exit(main())
