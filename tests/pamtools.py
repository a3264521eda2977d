# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
What the PAM tests need: PAM service files in a folder of the test's own
(read through Linux-PAM's C{pam_start_confdir}, so nothing is written to
C{/etc/pam.d}), the test PAM module C{tests/pam/pam_mysqlauth_test.c} built
with the C compiler, and OS users with passwords and groups, created and
removed around each test (see L{tests.test_socketauth_integration}).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import subprocess
import sys
from typing import Iterable, List, Optional

from twisted.trial.unittest import SkipTest, TestCase

from tests import test_socketauth_integration as osusers

HERE = os.path.dirname(os.path.abspath(__file__))
MODULE_SOURCE = os.path.join(HERE, "pam", "pam_mysqlauth_test.c")
COMPILER = shutil.which("cc") or shutil.which("gcc")
CHPASSWD = shutil.which("chpasswd")
GPASSWD = shutil.which("gpasswd")


def pamReason() -> Optional[str]:
    """
    Why PAM cannot run here at all, or L{None}.
    """
    if not sys.platform.startswith("linux"):
        return "the PAM tests run on Linux-PAM"
    try:
        import pam  # noqa: F401
    except ImportError:
        return "python-pam is not installed (pip install 'twisted_mysqlauth[pam]')"
    name = ctypes.util.find_library("pam") or "libpam.so.0"
    try:
        lib = ctypes.CDLL(name)
    except OSError:
        return "libpam is not installed (apt-get install libpam0g)"
    if not hasattr(lib, "pam_start_confdir"):
        return "this libpam has no pam_start_confdir (Linux-PAM 1.4 or later is needed)"
    return None


def osUsersReason() -> Optional[str]:
    """
    Why the tests with real OS users and passwords cannot run, or L{None}.
    """
    reason = pamReason() or osusers.skipReason()
    if reason is None and (CHPASSWD is None or GPASSWD is None):
        reason = "these tests need chpasswd and gpasswd to set passwords and groups"
    return reason


def buildTestModule(directory: str) -> str:
    """
    Build the test PAM module into C{directory}.

    @return: the path of the C{.so}.
    @raise SkipTest: without a C compiler.
    """
    if COMPILER is None:
        raise SkipTest("the test PAM module needs a C compiler (apt-get install gcc)")
    target = os.path.join(directory, "pam_mysqlauth_test.so")
    result = subprocess.run(
        [COMPILER, "-shared", "-fPIC", "-O1", "-o", target, MODULE_SOURCE, "-l:libpam.so.0"],
        capture_output=True,
        timeout=60,
    )
    if result.returncode != 0:
        raise AssertionError(
            "building the test PAM module failed: " + result.stderr.decode(errors="replace")
        )
    return target


def writeService(directory: str, name: str, lines: Iterable[str]) -> str:
    """
    Write a PAM service file.

    @return: its path.
    """
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write("".join(line + "\n" for line in lines))
    return path


#: A PAM stack checking the OS password and account, with no delay after a
#: wrong password (pam_unix waits about 2 s otherwise).
UNIX_STACK = (
    "auth required pam_unix.so nodelay",
    "account required pam_unix.so",
)


def createOSUser(
    case: TestCase, name: str, password: Optional[str] = None, groups: List[str] = ()
) -> None:
    """
    Create an OS user with a password, member of C{groups} (created if
    needed and removed after the test); everything is removed when the
    test ends.
    """
    osusers.createOSUser(case, name)
    if password is not None:
        subprocess.run(
            [CHPASSWD], input=f"{name}:{password}\n".encode(), check=True, capture_output=True
        )
    for group in groups:
        createOSGroup(case, group)
        subprocess.run([GPASSWD, "-a", name, group], check=True, capture_output=True)


def createOSGroup(case: TestCase, name: str) -> None:
    """
    Create an OS group (if this test has not already) and remove it after.
    """
    if osusers.groupEntry(name) is not None:
        if name in getattr(case, "_pamGroups", ()):
            return
        raise SkipTest(f"an OS group {name!r} exists that these tests did not create")
    osusers.run([osusers.TOOLS["groupadd"], name])
    case.__dict__.setdefault("_pamGroups", []).append(name)
    case.addCleanup(osusers.run, [osusers.TOOLS["groupdel"], name])
