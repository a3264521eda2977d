# -*- test-case-name: tests.test_tap -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
C{twistd mysqlauth}: options, and the service that opens the datadir,
loads the accounts and listens.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
from typing import Any, Callable, Dict, List, Optional, Tuple

import attr
from zope.interface import implementer

from twisted.application.internet import StreamServerEndpointService
from twisted.application.service import MultiService
from twisted.internet import defer
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.endpoints import serverFromString
from twisted.internet.interfaces import IStreamServerEndpoint
from twisted.logger import Logger
from twisted.python import usage

from twisted_mysqlauth.auth.registry import normaliseVariableName
from twisted_mysqlauth.mycnf import OptionFileError, readOptionFile

_TRUE = ("1", "on", "true", "yes")
_FALSE = ("0", "off", "false", "no")


def parseBoolean(name: str, value: str) -> bool:
    """
    @return: a MySQL boolean option's value (ON/OFF/1/0/TRUE/FALSE).
    @raise usage.UsageError: for anything else.
    """
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise usage.UsageError(f"option {name}: {value!r} is not a boolean (ON or OFF)")


def parseInteger(name: str, value: str, low: int, high: int) -> int:
    """
    @return: an integer option's value within [low, high].
    @raise usage.UsageError: when it is not one.
    """
    try:
        number = int(value.strip())
    except ValueError:
        raise usage.UsageError(f"option {name}: {value!r} is not a whole number") from None
    if not low <= number <= high:
        raise usage.UsageError(f"option {name}: {number} is outside {low}..{high}")
    return number


@attr.s(auto_attribs=True)
class ServerSettings:
    """
    Everything C{twistd mysqlauth} was told, resolved.
    """

    datadir: str = "mysqlauth-data"
    listen: List[str] = attr.Factory(list)
    port: int = 3306
    bindAddress: str = "127.0.0.1"
    socket: Optional[str] = None
    initFile: Optional[str] = None
    tlsCert: Optional[str] = None
    tlsKey: Optional[str] = None
    requireSecureTransport: bool = False
    defaultAuthenticationPlugin: str = "caching_sha2_password"
    connectTimeout: int = 10
    rsaPrivateKeyPath: str = "private_key.pem"
    rsaPublicKeyPath: str = "public_key.pem"
    checkProxyUsers: bool = False
    nativePasswordProxyUsers: bool = False
    sha256PasswordProxyUsers: bool = False
    pluginDir: Optional[str] = None
    pluginLoad: List[str] = attr.Factory(list)
    skipGrantTables: bool = False
    logLogins: bool = False
    #: Listen with Twisted's stock ports rather than the prompt ports of
    #: L{twisted_mysqlauth.server.serverEndpoint}.
    stockPorts: bool = False
    #: The auth methods' system variables (normalised name -> text), from
    #: the my.cnf and --set-variable; see
    #: L{twisted_mysqlauth.auth.registry.SystemVariable}.
    pluginVariables: Dict[str, str] = attr.Factory(dict)

    def inDatadir(self, path: str) -> str:
        """
        @return: C{path}, resolved against the datadir when relative.
        """
        return path if os.path.isabs(path) else os.path.join(self.datadir, path)

    def listeningEndpoints(self) -> List[str]:
        """
        @return: the endpoints to start: with C{--skip-grant-tables} only
            the UNIX-socket ones (networking off, as MySQL does).
        """
        endpoints = self.endpoints()
        if self.skipGrantTables:
            endpoints = [e for e in endpoints if e.startswith("unix:")]
        return endpoints

    def socketPath(self) -> Optional[str]:
        """
        @return: the absolute path of the first UNIX socket listened on, or
            L{None}.
        """
        for description in self.endpoints():
            path = _unixSocketPath(description)
            if path is not None:
                return os.path.abspath(path)
        return None

    def endpoints(self) -> List[str]:
        """
        @return: the endpoint strings to listen on: C{--listen} if given,
            else TCP on C{bind-address:port} and the UNIX socket.
        """
        if self.listen:
            return list(self.listen)
        address = self.bindAddress
        if address == "*":
            address = "::"
        socketPath = self.inDatadir(self.socket or "mysqld.sock")
        return [
            f"tcp:{self.port}:interface={_escapeEndpoint(address)}",
            f"unix:{_escapeEndpoint(os.path.abspath(socketPath))}:lockfile=1",
        ]


