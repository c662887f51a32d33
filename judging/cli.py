"""The ``judging`` command. Each subcommand makes one call into the API and turns a domain
error into a clear message and a non-zero exit; no traceback reaches the user."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from judging.rules.errors import ContestInvalid, RulesError


def _load(path: str):
    from judging.contest_file import load_contest

    return load_contest(path)


def cmd_check(args: argparse.Namespace) -> int:
    from judging.summary import summary

    contest = _load(args.contest)
    print(summary(contest))
    print("OK")
    return 0


def cmd_tabulate(args: argparse.Namespace) -> int:
    from judging.report import standings_csv, standings_data, standings_table
    from judging.scoresheet import missing_marks, tabulate_files

    contest = _load(args.contest)
    tab, report = tabulate_files(contest, Path(args.scores), Path(args.adjustments) if args.adjustments else None)
    if report.errors:
        for line in report.errors:
            print(line, file=sys.stderr)
        print(f"{len(report.errors)} bad row(s); nothing tabulated", file=sys.stderr)
        return 1
    for line in missing_marks(tab):
        print(f"warning: {line}", file=sys.stderr)
    if args.format == "json":
        print(json.dumps(standings_data(tab), ensure_ascii=False, indent=2))
    elif args.format == "csv":
        sys.stdout.buffer.write(standings_csv(tab).encode("utf-8"))
    else:
        print(standings_table(tab))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from judging.serve_cli import run_server

    return run_server(args)


def cmd_tokens(args: argparse.Namespace) -> int:
    from judging.serve_cli import format_tokens, issue_tokens

    rows = issue_tokens(args.contest, args.db, args.judge or [], args.control)
    print(format_tokens(rows))
    print("Hand each judge their token; issuing again revokes the old one. Only hashes are stored.")
    return 0


def cmd_board(args: argparse.Namespace) -> int:
    from judging.scoreboard import run_board

    return run_board(args.url, args.lang)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="judging", description="Run contests live, exact to the cent.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("check", help="validate a contest file and its roster")
    p.add_argument("contest", help="contest file (TOML)")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("tabulate", help="tabulate marks from a scores file (paper ballots, checks)")
    p.add_argument("contest", help="contest file (TOML)")
    p.add_argument("--scores", required=True, help="CSV: contestant,judge,criterion,score[,round]")
    p.add_argument("--adjustments", help="CSV: contestant,points,reason[,round]")
    p.add_argument("--format", choices=("table", "json", "csv"), default="table")
    p.set_defaults(func=cmd_tabulate)

    p = sub.add_parser("serve", help="run a contest live")
    p.add_argument("contest", help="contest file (TOML)")
    p.add_argument("--db", help="SQLite database (default: next to the contest file)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--tls-cert", help="certificate (PEM) for wss://")
    p.add_argument("--tls-key", help="private key (PEM) for wss://")
    p.add_argument("--relay", action=argparse.BooleanOptionalAction, default=True, help="hold the scoreboards' connections in a process of their own, which keeps them connected if the server process dies (Linux, without TLS; on by default)")
    p.add_argument("--loop", choices=("asyncio", "uvloop"), help="the event loop (default: uvloop with the relay where installed, else asyncio; docs/live.md)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("tokens", help="issue judges' and the control console's tokens")
    p.add_argument("contest", help="contest file (TOML)")
    p.add_argument("--db", help="SQLite database (default: next to the contest file)")
    p.add_argument("--judge", action="append", help="reissue for this judge only (repeatable)")
    p.add_argument("--control", action="store_true", help="with --judge: also reissue the control token")
    p.set_defaults(func=cmd_tokens)

    p = sub.add_parser("board", help="the live scoreboard for the projector (read-only)")
    p.add_argument("url", help="the server, e.g. ws://192.168.1.10:8765")
    p.add_argument("--lang", choices=("zh", "en"), help="override the contest's language")
    p.set_defaults(func=cmd_board)

    from judging.client_tui import add_arguments as judge_arguments, run as cmd_judge

    p = sub.add_parser("judge", help="the judge's console: score from a laptop")
    judge_arguments(p)
    p.set_defaults(func=cmd_judge)

    from judging.control_tui import add_arguments as control_arguments, run as cmd_control

    p = sub.add_parser("control", help="the host's and score secretary's console: run the contest")
    control_arguments(p)
    p.set_defaults(func=cmd_control)

    from judging.demo import add_arguments as demo_arguments, run as cmd_demo

    p = sub.add_parser("demo", help="a whole contest simulated on this machine, on the live scoreboard")
    demo_arguments(p)
    p.set_defaults(func=cmd_demo)

    from judging.export.cli import add_export_arguments, add_verify_arguments, run_export, run_verify

    p = sub.add_parser("export", help="final standings, score sheet and audit trail of a live contest (xlsx, csv, json, html)")
    add_export_arguments(p)
    p.set_defaults(func=run_export)

    p = sub.add_parser("verify", help="re-derive every standing from the event log and check the exported digest")
    add_verify_arguments(p)
    p.set_defaults(func=run_verify)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ContestInvalid as e:
        for err in e.errors:
            print(err.describe(), file=sys.stderr)
        return 2
    except RulesError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
