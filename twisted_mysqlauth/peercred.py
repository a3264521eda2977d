# -*- test-case-name: tests.test_peercred -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
UNIX peer credentials for any Twisted server on a UNIX endpoint.

The kernel knows which process is at the other end of a UNIX-domain
socket: L{peerCredentialsOf} reads its uid, gid and pid (and, where the
kernel offers them, its supplementary groups) from the transport, once,
when the connection is made and before any TLS. L{UNIXPeerCredentials}
hands them to L{twisted.cred}, and L{PeerCredentialsChecker} maps them to
the OS user name::

    class MyProtocol(Protocol):
        def connectionMade(self):
            peer = peerCredentialsOf(self.transport)   # None over TCP
            d = portal.login(UNIXPeerCredentials(peer), None, IMyAvatar)

Linux uses C{SO_PEERCRED} (and C{SO_PEERGROUPS}); FreeBSD and macOS use
C{LOCAL_PEERCRED} (C{struct xucred}; the pid from C{LOCAL_PEERPID} on
macOS, from C{cr_pid} on FreeBSD 13+). Elsewhere, and on TCP, there are no
credentials and L{peerCredentialsOf} returns L{None}.
"""

from __future__ import annotations

import errno
import socket
import struct
import sys
from typing import Any, Callable, Optional, Tuple

import attr
from zope.interface import Attribute, implementer

from twisted.cred.checkers import ICredentialsChecker
from twisted.cred.credentials import ICredentials
from twisted.cred.error import UnauthorizedLogin
from twisted.internet import defer

#: Linux socket option numbers (not all are exported by the socket module).
LINUX_SO_PEERCRED = 17
LINUX_SO_PEERGROUPS = 59

#: BSD/macOS: SOL_LOCAL and its options.
SOL_LOCAL = 0
LOCAL_PEERCRED = 1
LOCAL_PEERPID = 2  # macOS

#: struct xucred: u_int cr_version; uid_t cr_uid; short cr_ngroups;
#: gid_t cr_groups[XU_NGROUPS]; on FreeBSD 13+ a pid_t cr_pid follows.
XU_NGROUPS = 16
_XUCRED = struct.Struct("=IIh2x" + "I" * XU_NGROUPS)
XUCRED_VERSION = 0
#: Where FreeBSD's cr_pid is: the union holding it also holds a pointer, so
#: it starts at the next pointer-aligned offset after the groups (80 on
#: 64-bit machines, 76 on 32-bit ones).
_POINTER = struct.calcsize("P")
_XUCRED_PID_OFFSET = (_XUCRED.size + _POINTER - 1) // _POINTER * _POINTER


@attr.s(frozen=True, slots=True, auto_attribs=True)
class PeerCredentials:
    """
    Who is at the other end of a UNIX socket.

    @ivar uid: the peer process's effective user id.
    @ivar gid: its effective group id.
    @ivar pid: its process id, or L{None} where the kernel does not say.
    @ivar groups: its supplementary group ids as the kernel reports them, or
        L{None} where it does not (use L{peerGroups} to fall back to the OS
        group database).
    """

    uid: int
    gid: int
    pid: Optional[int] = None
    groups: Optional[Tuple[int, ...]] = None


def _linuxCredentials(sock: Any) -> Optional[PeerCredentials]:
    option = getattr(socket, "SO_PEERCRED", LINUX_SO_PEERCRED)
    raw = sock.getsockopt(socket.SOL_SOCKET, option, struct.calcsize("3i"))
    pid, uid, gid = struct.unpack("3i", raw)
    if uid < 0:
        return None
    return PeerCredentials(uid=uid, gid=gid, pid=pid or None, groups=_linuxGroups(sock))


def _linuxGroups(sock: Any) -> Optional[Tuple[int, ...]]:
    option = getattr(socket, "SO_PEERGROUPS", LINUX_SO_PEERGROUPS)
    size = 64 * 4
    for _ in range(8):
        try:
            raw = sock.getsockopt(socket.SOL_SOCKET, option, size)
        except OSError as e:
            if e.errno == errno.ERANGE:
                size *= 4
                continue
            return None  # ENOPROTOOPT: a kernel before 4.13
        count = len(raw) // 4
        return tuple(struct.unpack(f"{count}I", raw[: count * 4]))
    return None


def _bsdCredentials(sock: Any, platform: str) -> Optional[PeerCredentials]:
    raw = sock.getsockopt(SOL_LOCAL, LOCAL_PEERCRED, _XUCRED_PID_OFFSET + 8)
    if len(raw) < _XUCRED.size:
        return None
    fields = _XUCRED.unpack(raw[: _XUCRED.size])
    version, uid, count = fields[0], fields[1], fields[2]
    if version != XUCRED_VERSION or not 0 < count <= XU_NGROUPS:
        return None
    groups = tuple(fields[3 : 3 + count])
    pid: Optional[int] = None
    if platform.startswith("darwin"):
        try:
            pid = struct.unpack("i", sock.getsockopt(SOL_LOCAL, LOCAL_PEERPID, 4))[0]
        except OSError:
            pid = None
    elif len(raw) >= _XUCRED_PID_OFFSET + 4:
        # FreeBSD 13+: cr_pid, in a union with a pointer after the groups.
        pid = struct.unpack_from("i", raw, _XUCRED_PID_OFFSET)[0] or None
    # cr_groups[0] is the effective gid.
    return PeerCredentials(uid=uid, gid=groups[0], pid=pid, groups=groups)


def readPeerCredentials(sock: Any, platform: Optional[str] = None) -> Optional[PeerCredentials]:
    """
    Read the peer credentials of a connected UNIX-domain socket.

    @param sock: a L{socket.socket} (or an object with C{getsockopt}).
    @param platform: C{sys.platform} by default.
    @return: the credentials, or L{None} when the platform has no way to
        ask or the kernel does not answer.
    """
    platform = sys.platform if platform is None else platform
    try:
        if platform.startswith("linux"):
            return _linuxCredentials(sock)
        if platform.startswith(("freebsd", "darwin", "dragonfly")):
            return _bsdCredentials(sock, platform)
    except (OSError, struct.error):
        return None
    return None


def peerCredentialsOf(transport: Any) -> Optional[PeerCredentials]:
    """
    The peer credentials of a Twisted transport: call it in
    C{connectionMade}, before any C{startTLS} (after it, C{getHandle}
    returns the TLS connection, not the socket).

    @param transport: a connected transport.
    @return: L{PeerCredentials} for a UNIX-domain socket, L{None} for TCP,
        for a wrapped transport without a socket handle, or where the
        platform cannot tell.
    """
    getHandle = getattr(transport, "getHandle", None)
    if getHandle is None:
        return None
    try:
        handle = getHandle()
    except Exception:
        return None
    if not isinstance(handle, socket.socket) or handle.family != socket.AF_UNIX:
        return None
    return readPeerCredentials(handle)


def peerGroups(peer: PeerCredentials, userName: str, grp: Any = None) -> Tuple[int, ...]:
    """
    The peer's groups: as the kernel reported them, else from the OS group
    database for its user (blocking: call it off the reactor thread).

    @param peer: the credentials.
    @param userName: the peer's OS user name.
    @param grp: a module like L{grp} (for tests).
    @return: group ids, the primary group first.
    """
    if peer.groups is not None:
        return peer.groups
    import os

    if grp is None:
        groups = os.getgrouplist(userName, peer.gid)
    else:
        groups = [peer.gid] + [g.gr_gid for g in grp.getgrall() if userName in g.gr_mem]
    return tuple(dict.fromkeys([peer.gid, *groups]))


class IUNIXPeerCredentials(ICredentials):
    """
    The kernel-reported identity of a UNIX-socket peer.
    """

    peer = Attribute("The L{PeerCredentials}, or L{None} when there are none (TCP).")


@implementer(IUNIXPeerCredentials)
@attr.s(auto_attribs=True)
class UNIXPeerCredentials:
    """
    Peer credentials as L{twisted.cred} credentials.
    """

    peer: Optional[PeerCredentials]


def inlineLookups(function: Callable[..., Any], *args: Any) -> defer.Deferred:
    """
    A C{runInThread} for L{PeerCredentialsChecker} that runs the lookup at
    once, on the calling thread: for tests, and for user databases known
    not to block (local files only).

    @return: a L{defer.Deferred} with the result of C{function(*args)}.
    """
    return defer.maybeDeferred(function, *args)


@implementer(ICredentialsChecker)
class PeerCredentialsChecker:
    """
    Authenticate a UNIX-socket peer as its OS user: the avatar id is the
    user name of the peer's uid (UTF-8 bytes). No credentials (TCP) or an
    unknown uid is L{UnauthorizedLogin}.

    @ivar pwd: a module like L{pwd} (inject
        L{twisted.python.fakepwd.UserDatabase} in tests).
    @ivar runInThread: C{(f, *args) -> Deferred}: where the user-database
        lookup runs (NSS may ask the network: by default a thread).
    """

    credentialInterfaces = (IUNIXPeerCredentials,)

    def __init__(self, pwd: Any = None, runInThread: Optional[Callable[..., Any]] = None) -> None:
        if pwd is None:
            import pwd as pwdModule

            pwd = pwdModule
        if runInThread is None:
            from twisted.internet.threads import deferToThread

            runInThread = deferToThread
        self.pwd = pwd
        self.runInThread = runInThread

    def userName(self, uid: int) -> defer.Deferred:
        """
        @return: a L{Deferred} firing with the OS user name of C{uid}, or
            failing with L{UnauthorizedLogin} when there is none.
        """

        def lookup() -> str:
            try:
                return str(self.pwd.getpwuid(uid).pw_name)
            except KeyError:
                raise UnauthorizedLogin(f"no user with uid {uid}") from None

        return self.runInThread(lookup)

    def requestAvatarId(self, credentials: Any) -> defer.Deferred:
        peer = credentials.peer
        if peer is None:
            return defer.fail(UnauthorizedLogin("no peer credentials"))
        return self.userName(peer.uid).addCallback(lambda name: name.encode("utf-8"))
