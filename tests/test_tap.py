# -*- test-case-name: tests.test_tap -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
Tests for L{twisted_mysqlauth.tap} and L{twisted_mysqlauth.mycnf}: the
options of C{twistd mysqlauth}, the my.cnf reader, the service's start-up,
and the plugin dropins.
"""

from __future__ import annotations

import builtins
import os
import sys

from zope.interface.verify import verifyObject

from twisted.application.service import IServiceMaker
from twisted.internet import defer
from twisted.plugin import IPlugin, getPlugins
from twisted.python import usage
from twisted.trial.unittest import SynchronousTestCase, TestCase

from twisted_mysqlauth import plugins
from twisted_mysqlauth.accounts.model import ALL_PRIVILEGES, AccountName
from twisted_mysqlauth.bootstrap import BootstrapSession
from twisted_mysqlauth.interfaces import IAuthMethod, IPasswordMethod
from twisted_mysqlauth.mycnf import OptionFileError, readOptionFile
from twisted_mysqlauth.sql.executor import Executor
from twisted_mysqlauth.tap import (
    INITIALIZED_SETTING,
    MySQLAuthService,
    Options,
    ServerSettings,
    StartupError,
)


class OptionFileTests(SynchronousTestCase):
    """
    Tests for L{readOptionFile}.
    """

    def write(self, text):
        path = self.mktemp()
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_mysqldSection(self):
        """
        Options of [mysqld] and [server] are read, names normalised, quotes
        and trailing comments removed, bare names are booleans; other groups
        are ignored.
        """
        path = self.write(
            "# comment\n[client]\nport=1\n[mysqld]\nbind-address = 127.0.0.2  # here\n"
            "socket='/tmp/x y.sock'\n; another\nrequire_secure_transport\n[server]\nport=3307\n"
        )
        self.assertEqual(
            [(n, v) for n, v, where in readOptionFile(path)],
            [
                ("bind_address", "127.0.0.2"),
                ("socket", "/tmp/x y.sock"),
                ("require_secure_transport", None),
                ("port", "3307"),
            ],
        )

    def test_bareNames(self):
        """
        A bare name has no value (L{None}): what it means is the option's.
        """
        path = self.write("[mysqld]\nport\nskip-grant-tables\n")
        self.assertEqual(
            [(n, v) for n, v, where in readOptionFile(path)],
            [("port", None), ("skip_grant_tables", None)],
        )

    def test_include(self):
        """
        C{!include} reads another file in place.
        """
        inner = self.write("[mysqld]\nport=4000\n")
        outer = self.write(f"[mysqld]\nport=1\n!include {inner}\n")
        self.assertEqual([v for n, v, w in readOptionFile(outer)], ["1", "4000"])

    def test_errors(self):
        """
        A missing file, an option before any group, a bad header and an
        unterminated quote are errors naming the file and line.
        """
        self.assertRaises(OptionFileError, readOptionFile, self.mktemp())
        for text in (
            "port=1\n",
            "[mysqld\n",
            "[mysqld]\nsocket='x\n",
            "[mysqld]\nbad name=1\n",
        ):
            path = self.write(text)
            error = self.assertRaises(OptionFileError, readOptionFile, path)
            self.assertIn(path, str(error))


class OptionsTests(SynchronousTestCase):
    """
    Tests for L{Options}.
    """

    def parse(self, *argv):
        options = Options()
        options.parseOptions(list(argv))
        return options["settings"]

    def test_usageErrorUnderTwistd(self):
        """
        Under twistd (a subcommand of its L{ServerOptions}), a usage error
        prints twistd's usage text and the problem after the command, and
        ends the process with status 1, whatever twistd itself would do
        (before 26.10 it exited with status 0). Parsed on its own, the
        error is raised.
        """
        from twisted.application.app import ServerOptions

        printed = []
        self.patch(sys, "argv", ["twistd", "mysqlauth", "--connect-timeout", "1"])
        self.patch(builtins, "print", lambda *args: printed.append(" ".join(map(str, args))))
        parent = ServerOptions()
        options = Options()
        options.parent = parent
        exited = self.assertRaises(SystemExit, options.parseOptions, ["--connect-timeout", "1"])
        self.assertEqual(exited.code, 1)
        self.assertEqual(printed[0], str(parent))
        self.assertEqual(
            printed[1], "twistd mysqlauth: option --connect-timeout: 1 is outside 2..31536000"
        )
        self.assertRaises(usage.UsageError, Options().parseOptions, ["--connect-timeout", "1"])

    def write(self, text):
        path = self.mktemp()
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_defaults(self):
        """
        By default: ./mysqlauth-data, TCP on 127.0.0.1:3306 and the UNIX
        socket in the datadir, caching_sha2_password, 10 s timeout.
        """
        settings = self.parse()
        self.assertEqual(settings.datadir, "mysqlauth-data")
        endpoints = settings.endpoints()
        self.assertEqual(endpoints[0], "tcp:3306:interface=127.0.0.1")
        self.assertEqual(
            endpoints[1],
            "unix:" + os.path.abspath("mysqlauth-data/mysqld.sock") + ":lockfile=1",
        )
        self.assertEqual(settings.defaultAuthenticationPlugin, "caching_sha2_password")
        self.assertEqual(settings.connectTimeout, 10)

    def test_listenRepeatable(self):
        """
        C{--listen} replaces the default listeners and may be repeated.
        """
        settings = self.parse("--listen", "tcp:0", "--listen", "unix:/tmp/s.sock")
        self.assertEqual(settings.endpoints(), ["tcp:0", "unix:/tmp/s.sock"])

    def test_badEndpoint(self):
        """
        An endpoint string Twisted cannot parse is a usage error.
        """
        self.assertRaises(usage.UsageError, self.parse, "--listen", "nonsense:1")

    def test_defaultsFile(self):
        """
        The [mysqld] section sets the options by MySQL's names; the command
        line wins over it.
        """
        cert, key = self.write("certificate"), self.write("key")
        path = self.write(
            "[mysqld]\nport=3310\nbind-address=*\nsocket=my.sock\ndatadir=/tmp/dd\n"
            f"default_authentication_plugin=mysql_native_password\nssl_cert={cert}\nssl_key={key}\n"
            "caching_sha2_password_private_key_path=priv.pem\n"
            "caching_sha2_password_public_key_path=pub.pem\nrequire_secure_transport=ON\n"
            "connect_timeout=5\ninit_file=/tmp/init.sql\n"
        )
        settings = self.parse("--defaults-file", path, "--connect-timeout", "7")
        self.assertEqual(
            settings.endpoints(),
            ["tcp:3310:interface=\\:\\:", "unix:/tmp/dd/my.sock:lockfile=1"],
        )
        self.assertEqual(settings.defaultAuthenticationPlugin, "mysql_native_password")
        self.assertEqual((settings.tlsCert, settings.tlsKey), (cert, key))
        self.assertEqual(
            settings.inDatadir(settings.rsaPrivateKeyPath), "/tmp/dd/priv.pem"
        )
        self.assertEqual(settings.rsaPublicKeyPath, "pub.pem")
        self.assertTrue(settings.requireSecureTransport)
        self.assertEqual(settings.connectTimeout, 7)
        self.assertEqual(settings.initFile, "/tmp/init.sql")

    def test_defaultsFileErrors(self):
        """
        An unknown option, a bad boolean, a number out of range or a bad
        file is a usage error that names the file and line.
        """
        for text in (
            "[mysqld]\nkey_buffer_size=1\n",
            "[mysqld]\nrequire_secure_transport=maybe\n",
            "[mysqld]\nconnect_timeout=1\n",
            "[mysqld]\nport=70000\n",
            "[mysqld]\nport=abc\n",
            "port=1\n",
        ):
            path = self.write(text)
            error = self.assertRaises(
                usage.UsageError, self.parse, "--defaults-file", path
            )
            self.assertIn(path, str(error))

    def test_defaultsFileBareNames(self):
        """
        A bare boolean option is ON; a bare option that takes a value is a
        usage error naming the file, the line and the option, as MySQL's
        "option '--port' requires an argument" (it was read as port 1).
        """
        settings = self.parse(
            "--defaults-file", self.write("[mysqld]\nrequire_secure_transport\nskip-grant-tables\n")
        )
        self.assertTrue(settings.requireSecureTransport)
        self.assertTrue(settings.skipGrantTables)
        for name in ("port", "bind-address", "datadir", "socket", "connect_timeout"):
            path = self.write(f"[mysqld]\n{name}\n")
            error = self.assertRaises(usage.UsageError, self.parse, "--defaults-file", path)
            self.assertEqual(
                str(error), f"{path}:2: option '{name.replace('-', '_')}' requires an argument"
            )

    def test_badDefaultPlugin(self):
        """
        A default authentication plugin that no method is, or one that
        cannot greet (auth_socket talks to no client plugin), is a usage
        error, before any datadir is made; a method's alias is accepted.
        """
        for name in ("nope", "auth_socket", "mysql_no_login"):
            error = self.assertRaises(
                usage.UsageError, self.parse, "--default-authentication-plugin", name
            )
            self.assertIn(f"{name!r}", str(error))
        settings = self.parse("--default-authentication-plugin", "mysql_native_password")
        self.assertEqual(settings.defaultAuthenticationPlugin, "mysql_native_password")

    def test_logLogins(self):
        """
        C{--log-logins} turns on the log of successful logins; it is off by
        default.
        """
        self.assertFalse(self.parse().logLogins)
        self.assertTrue(self.parse("--log-logins").logLogins)

    def test_stockPorts(self):
        """
        C{--stock-ports} asks for Twisted's stock ports; the prompt ports are
        the default.
        """
        self.assertFalse(self.parse().stockPorts)
        self.assertTrue(self.parse("--stock-ports").stockPorts)

    def test_tlsPair(self):
        """
        A TLS certificate without its key is a usage error, and so is a TLS
        file that is not there (before anything is made in the datadir).
        """
        self.assertRaises(usage.UsageError, self.parse, "--tls-cert", "c.pem")

    def test_socketPath(self):
        """
        The socket path is read from a C{unix:} endpoint as Twisted reads
        it (the first positional argument or C{address=}, escapes undone),
        made absolute.
        """
        cases = {
            "unix:/run/s.sock": "/run/s.sock",
            "unix:address=/run/a.sock:mode=660": "/run/a.sock",
            "unix:lockfile=1:/run/b.sock": "/run/b.sock",
            "unix:/run/c\\:d.sock:lockfile=1": "/run/c:d.sock",
            "unix:rel.sock": os.path.abspath("rel.sock"),
        }
        for description, path in cases.items():
            self.assertEqual(self.parse("--listen", description).socketPath(), path, description)
        self.assertIsNone(self.parse("--listen", "tcp:0").socketPath())


class DropinTests(SynchronousTestCase):
    """
    The dropins: C{twistd mysqlauth} and the built-in auth methods.
    """

    def test_serviceMaker(self):
        """
        A service maker named mysqlauth is found among Twisted's plugins.
        """
        makers = [m for m in getPlugins(IServiceMaker) if m.tapname == "mysqlauth"]
        self.assertEqual(len(makers), 1)
        self.assertEqual(makers[0].module, "twisted_mysqlauth.tap")

    def test_authMethods(self):
        """
        The built-in password methods are dropins that provide their
        interfaces.
        """
        methods = {m.pluginName: m for m in getPlugins(IAuthMethod, plugins)}
        for name in (
            "mysql_native_password",
            "caching_sha2_password",
            "sha256_password",
        ):
            verifyObject(IPasswordMethod, methods[name])
            verifyObject(IPlugin, methods[name])

    def test_noInitInDropinFolder(self):
        """
        twisted/plugins/ never has an __init__.py (it would shadow Twisted's
        own plugins package).
        """
        here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        self.assertFalse(
            os.path.exists(os.path.join(here, "twisted", "plugins", "__init__.py"))
        )
        self.assertFalse(os.path.exists(os.path.join(here, "twisted", "__init__.py")))


class ServiceTests(TestCase):
    """
    L{MySQLAuthService} on the real reactor, listening on a UNIX socket in a
    temporary folder.
    """

    def settings(self, **kw):
        kw.setdefault("datadir", os.path.abspath(self.mktemp()))
        kw.setdefault("listen", [f"unix:{kw['datadir']}.sock"])
        return ServerSettings(**kw)

    def service(self, settings):
        return MySQLAuthService(settings, stopReactorOnFailure=False)

    @defer.inlineCallbacks
    def start(self, settings):
        service = self.service(settings)
        service.startService()
        self.addCleanup(service.stopService)
        yield service.started
        return service

    @defer.inlineCallbacks
    def test_firstStart(self):
        """
        A new datadir (mode 0711: other users may reach the socket in it)
        gets its store, keys (private ones 0600) and C{'root'@'localhost'
        IDENTIFIED WITH auth_socket AS '<server OS user>'} with every
        privilege; a second start leaves the accounts alone.
        """
        import pwd

        settings = self.settings()
        service = yield self.start(settings)
        datadir = settings.datadir
        self.assertEqual(os.stat(datadir).st_mode & 0o777, 0o711)
        for name in ("private_key.pem", "server-key.pem", "accounts.sqlite3"):
            self.assertEqual(os.stat(os.path.join(datadir, name)).st_mode & 0o777, 0o600, name)
        root = service.factory.config.accounts.directory.get(AccountName("root", "localhost"))
        self.assertEqual(root.plugin, "auth_socket")
        self.assertEqual(root.authString, pwd.getpwuid(os.geteuid()).pw_name.encode())
        self.assertEqual(root.privileges, ALL_PRIVILEGES)
        self.assertTrue(root.grantOption)
        yield service.stopService()
        again = yield self.start(self.settings(datadir=datadir, listen=settings.listen))
        self.assertEqual(len(again.factory.config.accounts.directory), 1)

    @defer.inlineCallbacks
    def test_firstStartFailedBeforeRoot(self):
        """
        A first start that fails after making the store but before the first
        account (a plugin-load entry that names nothing) leaves no datadir
        without a way in: the next start makes C{root}. A datadir whose
        accounts were all dropped on purpose gets no new C{root}.
        """
        settings = self.settings(pluginLoad=["no_such_plugin.so"])
        service = self.service(settings)
        service.startService()
        self.addCleanup(service.stopService)
        yield self.assertFailure(service.started, StartupError)
        yield service.stopService()
        self.assertTrue(os.path.exists(os.path.join(settings.datadir, "accounts.sqlite3")))
        again = yield self.start(self.settings(datadir=settings.datadir, listen=settings.listen))
        directory = again.factory.config.accounts
        self.assertIsNotNone(directory.directory.get(AccountName("root", "localhost")))
        yield defer.ensureDeferred(
            Executor(again.factory.config).run("DROP USER 'root'@'localhost'", BootstrapSession())
        )
        yield again.stopService()
        third = yield self.start(self.settings(datadir=settings.datadir, listen=settings.listen))
        self.assertEqual(len(third.factory.config.accounts.directory), 0)

    @defer.inlineCallbacks
    def test_socketFolderMissing(self):
        """
        A UNIX socket in a folder that does not exist is a start-up error
        naming it (checked at start: twistd's --rundir and --chroot apply
        before).
        """
        service = self.service(self.settings(listen=["unix:/nonexistent/dir/s.sock"]))
        service.startService()
        self.addCleanup(service.stopService)
        error = yield self.assertFailure(service.started, StartupError)
        self.assertEqual(
            str(error),
            "cannot listen on unix:/nonexistent/dir/s.sock: the folder of the UNIX socket "
            "/nonexistent/dir/s.sock does not exist",
        )

    @defer.inlineCallbacks
    def listeningPorts(self, **kw):
        """
        Start a service on a UNIX socket and TCP port 0.

        @return: its listening ports, in the order of C{listen}.
        """
        datadir = os.path.abspath(self.mktemp())
        settings = self.settings(
            datadir=datadir, listen=[f"unix:{datadir}.sock", "tcp:0:interface=127.0.0.1"], **kw
        )
        service = yield self.start(settings)
        ports = []
        for child in service:
            # (Kept in the Deferred: the service's stop needs the port.)
            child._waitingForPort.addCallback(lambda port: (ports.append(port), port)[1])
        return ports

    @defer.inlineCallbacks
    def test_promptPortsByDefault(self):
        """
        The service listens with the prompt ports of L{serverEndpoint}.
        """
        from twisted_mysqlauth.server import PromptTCPPort, PromptUNIXPort
        from tests.test_promptports import checkOnThisTwisted

        checkOnThisTwisted(self)
        unixPort, tcpPort = yield self.listeningPorts()
        self.assertIsInstance(unixPort, PromptUNIXPort)
        self.assertIsInstance(tcpPort, PromptTCPPort)

    @defer.inlineCallbacks
    def test_stockPorts(self):
        """
        With C{stockPorts} the service listens with Twisted's own ports.
        """
        from twisted.internet import tcp, unix

        unixPort, tcpPort = yield self.listeningPorts(stockPorts=True)
        self.assertIs(type(unixPort), unix.Port)
        self.assertIs(type(tcpPort), tcp.Port)

    @defer.inlineCallbacks
    def test_promptPortsUnavailable(self):
        """
        Where Twisted's transports lack what the prompt ports use, the
        service listens with the stock ports and logs why.
        """
        from twisted.internet import tcp, unix
        from twisted.logger import globalLogPublisher

        from twisted_mysqlauth import server

        self.patch(server, "_promptWritesSupported", lambda: False)
        logged = []
        globalLogPublisher.addObserver(logged.append)
        self.addCleanup(globalLogPublisher.removeObserver, logged.append)
        unixPort, tcpPort = yield self.listeningPorts()
        self.assertIs(type(unixPort), unix.Port)
        self.assertIs(type(tcpPort), tcp.Port)
        self.assertTrue(
            any("stock ports" in (event.get("log_format") or "") for event in logged), logged
        )

    @defer.inlineCallbacks
    def test_sighupHandler(self):
        """
        With C{reloadOnSIGHUP} (as twistd's service has), SIGHUP is the
        service's from start to the end of the stop, then what it was
        before.
        """
        import signal

        from twisted_mysqlauth.tap import makeService

        before = signal.getsignal(signal.SIGHUP)
        options = Options()
        options.parseOptions(
            ["--datadir", os.path.abspath(self.mktemp()), "--listen", "tcp:0:interface=127.0.0.1"]
        )
        service = makeService(options)
        self.assertTrue(service.reloadOnSIGHUP)
        service.stopReactorOnFailure = False
        service.startService()
        yield service.started
        self.assertEqual(signal.getsignal(signal.SIGHUP), service._gotSIGHUP)
        yield service._reload()
        yield service.stopService()
        self.assertEqual(signal.getsignal(signal.SIGHUP), before)
        # Stopped: a late SIGHUP's reload does nothing.
        yield service._reload()

    @defer.inlineCallbacks
    def test_oneServerPerDatadir(self):
        """
        A second server on a datadir in use does not start (each would
        serve from its own copy of the accounts and overwrite the other's
        changes); once the first stops, it does.
        """
        settings = self.settings()
        first = yield self.start(settings)
        second = self.service(self.settings(datadir=settings.datadir, listen=[settings.listen[0] + "2"]))
        second.startService()
        self.addCleanup(second.stopService)
        error = yield self.assertFailure(second.started, StartupError)
        self.assertEqual(
            str(error),
            f"datadir {settings.datadir} is in use by another server (pid {os.getpid()}); "
            "one datadir serves one server",
        )
        yield first.stopService()
        yield self.start(self.settings(datadir=settings.datadir, listen=settings.listen))

    @defer.inlineCallbacks
    def test_storeFromBeforeTheSetting(self):
        """
        A store made before the C{initialized} setting existed, whose
        accounts were all dropped, gets no new C{root}: it was initialized
        when it was made.
        """
        settings = self.settings()
        service = yield self.start(settings)
        yield defer.ensureDeferred(
            Executor(service.factory.config).run("DROP USER 'root'@'localhost'", BootstrapSession())
        )
        # As a store of an earlier version: no such setting.
        yield service.store.putSetting(INITIALIZED_SETTING, None)
        yield service.stopService()
        again = yield self.start(self.settings(datadir=settings.datadir, listen=settings.listen))
        self.assertEqual(len(again.factory.config.accounts.directory), 0)
        self.assertEqual((yield again.store.getSetting(INITIALIZED_SETTING)), "1")

    @defer.inlineCallbacks
    def test_initFile(self):
        """
        The init file runs with full privileges before the server listens.
        """
        init = self.mktemp()
        with open(init, "w") as f:
            f.write(
                "CREATE USER 'app'@'%' IDENTIFIED BY 'pw;1';\n-- note\nGRANT CREATE USER ON *.* TO app;\n"
            )
        service = yield self.start(self.settings(initFile=init))
        app = service.factory.config.accounts.directory.get(AccountName("app", "%"))
        self.assertEqual(app.privileges, frozenset(["CREATE USER"]))

    @defer.inlineCallbacks
    def test_badInitFile(self):
        """
        A failing init-file statement stops the start with a clear error
        naming the statement; nothing listens.
        """
        init = self.mktemp()
        with open(init, "w") as f:
            f.write("CREATE USER a;\nCREATE USER a;\n")
        service = self.service(self.settings(initFile=init))
        service.startService()
        self.addCleanup(service.stopService)
        error = yield self.assertFailure(service.started, StartupError)
        self.assertIn(
            "statement 2: ERROR 1396 (HY000): Operation CREATE USER failed for 'a'@'%'",
            str(error),
        )
        self.assertEqual(list(service), [])
        self.flushLoggedErrors()

    @defer.inlineCallbacks
    def test_badDefaultPlugin(self):
        """
        An unknown default plugin is a clear start-up error.
        """
        service = self.service(self.settings(defaultAuthenticationPlugin="nope"))
        service.startService()
        self.addCleanup(service.stopService)
        error = yield self.assertFailure(service.started, StartupError)
        self.assertIn("'nope'", str(error))

    @defer.inlineCallbacks
    def test_corruptStore(self):
        """
        A store file that is not a database is a clear start-up error that
        names it.
        """
        settings = self.settings()
        os.makedirs(settings.datadir)
        with open(os.path.join(settings.datadir, "accounts.sqlite3"), "wb") as f:
            f.write(b"this is not sqlite" * 100)
        service = self.service(settings)
        service.startService()
        self.addCleanup(service.stopService)
        error = yield self.assertFailure(service.started, StartupError)
        self.assertIn("accounts.sqlite3", str(error))
