# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
C{authentication_windows}, as a dropin. Not loaded by default: as in
MySQL, load it with C{INSTALL PLUGIN authentication_windows SONAME
'authentication_windows.dll'} or C{plugin-load-add=authentication_windows.dll}
(C{authentication_windows.so} is accepted too).
"""

from twisted_mysqlauth.auth.windows import theWindowsMethod

__all__ = ["theWindowsMethod"]
