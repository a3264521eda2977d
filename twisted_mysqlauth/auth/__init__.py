# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
auth
"""
