# -*- test-case-name: tests.test_executor -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
Running statements: the account SQL (CREATE/ALTER/DROP/RENAME USER, SET
PASSWORD, SHOW CREATE USER, GRANT/REVOKE, SHOW GRANTS, FLUSH PRIVILEGES)
against the L{twisted_mysqlauth.accounts.directory.AccountManager}, and
the identity and variable reads clients send (C{SELECT USER()},
C{@@version}, C{SET NAMES}, ...).

Privilege rules are MySQL's: changing other accounts needs C{CREATE USER};
an account may change its own password; C{GRANT} needs C{GRANT OPTION}
and the privileges granted; C{FLUSH PRIVILEGES} needs C{RELOAD}. Account
changes are read-check-write under the account manager's lock, and all of
one statement's changes are committed in one transaction or none are.
"""

from __future__ import annotations

import datetime
import inspect
import json
import os
import secrets
import socket
import string
from types import SimpleNamespace
from decimal import Decimal
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import attr
from twisted.internet.defer import Deferred

from twisted_mysqlauth import errors
from twisted_mysqlauth.accounts.hosts import wildcardMatches
from twisted_mysqlauth.auth.registry import libraryOf
from twisted_mysqlauth.accounts.model import (
    ALL_PRIVILEGES,
    CREATE_USER,
    PRIVILEGE_ORDER,
    Account,
    AccountName,
    DeleteAccount,
    DeleteProxyGrant,
    ProxyGrant,
    PutAccount,
    PutProxyGrant,
)
from twisted_mysqlauth.sql import statements as ast
from twisted_mysqlauth.sql.parser import parse
from twisted_mysqlauth.wire import constants as C
from twisted_mysqlauth.wire.packets import Column

#: The statements C{--skip-grant-tables} refuses (error 1290).
GRANT_TABLE_STATEMENTS = (
    ast.CreateUser,
    ast.AlterUser,
    ast.DropUser,
    ast.RenameUser,
    ast.SetPassword,
    ast.ShowCreateUser,
    ast.Grant,
    ast.GrantProxy,
    ast.Revoke,
    ast.RevokeProxy,
    ast.ShowGrants,
)

#: The store setting that lists the plugins C{INSTALL PLUGIN} recorded, as
#: JSON C{[[name, library], ...]}; they load at every start.
INSTALLED_PLUGINS_SETTING = "installed_plugins"

#: The columns of C{INFORMATION_SCHEMA.PLUGINS}.
PLUGIN_COLUMNS = [
    "PLUGIN_NAME",
    "PLUGIN_VERSION",
    "PLUGIN_STATUS",
    "PLUGIN_TYPE",
    "PLUGIN_TYPE_VERSION",
    "PLUGIN_LIBRARY",
    "PLUGIN_LIBRARY_VERSION",
    "PLUGIN_AUTHOR",
    "PLUGIN_DESCRIPTION",
    "PLUGIN_LICENSE",
    "LOAD_OPTION",
]


@attr.s(auto_attribs=True)
class _LoadedState:
    """
    The state of a method of a server without a plugin catalog.
    """

    method: Any
    status: str = "ACTIVE"

    @property
    def library(self) -> Optional[str]:
        return libraryOf(self.method)

    @property
    def loadOption(self) -> str:
        return "FORCE" if self.library is None else "ON"


RANDOM_PASSWORD_LENGTH = 20
_RANDOM_ALPHABET = string.ascii_letters + string.digits + "%()*+,-./:;<=>?@[]^_{|}~"


def formatPrivileges(privileges: frozenset) -> str:
    """
    @return: the privilege list of a C{SHOW GRANTS} line.
    """
    if privileges >= ALL_PRIVILEGES:
        return "ALL PRIVILEGES"
    names = [p for p in PRIVILEGE_ORDER if p in privileges]
    return ", ".join(names) if names else "USAGE"


def quoteString(value: bytes) -> str:
    """
    Render bytes as a SQL literal that parses back to the same bytes: a
    quoted string when they are printable ASCII, else a hex literal (MySQL's
    C{print_identified_with_as_hex}).
    """
    if all(0x20 <= b < 0x7F for b in value):
        text = value.decode("ascii").replace("\\", "\\\\").replace("'", "\\'")
        return f"'{text}'"
    return "0x" + value.hex().upper()


def showCreateUser(account: Account) -> str:
    """
    @return: the C{SHOW CREATE USER} text of C{account}, which run again
        recreates it, hash included.
    """
    parts = [f"CREATE USER {account.name.quoted()} IDENTIFIED WITH '{account.plugin}'"]
    if account.authString:
        parts.append(f" AS {quoteString(account.authString)}")
    parts.append(" REQUIRE NONE PASSWORD EXPIRE DEFAULT")
    parts.append(" ACCOUNT LOCK" if account.locked else " ACCOUNT UNLOCK")
    parts.append(
        " PASSWORD HISTORY DEFAULT PASSWORD REUSE INTERVAL DEFAULT"
        " PASSWORD REQUIRE CURRENT DEFAULT"
    )
    return "".join(parts)


def showGrants(account: Account, proxyGrants: Sequence[Any]) -> List[str]:
    """
    @return: the C{SHOW GRANTS} lines of C{account}.
    """
    line = f"GRANT {formatPrivileges(account.privileges)} ON *.* TO {account.name.quoted()}"
    if account.grantOption:
        line += " WITH GRANT OPTION"
    lines = [line]
    for grant in proxyGrants:
        text = f"GRANT PROXY ON {grant.proxied.quoted()} TO {grant.proxy.quoted()}"
        if grant.withGrantOption:
            text += " WITH GRANT OPTION"
        lines.append(text)
    return lines


def _cannot(operation: str, names: Sequence[AccountName]) -> errors.CannotUser:
    return errors.CannotUser(operation=operation, accounts=",".join(str(n) for n in names))


def _diagnose(session: Any, warnings: List[Any], previous: Optional[List[Any]] = None) -> None:
    """
    Keep a statement's diagnostics on the session (as C{warnings}, and
    those of the statement before as C{previousWarnings}); a session
    object that cannot take attributes keeps none.
    """
    try:
        if previous is not None:
            session.previousWarnings = previous
        session.warnings = warnings
    except AttributeError:
        # (A frozen or slotted session of an application's own.)
        pass


def _randomPassword() -> bytes:
    return "".join(secrets.choice(_RANDOM_ALPHABET) for _ in range(RANDOM_PASSWORD_LENGTH)).encode(
        "ascii"
    )


@attr.s(auto_attribs=True)
class _Generated:
    """
    A password made by C{BY RANDOM PASSWORD}, reported in a result set.
    """

    name: AccountName
    password: bytes


class Executor:
    """
    Runs one session's statements.

    @ivar config: the L{twisted_mysqlauth.server.ServerConfiguration}.
    """

    def __init__(self, config: Any) -> None:
        self.config = config

    @property
    def accounts(self) -> Any:
        return self.config.accounts

    @property
    def methods(self) -> Any:
        return self.config.methods

    async def run(self, text: str, session: Any) -> Any:
        """
        Run one statement.

        @param text: the statement.
        @param session: the session (its C{avatar}, C{connection},
            C{variables}, C{userVariables}, and C{bootstrap} when it runs
            with full privileges, as the init file does). Its C{warnings}
            are set to the statement's diagnostics, C{(level, code,
            message)} triples, as C{SHOW WARNINGS} lists them: the notes of
            a statement that succeeded, or its error; C{SHOW WARNINGS}
            itself keeps those of the statement before it.
        @return: L{None} or an affected-row count (an OK), or (columns,
            rows) for a result set.
        @raise errors.MySQLError: the statement failed; nothing was changed.
        """
        try:
            try:
                return await self._run(text, session)
            except RecursionError:
                # (Brackets or operators nested hundreds deep.)
                raise errors.StackOverrun() from None
        except errors.MySQLError as e:
            _diagnose(session, [("Error", e.errorCode, e.message)])
            raise

    async def _run(self, text: str, session: Any) -> Any:
        statement = parse(text)
        if statement.__class__ is not ast.ShowWarnings:
            # (What @@warning_count counts, read by this statement.)
            _diagnose(session, [], getattr(session, "warnings", []))
        handler = getattr(self, "_do" + type(statement).__name__, None)
        if handler is None:
            raise errors.NotSupportedYet(what=type(statement).__name__)
        if (
            getattr(self.config, "skipGrantTables", False)
            and not getattr(session, "bootstrap", False)
            and isinstance(statement, GRANT_TABLE_STATEMENTS)
        ):
            raise errors.OptionPreventsStatement(option="--skip-grant-tables")
        result = handler(statement, session)
        if isinstance(result, Deferred) or inspect.iscoroutine(result):
            result = await result
        return result

    # -- privileges ------------------------------------------------------------

    def _holds(self, session: Any, privilege: str) -> bool:
        return bool(getattr(session, "bootstrap", False)) or session.avatar.account.hasPrivilege(
            privilege
        )

    def _require(self, session: Any, privilege: str) -> None:
        if not self._holds(session, privilege):
            raise errors.SpecificAccessDenied(privilege=privilege)

    def _self(self, session: Any) -> AccountName:
        return session.avatar.account.name

    def _resolve(self, session: Any, name: Optional[AccountName]) -> AccountName:
        return self._self(session) if name is None else name

    def _denied(self, session: Any) -> errors.MySQLError:
        """
        MySQL's refusal of a statement the account may not run (its
        C{check_access}): the session's account (C{priv_user@priv_host}),
        and whether the login used a password; 1698 after a login by a
        method that never mentions one (C{auth_socket}).
        """
        avatar = session.avatar
        me = self._self(session)
        loginAccount = avatar.account
        if getattr(avatar, "proxyUser", None) is not None:
            # (The proxy account's method did the login.)
            loginAccount = self.accounts.directory.get(avatar.proxyUser) or loginAccount
        method = self.methods.get(loginAccount.plugin)
        if method is not None and not getattr(method, "passwordUsed", True):
            return errors.AccessDeniedNoPassword(user=me.user, host=me.host)
        using = "YES" if getattr(avatar, "passwordUsed", True) else "NO"
        return errors.AccessDenied(user=me.user, host=me.host, using=using)

    # -- authentication options ------------------------------------------------

    def _method(self, name: str) -> Any:
        method = self.methods.get(name)
        if method is None:
            raise errors.PluginNotLoaded(plugin=name)
        return method

    def _hash(self, method: Any, password: bytes) -> bytes:
        try:
            return method.hashPassword(password)
        except ValueError as e:
            raise errors.WrongValueForVar(name="password", value=str(e)) from None

    def _authFor(
        self, auth: Optional[ast.AuthOption], existing: Optional[Account], name: AccountName
    ) -> Tuple[str, bytes, Optional[_Generated]]:
        """
        Resolve an C{IDENTIFIED ...} clause.

        @return: (plugin, authentication string, generated password or None)
        """
        if auth is None:
            if existing is not None:
                return existing.plugin, existing.authString, None
            return self.config.defaultPlugin, b"", None
        if auth.retainCurrentPassword or auth.replace is not None:
            raise errors.NotSupportedYet(what="RETAIN CURRENT PASSWORD and REPLACE")
        if auth.plugin is not None:
            method = self._method(auth.plugin)
        elif existing is not None:
            method = self._method(existing.plugin)
        else:
            method = self._method(self.config.defaultPlugin)
        generated = None
        if auth.randomPassword:
            password = _randomPassword()
            generated = _Generated(name, password)
            authString = self._hash(method, password)
        elif auth.password is not None:
            authString = self._hash(method, auth.password) if auth.password else b""
        elif auth.authString is not None:
            authString = method.checkAuthString(auth.authString)
        else:
            authString = b""
        return method.pluginName, authString, generated

    def _generatedResult(self, generated: List[_Generated]) -> Any:
        if not generated:
            return None
        columns = ["user", "host", "generated password", "auth_factor"]
        rows = [
            [g.name.user.encode("utf-8"), g.name.host.encode("utf-8"), g.password, b"1"]
            for g in generated
        ]
        return columns, rows

    def _checkOptions(self, options: Sequence[Tuple[str, Any]]) -> None:
        for name, value in options:
            if name == "REQUIRE" and value in (None, "NONE"):
                continue
            if name == "PASSWORD EXPIRE" and value in ("DEFAULT", "NEVER"):
                continue
            # The defaults, which SHOW CREATE USER prints: no-ops here.
            if (
                name in ("PASSWORD HISTORY", "PASSWORD REUSE INTERVAL", "PASSWORD REQUIRE CURRENT")
                and value == "DEFAULT"
            ):
                continue
            if name in ("COMMENT", "ATTRIBUTE"):
                continue
            raise errors.NotSupportedYet(what=f"{name} {value or ''}".strip())

    # -- account statements ----------------------------------------------------

    def _doCreateUser(self, statement: ast.CreateUser, session: Any) -> Deferred:
        self._require(session, CREATE_USER)
        self._checkOptions(statement.options)
        generated: List[_Generated] = []

        notes: List[AccountName] = []

        def change(directory: Any) -> List[Any]:
            changes: List[Any] = []
            failed: List[AccountName] = []
            seen = set()
            del notes[:]
            for spec in statement.users:
                name = self._resolve(session, spec.name)
                if directory.get(name) is not None or name in seen:
                    if not statement.ifNotExists:
                        failed.append(name)
                    else:
                        notes.append(name)
                    continue
                seen.add(name)
                plugin, authString, made = self._authFor(spec.auth, None, name)
                if made is not None:
                    generated.append(made)
                account = Account(name, plugin, authString, locked=bool(statement.accountLock))
                changes.append(PutAccount(account))
            if failed:
                raise _cannot("CREATE USER", failed)
            return changes

        d = self.accounts.run(change)
        d.addCallback(lambda ignored: self._note(session, errors.UserAlreadyExists, notes))
        d.addCallback(lambda ignored: self._generatedResult(generated))
        return d

    def _note(self, session: Any, error: Any, names: Sequence[AccountName]) -> None:
        """
        Add a note naming each account to the statement's diagnostics.
        """
        diagnostics = getattr(session, "warnings", None)
        if not isinstance(diagnostics, list):
            # (A session that keeps no diagnostics: see _diagnose.)
            return
        for name in names:
            note = error(account=str(name))
            diagnostics.append(("Note", note.errorCode, note.message))

    def _doAlterUser(self, statement: ast.AlterUser, session: Any) -> Deferred:
        self._checkOptions(statement.options)
        me = self._self(session)
        onlyOwnPassword = statement.accountLock is None and all(
            self._resolve(session, spec.name) == me
            and spec.auth is not None
            and spec.auth.plugin is None
            for spec in statement.users
        )
        if not onlyOwnPassword:
            self._require(session, CREATE_USER)
        generated: List[_Generated] = []

        notes: List[AccountName] = []

        def change(directory: Any) -> List[Any]:
            changes: List[Any] = []
            failed: List[AccountName] = []
            del notes[:]
            for spec in statement.users:
                name = self._resolve(session, spec.name)
                existing = directory.get(name)
                if existing is None:
                    if not statement.ifExists:
                        failed.append(name)
                    else:
                        notes.append(name)
                    continue
                plugin, authString, made = self._authFor(spec.auth, existing, name)
                if made is not None:
                    generated.append(made)
                locked = existing.locked if statement.accountLock is None else statement.accountLock
                changes.append(
                    PutAccount(attr.evolve(existing, plugin=plugin, authString=authString, locked=locked))
                )
            if failed:
                raise _cannot("ALTER USER", failed)
            return changes

        d = self.accounts.run(change)
        d.addCallback(lambda ignored: self._note(session, errors.UserDoesNotExist, notes))
        d.addCallback(lambda ignored: self._generatedResult(generated))
        return d

    def _doDropUser(self, statement: ast.DropUser, session: Any) -> Deferred:
        self._require(session, CREATE_USER)

        notes: List[AccountName] = []

        def change(directory: Any) -> List[Any]:
            changes: List[Any] = []
            failed: List[AccountName] = []
            dropped = set()
            del notes[:]
            for raw in statement.names:
                name = self._resolve(session, raw)
                # A name given twice is gone by its second mention, as in MySQL.
                if directory.get(name) is None or name in dropped:
                    if not statement.ifExists:
                        failed.append(name)
                    else:
                        notes.append(name)
                    continue
                dropped.add(name)
                changes.append(DeleteAccount(name))
                # As MySQL: the grants the account holds go, the grants on it
                # stay (they work again if it is created again).
                for grant in directory.proxyGrantsFor(name):
                    changes.append(DeleteProxyGrant(grant.proxy, grant.proxied))
            if failed:
                raise _cannot("DROP USER", failed)
            return changes

        return self.accounts.run(change).addCallback(
            lambda ignored: self._note(session, errors.UserDoesNotExist, notes)
        )

    def _doRenameUser(self, statement: ast.RenameUser, session: Any) -> Deferred:
        self._require(session, CREATE_USER)

        def change(directory: Any) -> List[Any]:
            changes: List[Any] = []
            failed: List[AccountName] = []
            # Later pairs see the renames of earlier ones, as in MySQL.
            current = directory
            for rawOld, rawNew in statement.pairs:
                old = self._resolve(session, rawOld)
                new = self._resolve(session, rawNew)
                account = current.get(old)
                if account is None or current.get(new) is not None:
                    failed.append(old)
                    continue
                step: List[Any] = [DeleteAccount(old), PutAccount(attr.evolve(account, name=new))]
                # As MySQL: the grants the account holds move with it; grants
                # naming it as the proxied account keep the old name.
                for grant in current.proxyGrantsFor(old):
                    step.append(DeleteProxyGrant(grant.proxy, grant.proxied))
                    step.append(PutProxyGrant(attr.evolve(grant, proxy=new)))
                current = current.withChanges(step)
                changes.extend(step)
            if failed:
                raise _cannot("RENAME USER", failed)
            return changes

        return self.accounts.run(change).addCallback(lambda ignored: None)

    def _doSetPassword(self, statement: ast.SetPassword, session: Any) -> Deferred:
        name = self._resolve(session, statement.name)
        if name != self._self(session):
            self._require(session, CREATE_USER)
        if statement.retainCurrentPassword or statement.replace is not None:
            raise errors.NotSupportedYet(what="RETAIN CURRENT PASSWORD and REPLACE")
        generated: List[_Generated] = []

        def change(directory: Any) -> List[Any]:
            existing = directory.get(name)
            if existing is None:
                raise errors.PasswordNoMatch()
            method = self._method(existing.plugin)
            if not hasattr(method, "verifyPassword"):
                raise errors.SetPasswordAuthPlugin(user=name.user, host=name.host)
            if statement.randomPassword:
                password = _randomPassword()
                generated.append(_Generated(name, password))
                authString = self._hash(method, password)
            elif statement.hashed is not None:
                authString = method.checkAuthString(statement.hashed)
            else:
                password = statement.password or b""
                authString = self._hash(method, password) if password else b""
            return [PutAccount(attr.evolve(existing, authString=authString))]

        d = self.accounts.run(change)
        d.addCallback(lambda ignored: self._generatedResult(generated))
        return d

    def _doShowCreateUser(self, statement: ast.ShowCreateUser, session: Any) -> Any:
        name = self._resolve(session, statement.name)
        if name != self._self(session) and not (
            self._holds(session, CREATE_USER) or self._holds(session, "SELECT")
        ):
            raise errors.SpecificAccessDenied(privilege="CREATE USER")
        account = self.accounts.directory.get(name)
        if account is None:
            raise _cannot("SHOW CREATE USER", [name])
        column = f"CREATE USER for {name.user}@{name.host}"
        return [column], [[showCreateUser(account).encode("utf-8")]]

    def _doShowGrants(self, statement: ast.ShowGrants, session: Any) -> Any:
        name = self._resolve(session, statement.name)
        if name != self._self(session) and not (
            self._holds(session, CREATE_USER) or self._holds(session, "SELECT")
        ):
            # MySQL checks SELECT on its mysql schema, where grants live,
            # and names the session's account.
            me = self._self(session)
            raise errors.DatabaseAccessDenied(user=me.user, host=me.host, database="mysql")
        directory = self.accounts.directory
        account = directory.get(name)
        if account is None:
            raise errors.NonExistingGrant(user=name.user, host=name.host)
        lines = showGrants(account, directory.proxyGrantsFor(name))
        return [f"Grants for {name.user}@{name.host}"], [[line.encode("utf-8")] for line in lines]

    def _privilegeSet(self, privileges: Sequence[str]) -> Tuple[frozenset, bool]:
        wanted = set()
        grantOption = False
        for privilege in privileges:
            if privilege in ("ALL", "ALL PRIVILEGES"):
                wanted |= ALL_PRIVILEGES
            elif privilege == "USAGE":
                continue
            elif privilege == "GRANT OPTION":
                grantOption = True
            elif privilege in ALL_PRIVILEGES:
                wanted.add(privilege)
            else:
                raise errors.NotSupportedYet(what=f"the privilege {privilege}")
        return frozenset(wanted), grantOption

    def _checkGrantor(self, session: Any, privileges: frozenset) -> None:
        """
        MySQL's rule for GRANT and REVOKE of global privileges: the session's
        account needs GRANT OPTION and every privilege named.
        """
        if getattr(session, "bootstrap", False):
            return
        mine = session.avatar.account
        if not mine.grantOption or not privileges <= mine.privileges:
            raise self._denied(session)

    def _checkLevel(self, level: Optional[str]) -> None:
        if level is not None and level != "*.*":
            raise errors.NotSupportedYet(what=f"privileges on {level}: only *.* is kept")

    def _doGrant(self, statement: ast.Grant, session: Any) -> Deferred:
        self._checkLevel(statement.level)
        wanted, grantOption = self._privilegeSet(statement.privileges)
        grantOption = grantOption or statement.withGrantOption
        self._checkGrantor(session, wanted)

        def change(directory: Any) -> List[Any]:
            changes = []
            for raw in statement.grantees:
                name = self._resolve(session, raw)
                existing = directory.get(name)
                if existing is None:
                    raise errors.CantCreateUserWithGrant()
                changes.append(
                    PutAccount(
                        attr.evolve(
                            existing,
                            privileges=existing.privileges | wanted,
                            grantOption=existing.grantOption or grantOption,
                        )
                    )
                )
            return changes

        return self.accounts.run(change).addCallback(lambda ignored: None)

    def _doRevoke(self, statement: ast.Revoke, session: Any) -> Deferred:
        self._checkLevel(statement.level)
        everything = statement.level is None
        if everything:
            # REVOKE ALL PRIVILEGES, GRANT OPTION FROM ...
            self._require(session, CREATE_USER)
            wanted, grantOption = ALL_PRIVILEGES, True
        else:
            wanted, grantOption = self._privilegeSet(statement.privileges)
            grantOption = grantOption or statement.grantOption
            self._checkGrantor(session, wanted)

        def change(directory: Any) -> List[Any]:
            changes: List[Any] = []
            for raw in statement.grantees:
                name = self._resolve(session, raw)
                existing = directory.get(name)
                if existing is None:
                    if statement.ignoreUnknownUser:
                        continue
                    raise errors.NonExistingGrant(user=name.user, host=name.host)
                changes.append(
                    PutAccount(
                        attr.evolve(
                            existing,
                            privileges=existing.privileges - wanted,
                            grantOption=existing.grantOption and not grantOption,
                        )
                    )
                )
                if everything:
                    for grant in directory.proxyGrantsFor(name):
                        changes.append(DeleteProxyGrant(grant.proxy, grant.proxied))
            return changes

        return self.accounts.run(change).addCallback(lambda ignored: None)

    def _mayGrantProxy(self, session: Any, directory: Any, proxied: AccountName) -> bool:
        """
        MySQL's rule (C{acl_check_proxy_grant_access}): an account may grant
        PROXY on itself, or on an account covered by a PROXY grant it holds
        WITH GRANT OPTION (a proxied side of C{''@''} covers every account,
        as root's C{GRANT PROXY ON ''@'' ... WITH GRANT OPTION} does).
        """
        if getattr(session, "bootstrap", False):
            return True
        me = self._self(session)
        if me == proxied:
            return True
        for grant in directory.proxyGrantsFor(me):
            if not grant.withGrantOption:
                continue
            userCovered = grant.proxied.user in ("", proxied.user)
            hostCovered = grant.proxied.host in ("", "%") or wildcardMatches(
                grant.proxied.host, proxied.host, caseSensitive=False
            )
            if userCovered and hostCovered:
                return True
        return False

    def _proxyDenied(self, session: Any) -> errors.MySQLError:
        avatar = session.avatar
        return errors.AccessDeniedNoPassword(user=avatar.user, host=avatar.clientHost)

    def _doGrantProxy(self, statement: ast.GrantProxy, session: Any) -> Deferred:
        proxied = self._resolve(session, statement.proxied)

        def change(directory: Any) -> List[Any]:
            if not self._mayGrantProxy(session, directory, proxied):
                raise self._proxyDenied(session)
            changes = []
            for raw in statement.grantees:
                proxy = self._resolve(session, raw)
                if directory.get(proxy) is None:
                    raise errors.CantCreateUserWithGrant()
                existing = directory.proxyGrant(proxy, proxied)
                withGrant = statement.withGrantOption or bool(existing and existing.withGrantOption)
                changes.append(PutProxyGrant(ProxyGrant(proxy, proxied, withGrant)))
            return changes

        return self.accounts.run(change).addCallback(lambda ignored: None)

    def _doRevokeProxy(self, statement: ast.RevokeProxy, session: Any) -> Deferred:
        proxied = self._resolve(session, statement.proxied)

        def change(directory: Any) -> List[Any]:
            if not self._mayGrantProxy(session, directory, proxied):
                raise self._proxyDenied(session)
            changes = []
            for raw in statement.grantees:
                proxy = self._resolve(session, raw)
                if directory.get(proxy) is None:
                    if statement.ignoreUnknownUser:
                        continue
                    raise errors.NonExistingGrant(user=proxy.user, host=proxy.host)
                if directory.proxyGrant(proxy, proxied) is None:
                    if statement.ifExists:
                        continue
                    raise errors.NonExistingGrant(user=proxy.user, host=proxy.host)
                changes.append(DeleteProxyGrant(proxy, proxied))
            return changes

        return self.accounts.run(change).addCallback(lambda ignored: None)

    # -- plugins -------------------------------------------------------------

    def _catalog(self) -> Any:
        catalog = getattr(self.config, "plugins", None)
        if catalog is None:
            raise errors.NotSupportedYet(what="plugin management on a server without a plugin catalog")
        return catalog

    def _pluginRows(self) -> List[List[Any]]:
        catalog = getattr(self.config, "plugins", None)
        if catalog is None:
            states = [_LoadedState(m) for m in self.methods]
        else:
            states = sorted(catalog.states.values(), key=lambda st: st.method.pluginName)
        rows = []
        for state in states:
            method = state.method
            library = state.library
            rows.append(
                [
                    method.pluginName,
                    getattr(method, "version", "1.0"),
                    state.status,
                    "AUTHENTICATION",
                    "2.1",
                    library,
                    None if library is None else "1.11",
                    getattr(method, "author", "twisted_mysqlauth developers"),
                    getattr(method, "description", method.pluginName),
                    getattr(method, "license", "MIT"),
                    state.loadOption,
                ]
            )
        return rows

    def _doShowPlugins(self, statement: ast.ShowPlugins, session: Any) -> Any:
        rows = [[r[0], r[2], r[3], r[5], r[9]] for r in self._pluginRows()]
        return ["Name", "Status", "Type", "Library", "License"], [[_toBytes(v) for v in r] for r in rows]

    async def _recordInstalled(self, catalog: Any) -> None:
        installed = sorted(
            [state.method.pluginName, state.library]
            for state in catalog.states.values()
            if state.installed
        )
        await self.accounts.store.putSetting(INSTALLED_PLUGINS_SETTING, json.dumps(installed))

    def _requireOnPluginTable(self, session: Any, privilege: str) -> None:
        if not self._holds(session, privilege):
            avatar = session.avatar
            raise errors.TableAccessDenied(
                command=privilege, user=avatar.user, host=avatar.clientHost, table="plugin"
            )

    async def _doInstallPlugin(self, statement: ast.InstallPlugin, session: Any) -> None:
        self._requireOnPluginTable(session, "INSERT")
        catalog = self._catalog()
        if not statement.name:
            # MariaDB's INSTALL SONAME: every plugin of the library.
            methods = catalog.inLibrary(statement.soname)
            if not methods:
                raise errors.CantOpenLibrary(library=statement.soname)
            for method in methods:
                if self.methods.get(method.pluginName) is None:
                    await self._doInstallPlugin(
                        ast.InstallPlugin(method.pluginName, statement.soname), session
                    )
            return None
        existing = self.methods.get(statement.name)
        if existing is not None:
            raise errors.UDFExists(name=statement.name)
        if not catalog.inLibrary(statement.soname):
            raise errors.CantOpenLibrary(library=statement.soname)
        method = catalog.find(statement.name, statement.soname)
        if method is None:
            raise errors.CantFindDLEntry(name=statement.name)
        state = catalog.load(method, getattr(self.config, "settings", None), installed=True)
        if state.status != "ACTIVE":
            catalog.unload(method)
            raise errors.CantInitializeUDF(name=statement.name, reason=state.error)
        await self._recordInstalled(catalog)
        return None

    async def _doUninstallPlugin(self, statement: ast.UninstallPlugin, session: Any) -> None:
        self._requireOnPluginTable(session, "DELETE")
        catalog = self._catalog()
        method = self.methods.get(statement.name)
        if method is None or method.pluginName.lower() != statement.name.lower():
            raise errors.PluginDoesNotExist(name=statement.name)
        if libraryOf(method) is None:
            raise errors.PluginDeleteBuiltin()
        if method.pluginName == self.config.defaultPlugin:
            raise errors.PluginIsPermanent(name=method.pluginName)
        catalog.unload(method)
        shutdown = getattr(method, "shutdown", None)
        if shutdown is not None:
            # Its worker processes or threads (PAM) end with it.
            await shutdown()
        await self._recordInstalled(catalog)
        return None

    def _doFlushPrivileges(self, statement: ast.FlushPrivileges, session: Any) -> Deferred:
        self._require(session, "RELOAD")
        if getattr(self.config, "skipGrantTables", False):
            # As MySQL: FLUSH PRIVILEGES turns authentication on again for
            # the connections that follow.
            self.config.skipGrantTables = False
        return self.accounts.reload().addCallback(lambda ignored: None)

    # -- reads and session state -----------------------------------------------

    def _tableRows(self, table: Any, session: Any) -> Tuple[List[str], List[Dict[str, Any]]]:
        schema = table.schema or session.connection.database
        if schema is None:
            raise errors.NoDatabaseSelected()
        if schema.lower() == "information_schema" and table.name.lower() == "plugins":
            return PLUGIN_COLUMNS, [dict(zip(PLUGIN_COLUMNS, row)) for row in self._pluginRows()]
        raise errors.NoSuchTable(schema=schema, table=table.name)

    def _doSelect(self, statement: ast.Select, session: Any) -> Any:
        evaluate = _Evaluator(self.config, session)
        if statement.fromTable is not None:
            tableColumns, tableRows = self._tableRows(statement.fromTable, session)
            items: List[Any] = []
            for item in statement.items:
                if isinstance(item.expr, ast.Star):
                    items.extend(ast.SelectItem(ast.Column(c), None, c) for c in tableColumns)
                else:
                    items.append(item)
            rows: List[List[Any]] = []
            for row in tableRows:
                evaluate.row = row
                if statement.where is None or _truthy(evaluate(statement.where)):
                    rows.append([evaluate(item.expr) for item in items])
            statement = attr.evolve(statement, items=tuple(items))
        elif statement.where is not None and not _truthy(evaluate(statement.where)):
            rows = []
        else:
            rows = [[evaluate(item.expr) for item in statement.items]]
        if statement.offset:
            rows = rows[statement.offset :]
        if statement.limit is not None:
            rows = rows[: statement.limit]
        columns = []
        for index, item in enumerate(statement.items):
            sample = rows[0][index] if rows else None
            columnType = C.MYSQL_TYPE_LONGLONG if isinstance(sample, int) else C.MYSQL_TYPE_VAR_STRING
            name = item.alias
            if name is None:
                name = item.text
                expr = item.expr
                # MySQL names an un-aliased string literal after its value.
                if (
                    isinstance(expr, ast.Literal)
                    and isinstance(expr.value, bytes)
                    and expr.charset != "binary"
                ):
                    name = expr.value.decode("utf-8", "replace")
            columns.append(Column(name, columnType=columnType))
        return columns, [[_toBytes(v) for v in row] for row in rows]

    def _doSetVariables(self, statement: ast.SetVariables, session: Any) -> None:
        evaluate = _Evaluator(self.config, session)
        updates: Dict[str, Any] = {}
        userUpdates: Dict[str, Any] = {}
        for assignment in statement.assignments:
            if assignment.scope == "user":
                userUpdates[assignment.name.lower()] = evaluate(assignment.expr)
                continue
            name = assignment.name.lower()
            if name not in SYSTEM_VARIABLES:
                if name in methodVariables(self.config):
                    raise errors.ReadOnlyVariable(name=name)
                raise errors.UnknownSystemVariable(name=assignment.name)
            if assignment.scope in ("global", "persist", "persist_only"):
                self._require(session, "SUPER")
                raise errors.NotSupportedYet(what="SET GLOBAL")
            if name in READ_ONLY_VARIABLES:
                raise errors.ReadOnlyVariable(name=name)
            expr = assignment.expr
            if isinstance(expr, ast.Default):
                updates[name] = None
            elif isinstance(expr, ast.Column) and expr.table is None:
                updates[name] = expr.name
            else:
                updates[name] = evaluate(expr)
            if name in BOOLEAN_VARIABLES and updates[name] is not None:
                updates[name] = _booleanValue(name, updates[name])
        for name, value in updates.items():
            if value is None:
                session.variables.pop(name, None)
            else:
                session.variables[name] = value
        session.userVariables.update(userUpdates)
        return None

    def _doSetNames(self, statement: ast.SetNames, session: Any) -> None:
        if statement.charset is not None:
            for name in ("character_set_client", "character_set_connection", "character_set_results"):
                session.variables[name] = statement.charset
        if statement.collation is not None:
            session.variables["collation_connection"] = statement.collation
        return None

    def _doSetTransaction(self, statement: ast.SetTransaction, session: Any) -> None:
        return None

    def _doTransaction(self, statement: ast.Transaction, session: Any) -> None:
        if statement.release:
            # The session closes the connection once it has answered.
            session.releaseAfterAnswer = True
        return None

    def _doUse(self, statement: ast.Use, session: Any) -> None:
        session.connection.database = statement.database
        return None

    def _doShowVariables(self, statement: ast.ShowVariables, session: Any) -> Any:
        evaluate = _Evaluator(self.config, session)
        rows = []
        for name in sorted(SYSTEM_VARIABLES | set(methodVariables(self.config))):
            if statement.like is not None and not wildcardMatches(
                statement.like.decode("utf-8", "replace"), name, caseSensitive=False
            ):
                continue
            value = evaluate.variable(name)
            if isinstance(value, bool):
                value = "ON" if value else "OFF"
            if name in SHOWN_AS_ON_OFF and isinstance(value, int):
                value = "ON" if value else "OFF"
            rows.append([name.encode("utf-8"), _toBytes(value)])
        return ["Variable_name", "Value"], rows

    def _doShowWarnings(self, statement: ast.ShowWarnings, session: Any) -> Any:
        diagnostics = [
            (level, code, message)
            for level, code, message in getattr(session, "warnings", [])
            if level == "Error" or not statement.errorsOnly
        ]
        if statement.countOnly:
            name = "error_count" if statement.errorsOnly else "warning_count"
            return [f"@@session.{name}"], [[str(len(diagnostics)).encode("ascii")]]
        rows = [
            [level.encode("ascii"), str(code).encode("ascii"), message.encode("utf-8")]
            for level, code, message in diagnostics
        ]
        offset = statement.offset or 0
        end = None if statement.limit is None else offset + statement.limit
        return ["Level", "Code", "Message"], rows[offset:end]

    def _doShowDatabases(self, statement: ast.ShowDatabases, session: Any) -> Any:
        return ["Database"], [[b"information_schema"]]

    def _doFlush(self, statement: ast.Flush, session: Any) -> None:
        self._require(session, "RELOAD")
        return None

    def _doCommentOnly(self, statement: ast.CommentOnly, session: Any) -> None:
        return None

    def _doUnsupported(self, statement: ast.Unsupported, session: Any) -> None:
        raise errors.NotSupportedYet(what=statement.keyword)


#: Session variables that hold ON/OFF, kept as 1/0.
BOOLEAN_VARIABLES = frozenset(
    [
        "autocommit",
        "foreign_key_checks",
        "unique_checks",
        "sql_auto_is_null",
        "sql_safe_updates",
        "transaction_read_only",
        "tx_read_only",
    ]
)


#: Boolean variables: C{SELECT @@x} gives 1 or 0, C{SHOW VARIABLES} ON or
#: OFF, as in MySQL.
SHOWN_AS_ON_OFF = BOOLEAN_VARIABLES | frozenset(
    [
        "check_proxy_users",
        "mysql_native_password_proxy_users",
        "sha256_password_proxy_users",
        "require_secure_transport",
    ]
)


def _booleanValue(name: str, value: Any) -> int:
    text = (_text(value) or "").strip().lower()
    if text in ("1", "on", "true"):
        return 1
    if text in ("0", "off", "false"):
        return 0
    raise errors.WrongValueForVar(name=name, value=_text(value))


def _truthy(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, (bytes, str)):
        try:
            return float(value) != 0
        except ValueError:
            return False
    return bool(value)


def _toBytes(value: Any) -> Optional[bytes]:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value
    if isinstance(value, bool):
        return b"1" if value else b"0"
    return str(value).encode("utf-8")


def _text(value: Any) -> Optional[str]:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


#: System variables that cannot be set.
READ_ONLY_VARIABLES = frozenset(
    [
        "version",
        "version_comment",
        "proxy_user",
        "external_user",
        "hostname",
        "port",
        "socket",
        "have_ssl",
        "default_authentication_plugin",
        "require_secure_transport",
        "check_proxy_users",
        "mysql_native_password_proxy_users",
        "sha256_password_proxy_users",
        "license",
        "lower_case_table_names",
        "system_time_zone",
        "protocol_version",
        "version_compile_os",
        "version_compile_machine",
        "server_id",
        "datadir",
    ]
)


def _fromSettings(config: Any, read: Callable[[Any], str]) -> str:
    """
    @return: what C{read} finds in twistd's settings, or C{""} for a server
        without them (embedded in an application).
    """
    settings = getattr(config, "settings", None)
    return "" if settings is None else read(settings)


def _systemDefaults(config: Any, session: Any) -> Dict[str, Callable[[], Any]]:
    avatar = session.avatar
    proxy = getattr(avatar, "proxyUser", None)
    return {
        "version": lambda: config.serverVersion,
        "version_comment": lambda: "twisted_mysqlauth",
        "version_compile_os": lambda: "Linux",
        "version_compile_machine": lambda: "x86_64",
        "protocol_version": lambda: 10,
        "proxy_user": lambda: None if proxy is None else str(proxy),
        "external_user": lambda: getattr(avatar, "externalUser", None),
        "autocommit": lambda: 1,
        "auto_increment_increment": lambda: 1,
        "auto_increment_offset": lambda: 1,
        "max_allowed_packet": lambda: config.maxAllowedPacket,
        "net_buffer_length": lambda: 16384,
        "character_set_client": lambda: "utf8mb4",
        "character_set_connection": lambda: "utf8mb4",
        "character_set_results": lambda: "utf8mb4",
        "character_set_server": lambda: "utf8mb4",
        "character_set_database": lambda: "utf8mb4",
        "collation_connection": lambda: "utf8mb4_general_ci",
        "collation_server": lambda: "utf8mb4_general_ci",
        "collation_database": lambda: "utf8mb4_general_ci",
        "sql_mode": lambda: "ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,"
        "NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION",
        "time_zone": lambda: "SYSTEM",
        "system_time_zone": lambda: "UTC",
        "transaction_isolation": lambda: "REPEATABLE-READ",
        "tx_isolation": lambda: "REPEATABLE-READ",
        "transaction_read_only": lambda: 0,
        "tx_read_only": lambda: 0,
        "lower_case_table_names": lambda: 0,
        "wait_timeout": lambda: 28800,
        "interactive_timeout": lambda: 28800,
        "net_write_timeout": lambda: 60,
        "net_read_timeout": lambda: 30,
        "connect_timeout": lambda: int(config.connectTimeout),
        "init_connect": lambda: "",
        "license": lambda: "MIT",
        "have_ssl": lambda: "YES" if config.tlsOptions is not None else "DISABLED",
        "require_secure_transport": lambda: int(config.requireSecureTransport),
        "default_authentication_plugin": lambda: config.defaultPlugin,
        "check_proxy_users": lambda: int(config.checkProxyUsers),
        "mysql_native_password_proxy_users": lambda: int(config.nativePasswordProxyUsers),
        "sha256_password_proxy_users": lambda: int(config.sha256PasswordProxyUsers),
        "performance_schema": lambda: 0,
        "query_cache_size": lambda: 0,
        "query_cache_type": lambda: "OFF",
        "sql_select_limit": lambda: 18446744073709551615,
        "max_execution_time": lambda: 0,
        "session_track_schema": lambda: "ON",
        "session_track_system_variables": lambda: "",
        "session_track_state_change": lambda: "OFF",
        "session_track_transaction_info": lambda: "OFF",
        "sql_auto_is_null": lambda: 0,
        "sql_safe_updates": lambda: 0,

        # (The statement before this one: see Executor.run.)
        "warning_count": lambda: len(getattr(session, "previousWarnings", ())),
        "error_count": lambda: sum(
            1 for level, _, _ in getattr(session, "previousWarnings", ()) if level == "Error"
        ),
        "identity": lambda: 0,
        "last_insert_id": lambda: 0,
        "foreign_key_checks": lambda: 1,
        "unique_checks": lambda: 1,
        "names": lambda: "utf8mb4",
        "server_id": lambda: 1,
        "hostname": socket.gethostname,
        # Where twistd mysqlauth listens (tap.py); 0 / empty when embedded.
        "port": lambda: getattr(config, "tcpPort", 0),
        "socket": lambda: _fromSettings(config, lambda settings: settings.socketPath() or ""),
        "datadir": lambda: _fromSettings(
            config, lambda settings: os.path.join(os.path.abspath(settings.datadir), "")
        ),
        "storage_engine": lambda: "InnoDB",
        "default_storage_engine": lambda: "InnoDB",
        "div_precision_increment": lambda: 4,
        "group_concat_max_len": lambda: 1024,
        "max_connections": lambda: 151,
        "long_query_time": lambda: 10,
        "lc_messages": lambda: "en_US",
        "ssl_cipher": lambda: "",
    }


#: The system variables this server knows.
SYSTEM_VARIABLES = frozenset(_systemDefaults(None, SimpleNamespace(avatar=None)))

_MISSING = object()


def methodVariables(config: Any) -> Dict[str, Any]:
    """
    The system variables of the loaded auth methods (read-only here: they
    are set at start, in the my.cnf or with C{--set-variable}): a method's
    C{variables} if it keeps its current values there, else the defaults.
    """
    from twisted_mysqlauth.auth.registry import variableValues

    values: Dict[str, Any] = {}
    for method in getattr(config, "methods", None) or ():
        current = getattr(method, "variables", None)
        if current is None:
            try:
                current = variableValues(method, None)
            except ValueError:
                current = {}
        values.update(current)
    return values


class _Evaluator:
    """
    Evaluate the expressions of a C{SELECT} or C{SET}.
    """

    def __init__(self, config: Any, session: Any) -> None:
        self.config = config
        self.session = session
        self.avatar = session.avatar
        self._defaults = _systemDefaults(config, session)
        #: The current row of a table being read (column name -> value).
        self.row: Optional[Dict[str, Any]] = None

    def __call__(self, expr: Any) -> Any:
        method = getattr(self, "_eval" + type(expr).__name__, None)
        if method is None:
            raise errors.NotSupportedYet(what=f"the expression {type(expr).__name__}")
        return method(expr)

    def variable(self, name: str) -> Any:
        lowered = name.lower()
        if lowered in self.session.variables:
            return self.session.variables[lowered]
        factory = self._defaults.get(lowered)
        if factory is None:
            value = methodVariables(self.config).get(lowered, _MISSING)
            if value is _MISSING:
                raise errors.UnknownSystemVariable(name=name)
            return value
        return factory()

    def _evalLiteral(self, expr: ast.Literal) -> Any:
        value = expr.value
        if isinstance(value, bytes) and expr.charset != "binary":
            return value.decode("utf-8", "replace")
        if isinstance(value, (Decimal, float)):
            return value
        return value

    def _evalSystemVariable(self, expr: ast.SystemVariable) -> Any:
        if expr.scope == "global" and expr.name.lower() in ("proxy_user", "external_user"):
            raise errors.IncorrectGlobalLocalVar(name=expr.name, scope="SESSION")
        return self.variable(expr.name)

    def _evalUserVariable(self, expr: ast.UserVariable) -> Any:
        return self.session.userVariables.get(expr.name.lower())

    def _evalFunctionCall(self, expr: ast.FunctionCall) -> Any:
        name = expr.name
        args = [self(a) for a in expr.args]
        avatar = self.avatar
        if name in ("USER", "SESSION_USER", "SYSTEM_USER"):
            return avatar.userAtHost
        if name == "CURRENT_USER":
            return avatar.currentUser
        if name == "CONNECTION_ID":
            return self.session.connection.connectionId
        if name in ("DATABASE", "SCHEMA"):
            return self.session.connection.database
        if name == "VERSION":
            return self.config.serverVersion
        if name in ("NOW", "CURRENT_TIMESTAMP", "SYSDATE", "LOCALTIME", "LOCALTIMESTAMP"):
            return datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S")
        if name in ("LAST_INSERT_ID", "ROW_COUNT", "FOUND_ROWS"):
            return 0
        if name == "CONCAT":
            if any(a is None for a in args):
                return None
            return "".join(_text(a) or "" for a in args)
        if name in ("IFNULL", "COALESCE"):
            for a in args:
                if a is not None:
                    return a
            return None
        if name in ("LOWER", "LCASE") and len(args) == 1:
            return None if args[0] is None else _text(args[0]).lower()
        if name in ("UPPER", "UCASE") and len(args) == 1:
            return None if args[0] is None else _text(args[0]).upper()
        raise errors.FunctionDoesNotExist(name=name)

    def _evalColumn(self, expr: ast.Column) -> Any:
        if self.row is not None and expr.name.upper() in self.row:
            return self.row[expr.name.upper()]
        raise errors.BadFieldError(column=expr.name, where="field list")

    def _evalLike(self, expr: ast.Like) -> Any:
        value, pattern = self(expr.expr), self(expr.pattern)
        if value is None or pattern is None:
            return None
        matched = wildcardMatches(_text(pattern), _text(value), caseSensitive=False)
        return int(matched != expr.negated)

    def _evalUnaryOp(self, expr: ast.UnaryOp) -> Any:
        value = self(expr.operand)
        if value is None:
            return None
        if expr.op == "NOT":
            return int(not _truthy(value))
        if expr.op == "-" and isinstance(value, (int, Decimal, float)):
            return -value
        raise errors.NotSupportedYet(what=f"the operator {expr.op}")

    def _evalBinaryOp(self, expr: ast.BinaryOp) -> Any:
        op = expr.op
        left = self(expr.left)
        if op == "AND":
            if left is not None and not _truthy(left):
                return 0
            right = self(expr.right)
            if left is None or right is None:
                return None if right is None or _truthy(right) else 0
            return int(_truthy(right))
        if op == "OR":
            if _truthy(left):
                return 1
            right = self(expr.right)
            if _truthy(right):
                return 1
            return None if left is None or right is None else 0
        right = self(expr.right)
        if left is None or right is None:
            return 1 if op == "<=>" and left is None and right is None else (0 if op == "<=>" else None)
        if isinstance(left, (int, Decimal, float)) and isinstance(right, (int, Decimal, float)):
            a, b = left, right
        else:
            a, b = (_text(left) or "").lower(), (_text(right) or "").lower()
        comparisons = {
            "=": lambda: a == b,
            "<=>": lambda: a == b,
            "<>": lambda: a != b,
            "<": lambda: a < b,
            "<=": lambda: a <= b,
            ">": lambda: a > b,
            ">=": lambda: a >= b,
        }
        if op in comparisons:
            return int(comparisons[op]())
        if op in ("+", "-", "*") and isinstance(left, int) and isinstance(right, int):
            return {"+": left + right, "-": left - right, "*": left * right}[op]
        raise errors.NotSupportedYet(what=f"the operator {op}")

    def _evalIsTest(self, expr: ast.IsTest) -> Any:
        value = self(expr.expr)
        if expr.value is None:
            result = value is None
        else:
            result = value is not None and _truthy(value) == expr.value
        return int(result != expr.negated)

    def _evalInList(self, expr: ast.InList) -> Any:
        value = self(expr.expr)
        if value is None:
            return None
        items = [self(i) for i in expr.items]
        text = (_text(value) or "").lower()
        found = any(i is not None and (_text(i) or "").lower() == text for i in items)
        return int(found != expr.negated)