def _endpointFields(description: str) -> List[str]:
    """
    @return: the C{:}-separated fields of an endpoint string, with Twisted's
        backslash escapes undone.
    """
    fields, field, i = [], [], 0
    while i < len(description):
        c = description[i]
        if c == "\\" and i + 1 < len(description):
            field.append(description[i + 1])
            i += 2
            continue
        if c == ":":
            fields.append("".join(field))
            field = []
        else:
            field.append(c)
        i += 1
    fields.append("".join(field))
    return fields


def _unixSocketPath(description: str) -> Optional[str]:
    """
    @return: the socket path of a C{unix:} server endpoint string (its
        C{address=} or first positional argument), or L{None} for any other
        endpoint.
    """
    fields = _endpointFields(description)
    if fields[0] != "unix":
        return None
    positional = None
    for field in fields[1:]:
        name, equals, value = field.partition("=")
        if equals and name in ("address", "mode", "backlog", "lockfile", "wantPID"):
            if name == "address":
                return value
        elif positional is None:
            positional = field
    return positional


def splitPluginLoad(value: str) -> List[str]:
    """
    @return: the entries of a C{--plugin-load} list (C{;}-separated).
    """
    return [entry.strip() for entry in value.split(";") if entry.strip()]


def _text(label: str, value: str) -> str:
    return value


#: The options a C{[mysqld]} section may set, by MySQL name: the
#: L{ServerSettings} attribute each sets and how its value is read
#: (C{plugin_load_add} adds to C{pluginLoad}, as it does in MySQL).
MYCNF_OPTIONS: Dict[str, Tuple[str, Callable[[str, str], Any]]] = {
    "port": ("port", lambda label, value: parseInteger(label, value, 0, 65535)),
    "bind_address": ("bindAddress", _text),
    "socket": ("socket", _text),
    "datadir": ("datadir", _text),
    "default_authentication_plugin": ("defaultAuthenticationPlugin", _text),
    "ssl_cert": ("tlsCert", _text),
    "ssl_key": ("tlsKey", _text),
    "caching_sha2_password_private_key_path": ("rsaPrivateKeyPath", _text),
    "caching_sha2_password_public_key_path": ("rsaPublicKeyPath", _text),
    "require_secure_transport": ("requireSecureTransport", parseBoolean),
    "connect_timeout": ("connectTimeout", lambda label, value: parseInteger(label, value, 2, 31536000)),
    "init_file": ("initFile", _text),
    "check_proxy_users": ("checkProxyUsers", parseBoolean),
    "mysql_native_password_proxy_users": ("nativePasswordProxyUsers", parseBoolean),
    "sha256_password_proxy_users": ("sha256PasswordProxyUsers", parseBoolean),
    "plugin_dir": ("pluginDir", _text),
    "plugin_load": ("pluginLoad", lambda label, value: splitPluginLoad(value)),
    "plugin_load_add": ("pluginLoad", _text),
    "skip_grant_tables": ("skipGrantTables", parseBoolean),
}


def _escapeEndpoint(value: str) -> str:
    return value.replace("\\", "\\\\").replace(":", "\\:").replace("=", "\\=")


