# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
Tests for L{twisted_mysqlauth.auth.registry}.
"""

from __future__ import annotations

from zope.interface.verify import verifyObject

from twisted.trial.unittest import SynchronousTestCase

from twisted_mysqlauth.auth.cachingsha2 import theCachingSHA2PasswordMethod
from twisted_mysqlauth.auth.native import theNativePasswordMethod
from twisted_mysqlauth.auth.registry import MethodRegistry, discoverMethods
from twisted_mysqlauth.auth.sha256 import theSHA256PasswordMethod
from twisted_mysqlauth.interfaces import IAuthMethod, IPasswordMethod


class FakeMethod:
    """
    Just what the registry reads of a method.
    """

    def __init__(self, pluginName, aliases=()):
        self.pluginName = pluginName
        self.aliases = tuple(aliases)

    def __repr__(self):
        return f"<FakeMethod {self.pluginName}>"


class MethodRegistryTests(SynchronousTestCase):
    """
    L{MethodRegistry}: methods by plugin name and alias.
    """

    def setUp(self):
        self.socket = FakeMethod("auth_socket", ["auth_socket.so", "unix_socket"])
        self.native = FakeMethod("mysql_native_password")
        self.registry = MethodRegistry([self.socket, self.native])

    def test_getByName(self):
        """
        A method is found under its plugin name.
        """
        self.assertIs(self.registry.get("auth_socket"), self.socket)
        self.assertIs(self.registry.get("mysql_native_password"), self.native)

    def test_getByAlias(self):
        """
        A method is found under each of its aliases.
        """
        self.assertIs(self.registry.get("auth_socket.so"), self.socket)
        self.assertIs(self.registry.get("unix_socket"), self.socket)

    def test_caseInsensitive(self):
        """
        Names and aliases are found whatever their case (MySQL's plugin
        names are case-insensitive).
        """
        self.assertIs(self.registry.get("MySQL_Native_Password"), self.native)
        self.assertIs(self.registry.get("AUTH_SOCKET.SO"), self.socket)
        mixed = FakeMethod("Mixed_Case", ["Other_Alias"])
        self.registry.add(mixed)
        self.assertIs(self.registry.get("mixed_case"), mixed)
        self.assertIs(self.registry.get("OTHER_ALIAS"), mixed)

    def test_unknown(self):
        """
        An unknown name gives L{None}; so does a prefix of a known one.
        """
        self.assertIsNone(self.registry.get("sha256_password"))
        self.assertIsNone(self.registry.get("auth_sock"))
        self.assertIsNone(self.registry.get(""))

    def test_canonicalName(self):
        """
        C{canonicalName} answers the plugin name of the method known under a
        name or alias, in any case; L{None} for unknown names.
        """
        self.assertEqual(self.registry.canonicalName("unix_socket"), "auth_socket")
        self.assertEqual(self.registry.canonicalName("AUTH_SOCKET.so"), "auth_socket")
        self.assertEqual(
            self.registry.canonicalName("MYSQL_NATIVE_PASSWORD"), "mysql_native_password"
        )
        self.assertIsNone(self.registry.canonicalName("nothing"))

    def test_contains(self):
        """
        C{in} tells whether a name or alias is known, case-insensitively.
        """
        self.assertIn("unix_socket", self.registry)
        self.assertIn("Auth_Socket", self.registry)
        self.assertIn("mysql_native_password", self.registry)
        self.assertNotIn("sha256_password", self.registry)

    def test_iterate(self):
        """
        Iterating gives each method once, in the order added, however many
        names it has.
        """
        self.assertEqual(list(self.registry), [self.socket, self.native])

    def test_iterateIsSnapshot(self):
        """
        Removing a method while iterating does not disturb the iteration.
        """
        seen = []
        for method in self.registry:
            seen.append(method)
            self.registry.remove(method)
        self.assertEqual(seen, [self.socket, self.native])
        self.assertEqual(list(self.registry), [])

    def test_add(self):
        """
        An added method is found and iterated.
        """
        sha256 = FakeMethod("sha256_password")
        self.registry.add(sha256)
        self.assertIs(self.registry.get("sha256_password"), sha256)
        self.assertEqual(list(self.registry), [self.socket, self.native, sha256])

    def test_remove(self):
        """
        A removed method is found under none of its names any more; the
        others stay.
        """
        self.registry.remove(self.socket)
        for name in ("auth_socket", "auth_socket.so", "unix_socket"):
            self.assertIsNone(self.registry.get(name))
            self.assertNotIn(name, self.registry)
            self.assertIsNone(self.registry.canonicalName(name))
        self.assertIs(self.registry.get("mysql_native_password"), self.native)
        self.assertEqual(list(self.registry), [self.native])

    def test_removeUnknown(self):
        """
        Removing a method that is not loaded raises L{ValueError}.
        """
        self.assertRaises(ValueError, self.registry.remove, FakeMethod("x"))

    def test_addAgain(self):
        """
        A removed method can be added again.
        """
        self.registry.remove(self.socket)
        self.registry.add(self.socket)
        self.assertIs(self.registry.get("unix_socket"), self.socket)

    def test_empty(self):
        """
        A registry made without methods knows nothing.
        """
        registry = MethodRegistry()
        self.assertEqual(list(registry), [])
        self.assertIsNone(registry.get("mysql_native_password"))
        self.assertNotIn("mysql_native_password", registry)


class DiscoverMethodsTests(SynchronousTestCase):
    """
    L{discoverMethods} finds the dropins in L{twisted_mysqlauth.plugins}.
    """

    def test_builtins(self):
        """
        The three built-in password methods are found, as their module
        instances, and each provides L{IPasswordMethod}.
        """
        methods = discoverMethods()
        for builtin in (
            theNativePasswordMethod,
            theCachingSHA2PasswordMethod,
            theSHA256PasswordMethod,
        ):
            self.assertIn(builtin, methods)
            self.assertTrue(verifyObject(IPasswordMethod, builtin))

    def test_allAreMethods(self):
        """
        Everything found provides L{IAuthMethod}, and no plugin name is
        found twice.
        """
        methods = discoverMethods()
        for method in methods:
            self.assertTrue(IAuthMethod.providedBy(method), method)
        names = [method.pluginName for method in methods]
        self.assertEqual(len(names), len(set(names)))

    def test_registryOfDiscovered(self):
        """
        A registry of the discovered methods finds the built-ins by name.
        """
        registry = MethodRegistry(discoverMethods())
        self.assertIs(registry.get("mysql_native_password"), theNativePasswordMethod)
        self.assertIs(registry.get("caching_sha2_password"), theCachingSHA2PasswordMethod)
        self.assertIs(registry.get("sha256_password"), theSHA256PasswordMethod)
