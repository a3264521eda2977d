# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
The plugin package of twisted_mysqlauth: auth methods (L{IAuthMethod}
providers) are L{twisted.plugin} dropins found here and in any
C{twisted_mysqlauth/plugins/} folder on the Python path.
"""

from twisted.plugin import pluginPackagePaths

__path__.extend(pluginPackagePaths(__name__))  # type: ignore[name-defined]
__all__: list = []
