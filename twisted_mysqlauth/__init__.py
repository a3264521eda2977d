# -*- test-case-name: tests -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
MySQL pluggable authentication, server side, as an extension of Twisted.

A server built with this package speaks the MySQL client/server connection
phase, so real MySQL and MariaDB clients log in to it; each account names the
authentication method (MySQL's "authentication plugin") that checks it, and
L{twisted.cred} decides who gets in.
"""

__version__ = "0.1.0.dev0"
__all__ = ["__version__"]
