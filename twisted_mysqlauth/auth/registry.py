# -*- test-case-name: tests.test_registry -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
The auth methods a server has loaded, found by their MySQL names and
aliases.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

import attr

from twisted.logger import Logger
from twisted.plugin import getPlugins

from twisted_mysqlauth.interfaces import IAuthMethod


def discoverMethods(pluginDir: Optional[str] = None) -> List[object]:
    """
    @param pluginDir: a folder whose C{.py} files are dropins too (MySQL's
        C{plugin_dir}), or L{None}.
    @return: every L{IAuthMethod} dropin in L{twisted_mysqlauth.plugins}
        (which spans every C{twisted_mysqlauth/plugins/} folder on the
        Python path), then those of C{pluginDir}.
    """
    from twisted_mysqlauth import plugins

    if pluginDir is None:
        return list(getPlugins(IAuthMethod, plugins))
    # The folder joins the plugin package's path while it is scanned, so
    # its modules import as twisted_mysqlauth.plugins.<name>.
    path = os.path.abspath(pluginDir)
    added = path not in plugins.__path__
    if added:
        plugins.__path__.append(path)
    try:
        return list(getPlugins(IAuthMethod, plugins))
    finally:
        if added:
            plugins.__path__.remove(path)


class MethodRegistry:
    """
    Loaded auth methods by name.
    """

    def __init__(self, methods: Iterable[object] = ()) -> None:
        self._byName: Dict[str, object] = {}
        self._methods: List[object] = []
        for method in methods:
            self.add(method)

    def add(self, method) -> None:
        """
        Load C{method}, under its plugin name and its aliases.
        """
        self._methods.append(method)
        for name in (method.pluginName, *method.aliases):
            self._byName[name.lower()] = method

    def remove(self, method) -> None:
        """
        Unload C{method}.
        """
        self._methods.remove(method)
        for name, value in list(self._byName.items()):
            if value is method:
                del self._byName[name]

    def get(self, name: str) -> Optional[object]:
        """
        @param name: a plugin name or alias (case-insensitive).
        @return: the method or L{None}.
        """
        # (Names are kept in lower case, as servers and clients send them.)
        method = self._byName.get(name)
        if method is None:
            method = self._byName.get(name.lower())
        return method

    def canonicalName(self, name: str) -> Optional[str]:
        """
        @return: the plugin name of the method known as C{name}, or L{None}.
        """
        method = self.get(name)
        return None if method is None else method.pluginName  # type: ignore[attr-defined]

    def __iter__(self):
        return iter(list(self._methods))

    def __contains__(self, name: str) -> bool:
        return self.get(name) is not None


#: The methods MySQL builds into the server (library NULL, always loaded).
BUILTIN_METHODS = ("mysql_native_password", "caching_sha2_password", "sha256_password")

#: The methods a server loads with no option at all: the built-in password
#: methods (as MySQL), C{auth_socket} (as Debian's MariaDB loads
#: C{unix_socket}: the first-start root account uses it) and
#: C{mysql_no_login} (it only ever refuses, and proxied accounts use it).
#: C{test_plugin_server} and third-party methods load only when asked
#: (C{INSTALL PLUGIN}, C{--plugin-load-add}), as in MySQL.
DEFAULT_METHODS = BUILTIN_METHODS + ("auth_socket", "mysql_no_login")


@attr.s(frozen=True, auto_attribs=True)
class SystemVariable:
    """
    A system variable an auth method declares (its C{systemVariables}
    mapping, name to L{SystemVariable}), set in a C{my.cnf} or with
    C{twistd mysqlauth --set-variable name=value}, as MySQL's plugin
    variables are.

    @ivar default: the value when nothing sets it (text, as in a my.cnf).
    @ivar parse: text to value; raises L{ValueError} with a message that
        says what is wrong.
    @ivar description: one line for the docs and C{--help}.
    """

    default: str
    parse: Callable[[str], Any]
    description: str = ""


_SWITCH_VALUES = {
    "on": True,
    "1": True,
    "true": True,
    "yes": True,
    "off": False,
    "0": False,
    "false": False,
    "no": False,
}


def parseSwitch(text: str) -> bool:
    """
    Read an ON/OFF system variable (also 1/0, TRUE/FALSE, YES/NO, in any
    case).

    @raise ValueError: it is none of these.
    """
    value = _SWITCH_VALUES.get(text.strip().lower())
    if value is None:
        raise ValueError(f"must be ON or OFF, not {text!r}")
    return value


def numberFrom(low: int, high: int) -> Callable[[str], int]:
    """
    @return: a parser of a whole-number system variable from C{low} to
        C{high}.
    """

    def parse(text: str) -> int:
        value = text.strip()
        if not value.isdigit() or not low <= int(value) <= high:
            raise ValueError(f"must be a number from {low} to {high}, not {text!r}")
        return int(value)

    return parse


def _declared(variable: Any) -> SystemVariable:
    # A bare default text is a variable whose value is that text.
    if isinstance(variable, str):
        return SystemVariable(default=variable, parse=str.strip)
    return variable


def normaliseVariableName(name: str) -> str:
    """
    @return: a variable name as MySQL compares them: lower case, C{-} as
        C{_}.
    """
    return name.strip().lower().replace("-", "_")


def variablesOf(methods: Iterable[Any]) -> Dict[str, Tuple[Any, SystemVariable]]:
    """
    @return: every system variable the methods declare, by name, with the
        method declaring it.
    """
    found: Dict[str, Tuple[Any, SystemVariable]] = {}
    for method in methods:
        for name, variable in getattr(method, "systemVariables", {}).items():
            found[normaliseVariableName(name)] = (method, _declared(variable))
    return found


