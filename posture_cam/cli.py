"""``posture-cam`` command line.

Each subcommand lives in ``posture_cam/commands/<name>.py`` with ``register(subparsers)`` and
``run(args) -> int``. Deliberate errors (``posture_cam.errors``) print one line, no traceback, and
exit with the error's code; ``--debug`` shows tracebacks for bug reports.

Exit codes: 0 ok; 1 finished but something failed (batch); 2 bad input/usage; 3 unreadable media;
4 no person detected; 5 model problem; 6 output not writable (disk full too); 70 internal error;
130 interrupted. Library exceptions with a documented meaning are mapped by
:func:`posture_cam.errors.translate` (README "Exit codes" lists every case).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from . import __version__
from .errors import PostureCamError, quiet_expected_numpy_warnings, translate
from .export import terminal_safe

COMMANDS = ("analyze", "models", "explain", "compare", "samples", "batch", "history", "app")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="posture-cam",
        description="Posture and gait screening from ordinary video. A screening aid, not a diagnosis.",
    )
    parser.add_argument("--version", action="version", version=f"posture-cam {__version__}")
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            mod = importlib.import_module(f"posture_cam.commands.{name}")
        except ModuleNotFoundError as exc:  # a command whose optional module is not installed
            if exc.name and exc.name.startswith("posture_cam.commands"):
                continue
            raise
        mod.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    quiet_expected_numpy_warnings()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except PostureCamError as exc:
        if args.debug:
            raise
        print(f"posture-cam: error: {terminal_safe(exc)}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # e.g. `posture-cam explain DIR | head`: the reader left, not an error
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at interpreter exit
        except OSError:
            pass
        return 0
    except KeyboardInterrupt:
        print("posture-cam: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: say so in one line, keep the traceback behind --debug
        mapped = translate(exc)  # ...unless a library raised a documented failure (e.g. disk full)
        if args.debug:
            raise
        if mapped is not None:
            print(f"posture-cam: error: {terminal_safe(mapped)}", file=sys.stderr)
            return mapped.exit_code
        print(
            f"posture-cam: internal error: {type(exc).__name__}: {exc} (rerun with --debug for details)",
            file=sys.stderr,
        )
        return 70


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
