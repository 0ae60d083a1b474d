"""Command line of the store.

    python -m cxm_store upgrade                   apply pending migrations
    python -m cxm_store rollups [--rebuild]       daily metric rollups: their zone, or recompute them
    python -m cxm_store report [...]              print CX metrics
    python -m cxm_store create-user --username rina --display-name "Rina" --role agent [--password-stdin]
    python -m cxm_store set-password --username rina [--password-stdin]
    python -m cxm_store demo-data [--conversations 20000] [--months 6] [--force]
                                                  (also demo accounts and default canned responses if none)
    python -m cxm_store purge | erase | user | audit   personal data and accounts (privacy_cli)
"""
import argparse
import getpass
import sys
from datetime import datetime
from typing import List, Optional

from cx_reports import report
from cx_reports.metrics import GROUPINGS, MetricFilter
from cxm_store import privacy_cli, rollups, schema, settings
from cxm_store.db import engine_for


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m cxm_store")
    parser.add_argument(
        "--database-url", help="SQLAlchemy URL (default: CXM_DATABASE_URL or the SQLite file)"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("upgrade", help="apply pending database migrations")
    roll = commands.add_parser("rollups", help="daily metric rollups (kept by triggers)")
    roll.add_argument("--rebuild", action="store_true",
                      help="recompute them from the conversations for CXM_TIMEZONE's days")
    rep = commands.add_parser("report", help="print CX metrics")
    rep.add_argument(
        "--since", default="30d", help="7d, 30d, 12w or an ISO date (local midnight; default 30d)"
    )
    rep.add_argument(
        "--until", help="ISO date (local midnight) or datetime (UTC), excluded (default: now)"
    )
    rep.add_argument("--by", choices=GROUPINGS, help="also break metrics down by this")
    rep.add_argument("--channel", help="only this channel")
    rep.add_argument("--language", help="only this language")
    rep.add_argument("--format", choices=report.FORMATS, default="table")
    user = commands.add_parser("create-user", help="create a console account")
    user.add_argument("--username", required=True)
    user.add_argument("--display-name", help="name shown in the console (default: username)")
    user.add_argument("--role", choices=("agent", "lead", "admin"), default="agent")
    user.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    password = commands.add_parser("set-password", help="change a password; ends its sessions")
    password.add_argument("--username", required=True)
    password.add_argument("--password-stdin", action="store_true")
    demo = commands.add_parser("demo-data", help="write a synthetic history (demos, benchmarks)")
    demo.add_argument("--conversations", type=int, default=20000)
    demo.add_argument("--months", type=int, default=6, help="history length, ending now")
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument(
        "--force", action="store_true", help="write even if synthetic data is already there"
    )
    privacy_cli.add_commands(commands)
    return parser


def _demo_data(args: argparse.Namespace, url: str) -> int:
    import time
    from datetime import timedelta

    from cxm_store import synthetic

    schema.upgrade(url)
    engine = engine_for(url)
    if not args.force and synthetic.has_synthetic_data(engine):
        print(f"synthetic data already present in {url}; nothing written (use --force to add more)")
        return 0
    end = datetime.utcnow().replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(days=round(30.44 * args.months))
    began = time.perf_counter()
    counts = synthetic.generate(engine, args.conversations, start, end, seed=args.seed)
    took = time.perf_counter() - began
    print(f"wrote synthetic history {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC "
          f"in {took:.1f} s into {url}:")
    for table, count in counts.items():
        print(f"  {table:20} {count:>10,}")
    _demo_accounts(engine)
    from cxm_store.canned import seed_default_canned

    if seed_default_canned(datetime.utcnow(), engine=engine):
        print("canned responses: the default set (leads edit them at /canned)")
    return 0


DEMO_ACCOUNTS = (("demo-lead", "Demo Lead", "lead"), ("demo-agent", "Demo Agent", "agent"))
DEMO_ACCOUNTS_FILE = "var/demo-accounts.txt"


def _demo_accounts(engine) -> None:
    """Create a lead and an agent with random passwords when the store has no accounts.

    The passwords are printed once and kept in var/ (git-ignored, owner-only),
    so a newcomer can open the dashboard and the console; nothing is in the repo.
    """
    import os
    import secrets

    from cxm_store import auth

    if auth.list_users(engine=engine):
        return
    lines = []
    for username, display_name, role in DEMO_ACCOUNTS:
        password = secrets.token_urlsafe(9)
        auth.create_user(username, display_name, password, role, engine=engine)
        lines.append(f"{role:6} {username:11} {password}")
    os.makedirs(os.path.dirname(DEMO_ACCOUNTS_FILE), exist_ok=True)
    descriptor = os.open(DEMO_ACCOUNTS_FILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    print(f"demo accounts (also in {DEMO_ACCOUNTS_FILE}):")
    for line in lines:
        print(f"  {line}")


def _read_password(from_stdin: bool) -> str:
    """One line from stdin, or typed twice at a prompt (never echoed, never an argument)."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Password again: "):
        raise ValueError("the passwords differ")
    return first


def _accounts(args: argparse.Namespace, url: str) -> int:
    from cxm_store import auth

    try:
        password = _read_password(args.password_stdin)
        if args.command == "create-user":
            auth.create_user(
                args.username, args.display_name or args.username, password, args.role,
                engine=engine_for(url),
            )
            print(f"created {args.role} {args.username}")
        else:
            auth.set_password(args.username, password, engine=engine_for(url))
            print(f"password changed for {args.username}")
    except (ValueError, EOFError, KeyboardInterrupt) as error:
        print(f"error: {error or 'cancelled'}", file=sys.stderr)
        return 2
    return 0


def _rollups(args: argparse.Namespace, url: str) -> int:
    zone = settings.load().timezone
    engine = engine_for(url)
    with engine.begin() as connection:
        if not args.rebuild:
            print(f"rollups hold {rollups.rollup_zone(connection)} days")
            return 0
        rows = rollups.rebuild(connection, zone)
    rollups.reclaim_after_rebuild(engine)
    print(f"rollups rebuilt for {zone} days: {rows:,} rows")
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    """Run the command line; return the exit status."""
    args = _parser().parse_args(argv)
    url = args.database_url or settings.load().database_url
    if args.command == "upgrade":
        schema.upgrade(url)
        print(f"database at head: {url}")
        return 0
    if args.command == "rollups":
        return _rollups(args, url)
    if args.command in ("create-user", "set-password"):
        return _accounts(args, url)
    if args.command == "demo-data":
        return _demo_data(args, url)
    if args.command in privacy_cli.COMMANDS:
        return privacy_cli.run(args, url)
    # Stored timestamps are naive UTC, so the window is too; dates are the shop's.
    now = datetime.utcnow().replace(microsecond=0)
    zone = settings.load().timezone
    try:
        end = report.parse_moment(args.until, now, zone) if args.until else now
        start = report.parse_moment(args.since, end, zone)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if start >= end:
        print("error: --since must be before --until", file=sys.stderr)
        return 2
    flt = MetricFilter(start=start, end=end, channel=args.channel, language=args.language,
                       zone=zone)
    built = report.build_report(flt, by=args.by, engine=engine_for(url))
    sys.stdout.write(report.render(built, args.format))
    return 0


if __name__ == "__main__":
    sys.exit(main())
