# -*- test-case-name: tests.test_tap -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
Reading the C{[mysqld]} section of a MySQL option file (my.cnf).

The syntax is MySQL's: C{[group]} headers, C{name=value} or a bare C{name}
(a boolean option; any other option given bare is an error, as in MySQL),
C{#} and C{;} comments, optional quotes around a value, and C{-} and C{_}
interchangeable in names. C{!include} and
C{!includedir} are followed. Only the groups C{mysqld} and C{server} are
read, as C{mysqld} itself does.
"""

from __future__ import annotations

import glob
import os
from typing import List, Optional, Tuple

#: The option groups the server reads.
SERVER_GROUPS = ("mysqld", "server")


class OptionFileError(Exception):
    """
    An option file cannot be read or is malformed; the message names the
    file and line.
    """


def normaliseName(name: str) -> str:
    """
    @return: C{name} with dashes as underscores, lower-cased (MySQL treats
        C{bind-address} and C{bind_address} alike).
    """
    return name.strip().replace("-", "_").lower()


def _unquote(value: str, where: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    if value[:1] in ("'", '"'):
        raise OptionFileError(f"{where}: unterminated quoted value")
    # An unquoted value ends at a comment.
    for marker in (" #", "\t#"):
        cut = value.find(marker)
        if cut >= 0:
            value = value[:cut].rstrip()
    return value


def readOptionFile(path: str, _depth: int = 0) -> List[Tuple[str, Optional[str], str]]:
    """
    Read the server options of an option file.

    @param path: the file.
    @return: (name, value, where) triples in file order, names normalised;
        a bare name has the value L{None} (what it means is the option's
        business: ON for a boolean, an error for any other); C{where} is
        C{"file:line"} for error messages.
    @raise OptionFileError: the file cannot be read or a line is malformed.
    """
    if _depth > 10:
        raise OptionFileError(f"{path}: !include nested too deeply")
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise OptionFileError(f"cannot read option file {path}: {e}") from None
    options: List[Tuple[str, Optional[str], str]] = []
    group = None
    for number, raw in enumerate(lines, 1):
        where = f"{path}:{number}"
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("!include "):
            target = line[len("!include ") :].strip()
            options.extend(readOptionFile(target, _depth + 1))
            continue
        if line.startswith("!includedir "):
            folder = line[len("!includedir ") :].strip()
            for name in sorted(glob.glob(os.path.join(folder, "*.cnf"))):
                options.extend(readOptionFile(name, _depth + 1))
            continue
        if line[0] == "[":
            if not line.endswith("]") or len(line) < 3:
                raise OptionFileError(f"{where}: malformed group header {line!r}")
            group = line[1:-1].strip().lower()
            continue
        if group is None:
            raise OptionFileError(f"{where}: option {line!r} before any [group]")
        if group not in SERVER_GROUPS:
            continue
        value: Optional[str]
        if "=" in line:
            name, text = line.split("=", 1)
            value = _unquote(text, where)
        else:
            name, value = line, None
        name = normaliseName(name)
        if not name or not all(c.isalnum() or c == "_" for c in name):
            raise OptionFileError(f"{where}: malformed option name {name!r}")
        options.append((name, value, where))
    return options
