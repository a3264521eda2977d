# -*- test-case-name: tests.test_packaging -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
The wheel: it ships the twistd dropin (and no C{__init__.py} that would
shadow Twisted's C{twisted} package), and an installed copy is found by
C{twistd --help}.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import zipfile
from importlib import metadata

from twisted.trial.unittest import SynchronousTestCase

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _installed() -> bool:
    """
    Whether the package is installed in this interpreter's site-packages (a
    build's C{egg-info} in the checkout does not count).
    """
    for distribution in metadata.distributions(name="twisted_mysqlauth"):
        location = os.path.abspath(str(distribution.locate_file("")))
        if location != ROOT:
            return True
    return False


class WheelTests(SynchronousTestCase):
    """
    Build the wheel from this checkout and look inside.
    """

    def test_contents(self):
        """
        The wheel holds the library, both plugin packages' dropins, and no
        C{twisted/__init__.py}, C{twisted/plugins/__init__.py} or tests.
        """
        out = os.path.abspath(self.mktemp())
        # Build from a copy: a build writes build/ and egg-info beside the
        # sources, and tests write only under their temporary folder.
        source = os.path.join(out, "source")
        shutil.copytree(
            ROOT,
            source,
            ignore=shutil.ignore_patterns(
                ".git", ".venv", ".tox", "_trial_temp*", "build", "dist", "*.egg-info", "_build",
                "__pycache__", "bench",
            ),
        )
        result = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", out,
             source],
            capture_output=True,
            timeout=300,
        )
        if result.returncode != 0:
            self.fail(result.stderr.decode(errors="replace"))
        [wheel] = glob.glob(os.path.join(out, "twisted_mysqlauth-*.whl"))
        names = set(zipfile.ZipFile(wheel).namelist())
        for expected in (
            "twisted/plugins/mysqlauth_tap.py",
            "twisted_mysqlauth/plugins/__init__.py",
            "twisted_mysqlauth/plugins/mysqlauth_builtin.py",
            "twisted_mysqlauth/protocol.py",
        ):
            self.assertIn(expected, names)
        for forbidden in ("twisted/__init__.py", "twisted/plugins/__init__.py"):
            self.assertNotIn(forbidden, names)
        self.assertFalse([n for n in names if n.startswith("tests/")])

    def test_installedTwistdHelp(self):
        """
        With the package installed, C{twistd --help} run outside the
        checkout lists mysqlauth.
        """
        if not _installed():
            raise self.skipTest(
                "twisted_mysqlauth is not installed in this interpreter "
                "(.ci/run installs it; this test checks the installed copy)"
            )
        cwd = os.path.abspath(self.mktemp())
        os.makedirs(cwd)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        result = subprocess.run(
            [sys.executable, "-c", "from twisted.scripts.twistd import run; run()", "--help"],
            cwd=cwd,
            env=env,
            capture_output=True,
            timeout=60,
        )
        self.assertIn(b"mysqlauth", result.stdout)
