"""
mysql-mimic (PyPI) with one mysql_native_password user, as in its
examples/auth_native_password.py: an IdentityProvider with the native
plugin, the default Session, asyncio's default event loop.

Run it with the Python of a virtualenv where mysql-mimic is installed:

    bench/.venv/bin/python bench/mimic_server.py --port PORT --user bench --password pw
"""

from __future__ import annotations

import argparse
import asyncio
import logging

from mysql_mimic import MysqlServer, NativePasswordAuthPlugin, User
from mysql_mimic.auth import IdentityProvider


class OneUserIdentityProvider(IdentityProvider):
    def __init__(self, users: dict) -> None:
        self.users = users

    def get_plugins(self):
        return [NativePasswordAuthPlugin()]

    async def get_user(self, username: str):
        password = self.users.get(username)
        if password is None:
            return None
        return User(
            name=username,
            auth_string=NativePasswordAuthPlugin.create_auth_string(password),
            auth_plugin=NativePasswordAuthPlugin.name,
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--user", default="bench")
    parser.add_argument("--password", default="pw")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    server = MysqlServer(identity_provider=OneUserIdentityProvider({args.user: args.password}))
    asyncio.run(server.serve_forever(host="127.0.0.1", port=args.port))


if __name__ == "__main__":
    main()
