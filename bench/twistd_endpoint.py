"""
`twistd`, with the listeners of `twistd mysqlauth` made by
`twisted_mysqlauth.server.serverEndpoint` instead of Twisted's
`serverFromString`: the one-line change to `twisted_mysqlauth/tap.py`
(`MySQLAuthService._start`) that the benchmark measures beside the stock
server, as the "twisted_mysqlauth, serverEndpoint" rows.

    python bench/twistd_endpoint.py -n mysqlauth --datadir ... --listen ...
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import twisted_mysqlauth.tap as tap  # noqa: E402
from twisted_mysqlauth.server import serverEndpoint  # noqa: E402

tap.serverFromString = serverEndpoint

from twisted.scripts.twistd import run  # noqa: E402

sys.argv[0] = "twistd"
run()
