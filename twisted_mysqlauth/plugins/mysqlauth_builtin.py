# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
The built-in auth methods, as dropins.
"""

from twisted_mysqlauth.auth.authsocket import theAuthSocketMethod
from twisted_mysqlauth.auth.cachingsha2 import theCachingSHA2PasswordMethod
from twisted_mysqlauth.auth.native import theNativePasswordMethod
from twisted_mysqlauth.auth.nologin import theNoLoginMethod
from twisted_mysqlauth.auth.sha256 import theSHA256PasswordMethod
from twisted_mysqlauth.auth.testplugin import theTestPluginMethod

__all__ = [
    "theNativePasswordMethod",
    "theCachingSHA2PasswordMethod",
    "theSHA256PasswordMethod",
    "theAuthSocketMethod",
    "theNoLoginMethod",
    "theTestPluginMethod",
]
