# -*- test-case-name: tests.test_protocol -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
Putting a server together: L{ServerConfiguration} (what every connection
shares) and L{MySQLServerFactory} (the protocol factory an endpoint
listens with).

A Twisted application composes its own MySQL-protocol service like this::

    accounts = AccountManager(SQLiteAccountStore(path, reactor))
    yield accounts.start()
    factory = MySQLServerFactory.forAccounts(
        accounts, reactor, sessionFactory=MySession
    )
    endpoint.listen(factory)

where C{MySession(avatar, connection)} provides
L{twisted_mysqlauth.session.IMySQLSession} and serves the command phase
for the logged-in L{twisted_mysqlauth.interfaces.IMySQLAvatar}.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import os
from typing import Any, Callable, Optional

from twisted.cred.portal import Portal
from twisted.internet.protocol import ServerFactory
from twisted.logger import Logger

from twisted_mysqlauth import __version__
from twisted_mysqlauth.accounts.model import Account, AccountName, ClientAddress
from twisted_mysqlauth.auth import hashing
from twisted_mysqlauth.auth.cachingsha2 import FastDigestCache
from twisted_mysqlauth.auth.registry import MethodRegistry, discoverMethods
from twisted_mysqlauth.checkers import AccountPasswordChecker
from twisted_mysqlauth.interfaces import IPasswordMethod
from twisted_mysqlauth.peercred import peerCredentialsOf
from twisted_mysqlauth.protocol import MySQLServerProtocol
from twisted_mysqlauth.realm import MySQLRealm

#: The version this server announces: a MySQL 8.0 version (clients pick
#: features by it) followed by this project's name and version.
SERVER_VERSION = f"8.0.36-twisted_mysqlauth-{__version__}"

#: The password methods a decoy account for an unknown user may pretend
#: to use, as MySQL's decoy does.
DECOY_METHODS = ("caching_sha2_password", "mysql_native_password", "sha256_password")


class ServerConfiguration:
    """
    What every connection of a server shares.

    @ivar accounts: the L{twisted_mysqlauth.accounts.directory.AccountManager}.
    @ivar methods: the loaded auth methods (L{MethodRegistry}).
    @ivar reactor: the reactor (for the login timeout).
    @ivar defaultPlugin: the method that greets (MySQL's
        C{default_authentication_plugin}).
    @ivar tlsOptions: the TLS context factory for C{startTLS}, or L{None}.
    @ivar rsaKeyPair: the L{twisted_mysqlauth.keys.RSAKeyPair} for
        password exchange over plain TCP, or L{None}.
    @ivar requireSecureTransport: refuse logins that are neither TLS nor a
        UNIX socket (error 3159).
    @ivar connectTimeout: seconds a client has to log in.
    @ivar maxAllowedPacket: the largest packet read after login.
    @ivar sha2Cache: the caching_sha2_password L{FastDigestCache}.
    @ivar peerCredentialsFor: C{transport -> PeerCredentials or None}, called
        when a connection is made (L{peerCredentialsOf} by default).
    @ivar serverVersion: the version text of the greeting.
    @ivar checkProxyUsers: MySQL's C{check_proxy_users}: let the password
        methods below proxy through PROXY grants.
    @ivar nativePasswordProxyUsers: C{mysql_native_password_proxy_users}.
    @ivar sha256PasswordProxyUsers: C{sha256_password_proxy_users}.
    @ivar plugins: the L{twisted_mysqlauth.auth.registry.PluginCatalog}
        behind C{INSTALL PLUGIN} and C{SHOW PLUGINS}, or L{None} (then
        C{methods} is fixed; by default every dropin found is loaded).
    @ivar skipGrantTables: C{--skip-grant-tables}: no authentication at all
        until C{FLUSH PRIVILEGES}.
    """

    _log = Logger()

    def __init__(
        self,
        accounts: Any,
        reactor: Any,
        methods: Optional[MethodRegistry] = None,
        defaultPlugin: str = "caching_sha2_password",
        tlsOptions: Any = None,
        rsaKeyPair: Any = None,
        requireSecureTransport: bool = False,
        connectTimeout: float = 10.0,
        maxAllowedPacket: int = 64 * 1024 * 1024,
        peerCredentialsFor: Callable[[Any], Any] = peerCredentialsOf,
        serverVersion: str = SERVER_VERSION,
        checkProxyUsers: bool = False,
        nativePasswordProxyUsers: bool = False,
        sha256PasswordProxyUsers: bool = False,
        plugins: Any = None,
        skipGrantTables: bool = False,
    ) -> None:
        self.accounts = accounts
        self.reactor = reactor
        if methods is None:
            methods = plugins.loaded if plugins is not None else MethodRegistry(discoverMethods())
        self.methods = methods
        self.plugins = plugins
        self.skipGrantTables = skipGrantTables
        #: What the server was started with (twistd's ServerSettings), for
        #: the initialize() of plugins installed later; None when embedded.
        self.settings: Any = None
        method = self.methods.get(defaultPlugin)
        if (
            method is None
            or method.clientPluginName is None
            or not getattr(method, "canGreet", True)
        ):
            raise ValueError(
                f"default authentication plugin {defaultPlugin!r} is not a loaded "
                "method that talks to a client plugin"
            )
        self.defaultPlugin = method.pluginName
        self.tlsOptions = tlsOptions
        self.rsaKeyPair = rsaKeyPair
        self.requireSecureTransport = requireSecureTransport
        self.connectTimeout = connectTimeout
        self.maxAllowedPacket = maxAllowedPacket
        self.peerCredentialsFor = peerCredentialsFor
        self.serverVersion = serverVersion
        self.checkProxyUsers = checkProxyUsers
        self.nativePasswordProxyUsers = nativePasswordProxyUsers
        self.sha256PasswordProxyUsers = sha256PasswordProxyUsers
        self.sha2Cache = FastDigestCache()
        accounts.addObserver(self.sha2Cache.accountsChanged)
        self._decoySecret = os.urandom(32)
        # Made now, not on the first unknown user: that login must not do
        # more work than a wrong password does.
        self._decoyStrings = {
            name: self.methods.get(name).hashPassword(os.urandom(24).hex().encode("ascii"))
            for name in DECOY_METHODS
            if IPasswordMethod.providedBy(self.methods.get(name))
        }

    def defaultMethod(self) -> Any:
        """
        @return: the method that greets.
        """
        return self.methods.get(self.defaultPlugin)

    def makeNonce(self) -> bytes:
        """
        @return: a fresh 20-byte greeting nonce.
        """
        return hashing.makeNonce()

    def decoyAccount(self, username: str, client: ClientAddress, canSwitch: bool) -> Account:
        """
        An account for a user name that matched none, so that its login runs
        the same exchange and the same work as a wrong password, and fails.
        Which password method it pretends to use is fixed per user name (a
        keyed hash), so repeated probes see the same behaviour.

        @param username: the name the client sent.
        @param client: where it connects from.
        @param canSwitch: whether the client can switch methods (not used
            for the choice, so that it reveals nothing).
        @return: an L{Account} that never verifies (its hash is of a random
            secret nobody knows).
        """
        # Chosen by name alone, whatever the client can do: a client that
        # cannot switch methods then gets 1251 for unknown names just as
        # often as for real accounts of the other methods.
        candidates = list(self._decoyStrings)
        digest = hmac.new(self._decoySecret, username.encode("utf-8"), hashlib.sha256).digest()
        plugin = candidates[digest[0] % len(candidates)]
        authString = self._decoyStrings[plugin]
        return Account(AccountName(username, client.displayHost), plugin, authString)


