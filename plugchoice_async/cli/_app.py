"""The ``plugchoice`` root command: its options, the sub-commands, and ``plugchoice emulator``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .._version import __version__
from ._commands import bulk, charger
from ._common import Settings
from ._fleet import demo, fleet
from ._records import chargers, transactions

__all__ = ["cli", "main"]

_EPILOG = """\b
The token comes from PLUGCHOICE_TOKEN or --token-file and is never shown;
the API address from PLUGCHOICE_BASE_URL (default: the Plugchoice API).
Exit status: 0 success, 1 some chargers failed (or the API refused, or an
outcome is unknown), 2 a usage error."""


@click.group(epilog=_EPILOG, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 80})
@click.option(
    "--token-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Read the API token from this file instead of PLUGCHOICE_TOKEN.",
)
@click.option("--debug", is_flag=True, help="Show the traceback of an error.")
@click.version_option(__version__, prog_name="plugchoice")
@click.pass_context
def cli(ctx: click.Context, token_file: Path | None, debug: bool) -> None:
    """The Plugchoice command line: fleet status, chargers, commands, sessions."""
    ctx.obj = Settings(token_file=token_file, debug=debug)


@cli.command(
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []},
    add_help_option=False,
    short_help="Serve the local API emulator (see its --help).",
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def emulator(args: tuple[str, ...]) -> None:
    """Serve the local API emulator (options: plugchoice emulator --help)."""
    from ..testing.__main__ import main as serve

    # The emulator's own parser takes every option (one list, in plugchoice_async.testing.__main__);
    # its usage line names the program after argv[0].
    program, sys.argv[0] = sys.argv[0], "plugchoice emulator"
    try:
        status = serve(list(args))
    finally:
        sys.argv[0] = program
    raise SystemExit(status)


cli.add_command(demo)
cli.add_command(fleet)
cli.add_command(chargers)
cli.add_command(charger)
cli.add_command(bulk)
cli.add_command(transactions)


def main() -> None:
    """The ``plugchoice`` console script."""
    cli(prog_name="plugchoice")
