# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
Sphinx inventories (C{objects.inv}) for the Python standard library and for
Twisted, made by introspecting what is installed, so that the documentation
links to docs.python.org and docs.twisted.org without fetching their
inventories: the documentation builds offline.

The URLs follow the two sites' layouts: the Python library reference
(C{library/<module>.html#<name>}) and pydoctor's API pages for Twisted
(C{<module>.html}, C{<module>.<Class>.html}, C{<page>.html#<member>}).
An object that is missing here is simply not linked.
"""

from __future__ import annotations

import builtins
import importlib
import inspect
import pkgutil
import types
import warnings
import zlib
from typing import Iterable, Iterator, List, Tuple

#: Where the inventories' relative URIs point.
PYTHON_URL = "https://docs.python.org/3/"
TWISTED_URL = "https://docs.twisted.org/en/stable/api/"

Entry = Tuple[str, str, str]

#: The standard-library modules the API documentation mentions or may.
PYTHON_MODULES = (
    "abc",
    "asyncio",
    "base64",
    "binascii",
    "codecs",
    "collections",
    "collections.abc",
    "contextlib",
    "copy",
    "dataclasses",
    "datetime",
    "decimal",
    "enum",
    "errno",
    "fcntl",
    "functools",
    "getpass",
    "glob",
    "grp",
    "hashlib",
    "hmac",
    "importlib",
    "inspect",
    "io",
    "ipaddress",
    "itertools",
    "json",
    "logging",
    "operator",
    "os",
    "os.path",
    "pathlib",
    "pkgutil",
    "platform",
    "pwd",
    "queue",
    "re",
    "secrets",
    "select",
    "shutil",
    "signal",
    "socket",
    "sqlite3",
    "ssl",
    "stat",
    "string",
    "struct",
    "subprocess",
    "sys",
    "tempfile",
    "textwrap",
    "threading",
    "time",
    "traceback",
    "types",
    "typing",
    "unicodedata",
    "uuid",
    "warnings",
    "weakref",
    "zlib",
)

_CONSTANTS = ("None", "True", "False", "Ellipsis", "NotImplemented")
_STDTYPES = (
    "bytearray",
    "bytes",
    "dict",
    "frozenset",
    "list",
    "memoryview",
    "range",
    "set",
    "str",
    "tuple",
)

#: The Twisted packages walked, and single modules added.
TWISTED_PACKAGES = (
    "twisted.application",
    "twisted.cred",
    "twisted.internet",
    "twisted.logger",
    "twisted.protocols",
    "twisted.python",
    "twisted.trial",
)
TWISTED_MODULES = ("twisted", "twisted.plugin", "twisted.plugins", "twisted.test.iosim")


def writeInventory(path: str, project: str, version: str, entries: Iterable[Entry]) -> None:
    """
    Write a version 2 Sphinx inventory.

    @param path: the file to write.
    @param project: the project name of the header.
    @param version: the version of the header.
    @param entries: C{(name, role, uri)} triples; C{role} is a C{py}
        domain role such as C{"class"}.
    """
    header = (
        "# Sphinx inventory version 2\n"
        f"# Project: {project}\n"
        f"# Version: {version}\n"
        "# The remainder of this file is compressed using zlib.\n"
    ).encode("utf-8")
    seen = set()
    lines = []
    for name, role, uri in sorted(entries):
        if name in seen:
            continue
        seen.add(name)
        lines.append(f"{name} py:{role} 1 {uri} -\n")
    with open(path, "wb") as f:
        f.write(header + zlib.compress("".join(lines).encode("utf-8")))


def _role(obj: object) -> str:
    if isinstance(obj, type):
        return "exception" if issubclass(obj, BaseException) else "class"
    if isinstance(obj, types.ModuleType):
        return "module"
    if callable(obj):
        return "function"
    return "data"


def _publicNames(module: types.ModuleType) -> List[str]:
    names = getattr(module, "__all__", None)
    if names is None:
        names = [name for name in vars(module) if not name.startswith("_")]
    return [name for name in names if hasattr(module, name)]


def pythonEntries() -> Iterator[Entry]:
    """
    @return: the entries of the builtins and of L{PYTHON_MODULES}.
    """
    for name in dir(builtins):
        if name.startswith("_"):
            continue
        obj = getattr(builtins, name)
        if name in _CONSTANTS:
            yield name, "data", f"library/constants.html#{name}"
        elif isinstance(obj, type) and issubclass(obj, BaseException):
            yield name, "exception", f"library/exceptions.html#{name}"
        elif name in _STDTYPES:
            yield name, "class", f"library/stdtypes.html#{name}"
        elif isinstance(obj, type):
            yield name, "class", f"library/functions.html#{name}"
        elif callable(obj):
            yield name, "function", f"library/functions.html#{name}"
    for moduleName in PYTHON_MODULES:
        try:
            module = importlib.import_module(moduleName)
        except ImportError:
            continue
        page = f"library/{moduleName}.html"
        yield moduleName, "module", f"{page}#module-{moduleName}"
        for name in _publicNames(module):
            obj = getattr(module, name)
            if isinstance(obj, types.ModuleType):
                continue
            fullName = f"{moduleName}.{name}"
            yield fullName, _role(obj), f"{page}#{fullName}"
            if isinstance(obj, type):
                for member in vars(obj):
                    if not member.startswith("_"):
                        yield f"{fullName}.{member}", "method", f"{page}#{fullName}.{member}"


def _twistedModules() -> Iterator[types.ModuleType]:
    for name in TWISTED_MODULES:
        try:
            yield importlib.import_module(name)
        except Exception:
            pass
    for packageName in TWISTED_PACKAGES:
        try:
            package = importlib.import_module(packageName)
        except Exception:
            continue
        yield package
        for info in pkgutil.walk_packages(
            package.__path__, packageName + ".", onerror=lambda name: None
        ):
            parts = info.name.split(".")
            if any(p.startswith("_") or p == "test" or p.endswith("reactor") for p in parts):
                continue
            try:
                yield importlib.import_module(info.name)
            except Exception:
                continue


def _members(obj: object) -> Iterable[str]:
    names = getattr(obj, "names", None)
    if names is not None and callable(names):
        # A zope.interface interface.
        try:
            return list(names())
        except TypeError:
            return []
    return [name for name in vars(obj) if not name.startswith("_")]


def twistedEntries() -> Iterator[Entry]:
    """
    @return: the entries of the public modules of L{TWISTED_PACKAGES} and
        L{TWISTED_MODULES}, as pydoctor lays out Twisted's API pages.
    """
    from zope.interface.interface import InterfaceClass

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        modules = list(_twistedModules())
    for module in modules:
        moduleName = module.__name__
        yield moduleName, "module", f"{moduleName}.html"
        exported = getattr(module, "__all__", None)
        for name in _publicNames(module):
            obj = getattr(module, name)
            if isinstance(obj, types.ModuleType):
                continue
            definedHere = getattr(obj, "__module__", None) == moduleName
            if not definedHere and (exported is None or name not in exported):
                continue
            fullName = f"{moduleName}.{name}"
            if isinstance(obj, (type, InterfaceClass)):
                yield fullName, _role(obj) if isinstance(obj, type) else "class", (
                    f"{fullName}.html"
                )
                for member in _members(obj):
                    yield f"{fullName}.{member}", "method", f"{fullName}.html#{member}"
            elif inspect.isfunction(obj) or callable(obj):
                yield fullName, "function", f"{moduleName}.html#{name}"
            else:
                yield fullName, "data", f"{moduleName}.html#{name}"


def writeAll(directory: str) -> Tuple[str, str]:
    """
    Write C{python.inv} and C{twisted.inv} in C{directory}.

    @return: their paths.
    """
    import os
    import sys

    import twisted

    python = os.path.join(directory, "python.inv")
    writeInventory(python, "Python", "%d.%d" % sys.version_info[:2], pythonEntries())
    tw = os.path.join(directory, "twisted.inv")
    writeInventory(tw, "Twisted", twisted.__version__, twistedEntries())
    return python, tw
