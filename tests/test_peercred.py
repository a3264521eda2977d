# -*- test-case-name: tests.test_peercred -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
Tests for L{twisted_mysqlauth.peercred}: reading the peer credentials of a
UNIX-domain socket (on real socket pairs, and on a faked socket for the
Linux, FreeBSD and macOS layouts), finding them on a Twisted transport,
the peer's groups, and L{PeerCredentialsChecker} with a faked password
database, alone and through a L{Portal} as a non-MySQL service uses it.

None of these tests needs root.
"""

from __future__ import annotations

import errno
import os
import pwd
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import textwrap
from typing import Any, Dict, List, Optional, Tuple

import attr
from zope.interface import Interface, implementer
from zope.interface.verify import verifyObject

from twisted.cred.checkers import ICredentialsChecker
from twisted.cred.error import UnauthorizedLogin
from twisted.cred.portal import IRealm, Portal
from twisted.internet import defer, endpoints, protocol, reactor
from twisted.internet.testing import StringTransport
from twisted.python.fakepwd import UserDatabase
from twisted.trial.unittest import SkipTest, SynchronousTestCase, TestCase

from twisted_mysqlauth.peercred import (
    IUNIXPeerCredentials,
    PeerCredentials,
    PeerCredentialsChecker,
    UNIXPeerCredentials,
    inlineLookups,
    peerCredentialsOf,
    peerGroups,
    readPeerCredentials,
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: The how-to page whose example service L{HowToExampleTests} runs.
HOWTO = os.path.join(ROOT, "docs", "howto", "socket-auth.rst")

# Linux: SOL_SOCKET level and option numbers (x86, arm, and most others).
SOL_SOCKET = socket.SOL_SOCKET
SO_PEERCRED = 17
SO_PEERGROUPS = 59

# FreeBSD and macOS: SOL_LOCAL (0) and its options.
SOL_LOCAL = 0
LOCAL_PEERCRED = 1
LOCAL_PEERPID = 2

#: The FreeBSD and macOS XU_NGROUPS.
XU_NGROUPS = 16


def ucred(pid: int, uid: int, gid: int) -> bytes:
    """
    Linux's C{struct ucred} as C{getsockopt(SO_PEERCRED)} writes it.
    """
    return struct.pack("=iII", pid, uid & 0xFFFFFFFF, gid & 0xFFFFFFFF)


def gidArray(groups) -> bytes:
    """
    An array of C{gid_t}, as C{SO_PEERGROUPS} writes it.
    """
    return struct.pack(f"={len(groups)}I", *groups)


def xucred(uid: int, groups, version: int = 0, ngroups: Optional[int] = None) -> bytes:
    """
    The fields every C{struct xucred} begins with (FreeBSD and macOS):
    C{u_int cr_version; uid_t cr_uid; short cr_ngroups; gid_t
    cr_groups[16]} (2 bytes of padding after the short): 76 bytes. This
    is the whole structure on macOS.
    """
    padded = list(groups) + [0] * (XU_NGROUPS - len(groups))
    count = len(groups) if ngroups is None else ngroups
    return struct.pack("=IIh2x16I", version, uid, count, *padded)


def freeBSDXucred(uid: int, groups, pid: int = 0) -> bytes:
    """
    FreeBSD's C{struct xucred}: the common fields, then C{union { void
    *_cr_unused1; pid_t cr_pid; }} (C{cr_pid} since FreeBSD 13, a NULL
    pointer before). The union is aligned for a pointer, so on a 64-bit
    machine (amd64, arm64) there are 4 bytes of padding before it and the
    structure is 88 bytes; on a 32-bit one it follows at once (80 bytes).
    The layout is this machine's word size, as the kernel of a FreeBSD
    machine of that word size writes it.
    """
    head = xucred(uid, groups)
    pointer = struct.calcsize("P")
    padding = (-len(head)) % pointer
    union = struct.pack("=i", pid) + b"\x00" * (pointer - 4)
    return head + b"\x00" * padding + union


class FakeSocket:
    """
    An object with C{getsockopt} that answers as a kernel would: from a table
    of C{(level, option)} to bytes (cut to the buffer length asked for, as
    the kernel does), an exception, or a function of the buffer length.

    @ivar calls: the C{(level, option, buflen)} asked, in order.
    """

    def __init__(self, answers: Dict[Tuple[int, int], Any]) -> None:
        self.answers = answers
        self.calls: List[Tuple[int, int, Optional[int]]] = []

    def getsockopt(self, level: int, option: int, buflen: Optional[int] = None) -> Any:
        self.calls.append((level, option, buflen))
        try:
            answer = self.answers[(level, option)]
        except KeyError:
            raise OSError(errno.ENOPROTOOPT, os.strerror(errno.ENOPROTOOPT))
        if callable(answer):
            answer = answer(buflen)
        if isinstance(answer, BaseException):
            raise answer
        if buflen is None:
            return struct.unpack("i", answer[:4])[0]
        return answer[:buflen]

    def optionsAsked(self) -> List[Tuple[int, int]]:
        """
        @return: the C{(level, option)} pairs asked, in order.
        """
        return [(level, option) for level, option, buflen in self.calls]


def oserror(code: int) -> OSError:
    return OSError(code, os.strerror(code))


def currentUserName() -> str:
    return pwd.getpwuid(os.geteuid()).pw_name


class ReadPeerCredentialsRealSocketTests(SynchronousTestCase):
    """
    L{readPeerCredentials} on real UNIX-domain sockets of this machine.
    """

    def setUp(self) -> None:
        if not sys.platform.startswith("linux"):
            raise SkipTest("SO_PEERCRED is read on Linux only; other platforms use fakes")

    def socketpair(self) -> Tuple[socket.socket, socket.socket]:
        a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        return a, b

    def test_socketpair(self) -> None:
        """
        Both ends of a socket pair made by this process see this process:
        its effective uid and gid, its pid, and its supplementary groups
        (in whatever order the kernel keeps them).
        """
        for end in self.socketpair():
            peer = readPeerCredentials(end)
            self.assertIsInstance(peer, PeerCredentials)
            self.assertEqual(
                (peer.uid, peer.gid, peer.pid), (os.geteuid(), os.getegid(), os.getpid())
            )
            self.assertIsNotNone(peer.groups, "SO_PEERGROUPS gave nothing on Linux")
            self.assertEqual(sorted(peer.groups), sorted(os.getgroups()))

    def test_platformArgumentLinux(self) -> None:
        """
        Naming the platform explicitly (C{"linux"}) reads the same as the
        default.
        """
        a, b = self.socketpair()
        self.assertEqual(readPeerCredentials(a, "linux"), readPeerCredentials(a))

    def test_unconnected(self) -> None:
        """
        A socket that is not connected has no peer: Linux answers uid -1,
        and there are no credentials.
        """
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.addCleanup(sock.close)
        self.assertIsNone(readPeerCredentials(sock))

    def test_closedSocket(self) -> None:
        """
        A closed socket (C{getsockopt} raises L{OSError}) has no credentials
        and raises nothing.
        """
        a, b = self.socketpair()
        a.close()
        self.assertIsNone(readPeerCredentials(a))


class ReadPeerCredentialsLinuxTests(SynchronousTestCase):
    """
    L{readPeerCredentials} on a faked Linux socket.
    """

    def test_peercredAndGroups(self) -> None:
        """
        C{SO_PEERCRED} gives pid, uid and gid; C{SO_PEERGROUPS} the
        supplementary groups, in the kernel's order.
        """
        sock = FakeSocket(
            {
                (SOL_SOCKET, SO_PEERCRED): ucred(4321, 1001, 1002),
                (SOL_SOCKET, SO_PEERGROUPS): gidArray([1002, 27, 100]),
            }
        )
        self.assertEqual(
            readPeerCredentials(sock, "linux"),
            PeerCredentials(uid=1001, gid=1002, pid=4321, groups=(1002, 27, 100)),
        )
        self.assertEqual(
            sock.optionsAsked(), [(SOL_SOCKET, SO_PEERCRED), (SOL_SOCKET, SO_PEERGROUPS)]
        )

    def test_noSupplementaryGroups(self) -> None:
        """
        A peer with no supplementary groups: C{SO_PEERGROUPS} answers zero
        bytes, and the groups are an empty tuple (known to be none), not
        L{None} (unknown).
        """
        sock = FakeSocket(
            {
                (SOL_SOCKET, SO_PEERCRED): ucred(7, 0, 0),
                (SOL_SOCKET, SO_PEERGROUPS): b"",
            }
        )
        self.assertEqual(
            readPeerCredentials(sock, "linux"), PeerCredentials(uid=0, gid=0, pid=7, groups=())
        )

    def test_groupsERANGEThenBiggerBuffer(self) -> None:
        """
        When the peer has more groups than the first buffer holds, Linux
        fails with C{ERANGE}; the reader asks again with a bigger buffer
        and gets them all.
        """
        groups = list(range(2000, 2300))
        needed = 4 * len(groups)

        def peerGroups(buflen):
            if buflen < needed:
                return oserror(errno.ERANGE)
            return gidArray(groups)

        sock = FakeSocket(
            {
                (SOL_SOCKET, SO_PEERCRED): ucred(99, 1001, 1001),
                (SOL_SOCKET, SO_PEERGROUPS): peerGroups,
            }
        )
        peer = readPeerCredentials(sock, "linux")
        self.assertEqual(peer.groups, tuple(groups))
        sizes = [buflen for level, option, buflen in sock.calls if option == SO_PEERGROUPS]
        self.assertGreater(len(sizes), 1)
        self.assertLess(sizes[0], needed)
        self.assertGreaterEqual(sizes[-1], needed)
        self.assertEqual(sizes, sorted(sizes))

    def test_groupsAlwaysERANGE(self) -> None:
        """
        A kernel that keeps answering C{ERANGE} does not make the reader
        loop forever: the groups are unknown (L{None}), the rest is read.
        """
        sock = FakeSocket(
            {
                (SOL_SOCKET, SO_PEERCRED): ucred(99, 1001, 1001),
                (SOL_SOCKET, SO_PEERGROUPS): oserror(errno.ERANGE),
            }
        )
        peer = readPeerCredentials(sock, "linux")
        self.assertEqual((peer.uid, peer.gid, peer.pid, peer.groups), (1001, 1001, 99, None))
        self.assertLess(len(sock.calls), 50)

    def test_groupsENOPROTOOPT(self) -> None:
        """
        A kernel without C{SO_PEERGROUPS} (before Linux 4.13) answers
        C{ENOPROTOOPT}: the groups are L{None}, uid, gid and pid are still
        read.
        """
        sock = FakeSocket(
            {
                (SOL_SOCKET, SO_PEERCRED): ucred(55, 1003, 1004),
                (SOL_SOCKET, SO_PEERGROUPS): oserror(errno.ENOPROTOOPT),
            }
        )
        self.assertEqual(
            readPeerCredentials(sock, "linux"),
            PeerCredentials(uid=1003, gid=1004, pid=55, groups=None),
        )

    def test_noPeer(self) -> None:
        """
        An unconnected socket's C{SO_PEERCRED} (pid 0, uid and gid -1) means
        no credentials.
        """
        sock = FakeSocket({(SOL_SOCKET, SO_PEERCRED): ucred(0, -1, -1)})
        self.assertIsNone(readPeerCredentials(sock, "linux"))

    def test_pidZero(self) -> None:
        """
        A pid of 0 (the peer is in another pid namespace the kernel cannot
        map) is an unknown pid, L{None}.
        """
        sock = FakeSocket(
            {
                (SOL_SOCKET, SO_PEERCRED): ucred(0, 1001, 1001),
                (SOL_SOCKET, SO_PEERGROUPS): b"",
            }
        )
        peer = readPeerCredentials(sock, "linux")
        self.assertEqual((peer.uid, peer.pid), (1001, None))

    def test_getsockoptRaises(self) -> None:
        """
        C{getsockopt(SO_PEERCRED)} raising L{OSError} (not a socket, closed)
        gives L{None}, never an exception.
        """
        for code in (errno.EBADF, errno.ENOTSOCK, errno.ENOPROTOOPT, errno.EINVAL):
            sock = FakeSocket({(SOL_SOCKET, SO_PEERCRED): oserror(code)})
            self.assertIsNone(readPeerCredentials(sock, "linux"), code)

    def test_shortAnswer(self) -> None:
        """
        An answer too short to be a C{struct ucred} gives L{None}.
        """
        sock = FakeSocket({(SOL_SOCKET, SO_PEERCRED): b"\x01\x00\x00\x00"})
        self.assertIsNone(readPeerCredentials(sock, "linux"))


class ReadPeerCredentialsBSDTests(SynchronousTestCase):
    """
    L{readPeerCredentials} on faked FreeBSD and macOS sockets: C{struct
    xucred} from C{LOCAL_PEERCRED} at level C{SOL_LOCAL}.
    """

    def test_freeBSDWithPid(self) -> None:
        """
        FreeBSD 13 and later: the uid, the groups (the first is the
        effective gid) and C{cr_pid}, at its place in the structure of
        this machine's word size.
        """
        sock = FakeSocket(
            {(SOL_LOCAL, LOCAL_PEERCRED): freeBSDXucred(1001, [1001, 0, 5], pid=31337)}
        )
        self.assertEqual(
            readPeerCredentials(sock, "freebsd14"),
            PeerCredentials(uid=1001, gid=1001, pid=31337, groups=(1001, 0, 5)),
        )
        self.assertEqual(sock.optionsAsked(), [(SOL_LOCAL, LOCAL_PEERCRED)])
        # The buffer must hold the whole structure, or the kernel cuts the
        # pid off.
        self.assertGreaterEqual(sock.calls[0][2], len(freeBSDXucred(0, [0])))

    def test_freeBSDWithoutPid(self) -> None:
        """
        Before FreeBSD 13 the union held an unused NULL pointer: the pid is
        unknown (L{None}), the rest is read.
        """
        sock = FakeSocket({(SOL_LOCAL, LOCAL_PEERCRED): freeBSDXucred(1001, [20, 1001])})
        self.assertEqual(
            readPeerCredentials(sock, "freebsd12"),
            PeerCredentials(uid=1001, gid=20, pid=None, groups=(20, 1001)),
        )

    def test_freeBSDCommonFieldsOnly(self) -> None:
        """
        A structure that ends after the groups (no union at all) still
        gives uid, gid and groups, with no pid.
        """
        sock = FakeSocket({(SOL_LOCAL, LOCAL_PEERCRED): xucred(1001, [1001])})
        self.assertEqual(
            readPeerCredentials(sock, "freebsd13"),
            PeerCredentials(uid=1001, gid=1001, pid=None, groups=(1001,)),
        )

    def test_macOS(self) -> None:
        """
        macOS: C{struct xucred} has no pid; the pid comes from
        C{LOCAL_PEERPID}.
        """
        sock = FakeSocket(
            {
                (SOL_LOCAL, LOCAL_PEERCRED): xucred(501, [20, 12, 61, 79]),
                (SOL_LOCAL, LOCAL_PEERPID): struct.pack("=i", 812),
            }
        )
        self.assertEqual(
            readPeerCredentials(sock, "darwin"),
            PeerCredentials(uid=501, gid=20, pid=812, groups=(20, 12, 61, 79)),
        )
        self.assertEqual(
            sock.optionsAsked(), [(SOL_LOCAL, LOCAL_PEERCRED), (SOL_LOCAL, LOCAL_PEERPID)]
        )

    def test_macOSWithoutPeerPid(self) -> None:
        """
        A macOS without C{LOCAL_PEERPID} (it fails): the credentials are
        still read, without a pid.
        """
        sock = FakeSocket(
            {
                (SOL_LOCAL, LOCAL_PEERCRED): xucred(501, [20]),
                (SOL_LOCAL, LOCAL_PEERPID): oserror(errno.ENOPROTOOPT),
            }
        )
        self.assertEqual(
            readPeerCredentials(sock, "darwin"),
            PeerCredentials(uid=501, gid=20, pid=None, groups=(20,)),
        )

    def test_allSixteenGroups(self) -> None:
        """
        A full group array (16 groups) is read whole.
        """
        groups = list(range(100, 116))
        sock = FakeSocket({(SOL_LOCAL, LOCAL_PEERCRED): xucred(1001, groups)})
        self.assertEqual(readPeerCredentials(sock, "darwin").groups, tuple(groups))

    def test_badVersion(self) -> None:
        """
        A C{cr_version} other than C{XUCRED_VERSION} (0) is a layout the
        reader does not know: no credentials.
        """
        for platform in ("freebsd14", "darwin"):
            sock = FakeSocket(
                {
                    (SOL_LOCAL, LOCAL_PEERCRED): xucred(1001, [1001], version=1),
                    (SOL_LOCAL, LOCAL_PEERPID): struct.pack("=i", 1),
                }
            )
            self.assertIsNone(readPeerCredentials(sock, platform), platform)

    def test_badGroupCount(self) -> None:
        """
        A group count of 0 (there is always the effective gid) or above 16
        is a malformed answer: no credentials.
        """
        for count in (0, -1, 17):
            sock = FakeSocket({(SOL_LOCAL, LOCAL_PEERCRED): xucred(1001, [1001], ngroups=count)})
            self.assertIsNone(readPeerCredentials(sock, "freebsd14"), count)

    def test_shortAnswer(self) -> None:
        """
        An answer shorter than the common fields gives L{None}.
        """
        sock = FakeSocket({(SOL_LOCAL, LOCAL_PEERCRED): xucred(1001, [1001])[:40]})
        self.assertIsNone(readPeerCredentials(sock, "freebsd14"))

    def test_getsockoptRaises(self) -> None:
        """
        C{LOCAL_PEERCRED} raising L{OSError} (C{ENOTCONN}: no peer) gives
        L{None}, never an exception.
        """
        for platform in ("freebsd14", "darwin"):
            sock = FakeSocket({(SOL_LOCAL, LOCAL_PEERCRED): oserror(errno.ENOTCONN)})
            self.assertIsNone(readPeerCredentials(sock, platform), platform)


class ReadPeerCredentialsOtherPlatformTests(SynchronousTestCase):
    """
    L{readPeerCredentials} where there is no peer-credential option.
    """

    def test_unknownPlatform(self) -> None:
        """
        On a platform the reader does not know there are no credentials,
        and the socket is not asked anything.
        """
        for platform in ("win32", "sunos5", "openbsd7", "cygwin", "aix"):
            sock = FakeSocket({(SOL_SOCKET, SO_PEERCRED): ucred(1, 2, 3)})
            self.assertIsNone(readPeerCredentials(sock, platform), platform)
            self.assertEqual(sock.calls, [], platform)


@attr.s(auto_attribs=True)
class HandleTransport:
    """
    A transport whose C{getHandle} returns (or raises) what it is given.
    """

    handle: Any = None
    error: Optional[Exception] = None

    def getHandle(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.handle


class PeerCredentialsOfTests(SynchronousTestCase):
    """
    L{peerCredentialsOf}: the credentials of a Twisted transport.
    """

    def test_unixTransport(self) -> None:
        """
        A transport whose handle is a connected UNIX-domain socket (here a
        L{StringTransport} with a C{getHandle} returning one end of a socket
        pair) gives the peer's credentials: this process.
        """
        if not sys.platform.startswith("linux"):
            raise SkipTest("reads real credentials on Linux only")
        a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        transport = StringTransport()
        transport.getHandle = lambda: a
        peer = peerCredentialsOf(transport)
        self.assertEqual((peer.uid, peer.gid, peer.pid), (os.geteuid(), os.getegid(), os.getpid()))

    def test_tcpHandle(self) -> None:
        """
        A transport whose handle is a connected TCP socket (on the loopback,
        the same machine) gives L{None}: TCP carries no credentials.
        """
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(listener.close)
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        client = socket.create_connection(listener.getsockname())
        self.addCleanup(client.close)
        server, address = listener.accept()
        self.addCleanup(server.close)
        self.assertIsNone(peerCredentialsOf(HandleTransport(server)))
        self.assertIsNone(peerCredentialsOf(HandleTransport(client)))

    def test_noGetHandle(self) -> None:
        """
        A transport without C{getHandle} (a wrapping transport, a
        L{StringTransport}) gives L{None}.
        """
        self.assertIsNone(peerCredentialsOf(object()))
        self.assertIsNone(peerCredentialsOf(StringTransport()))

    def test_getHandleRaises(self) -> None:
        """
        A C{getHandle} that raises gives L{None}.
        """
        self.assertIsNone(peerCredentialsOf(HandleTransport(error=RuntimeError("no handle"))))

    def test_handleNotASocket(self) -> None:
        """
        A handle that is not a socket (the TLS connection object C{getHandle}
        returns after C{startTLS}, a fake with C{getsockopt}) gives L{None}:
        the credentials must be read before TLS.
        """
        fake = FakeSocket({(SOL_SOCKET, SO_PEERCRED): ucred(1, 2, 3)})
        self.assertIsNone(peerCredentialsOf(HandleTransport(fake)))
        self.assertEqual(fake.calls, [])


class TwistedUNIXEndpointTests(TestCase):
    """
    L{peerCredentialsOf} in C{connectionMade} of a server listening on a
    real C{unix:} endpoint.
    """

    def setUp(self) -> None:
        if not sys.platform.startswith("linux"):
            raise SkipTest("reads real credentials on Linux only")

    @defer.inlineCallbacks
    def test_connectionMade(self) -> Any:
        """
        A server protocol on a C{unix:} endpoint reads the credentials of a
        client connecting from this process in C{connectionMade}; a server
        protocol on a TCP endpoint reads none.
        """
        seen: List[Any] = []
        arrived: List[defer.Deferred] = [defer.Deferred(), defer.Deferred()]
        lost: List[defer.Deferred] = [defer.Deferred(), defer.Deferred()]

        class Recorder(protocol.Protocol):
            def connectionMade(self) -> None:
                self.number = len(seen)
                seen.append(peerCredentialsOf(self.transport))
                arrived[self.number].callback(None)

            def connectionLost(self, reason: Any = None) -> None:
                lost[self.number].callback(None)

        factory = protocol.Factory.forProtocol(Recorder)
        folder = tempfile.mkdtemp(prefix="peercred-")
        self.addCleanup(shutil.rmtree, folder, True)
        path = os.path.join(folder, "s.sock")
        unixPort = yield endpoints.serverFromString(reactor, f"unix:{path}").listen(factory)
        self.addCleanup(unixPort.stopListening)
        tcpPort = yield endpoints.serverFromString(reactor, "tcp:0:interface=127.0.0.1").listen(
            factory
        )
        self.addCleanup(tcpPort.stopListening)

        clients = []
        for description in (f"unix:{path}", f"tcp:127.0.0.1:{tcpPort.getHost().port}"):
            client = yield endpoints.clientFromString(reactor, description).connect(
                protocol.Factory.forProtocol(protocol.Protocol)
            )
            clients.append(client)
            yield arrived[len(clients) - 1]
        for client in clients:
            client.transport.loseConnection()
        yield defer.gatherResults(lost)

        unixPeer, tcpPeer = seen
        self.assertEqual(
            (unixPeer.uid, unixPeer.gid, unixPeer.pid), (os.geteuid(), os.getegid(), os.getpid())
        )
        self.assertIsNone(tcpPeer)


@attr.s(auto_attribs=True)
class FakeGroup:
    """
    An entry of a fake group database.
    """

    gr_name: str
    gr_gid: int
    gr_mem: List[str]


class FakeGrp:
    """
    A module like L{grp} with a few groups.
    """

    def __init__(self, groups: List[FakeGroup]) -> None:
        self.groups = groups
        self.calls = 0

    def getgrall(self) -> List[FakeGroup]:
        self.calls += 1
        return list(self.groups)


class PeerGroupsTests(SynchronousTestCase):
    """
    L{peerGroups}: the kernel's groups, else the OS group database.
    """

    def test_kernelGroups(self) -> None:
        """
        Groups reported by the kernel are returned as they are; the group
        database is not read.
        """
        database = FakeGrp([FakeGroup("wheel", 10, ["valerie"])])
        peer = PeerCredentials(uid=1001, gid=1001, pid=5, groups=(1001, 27))
        self.assertEqual(peerGroups(peer, "valerie", grp=database), (1001, 27))
        self.assertEqual(database.calls, 0)

    def test_kernelNoGroups(self) -> None:
        """
        An empty tuple from the kernel means no supplementary groups: it is
        returned, without a database lookup.
        """
        database = FakeGrp([FakeGroup("wheel", 10, ["valerie"])])
        peer = PeerCredentials(uid=1001, gid=1001, groups=())
        self.assertEqual(peerGroups(peer, "valerie", grp=database), ())
        self.assertEqual(database.calls, 0)

    def test_fallbackToGroupDatabase(self) -> None:
        """
        Without kernel groups: the primary gid first, then every group that
        lists the user as a member, each once.
        """
        database = FakeGrp(
            [
                FakeGroup("valerie", 1001, []),
                FakeGroup("wheel", 10, ["root", "valerie"]),
                FakeGroup("staff", 50, ["stephanie"]),
                FakeGroup("audio", 29, ["valerie"]),
                FakeGroup("again", 1001, ["valerie"]),
            ]
        )
        peer = PeerCredentials(uid=1001, gid=1001, pid=5, groups=None)
        self.assertEqual(peerGroups(peer, "valerie", grp=database), (1001, 10, 29))
        self.assertEqual(peerGroups(peer, "nobody-here", grp=database), (1001,))

    def test_fallbackToOSGroupList(self) -> None:
        """
        Without kernel groups and without a fake module, the OS's group list
        of the user is used (C{os.getgrouplist}), the primary gid first.
        """
        name = currentUserName()
        gid = pwd.getpwnam(name).pw_gid
        peer = PeerCredentials(uid=os.geteuid(), gid=gid, groups=None)
        groups = peerGroups(peer, name)
        self.assertEqual(groups[0], gid)
        self.assertEqual(sorted(set(groups)), sorted(set(os.getgrouplist(name, gid))))
        self.assertEqual(len(groups), len(set(groups)))


class FakeUsers:
    """
    A L{UserDatabase} with valerie (1001) and stephanie (1002).
    """

    @staticmethod
    def make() -> UserDatabase:
        database = UserDatabase()
        database.addUser("valerie", "x", 1001, 1001, "Valerie", "/home/valerie", "/bin/sh")
        database.addUser("stephanie", "x", 1002, 1002, "Stephanie", "/home/stephanie", "/bin/sh")
        database.addUser("ren\u00e9", "x", 1003, 1003, "Ren\u00e9", "/home/rene", "/bin/sh")
        return database


class RecordingRunner:
    """
    An inline C{runInThread} that records what it ran.
    """

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, function, *args):
        self.calls += 1
        return defer.maybeDeferred(function, *args)


class PeerCredentialsCheckerTests(SynchronousTestCase):
    """
    L{PeerCredentialsChecker} with a faked password database and lookups
    run inline.
    """

    def setUp(self) -> None:
        self.runner = RecordingRunner()
        self.checker = PeerCredentialsChecker(pwd=FakeUsers.make(), runInThread=self.runner)

    def test_interfaces(self) -> None:
        """
        The checker is an L{ICredentialsChecker} for L{IUNIXPeerCredentials},
        which L{UNIXPeerCredentials} provides.
        """
        verifyObject(ICredentialsChecker, self.checker)
        self.assertEqual(tuple(self.checker.credentialInterfaces), (IUNIXPeerCredentials,))
        verifyObject(IUNIXPeerCredentials, UNIXPeerCredentials(PeerCredentials(uid=1, gid=1)))
        verifyObject(IUNIXPeerCredentials, UNIXPeerCredentials(None))

    def test_uidToName(self) -> None:
        """
        The avatar id is the OS user name of the peer's uid, UTF-8 bytes;
        the lookup ran through C{runInThread}.
        """
        d = self.checker.requestAvatarId(UNIXPeerCredentials(PeerCredentials(uid=1001, gid=1001)))
        self.assertEqual(self.successResultOf(d), b"valerie")
        d = self.checker.requestAvatarId(UNIXPeerCredentials(PeerCredentials(uid=1002, gid=7)))
        self.assertEqual(self.successResultOf(d), b"stephanie")
        self.assertEqual(self.runner.calls, 2)

    def test_nonASCIIName(self) -> None:
        """
        A user name outside ASCII is encoded as UTF-8.
        """
        d = self.checker.requestAvatarId(UNIXPeerCredentials(PeerCredentials(uid=1003, gid=1)))
        self.assertEqual(self.successResultOf(d), "ren\u00e9".encode("utf-8"))

    def test_unknownUid(self) -> None:
        """
        A uid with no user in the database is L{UnauthorizedLogin}.
        """
        d = self.checker.requestAvatarId(UNIXPeerCredentials(PeerCredentials(uid=4242, gid=1)))
        self.failureResultOf(d, UnauthorizedLogin)

    def test_noPeer(self) -> None:
        """
        No credentials (TCP) is L{UnauthorizedLogin}, without a lookup.
        """
        d = defer.maybeDeferred(self.checker.requestAvatarId, UNIXPeerCredentials(None))
        self.failureResultOf(d, UnauthorizedLogin)
        self.assertEqual(self.runner.calls, 0)

    def test_userName(self) -> None:
        """
        L{PeerCredentialsChecker.userName} answers the text name, or fails
        with L{UnauthorizedLogin}.
        """
        self.assertEqual(self.successResultOf(self.checker.userName(1002)), "stephanie")
        self.failureResultOf(self.checker.userName(99999), UnauthorizedLogin)

    def test_inlineLookups(self) -> None:
        """
        L{inlineLookups} runs the lookup at once, and is usable as
        C{runInThread}.
        """
        checker = PeerCredentialsChecker(pwd=FakeUsers.make(), runInThread=inlineLookups)
        d = checker.requestAvatarId(UNIXPeerCredentials(PeerCredentials(uid=1001, gid=1)))
        self.assertEqual(self.successResultOf(d), b"valerie")

    def test_defaults(self) -> None:
        """
        By default the checker reads the real L{pwd} module in a thread
        (L{twisted.internet.threads.deferToThread}).
        """
        from twisted.internet.threads import deferToThread

        checker = PeerCredentialsChecker()
        self.assertIs(checker.pwd, pwd)
        self.assertIs(checker.runInThread, deferToThread)


class PeerCredentialsCheckerThreadTests(TestCase):
    """
    L{PeerCredentialsChecker} with its defaults: the real password database,
    looked up in the reactor's thread pool.
    """

    def setUp(self) -> None:
        if not sys.platform.startswith("linux"):
            raise SkipTest("reads real credentials on Linux only")

    @defer.inlineCallbacks
    def test_realSocketRealDatabase(self) -> Any:
        """
        The credentials of one end of a socket pair, checked with the real
        password database in a thread, name the user running this process.
        """
        a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        name = yield PeerCredentialsChecker().requestAvatarId(
            UNIXPeerCredentials(readPeerCredentials(a))
        )
        self.assertEqual(name, currentUserName().encode("utf-8"))


class IOSUser(Interface):
    """
    A test avatar interface: an OS user of a non-MySQL service.
    """


@implementer(IRealm)
class OSUserRealm:
    """
    A realm whose avatar is the OS user name (text); records the ids.
    """

    def __init__(self) -> None:
        self.avatarIds: List[bytes] = []

    def requestAvatar(self, avatarId, mind, *interfaces):
        self.avatarIds.append(avatarId)
        return IOSUser, avatarId.decode("utf-8"), lambda: None


class PortalTests(SynchronousTestCase):
    """
    L{UNIXPeerCredentials} and L{PeerCredentialsChecker} in a L{Portal}, as a
    non-MySQL Twisted service on a UNIX socket uses them.
    """

    def setUp(self) -> None:
        self.realm = OSUserRealm()
        self.portal = Portal(
            self.realm, [PeerCredentialsChecker(pwd=FakeUsers.make(), runInThread=inlineLookups)]
        )

    def test_login(self) -> None:
        """
        A peer's credentials log in as its OS user: the realm gets the user
        name as the avatar id.
        """
        peer = PeerCredentials(uid=1002, gid=1002, pid=77, groups=(1002,))
        interface, avatar, logout = self.successResultOf(
            self.portal.login(UNIXPeerCredentials(peer), None, IOSUser)
        )
        self.assertEqual((interface, avatar), (IOSUser, "stephanie"))
        self.assertEqual(self.realm.avatarIds, [b"stephanie"])

    def test_refused(self) -> None:
        """
        No credentials, or an unknown uid, is refused with
        L{UnauthorizedLogin}, and the realm is never asked.
        """
        for peer in (None, PeerCredentials(uid=5555, gid=5555)):
            self.failureResultOf(
                self.portal.login(UNIXPeerCredentials(peer), None, IOSUser), UnauthorizedLogin
            )
        self.assertEqual(self.realm.avatarIds, [])

    def test_protocolOnStringTransport(self) -> None:
        """
        A protocol that reads the credentials from its transport in
        C{connectionMade} and logs in with them gets its OS user: here the
        transport is a L{StringTransport} whose handle is a real socket pair
        end, and the password database says this process's uid is valerie.
        """
        if not sys.platform.startswith("linux"):
            raise SkipTest("reads real credentials on Linux only")
        database = UserDatabase()
        database.addUser("valerie", "x", os.geteuid(), os.getegid(), "", "/", "/bin/sh")
        portal = Portal(OSUserRealm(), [PeerCredentialsChecker(database, inlineLookups)])
        logins: List[Any] = []

        class Service(protocol.Protocol):
            def connectionMade(self) -> None:
                credentials = UNIXPeerCredentials(peerCredentialsOf(self.transport))
                portal.login(credentials, None, IOSUser).addBoth(logins.append)

        a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        transport = StringTransport()
        transport.getHandle = lambda: a
        Service().makeConnection(transport)
        self.assertEqual(len(logins), 1)
        self.assertEqual(logins[0][:2], (IOSUser, "valerie"))


def howToExample() -> str:
    """
    The source of the C{whoami.py} example of the socket-authentication
    how-to: the C{code-block} captioned C{whoami.py}.

    @raise SkipTest: when the page is not there (an installed package).
    """
    if not os.path.exists(HOWTO):
        raise SkipTest(f"{HOWTO} is not there")
    with open(HOWTO, encoding="utf-8") as f:
        lines = f.read().splitlines()
    for index, line in enumerate(lines):
        if line.strip() == ".. code-block:: python" and index + 1 < len(lines):
            if lines[index + 1].strip() == ":caption: whoami.py":
                break
    else:
        raise AssertionError(f"no code-block captioned whoami.py in {HOWTO}")
    body: List[str] = []
    for line in lines[index + 2 :]:
        if line.strip() and not line.startswith(" "):
            break
        body.append(line)
    return textwrap.dedent("\n".join(body)).strip() + "\n"


def runHowToExample(testCase: Any, folder: str) -> Tuple[subprocess.Popen, str]:
    """
    Write the how-to's C{whoami.py} into C{folder} and start it with this
    interpreter on C{folder/whoami.sock}, as the page says to run it.

    @return: the process (killed at cleanup) and the socket path, once the
        example says it listens.
    """
    script = os.path.join(folder, "whoami.py")
    with open(script, "w", encoding="utf-8") as f:
        f.write(howToExample())
    path = os.path.join(folder, "whoami.sock")
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    process = subprocess.Popen(
        [sys.executable, script, path],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=folder,
    )

    def stop() -> None:
        if process.poll() is None:
            process.kill()
        process.wait(10)
        process.stdout.close()

    testCase.addCleanup(stop)
    line = process.stdout.readline().decode("utf-8", "replace")
    if line.strip() != f"listening on {path}":
        stop()
        raise AssertionError(f"whoami.py did not start: {line!r}")
    return process, path


def askWhoAmI(path: str, lines: List[bytes]) -> bytes:
    """
    Connect to the example service (from this process), send C{lines} and
    read until it closes or 5 seconds pass.
    """
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(5)
    try:
        sock.connect(path)
        sock.sendall(b"".join(line + b"\n" for line in lines))
        sock.shutdown(socket.SHUT_WR)
        received = b""
        while received.count(b"\n") < len(lines):
            data = sock.recv(4096)
            if not data:
                break
            received += data
        return received
    finally:
        sock.close()


class HowToExampleTests(SynchronousTestCase):
    """
    The C{whoami.py} example of C{docs/howto/socket-auth.rst}, run as the
    page says: a non-MySQL Twisted service on a UNIX endpoint that logs its
    clients in by their peer credentials.
    """

    def setUp(self) -> None:
        if not sys.platform.startswith("linux"):
            raise SkipTest("reads real credentials on Linux only")

    def test_whoami(self) -> None:
        """
        The service answers C{whoami} with the OS user of the client (the
        user running this test) and echoes other lines; its socket is
        mode 0666 as the example asks.
        """
        folder = tempfile.mkdtemp(prefix="whoami-")
        self.addCleanup(shutil.rmtree, folder, True)
        process, path = runHowToExample(self, folder)
        answer = askWhoAmI(path, [b"whoami", b"hello", b"whoami"])
        name = currentUserName().encode("utf-8")
        self.assertEqual(answer, name + b"\n" + b"hello\n" + name + b"\n")
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o666)