class Options(usage.Options):
    """
    The options of C{twistd mysqlauth}.
    """

    synopsis = "[options]"
    longdesc = (
        "A MySQL-protocol server that authenticates real MySQL and MariaDB "
        "clients with MySQL's authentication plugins, over an embedded "
        "SQLite account store in the datadir."
    )

    optParameters = [
        ["datadir", None, None, "Data directory (default ./mysqlauth-data; created on first start)."],
        ["init-file", None, None, "SQL statements run at start with full privileges."],
        ["defaults-file", None, None, "A my.cnf whose [mysqld] section sets options by MySQL's names."],
        ["tls-cert", None, None, "TLS certificate (PEM); default: generated in the datadir."],
        ["tls-key", None, None, "TLS private key (PEM); default: generated in the datadir."],
        [
            "default-authentication-plugin",
            None,
            None,
            "The method that greets (default caching_sha2_password).",
        ],
        ["connect-timeout", None, None, "Seconds a client has to log in (default 10)."],
        ["plugin-dir", None, None, "A folder of third-party auth-method dropins (MySQL's plugin_dir)."],
    ]
    optFlags = [
        ["require-secure-transport", None, "Refuse logins that are neither TLS nor a UNIX socket."],
        ["log-logins", None, "Log every successful login too (refusals are always logged)."],
        [
            "stock-ports",
            None,
            "Listen with Twisted's stock TCP and UNIX ports instead of the prompt ports "
            "(which send a reply once the reactor has handled the poll that wrote it).",
        ],
        [
            "skip-grant-tables",
            None,
            "No authentication at all (insecure: only UNIX-socket listeners start).",
        ],
        ["check-proxy-users", None, "Let the password methods below proxy through PROXY grants."],
        [
            "mysql-native-password-proxy-users",
            None,
            "With --check-proxy-users: mysql_native_password logins proxy to the account their "
            "PROXY grant names.",
        ],
        [
            "sha256-password-proxy-users",
            None,
            "With --check-proxy-users: sha256_password logins proxy to the account their PROXY grant names.",
        ],
    ]

    def __init__(self) -> None:
        super().__init__()
        self["listen"] = []

    def opt_plugin_load_add(self, entry: str) -> None:
        """
        A plugin to load for this run (repeatable): a library such as
        auth_test_plugin.so, or name=library.
        """
        self.setdefault("plugin-load-list", []).append(entry)

    def opt_plugin_load(self, entries: str) -> None:
        """
        Plugins to load for this run, 'name=library;library;...': replaces
        what earlier --plugin-load and --plugin-load-add options said (as
        in MySQL, a later --plugin-load-add adds to it).
        """
        self["plugin-load-list"] = splitPluginLoad(entries)
        self["plugin-load-replaces"] = True

    def opt_set_variable(self, assignment: str) -> None:
        """
        Set an auth method's system variable, name=value (repeatable), e.g.
        --set-variable authentication_pam_pool_size=16.
        """
        name, equals, value = assignment.partition("=")
        if not equals or not name.strip():
            raise usage.UsageError(f"--set-variable wants name=value, not {assignment!r}")
        self.setdefault("variables", []).append((name, value.strip(), "--set-variable"))

    def opt_listen(self, description: str) -> None:
        """
        A Twisted endpoint string to listen on (repeatable), e.g.
        tcp:3306:interface=127.0.0.1 or unix:/run/mysqld/mysqld.sock.
        Default: tcp:3306:interface=127.0.0.1 and unix:<datadir>/mysqld.sock.
        """
        self["listen"].append(description)

    def parseOptions(self, options: Optional[List[str]] = None) -> None:
        """
        Parse the options; under twistd, a usage error ends the process with
        status 1 here, as twistd 26.10 does: twistd before 26.10 printed it
        but exited with status 0, so a service manager or a script saw
        success. (Parsed on its own, as in tests, the error is raised.)
        """
        try:
            super().parseOptions(options)
        except usage.UsageError as e:
            from twisted.application.app import ServerOptions

            parent = getattr(self, "parent", None)
            if not isinstance(parent, ServerOptions):
                raise
            # What twistd prints for a usage error: its usage text, then
            # the command and the problem.
            print(parent)
            print(f"{' '.join(sys.argv[0:2])}: {e}")
            sys.exit(1)

    def postOptions(self) -> None:
        settings = ServerSettings()
        if self["defaults-file"]:
            self._applyOptionFile(settings, self["defaults-file"])
        if self["datadir"]:
            settings.datadir = self["datadir"]
        if self["init-file"]:
            settings.initFile = self["init-file"]
        if self["tls-cert"]:
            settings.tlsCert = self["tls-cert"]
        if self["tls-key"]:
            settings.tlsKey = self["tls-key"]
        if self["require-secure-transport"]:
            settings.requireSecureTransport = True
        if self["check-proxy-users"]:
            settings.checkProxyUsers = True
        if self["mysql-native-password-proxy-users"]:
            settings.nativePasswordProxyUsers = True
        if self["sha256-password-proxy-users"]:
            settings.sha256PasswordProxyUsers = True
        if self["default-authentication-plugin"]:
            settings.defaultAuthenticationPlugin = self["default-authentication-plugin"]
        if self["connect-timeout"] is not None:
            settings.connectTimeout = parseInteger(
                "--connect-timeout", self["connect-timeout"], 2, 31536000
            )
        if self["listen"]:
            settings.listen = list(self["listen"])
        if self["plugin-dir"]:
            settings.pluginDir = self["plugin-dir"]
        if self.get("plugin-load-replaces"):
            settings.pluginLoad = list(self["plugin-load-list"])
        else:
            settings.pluginLoad.extend(self.get("plugin-load-list", []))
        if self["skip-grant-tables"]:
            settings.skipGrantTables = True
        if self["log-logins"]:
            settings.logLogins = True
        if self["stock-ports"]:
            settings.stockPorts = True
        for name, value, where in self.get("variables", []):
            settings.pluginVariables[normaliseVariableName(name)] = value
        self._checkVariables(settings)
        self._checkDefaultPlugin(settings)
        if bool(settings.tlsCert) != bool(settings.tlsKey):
            raise usage.UsageError("give both a TLS certificate and its key, or neither")
        for description in settings.endpoints():
            _checkEndpoint(description)
        self["settings"] = settings

    def _applyOptionFile(self, settings: ServerSettings, path: str) -> None:
        try:
            options = readOptionFile(path)
        except OptionFileError as e:
            raise usage.UsageError(str(e)) from None
        loose = self.setdefault("looseVariables", set())
        for name, value, where in options:
            if name.startswith("loose_"):
                # MySQL's loose- prefix: an option this server may not know,
                # skipped (with a warning) rather than refused.
                name = name[len("loose_") :]
                loose.add(name)
            known = MYCNF_OPTIONS.get(name)
            if known is None:
                # Perhaps an auth method's variable: checked once every
                # option (and the plugin dir) is known.
                settings.pluginVariables[normaliseVariableName(name)] = value
                self.setdefault("variableSources", {})[normaliseVariableName(name)] = where
                continue
            attribute, parse = known
            if value is None:
                # A bare name: ON for a boolean option; any other needs a
                # value (MySQL: "option '--port' requires an argument").
                if parse is not parseBoolean:
                    raise usage.UsageError(f"{where}: option '{name}' requires an argument")
                value = "ON"
            parsed = parse(f"{where}: {name}", value)
            if name == "plugin_load_add":
                settings.pluginLoad.append(parsed)
            else:
                setattr(settings, attribute, parsed)

    def _checkVariables(self, settings: ServerSettings) -> None:
        """
        Refuse a variable no available auth method declares, or a value its
        method cannot read.
        """
        from twisted_mysqlauth.auth.registry import discoverMethods, parseSwitch, variablesOf

        if not settings.pluginVariables:
            return
        declared = variablesOf(discoverMethods(settings.pluginDir))
        sources = self.get("variableSources", {})
        loose = self.get("looseVariables", set())
        for name, value in list(settings.pluginVariables.items()):
            where = sources.get(name, "--set-variable")
            if name not in declared and name in loose and where != "--set-variable":
                sys.stderr.write(f"{where}: unknown option 'loose-{name}' ignored\n")
                del settings.pluginVariables[name]
                continue
            if name not in declared:
                if where == "--set-variable":
                    raise usage.UsageError(f"--set-variable: unknown variable '{name}'")
                raise usage.UsageError(f"{where}: unknown option '{name}'")
            if value is None:
                # A bare name in the my.cnf: ON for an ON/OFF variable.
                if declared[name][1].parse is not parseSwitch:
                    raise usage.UsageError(f"{where}: option '{name}' requires an argument")
                value = settings.pluginVariables[name] = "ON"
            try:
                declared[name][1].parse(value)
            except ValueError as e:
                raise usage.UsageError(f"option {where}: {name}: {e}") from None

    def _checkDefaultPlugin(self, settings: ServerSettings) -> None:
        """
        Refuse a default authentication plugin that no available method is
        (or that cannot greet), before anything is made in the datadir.
        """
        from twisted_mysqlauth.auth.registry import PluginCatalog
        from twisted_mysqlauth.server import checkGreetingMethod

        name = settings.defaultAuthenticationPlugin
        try:
            checkGreetingMethod(name, PluginCatalog.discover(settings.pluginDir).find(name))
        except ValueError as e:
            raise usage.UsageError(str(e)) from None