def variableValues(method: Any, settings: Any) -> Dict[str, Any]:
    """
    The values of a method's system variables: what C{settings} (a
    L{twisted_mysqlauth.tap.ServerSettings}, or L{None} when embedded) sets,
    else the defaults, each parsed.

    @raise ValueError: a value is malformed (the message names it).
    """
    given = getattr(settings, "pluginVariables", None) or {}
    values: Dict[str, Any] = {}
    for name, variable in getattr(method, "systemVariables", {}).items():
        variable = _declared(variable)
        key = normaliseVariableName(name)
        text = given.get(key, variable.default)
        try:
            values[key] = variable.parse(text)
        except ValueError as e:
            raise ValueError(f"{key}: {e}") from None
    return values


def libraryOf(method: Any) -> Optional[str]:
    """
    @return: the library name C{INSTALL PLUGIN ... SONAME} and
        C{--plugin-load-add} use for C{method}: its C{library} attribute,
        else the file name of the dropin that defines it; L{None} for the
        built-in methods.
    """
    if method.pluginName in BUILTIN_METHODS:
        return None
    library = getattr(method, "library", None)
    if library:
        return str(library)
    module = sys.modules.get(type(method).__module__)
    path = getattr(module, "__file__", None) or type(method).__module__
    return os.path.basename(str(path))


@attr.s(auto_attribs=True)
class PluginState:
    """
    One auth method as C{SHOW PLUGINS} reports it.

    @ivar method: the method.
    @ivar status: C{ACTIVE}, or C{DISABLED} when its C{initialize} failed.
    @ivar loadOption: C{FORCE} for built-in methods, else C{ON}.
    @ivar installed: whether C{INSTALL PLUGIN} recorded it (so C{UNINSTALL
        PLUGIN} may remove it).
    @ivar error: why it failed to initialize, or L{None}.
    """

    method: Any
    status: str = "ACTIVE"
    loadOption: str = "ON"
    installed: bool = False
    error: Optional[str] = None

    @property
    def library(self) -> Optional[str]:
        return libraryOf(self.method)


class PluginCatalog:
    """
    The auth methods a server can load (every dropin in
    L{twisted_mysqlauth.plugins}, on the Python path and in the plugin
    directory) and the state of those it has loaded.

    @ivar loaded: the L{MethodRegistry} logins use.
    @ivar states: plugin name to L{PluginState}, for every method loaded or
        that failed to load.
    """

    _log = Logger()

    def __init__(self, available: Iterable[Any], loaded: Optional[MethodRegistry] = None) -> None:
        self.available: List[Any] = list(available)
        self.loaded = loaded if loaded is not None else MethodRegistry()
        self.states: Dict[str, PluginState] = {}

    @classmethod
    def discover(cls, pluginDir: Optional[str] = None) -> "PluginCatalog":
        """
        @param pluginDir: a folder of dropin modules (third-party methods),
            or L{None}.
        @return: a catalog of every method found, none loaded yet.
        """
        return cls(discoverMethods(pluginDir))

    def find(self, name: str, library: Optional[str] = None) -> Optional[Any]:
        """
        @param name: a plugin name or alias (case-insensitive), or L{None}
            to find by library alone.
        @param library: if given, the method's library must be this (a
            C{.so} name from the manual is one of the method's aliases).
        @return: the method, or L{None}.
        """
        for method in self.available:
            names = {method.pluginName.lower(), *(a.lower() for a in method.aliases)}
            if name is not None and name.lower() not in names:
                continue
            if library is not None and not self._fromLibrary(method, library):
                continue
            return method
        return None

    def _fromLibrary(self, method: Any, library: str) -> bool:
        wanted = library.lower()
        own = libraryOf(method)
        return (own is not None and own.lower() == wanted) or wanted in (
            a.lower() for a in method.aliases
        )

    def inLibrary(self, library: str) -> List[Any]:
        """
        @return: the methods a library holds (C{--plugin-load-add=auth_socket.so}).
        """
        return [m for m in self.available if self._fromLibrary(m, library)]

    def load(self, method: Any, config: Any = None, installed: bool = False) -> PluginState:
        """
        Load C{method}: call its optional C{initialize(config)}; a failure is
        logged with its reason and leaves the method C{DISABLED} (never
        loaded, so its accounts are refused with 1524).

        @return: its L{PluginState}.
        """
        name = method.pluginName
        state = self.states.get(name)
        if state is not None and state.status == "ACTIVE":
            state.installed = state.installed or installed
            return state
        state = PluginState(
            method,
            loadOption="FORCE" if name in BUILTIN_METHODS else "ON",
            installed=installed,
        )
        initialize = getattr(method, "initialize", None)
        if initialize is not None:
            try:
                initialize(config)
            except Exception as e:
                state.status = "DISABLED"
                state.error = f"{type(e).__name__}: {e}"
                self._log.error(
                    "auth plugin {name} failed to initialize: {error}", name=name, error=state.error
                )
        self.states[name] = state
        if state.status == "ACTIVE" and self.loaded.get(name) is None:
            self.loaded.add(method)
        return state

    def unload(self, method: Any) -> None:
        """
        Unload C{method}.
        """
        self.states.pop(method.pluginName, None)
        if self.loaded.get(method.pluginName) is method:
            self.loaded.remove(method)