class MySQLServerFactory(ServerFactory):
    """
    Build L{MySQLServerProtocol}s.

    @ivar config: the L{ServerConfiguration}.
    @ivar portal: the L{Portal} that checks credentials and builds avatars.
    @ivar sessionFactory: C{(avatar, connection) -> IMySQLSession}: what
        serves a connection after its login.
    """

    protocol = MySQLServerProtocol
    _log = Logger()

    #: Whether successful logins are logged (C{twistd mysqlauth --log-logins}).
    logSuccessfulLogins = False

    def __init__(self, config: ServerConfiguration, portal: Portal, sessionFactory: Callable) -> None:
        self.config = config
        self.portal = portal
        self.sessionFactory = sessionFactory
        self._ids = itertools.count(1)

    @classmethod
    def forAccounts(
        cls,
        accounts: Any,
        reactor: Any,
        sessionFactory: Optional[Callable] = None,
        **options: Any,
    ) -> "MySQLServerFactory":
        """
        The usual assembly: a L{ServerConfiguration} over C{accounts}, a
        portal with L{MySQLRealm} and the L{AccountPasswordChecker}.

        @param accounts: a started
            L{twisted_mysqlauth.accounts.directory.AccountManager}.
        @param reactor: the reactor.
        @param sessionFactory: what serves the command phase; by default
            L{twisted_mysqlauth.session.AccountSQLSession}.
        @param options: keyword arguments of L{ServerConfiguration}.
        """
        config = ServerConfiguration(accounts, reactor, **options)
        portal = Portal(MySQLRealm(accounts))
        portal.registerChecker(AccountPasswordChecker(config.methods, config.sha2Cache))
        # Methods that make credentials of their own bring their checkers;
        # those of every method that may be loaded later are registered now
        # (a checker gets nothing until its method is loaded).
        candidates = config.plugins.available if config.plugins is not None else config.methods
        for method in candidates:
            for checker in getattr(method, "credentialsCheckers", lambda: ())():
                portal.registerChecker(checker)
        if sessionFactory is None:
            from twisted_mysqlauth.session import AccountSQLSession

            def sessionFactory(avatar: Any, connection: Any) -> Any:
                return AccountSQLSession(avatar, connection, config)

        return cls(config, portal, sessionFactory)

    def nextConnectionId(self) -> int:
        """
        @return: the id of a new connection.
        """
        return next(self._ids)

    def loginSucceeded(self, protocol: MySQLServerProtocol, avatar: Any) -> None:
        """
        A login succeeded (a hook for audit and metrics; logged when
        L{logSuccessfulLogins} is set: as in MySQL, refusals are always
        logged and successes only on request, because formatting and writing
        a log line costs about a third of a login's CPU time).
        """
        if not self.logSuccessfulLogins:
            return
        self._log.info(
            "login: {user}@{host} as {account} on connection {connectionId}",
            user=avatar.user,
            host=avatar.clientHost,
            account=str(avatar.account.name),
            connectionId=protocol.connectionId,
        )

    def loginFailed(self, protocol: MySQLServerProtocol, error: Any) -> None:
        """
        A login was refused with C{error} (a hook; logs the code, never a
        secret).
        """
        attempt = protocol.attempt
        self._log.info(
            "login refused ({code}): {user!r} from {host} on connection {connectionId}",
            code=error.errorCode,
            user=attempt.username,
            host=attempt.client.displayHost,
            connectionId=protocol.connectionId,
        )

    def loginAborted(self, protocol: MySQLServerProtocol) -> None:
        """
        A connection closed before its login ended.
        """