def _checkEndpoint(description: str) -> None:
    """
    Refuse an endpoint string that Twisted cannot parse, at option time.
    """
    from twisted.internet import reactor

    try:
        serverFromString(reactor, description)
    except Exception as e:
        raise usage.UsageError(f"bad --listen endpoint {description!r}: {e}") from None


class MySQLAuthService(MultiService):
    """
    Opens the datadir, loads the accounts, runs the init file, then
    listens. A failure before listening is logged as a clear startup error
    and stops the reactor.

    @ivar settings: the L{ServerSettings}.
    @ivar factory: the L{twisted_mysqlauth.server.MySQLServerFactory}, once
        started.
    @ivar started: a L{Deferred} that fires once listening (for tests and
        embedding).
    @ivar stopReactorOnFailure: whether a failed start stops the reactor (as
        C{twistd} needs; an application embedding the service may not want
        it).
    """

    _log = Logger()

    def __init__(
        self, settings: ServerSettings, reactor: Any = None, stopReactorOnFailure: bool = True
    ) -> None:
        super().__init__()
        self.settings = settings
        self.stopReactorOnFailure = stopReactorOnFailure
        if reactor is None:
            from twisted.internet import reactor as globalReactor

            reactor = globalReactor
        self.reactor = reactor
        self.factory = None
        self.store = None
        self._datadirLock: Any = None
        self.started: defer.Deferred = defer.Deferred()

    #: Reload the accounts on SIGHUP, as mysqld does (C{twistd mysqlauth}
    #: turns it on; an application embedding the service decides itself).
    reloadOnSIGHUP = False
    _previousSIGHUP: Any = None
    _handlingSIGHUP = False

    def startService(self) -> None:
        super().startService()
        if self.reloadOnSIGHUP and hasattr(signal, "SIGHUP"):
            self._previousSIGHUP = signal.signal(signal.SIGHUP, self._gotSIGHUP)
            self._handlingSIGHUP = True
        d = defer.ensureDeferred(self._start())
        d.addCallbacks(self.started.callback, self._startFailed)
        if self.stopReactorOnFailure:
            # Under twistd nobody waits on started: the failure is logged.
            self.started.addErrback(lambda reason: None)

    def _startFailed(self, reason) -> None:
        self._log.critical(
            "twistd mysqlauth could not start: {error}", error=reason.getErrorMessage()
        )
        if not reason.check(StartupError):
            self._log.failure("startup failure", failure=reason)
        self.started.errback(reason)
        if self.stopReactorOnFailure:
            # Once the reactor runs (a failure found before it runs, such as
            # a datadir that cannot be made, is found while twistd starts
            # the service): twistd has no way to set its exit status, so
            # leave with 1 once the reactor has shut down, for scripts and
            # service managers to see the failure.
            self.reactor.callWhenRunning(self._exitFailed)

    def _exitFailed(self) -> None:
        self.reactor.addSystemEventTrigger("after", "shutdown", os._exit, 1)
        self.reactor.stop()

    async def _start(self) -> None:
        from twisted_mysqlauth import keys
        from twisted_mysqlauth.accounts.directory import AccountManager
        from twisted_mysqlauth.accounts.sqlite import SQLiteAccountStore, StoreError
        from twisted_mysqlauth.bootstrap import InitFileError, bootstrapAccounts, runInitFile
        from twisted_mysqlauth.server import MySQLServerFactory
        from twisted_mysqlauth.sql.executor import INSTALLED_PLUGINS_SETTING

        settings = self.settings
        datadir = settings.datadir
        try:
            # 0711: other local users may reach the UNIX socket inside it (as
            # auth_socket logins need) but not list it; every secret in it
            # is a 0600 file.
            if not os.path.isdir(datadir):
                os.makedirs(datadir, mode=0o711)
                os.chmod(datadir, 0o711)
        except OSError as e:
            raise StartupError(f"cannot create datadir {datadir}: {e}") from None
        self._datadirLock = _lockDatadir(datadir)
        storePath = os.path.join(datadir, "accounts.sqlite3")
        newStore = not os.path.exists(storePath)
        try:
            rsaKeyPair = keys.loadOrCreateRSAKeyPair(
                settings.inDatadir(settings.rsaPrivateKeyPath),
                settings.inDatadir(settings.rsaPublicKeyPath),
            )
            certificate = keys.loadOrCreateTLSCertificate(
                settings.tlsCert or settings.inDatadir("server-cert.pem"),
                settings.tlsKey or settings.inDatadir("server-key.pem"),
                autoGenerate=not settings.tlsCert,
            )
        except keys.KeyMaterialError as e:
            raise StartupError(str(e)) from None
        self.store = store = SQLiteAccountStore(storePath, self.reactor)
        accounts = AccountManager(store)
        try:
            await accounts.start()
            installed = await store.getSetting(INSTALLED_PLUGINS_SETTING)
            # "0" from the moment the store is made until the first account
            # is: a first start that failed in between (a bad plugin-load
            # entry) makes it next time. A store without the setting was
            # made before it existed, and was initialized then: its accounts
            # (or their absence, if all were dropped) are left alone.
            initialized = await store.getSetting(INITIALIZED_SETTING)
            if initialized is None:
                initialized = "0" if newStore else "1"
                await store.putSetting(INITIALIZED_SETTING, initialized)
        except StoreError as e:
            raise StartupError(str(e)) from None
        # The account directory lives as long as the process: keep the
        # collector from walking it again and again (pauses of about 0.1 s
        # with 100,000 accounts).
        gc.freeze()
        catalog = loadPlugins(settings, installed)
        endpoints = settings.listeningEndpoints()
        if settings.skipGrantTables:
            self._log.warn(
                "--skip-grant-tables: clients are not authenticated; networking is "
                "off: TCP listeners are not started"
            )
            if not endpoints:
                raise StartupError("--skip-grant-tables needs a UNIX-socket listener (--listen unix:...)")
        try:
            factory = MySQLServerFactory.forAccounts(
                accounts,
                self.reactor,
                defaultPlugin=settings.defaultAuthenticationPlugin,
                tlsOptions=keys.serverTLSOptions(certificate),
                rsaKeyPair=rsaKeyPair,
                requireSecureTransport=settings.requireSecureTransport,
                connectTimeout=settings.connectTimeout,
                checkProxyUsers=settings.checkProxyUsers,
                nativePasswordProxyUsers=settings.nativePasswordProxyUsers,
                sha256PasswordProxyUsers=settings.sha256PasswordProxyUsers,
                plugins=catalog,
                skipGrantTables=settings.skipGrantTables,
            )
        except ValueError as e:
            raise StartupError(str(e)) from None
        factory.logSuccessfulLogins = settings.logLogins
        factory.config.settings = settings
        self.factory = factory
        if initialized == "0":
            # (bootstrapAccounts makes nothing in a datadir that has accounts.)
            await bootstrapAccounts(factory.config, settings.socketPath())
            try:
                await store.putSetting(INITIALIZED_SETTING, "1")
            except StoreError as e:
                raise StartupError(str(e)) from None
        if settings.initFile:
            try:
                await runInitFile(factory.config, settings.initFile)
            except InitFileError as e:
                raise StartupError(str(e)) from None
        makeEndpoint = self._endpointMaker()
        for description in endpoints:
            path = _unixSocketPath(description)
            if path is not None and not os.path.isdir(os.path.dirname(os.path.abspath(path))):
                raise StartupError(
                    f"cannot listen on {description}: the folder of the UNIX socket {path} "
                    "does not exist"
                )
            endpoint = _LoggedEndpoint(
                makeEndpoint(self.reactor, description), description, factory.config
            )
            service = StreamServerEndpointService(endpoint, factory)
            service._raiseSynchronously = True
            try:
                service.setServiceParent(self)
            except Exception as e:
                raise StartupError(f"cannot listen on {description}: {e}") from None

    def _endpointMaker(self) -> Callable[[Any, str], Any]:
        """
        @return: what makes the listening endpoints: the prompt ports of
            L{serverEndpoint} unless C{--stock-ports} says otherwise, or
            they cannot be used here (L{whyNoPromptPorts}; logged).
        """
        from twisted_mysqlauth.server import serverEndpoint, whyNoPromptPorts

        if self.settings.stockPorts:
            return serverFromString
        why = whyNoPromptPorts(self.reactor)
        if why is not None:
            self._log.info("listening with Twisted's stock ports, not the prompt ports: {why}", why=why)
            return serverFromString
        return serverEndpoint

    def _gotSIGHUP(self, signum: int, frame: Any) -> None:
        # (In a signal handler: the work is done by the reactor.)
        self.reactor.callFromThread(self._reload)

    def _reload(self) -> defer.Deferred:
        """
        SIGHUP: what C{FLUSH PRIVILEGES} does (re-read the account store,
        forget the caching_sha2_password cache), as mysqld does on SIGHUP.
        """
        from twisted_mysqlauth.bootstrap import BootstrapSession
        from twisted_mysqlauth.sql.executor import Executor

        if self.factory is None or not self.running:
            # Not started yet, or stopping: nothing to reload.
            return defer.succeed(None)
        d = defer.ensureDeferred(
            Executor(self.factory.config).run("FLUSH PRIVILEGES", BootstrapSession())
        )
        d.addCallbacks(
            lambda ignored: self._log.info(
                "SIGHUP: reloaded {count} accounts (FLUSH PRIVILEGES)",
                count=len(self.factory.config.accounts.directory),
            ),
            lambda reason: self._log.failure("SIGHUP: reloading the accounts failed", reason),
        )
        return d

    def stopService(self):
        d = defer.maybeDeferred(super().stopService)
        if self.factory is not None:
            # Methods with processes or threads of their own (PAM's workers).
            for method in self.factory.config.methods:
                shutdown = getattr(method, "shutdown", None)
                if shutdown is not None:
                    d.addBoth(lambda result, shutdown=shutdown: shutdown().addBoth(lambda ignored: result))
        if self.store is not None:
            store = self.store
            d.addBoth(lambda result: store.close().addCallback(lambda ignored: result))
        d.addBoth(lambda result: (self._unlockDatadir(), result)[1])
        # (Last: a SIGHUP while stopping must not end the process either.)
        d.addBoth(lambda result: (self._restoreSIGHUP(), result)[1])
        return d

    def _restoreSIGHUP(self) -> None:
        if self._handlingSIGHUP:
            self._handlingSIGHUP = False
            previous, self._previousSIGHUP = self._previousSIGHUP, None
            # (None: a handler set outside Python; the default is the best
            # there is to put back.)
            signal.signal(signal.SIGHUP, previous if previous is not None else signal.SIG_DFL)

    def _unlockDatadir(self) -> None:
        lock, self._datadirLock = self._datadirLock, None
        if lock is not None:
            lock.close()


