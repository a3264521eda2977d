# -*- test-case-name: tests.test_registry -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
The auth methods a server has loaded, found by their MySQL names and
aliases.
"""

from __future__ import annotations

from typing import Dict, Iterable, List, Optional

from twisted.plugin import getPlugins

from twisted_mysqlauth.interfaces import IAuthMethod


def discoverMethods() -> List[object]:
    """
    @return: every L{IAuthMethod} dropin in L{twisted_mysqlauth.plugins}.
    """
    from twisted_mysqlauth import plugins

    return list(getPlugins(IAuthMethod, plugins))


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
        return self._byName.get(name.lower())

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
