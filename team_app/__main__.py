"""Run the team's web app: the agents' console and the leads' dashboard.

    python -m team_app [--host 127.0.0.1] [--port 8000] [--database-url URL]

Settings come from the environment (``team_app.settings.TeamAppSettings``:
``CXM_DATABASE_URL``, ``RASA_URL``, ``RASA_AUTH_TOKEN``...).
"""
import argparse
from typing import List, Optional

from team_app import create_app, settings


def main(argv: Optional[List[str]] = None) -> int:
    """Serve the app until stopped; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m team_app")
    parser.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument("--database-url", help="SQLAlchemy URL (default: CXM_DATABASE_URL or the SQLite file)")
    args = parser.parse_args(argv)
    config = settings.load()
    if args.database_url:
        config = config.copy(update={"database_url": args.database_url})
    create_app(config).run(host=args.host, port=args.port, access_log=False, workers=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