def _lockDatadir(datadir: str) -> Any:
    """
    Take the datadir for this process, as mysqld does: two servers on one
    account store would each serve from their own copy of it in memory and
    overwrite each other's changes.

    @return: the open lock file (closing it lets the datadir go; the system
        lets it go when the process ends, however it ends).
    @raise StartupError: another process has it.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover (not POSIX)
        return None
    path = os.path.join(datadir, "mysqlauth.lock")
    try:
        lock = open(path, "a+")
    except OSError as e:
        raise StartupError(f"cannot open {path}: {e}") from None
    try:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock.seek(0)
        holder = lock.read().strip() or "unknown"
        lock.close()
        raise StartupError(
            f"datadir {datadir} is in use by another server (pid {holder}); "
            "one datadir serves one server"
        ) from None
    lock.seek(0)
    lock.truncate()
    lock.write(f"{os.getpid()}\n")
    lock.flush()
    return lock


@implementer(IStreamServerEndpoint)
class _LoggedEndpoint:
    """
    A server endpoint that logs where it listens once it does: the
    endpoint string, and for TCP the address and port (the one the system
    chose for port 0), which the first TCP listener also gives the server
    configuration (C{@@port}).
    """

    _log = Logger(namespace="twisted_mysqlauth.tap.MySQLAuthService")

    def __init__(self, endpoint: Any, description: str, config: Any) -> None:
        self._endpoint = endpoint
        self._description = description
        self._config = config

    def listen(self, factory: Any) -> defer.Deferred:
        return self._endpoint.listen(factory).addCallback(self._listening)

    def _listening(self, port: Any) -> Any:
        address = port.getHost()
        where = ""
        if isinstance(address, (IPv4Address, IPv6Address)):
            where = f" ({address.host} port {address.port})"
            if not self._config.tcpPort:
                self._config.tcpPort = address.port
        self._log.info(
            "listening on {endpoint}{where}", endpoint=self._description, where=where
        )
        return port


#: The store setting that says whether the datadir's first account was made
#: (see L{twisted_mysqlauth.bootstrap.bootstrapAccounts}): C{"0"} in a new
#: store until it is, then C{"1"}.
INITIALIZED_SETTING = "initialized"


class StartupError(Exception):
    """
    The server cannot start; the message says why.
    """


def loadPlugins(settings: ServerSettings, installed: Optional[str]) -> Any:
    """
    Load the server's auth methods: MySQL's default set
    (L{twisted_mysqlauth.auth.registry.DEFAULT_METHODS}), those C{INSTALL
    PLUGIN} recorded, and those of C{--plugin-load(-add)}.

    @param installed: the store's record of installed plugins (JSON).
    @return: the L{twisted_mysqlauth.auth.registry.PluginCatalog}.
    @raise StartupError: a C{--plugin-load} entry names nothing there is.
    """
    import json

    from twisted_mysqlauth.auth.registry import DEFAULT_METHODS, PluginCatalog

    catalog = PluginCatalog.discover(settings.pluginDir)
    for name in DEFAULT_METHODS:
        method = catalog.find(name)
        if method is not None:
            catalog.load(method, settings)
    try:
        records = json.loads(installed) if installed else []
    except ValueError:
        records = []
    if settings.skipGrantTables:
        # As MySQL: plugins recorded by INSTALL PLUGIN do not load then.
        records = []
    for name, library in records:
        method = catalog.find(name, library)
        if method is None:
            Logger().error(
                "installed plugin {name} ({library}) is not found: not loaded",
                name=name,
                library=library,
            )
            continue
        catalog.load(method, settings, installed=True)
    for entry in settings.pluginLoad:
        name, _, library = entry.rpartition("=")
        methods = [catalog.find(name, library)] if name else catalog.inLibrary(library)
        methods = [m for m in methods if m is not None]
        if not methods:
            raise StartupError(f"plugin-load: no plugin {entry!r} (library not found)")
        for method in methods:
            catalog.load(method, settings)
    return catalog


def makeService(options: Options) -> MySQLAuthService:
    """
    @return: the service of C{twistd mysqlauth}.
    """
    service = MySQLAuthService(options["settings"])
    service.reloadOnSIGHUP = True
    return service
