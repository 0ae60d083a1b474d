"""Command line: ``python -m cxm_store upgrade`` and ``python -m cxm_store report``."""
import argparse
import sys
from datetime import datetime
from typing import List, Optional

from cxm_store import report, schema, settings
from cxm_store.db import engine_for
from cxm_store.metrics import GROUPINGS, MetricFilter


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m cxm_store")
    parser.add_argument(
        "--database-url", help="SQLAlchemy URL (default: CXM_DATABASE_URL or the SQLite file)"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("upgrade", help="apply pending database migrations")
    rep = commands.add_parser("report", help="print CX metrics")
    rep.add_argument("--since", default="30d", help="7d, 30d, 12w or an ISO date (default 30d)")
    rep.add_argument("--until", help="ISO date or datetime, excluded (default: now)")
    rep.add_argument("--by", choices=GROUPINGS, help="also break metrics down by this")
    rep.add_argument("--channel", help="only this channel")
    rep.add_argument("--language", help="only this language")
    rep.add_argument("--format", choices=report.FORMATS, default="table")
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    """Run the command line; return the exit status."""
    args = _parser().parse_args(argv)
    url = args.database_url or settings.load().database_url
    if args.command == "upgrade":
        schema.upgrade(url)
        print(f"database at head: {url}")
        return 0
    # Stored timestamps are naive UTC, so the window is too.
    now = datetime.utcnow().replace(microsecond=0)
    try:
        end = report.parse_moment(args.until, now) if args.until else now
        start = report.parse_moment(args.since, end)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if start >= end:
        print("error: --since must be before --until", file=sys.stderr)
        return 2
    flt = MetricFilter(start=start, end=end, channel=args.channel, language=args.language)
    built = report.build_report(flt, by=args.by, engine=engine_for(url))
    sys.stdout.write(report.render(built, args.format))
    return 0


if __name__ == "__main__":
    sys.exit(main())
