"""Operator commands against the auth database: `python -m services.auth.cli <command>`.

  create-admin --email E --password P [--name N] [--school-code C]   a school_admin (idempotent)
  seed-demo                                                          the demo data of `make run`
  rotate-key                                                         new signing key (restart auth-api)
  prune                                                              drop expired captchas/tickets/tokens
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cc_kit.config import Settings
from cc_kit.db import Database
from cc_kit.errors import ApiError
from cc_kit.migrations import upgrade

from .config import AuthConfig
from .domain import maintenance, staff
from .domain.keys import KeyRing
from .domain.passwords import check_policy

MIGRATIONS = Path(__file__).parent / "migrations"


def _database(settings: Settings) -> Database:
    upgrade(MIGRATIONS, settings.database_url)
    return Database(settings.database_url)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.auth.cli", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    admin = commands.add_parser("create-admin", help="create a school_admin account (no-op if the email exists)")
    admin.add_argument("--email", required=True)
    admin.add_argument("--password", required=True)
    admin.add_argument("--name", default="学校管理员")
    admin.add_argument("--school-code", default=None)
    commands.add_parser("seed-demo", help="demo roster, student, employer and staff (idempotent)")
    commands.add_parser("rotate-key", help="retire the signing key file and create a new one")
    commands.add_parser("prune", help="delete expired captchas, reset tickets and refresh tokens")
    args = parser.parse_args(argv)

    settings = Settings.from_env("auth")
    config = AuthConfig.from_env(settings)
    try:
        if args.command == "create-admin":
            check_policy(args.password, (args.email,))
            db = _database(settings)
            user_id, created = staff.ensure_admin(db, email=args.email, password=args.password, name=args.name,
                                                  school_code=args.school_code or config.default_school_code,
                                                  only_if_none=False)
            print(json.dumps({"user_id": user_id, "created": created, "email": args.email.lower()}))
        elif args.command == "seed-demo":
            from .demo import demo_logins, seed_demo

            summary = seed_demo(_database(settings), config)
            print(json.dumps({**summary, "logins": demo_logins(config)}, ensure_ascii=False, indent=2))
        elif args.command == "rotate-key":
            if config.signing_key_pem:
                print("AUTH_SIGNING_KEY_PEM is set: rotate the secret instead", file=sys.stderr)
                return 2
            kid = KeyRing.rotate(config.keys_dir)
            print(json.dumps({"kid": kid, "keys_dir": str(config.keys_dir)}))
        elif args.command == "prune":
            db = _database(settings)
            with db.write() as session:
                print(json.dumps(maintenance.prune_expired(session)))
    except ApiError as exc:
        print(f"error: {exc.code}: {exc.message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
