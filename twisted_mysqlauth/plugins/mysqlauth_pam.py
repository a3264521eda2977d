# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
The PAM auth methods, as dropins: MySQL's C{authentication_pam} and
MariaDB's C{pam}. Neither loads by default; C{INSTALL PLUGIN
authentication_pam SONAME 'authentication_pam.so'}, C{INSTALL SONAME
'auth_pam'} or C{plugin-load-add} loads them, as in MySQL and MariaDB.
"""

from twisted_mysqlauth.auth.pam import theAuthenticationPAMMethod, theMariaDBPAMMethod

__all__ = ["theAuthenticationPAMMethod", "theMariaDBPAMMethod"]
