# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
The C{twistd mysqlauth} service plugin.
"""

from twisted.application.service import ServiceMaker

TwistedMySQLAuth = ServiceMaker(
    "twisted_mysqlauth",
    "twisted_mysqlauth.tap",
    "A MySQL-protocol server with MySQL's pluggable authentication",
    "mysqlauth",
)
