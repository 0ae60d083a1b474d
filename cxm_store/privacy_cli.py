"""Command-line verbs for personal data and accounts (wired into ``python -m cxm_store``).

python -m cxm_store purge                          delete what is past its retention period
python -m cxm_store erase --channel-identity telegram:123456789 | --order INV-2024-00123 | --contact 0812...
python -m cxm_store user deactivate|reactivate|reset-password --username rina
python -m cxm_store user set-role --username rina --role lead
python -m cxm_store audit [--limit 50] [--action erase]
python -m cxm_store backup --to FILE | restore --from FILE
python -m cxm_store new-data-key --id 2026a | rotate-data-key
"""
import argparse
import json
import sys

from cxm_store import accounts, audit, backup, encryption, erasure, key_rotation, retention
from cxm_store.auth import AccountError
from cxm_store.db import engine_for
from cxm_store.models import USER_ROLES

COMMANDS = ("purge", "erase", "user", "audit", "backup", "restore", "new-data-key", "rotate-data-key")


def add_commands(commands: "argparse._SubParsersAction") -> None:
    """Add this module's verbs to the store's command line."""
    commands.add_parser("purge", help="delete personal data past its retention period (CXM_RETAIN_*)")
    erase = commands.add_parser("erase", help="erase one customer everywhere (kept: anonymous metrics)")
    erase.add_argument("--channel-identity", help="channel:id as stored, e.g. telegram:123456789")
    erase.add_argument("--order", help="an order number; erases whoever placed or proved it")
    erase.add_argument("--contact", help="a phone number or e-mail address")
    user = commands.add_parser("user", help="account lifecycle")
    user.add_argument("action", choices=("deactivate", "reactivate", "set-role", "reset-password"))
    user.add_argument("--username", required=True)
    user.add_argument("--role", choices=USER_ROLES, help="for set-role")
    log = commands.add_parser("audit", help="print the newest audit log entries")
    log.add_argument("--limit", type=int, default=50)
    log.add_argument("--action", help="only this action (erase, purge, read_transcript, export...)")
    dump = commands.add_parser("backup", help="write the whole store to a file (encrypted columns stay encrypted)")
    dump.add_argument("--to", required=True, help="file to write (gzip JSON lines)")
    load = commands.add_parser("restore", help="load a backup into an empty database")
    load.add_argument("--from", dest="source", required=True, help="a file written by backup")
    key = commands.add_parser("new-data-key", help="print a new CXM_DATA_KEYS item")
    key.add_argument("--id", required=True, help="a short name for the key, e.g. 2026a")
    commands.add_parser("rotate-data-key", help="re-encrypt every encrypted value with the first key")


def run(args: argparse.Namespace, url: str) -> int:
    """Run one of this module's verbs; return the exit status."""
    engine = engine_for(url)
    try:
        if args.command == "purge":
            print(json.dumps(retention.purge(engine=engine), sort_keys=True))
        elif args.command == "erase":
            request = erasure.ErasureRequest(args.channel_identity, args.order, args.contact)
            result = erasure.erase_customer(request, engine=engine)
            if not result.customer_ids:
                print("no customer found; copies outside the store were still scrubbed", file=sys.stderr)
            print(json.dumps({"customers": result.customer_ids, **result.counts}, sort_keys=True))
        elif args.command == "user":
            return _user(args, engine)
        elif args.command == "backup":
            print(json.dumps(backup.backup(engine, args.to), sort_keys=True))
        elif args.command == "restore":
            print(json.dumps(backup.restore(engine, url, args.source), sort_keys=True))
        elif args.command == "new-data-key":
            print(encryption.new_key(args.id))
        elif args.command == "rotate-data-key":
            print(json.dumps(key_rotation.rotate(engine), sort_keys=True))
        else:
            for entry in audit.recent(args.limit, args.action, engine=engine):
                print(json.dumps(entry, sort_keys=True))
    except (ValueError, AccountError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


def _user(args: argparse.Namespace, engine) -> int:
    name: str = args.username  # required by the parser
    if args.action == "deactivate":
        accounts.deactivate(name, engine=engine)
    elif args.action == "reactivate":
        accounts.reactivate(name, engine=engine)
    elif args.action == "set-role":
        if not args.role:
            raise ValueError("set-role needs --role")
        accounts.set_role(name, args.role, engine=engine)
    else:
        # Shown once, on the terminal of whoever reset it; never stored in clear.
        print(f"new password for {name}: {accounts.reset_password(name, engine=engine)}")
        return 0
    print(f"{args.action}: {name} done; their sessions ended")
    return 0
