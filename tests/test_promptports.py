# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
Tests for the listening ports of L{twisted_mysqlauth.server.serverEndpoint}
(L{PromptTCPPort}, L{PromptUNIXPort}): real sockets on the real reactor,
with protocols that are not MySQL's, to check that they behave as a
stock Twisted transport does.
"""

from __future__ import annotations

import errno
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile

from zope.interface import implementer

from twisted.internet import defer, protocol, reactor
from twisted.internet import tcp, unix
from twisted.internet.endpoints import clientFromString, connectProtocol, serverFromString
from twisted.internet.error import ConnectionDone, ConnectionLost
from twisted.internet.interfaces import IPullProducer
from twisted.internet.threads import deferToThread
from twisted.internet.posixbase import PosixReactorBase
from twisted.internet.task import Clock, deferLater
from twisted.trial.unittest import SkipTest, TestCase

from twisted_mysqlauth import server
from twisted_mysqlauth.server import (
    PromptTCPPort,
    PromptTCPServer,
    PromptUNIXPort,
    PromptUNIXServer,
    serverEndpoint,
)


class ScriptedServer(protocol.Protocol):
    """
    A server whose every event runs the factory's script for it.
    """

    def connectionMade(self):
        self.factory.connections.append(self)
        self.factory.script.get("connectionMade", lambda p: None)(self)

    def dataReceived(self, data):
        self.factory.script.get("dataReceived", lambda p, d: None)(self, data)

    def connectionLost(self, reason):
        self.factory.lost.append(reason)
        if not self.factory.closed.called:
            self.factory.closed.callback(None)


class ScriptedFactory(protocol.ServerFactory):
    protocol = ScriptedServer

    def __init__(self, **script):
        self.script = script
        self.connections = []
        self.lost = []
        self.closed = defer.Deferred()


class Collector(protocol.Protocol):
    """
    A client that keeps what it receives and tells when the server closes.
    """

    def __init__(self, toSend=b""):
        self.received = []
        self.toSend = toSend
        self.done = defer.Deferred()

    def connectionMade(self):
        if self.toSend:
            self.transport.write(self.toSend)

    def dataReceived(self, data):
        self.received.append(data)

    def connectionLost(self, reason):
        self.reason = reason
        self.done.callback(b"".join(self.received))


def checkOnThisTwisted(testCase):
    """
    Let L{serverEndpoint} give the prompt ports on the running Twisted even
    if it is newer than L{server.PROMPT_PORTS_CHECKED_UP_TO}: their tests
    are how a new release gets checked.
    """
    from twisted import version

    running = (version.major, version.minor)
    if running > server.PROMPT_PORTS_CHECKED_UP_TO:
        testCase.patch(server, "PROMPT_PORTS_CHECKED_UP_TO", running)


class ListeningMixin:
    """
    Listen with L{serverEndpoint} (or a stock port) and connect a client.
    """

    def setUp(self):
        if not isinstance(reactor, PosixReactorBase):
            raise SkipTest("prompt ports need a POSIX reactor")
        checkOnThisTwisted(self)

    #: Whether to listen with a stock port instead, to check that the
    #: tests' expectations are a stock transport's behaviour.
    stock = False

    @defer.inlineCallbacks
    def listen(self, factory):
        makeEndpoint = serverFromString if self.stock else serverEndpoint
        port = yield makeEndpoint(reactor, self.description()).listen(factory)
        self.addCleanup(port.stopListening)
        self.assertIsInstance(port, self.portClass)
        return port

    @defer.inlineCallbacks
    def exchange(self, factory, toSend=b""):
        """
        Listen, connect a L{Collector} that sends C{toSend}, and wait until
        the server closes the connection.

        @return: what the client received.
        """
        port = yield self.listen(factory)
        client = Collector(toSend)
        yield connectProtocol(clientFromString(reactor, self.clientDescription(port)), client)
        received = yield client.done
        yield factory.closed
        return received


class PromptPortsMixin(ListeningMixin):
    """
    The behaviour of a transport, on prompt ports and (for comparison) on
    stock ones.
    """

    @defer.inlineCallbacks
    def test_transport(self):
        """
        Connections are the prompt transport, a normal Twisted transport.
        """
        factory = ScriptedFactory(connectionMade=lambda p: p.transport.loseConnection())
        yield self.exchange(factory)
        self.assertIsInstance(factory.connections[0].transport, self.transportClass)

    @defer.inlineCallbacks
    def test_greetingThenClose(self):
        """
        What C{connectionMade} writes arrives; C{loseConnection} closes
        after it, with a clean close (what is written before the close
        happens is sent too, as by a stock transport).
        """

        def connectionMade(p):
            p.transport.write(b"hello ")
            p.transport.writeSequence([b"wor", b"ld"])
            p.transport.loseConnection()
            p.transport.write(b"ignored")

        factory = ScriptedFactory(connectionMade=connectionMade)
        received = yield self.exchange(factory)
        self.assertEqual(received, b"hello worldignored")
        factory.lost[0].trap(ConnectionDone)

    @defer.inlineCallbacks
    def test_answers(self):
        """
        What C{dataReceived} writes arrives, in order with what
        C{connectionMade} wrote.
        """
        yield self.upperCaseExchange()

    @defer.inlineCallbacks
    def upperCaseExchange(self):
        """
        A server that writes C{>} when the client connects and answers each
        read in upper case, closing after a read that ends with C{.}.

        @return: (a Deferred firing with) its factory, once the client
            received C{>ABC.} for C{abc.}.
        """

        def dataReceived(p, data):
            p.transport.write(data.upper())
            if data.endswith(b"."):
                p.transport.loseConnection()

        factory = ScriptedFactory(
            connectionMade=lambda p: p.transport.write(b">"), dataReceived=dataReceived
        )
        received = yield self.exchange(factory, b"abc.")
        self.assertEqual(received, b">ABC.")
        return factory

    @defer.inlineCallbacks
    def test_largeWrite(self):
        """
        A write larger than the kernel takes at once is finished when the
        socket becomes writable again, then the connection closes.
        """
        big = os.urandom(8 * 1024 * 1024)

        def dataReceived(p, data):
            p.transport.write(big)
            p.transport.loseConnection()

        factory = ScriptedFactory(dataReceived=dataReceived)
        received = yield self.exchange(factory, b"go")
        self.assertEqual(len(received), len(big))
        self.assertEqual(received, big)

    @defer.inlineCallbacks
    def test_writeFromTimer(self):
        """
        Writes made outside the connection's events (a timer) take the
        stock path and arrive.
        """

        def dataReceived(p, data):
            def later():
                p.transport.write(b"later")
                p.transport.loseConnection()

            reactor.callLater(0.01, later)

        factory = ScriptedFactory(dataReceived=dataReceived)
        received = yield self.exchange(factory, b"x")
        self.assertEqual(received, b"later")

    @defer.inlineCallbacks
    def test_abortInEvent(self):
        """
        C{abortConnection} while handling data drops what was written and
        closes.
        """

        def dataReceived(p, data):
            p.transport.write(b"never sent")
            p.transport.abortConnection()

        factory = ScriptedFactory(dataReceived=dataReceived)
        received = yield self.exchange(factory, b"x")
        self.assertEqual(received, b"")

    @defer.inlineCallbacks
    def test_errorInConnectionMade(self):
        """
        A protocol that raises in C{connectionMade} does not stop the port:
        the next connection is served.
        """
        calls = []

        def connectionMade(p):
            calls.append(p)
            if len(calls) == 1:
                raise ZeroDivisionError()
            p.transport.write(b"ok")
            p.transport.loseConnection()

        factory = ScriptedFactory(connectionMade=connectionMade)
        port = yield self.listen(factory)
        first = Collector()
        yield connectProtocol(clientFromString(reactor, self.clientDescription(port)), first)
        yield deferLater(reactor, 0.05, lambda: None)
        self.flushLoggedErrors(ZeroDivisionError)
        calls[0].transport.loseConnection()
        yield first.done
        second = Collector()
        yield connectProtocol(clientFromString(reactor, self.clientDescription(port)), second)
        self.assertEqual((yield second.done), b"ok")

    @defer.inlineCallbacks
    def test_noWaitForWritability(self):
        """
        What a connection writes while the port accepts it or while it
        handles data is sent without the socket being registered for
        writability (on a prompt port; a stock port registers it).
        """
        registered = []
        addWriter = reactor.addWriter

        def recordingAddWriter(selectable):
            registered.append(selectable)
            return addWriter(selectable)

        self.patch(reactor, "addWriter", recordingAddWriter)
        factory = yield self.upperCaseExchange()
        transport = factory.connections[0].transport
        self.assertEqual(transport in registered, self.stock)

    @defer.inlineCallbacks
    def test_severalAcceptedAtOnce(self):
        """
        Connections accepted in one accept event each get their own peer
        address and what their C{connectionMade} wrote.
        """
        peers = []

        def connectionMade(p):
            peers.append((p.transport.getPeer(), p.transport.socket.getpeername()))
            p.transport.write(b"hello %d" % (len(peers),))

        factory = ScriptedFactory(connectionMade=connectionMade)
        port = yield self.listen(factory)
        # Connected before the reactor runs again: one accept event.
        clients = [self.blockingConnect(port) for _ in range(3)]
        try:
            received = []
            for client in clients:
                received.append((yield deferToThread(client.recv, 100)))
        finally:
            for client in clients:
                client.close()
        self.assertEqual(sorted(received), [b"hello 1", b"hello 2", b"hello 3"])
        self.assertEqual(len(peers), 3)
        for peer, actual in peers:
            self.assertEqual(self.peerOf(peer), actual)

    @defer.inlineCallbacks
    def test_errorsAtTheEndOfAnAccept(self):
        """
        A connection that fails when the accept event ends, and fails again
        while it is closed, neither closes the port nor keeps the
        connections accepted after it from what they wrote.
        """

        @implementer(IPullProducer)
        class FailingProducer:
            def __init__(self, transport):
                self.transport = transport
                self.calls = 0

            def resumeProducing(self):
                self.calls += 1
                if self.calls > 1:
                    raise ZeroDivisionError("the producer fails")
                self.transport.write(b"first")

            def stopProducing(self):
                pass

        def connectionMade(p):
            if len(factory.connections) == 1:
                p.transport.registerProducer(FailingProducer(p.transport), False)
            else:
                p.transport.write(b"hello")

        class FailingOnLoss(ScriptedServer):
            def connectionLost(self, reason):
                ScriptedServer.connectionLost(self, reason)
                if self is self.factory.connections[0]:
                    raise ValueError("connectionLost fails")

        factory = ScriptedFactory(connectionMade=connectionMade)
        factory.protocol = FailingOnLoss
        port = yield self.listen(factory)
        first, second = self.blockingConnect(port), self.blockingConnect(port)
        try:
            self.assertEqual((yield deferToThread(second.recv, 100)), b"hello")
        finally:
            first.close()
            second.close()
        self.flushLoggedErrors(ZeroDivisionError, ValueError)
        self.assertTrue(port.connected)
        third = Collector()
        yield connectProtocol(clientFromString(reactor, self.clientDescription(port)), third)
        yield deferLater(reactor, 0.05, lambda: None)
        factory.connections[-1].transport.loseConnection()
        self.assertEqual((yield third.done), b"hello")
        for connection in factory.connections[1:]:
            connection.transport.abortConnection()
        yield deferLater(reactor, 0.05, lambda: None)
        self.flushLoggedErrors(ZeroDivisionError, ValueError)

    @defer.inlineCallbacks
    def waitFor(self, condition):
        """
        Let the reactor run until C{condition()} is true (at most 5 s).
        """
        for _ in range(500):
            if condition():
                return
            yield deferLater(reactor, 0.01, lambda: None)
        self.fail("waited in vain")

    @defer.inlineCallbacks
    def closeAll(self, factory):
        """
        Close the server side of every connection of C{factory}, and wait
        until they are closed.
        """
        for p in factory.connections:
            p.transport.loseConnection()
        yield self.waitFor(lambda: all(p.transport.disconnected for p in factory.connections))

    @defer.inlineCallbacks
    def readInOnePoll(self, factory, count=2):
        """
        Listen, connect C{count} blocking clients, and once the server has
        accepted them all, have each send a byte: the reactor's next poll
        finds every connection readable.

        @return: (a Deferred firing with) the clients, in the order of
            C{factory.connections}.
        """
        self.listeningPort = port = yield self.listen(factory)
        # (Run last: after the clients below closed.)
        self.addCleanup(self.closeAll, factory)
        clients = []
        for _ in range(count):
            # One at a time, to know which client each connection has.
            clients.append(self.blockingConnect(port))
            self.addCleanup(clients[-1].close)
            yield self.waitFor(lambda: len(factory.connections) == len(clients))
        for client in clients:
            client.sendall(b"x")
        accepted = [p.transport.socket for p in factory.connections]
        ready = set()
        for _ in range(100):
            ready.update(select.select(accepted, [], [], 0.1)[0])
            if len(ready) == count:
                break
        self.assertEqual(len(ready), count)
        return clients

    @defer.inlineCallbacks
    def test_sentAfterThePoll(self):
        """
        What connections write while the reactor handles the events of one
        poll is sent once it has handled them all, in the order they
        wrote (on a stock port, at the next poll).
        """
        events = []

        def dataReceived(p, data):
            events.append(("read", p))
            p.transport.socket = SendRecordingSocket(p.transport.socket, events, p)
            p.transport.write(b"reply")

        factory = ScriptedFactory(dataReceived=dataReceived)
        clients = yield self.readInOnePoll(factory, 3)
        for client in clients:
            self.assertEqual((yield deferToThread(client.recv, 100)), b"reply")
        self.assertEqual([kind for kind, p in events], ["read"] * 3 + ["send"] * 3)
        if not self.stock:
            self.assertEqual([p for kind, p in events[3:]], [p for kind, p in events[:3]])

    @defer.inlineCallbacks
    def test_errorAfterThePoll(self):
        """
        A connection whose send fails with an unexpected error after the
        poll is closed and the error logged; the other connections of the
        poll still send, and the port goes on.
        """
        reads = []

        def dataReceived(p, data):
            reads.append(p)
            if len(reads) == 1:
                p.transport.socket = BrokenSendSocket(p.transport.socket)
            p.transport.write(b"reply")

        factory = ScriptedFactory(dataReceived=dataReceived)
        clients = yield self.readInOnePoll(factory)
        yield self.waitFor(lambda: len(reads) == 2)
        byConnection = dict(zip(factory.connections, clients))
        first, second = byConnection[reads[0]], byConnection[reads[1]]
        self.assertEqual((yield deferToThread(second.recv, 100)), b"reply")
        self.assertEqual((yield deferToThread(first.recv, 100)), b"")
        self.assertEqual(len(self.flushLoggedErrors(ZeroDivisionError)), 1)
        self.assertTrue(reads[0].transport.disconnected)
        self.assertFalse(reads[1].transport.disconnected)
        # The port goes on.
        third = self.blockingConnect(self.listeningPort)
        self.addCleanup(third.close)
        third.sendall(b"x")
        self.assertEqual((yield deferToThread(third.recv, 100)), b"reply")

    @defer.inlineCallbacks
    def test_greetingsSentAfterTheAccept(self):
        """
        What the connections accepted in one event write in
        C{connectionMade} is sent once they have all been made.
        """
        events = []

        def connectionMade(p):
            events.append(("made", p))
            p.transport.socket = SendRecordingSocket(p.transport.socket, events, p)
            p.transport.write(b"hello")

        factory = ScriptedFactory(connectionMade=connectionMade)
        port = yield self.listen(factory)
        self.addCleanup(self.closeAll, factory)
        doRead = port.doRead

        def markedDoRead():
            events.append(("accept", None))
            return doRead()

        port.doRead = markedDoRead
        # Connected before the reactor runs again: one accept event (or, if
        # the kernel was slow to finish a handshake, more).
        clients = [self.blockingConnect(port) for _ in range(3)]
        for client in clients:
            self.addCleanup(client.close)
        for client in clients:
            self.assertEqual((yield deferToThread(client.recv, 100)), b"hello")
        # Each send comes after every connectionMade of its accept event.
        acceptEvent, lastMade = {}, {}
        event = -1
        for i, (kind, p) in enumerate(events):
            if kind == "accept":
                event += 1
            elif kind == "made":
                acceptEvent[p] = event
                lastMade[event] = i
            else:
                self.assertGreater(i, lastMade[acceptEvent[p]], events)
        self.assertEqual(sorted(kind for kind, p in events if kind != "accept"), ["made"] * 3 + ["send"] * 3)
        # (At least two in one event, or this tested nothing.)
        self.assertLess(len(set(acceptEvent.values())), 3)

    @defer.inlineCallbacks
    def test_writeFromAnotherBeforeItSends(self):
        """
        A write to a connection waiting for the send after the poll, made
        by another connection's send (its C{connectionLost}), arrives after
        what the waiting connection wrote.
        """
        reads = []

        class NoteOnLoss(ScriptedServer):
            def connectionLost(self, reason):
                ScriptedServer.connectionLost(self, reason)
                if self is reads[0]:
                    reads[1].transport.write(b"+note")

        def dataReceived(p, data):
            reads.append(p)
            p.transport.write(b"reply%d" % (len(reads),))
            if len(reads) == 1:
                p.transport.loseConnection()

        factory = ScriptedFactory(dataReceived=dataReceived)
        factory.protocol = NoteOnLoss
        clients = yield self.readInOnePoll(factory)
        yield self.waitFor(lambda: len(reads) == 2)
        byConnection = dict(zip(factory.connections, clients))
        first, second = byConnection[reads[0]], byConnection[reads[1]]
        self.assertEqual((yield deferToThread(readToEnd, first)), b"reply1")
        received = b""
        while len(received) < len(b"reply2+note"):
            more = yield deferToThread(second.recv, 100)
            self.assertTrue(more)
            received += more
        self.assertEqual(received, b"reply2+note")

    @defer.inlineCallbacks
    def test_clientCloses(self):
        """
        The client's close is seen as a clean connection loss.
        """
        factory = ScriptedFactory(connectionMade=lambda p: p.transport.write(b"hi"))
        port = yield self.listen(factory)
        client = Collector()
        yield connectProtocol(clientFromString(reactor, self.clientDescription(port)), client)
        yield deferLater(reactor, 0.05, lambda: None)
        client.transport.loseConnection()
        yield factory.closed
        factory.lost[0].trap(ConnectionDone)
        self.assertEqual((yield client.done), b"hi")

    #: Whether a small write in an event is sent by the transport itself,
    #: without writeSomeData (the prompt TCP ports).
    directSend = False

    @defer.inlineCallbacks
    def test_smallWriteSentAtOnce(self):
        """
        A prompt TCP port sends a small write of an event itself, in one
        send(); other ports go through writeSomeData.
        """
        through = []

        def dataReceived(p, data):
            writeSomeData = p.transport.writeSomeData

            def recording(data):
                through.append(data)
                return writeSomeData(data)

            p.transport.writeSomeData = recording
            p.transport.write(b"small")
            p.transport.loseConnection()

        factory = ScriptedFactory(dataReceived=dataReceived)
        received = yield self.exchange(factory, b"x")
        self.assertEqual(received, b"small")
        self.assertEqual(through, [] if self.directSend else [b"small"])

    @defer.inlineCallbacks
    def test_sendRefusedForNow(self):
        """
        When the kernel takes nothing of a write (C{EAGAIN}), it is sent
        once the socket is writable, as by a stock transport.
        """
        refusals = []

        def dataReceived(p, data):
            p.transport.socket = FlakySocket(p.transport.socket, refusals, send=2)
            p.transport.write(b"after a wait")
            p.transport.loseConnection()

        factory = ScriptedFactory(dataReceived=dataReceived)
        received = yield self.exchange(factory, b"x")
        self.assertEqual(received, b"after a wait")
        self.assertEqual(refusals, ["send", "send"])
        factory.lost[0].trap(ConnectionDone)

    @defer.inlineCallbacks
    def test_sendFails(self):
        """
        A write the kernel refuses with an error loses the connection
        (C{ConnectionLost}), as on a stock transport.
        """
        refusals = []

        def dataReceived(p, data):
            p.transport.socket = FlakySocket(
                p.transport.socket, refusals, send=99, error=errno.ECONNRESET
            )
            p.transport.write(b"never arrives")

        factory = ScriptedFactory(dataReceived=dataReceived)
        received = yield self.exchange(factory, b"x")
        self.assertEqual(received, b"")
        self.assertTrue(refusals)
        factory.lost[0].trap(ConnectionLost)

    #: Whether a clean close after a read that emptied the socket is a
    #: close() without shutdown() (the prompt TCP ports).
    bareClose = False

    @defer.inlineCallbacks
    def test_closeWithoutShutdown(self):
        """
        A clean close in the event of a read that left nothing unread is a
        close() alone on a prompt TCP port (a stock port, and a UNIX one,
        call shutdown() first), and the client sees it as a clean close
        after all that was written.
        """
        calls = []

        def dataReceived(p, data):
            p.transport.socket = ShutdownRecordingSocket(p.transport.socket, calls)
            p.transport.write(b"bye")
            p.transport.loseConnection()

        factory = ScriptedFactory(dataReceived=dataReceived)
        port = yield self.listen(factory)
        client = Collector(b"x")
        yield connectProtocol(clientFromString(reactor, self.clientDescription(port)), client)
        self.assertEqual((yield client.done), b"bye")
        client.reason.trap(ConnectionDone)
        yield factory.closed
        self.assertEqual(calls, [] if self.bareClose else [socket.SHUT_RDWR])

    @defer.inlineCallbacks
    def test_closeWithInputUnread(self):
        """
        A close that may leave input unread (the read filled the buffer) is
        a shutdown() then a close(), on every port: close() alone would
        reset the connection instead of ending the stream.
        """
        calls = []

        def connectionMade(p):
            p.transport.bufferSize = 1

        def dataReceived(p, data):
            p.transport.socket = ShutdownRecordingSocket(p.transport.socket, calls)
            p.transport.write(b"bye")
            p.transport.loseConnection()

        factory = ScriptedFactory(connectionMade=connectionMade, dataReceived=dataReceived)
        yield self.exchange(factory, b"xyz")
        self.assertEqual(calls, [socket.SHUT_RDWR])

    @defer.inlineCallbacks
    def test_closeLaterShutsDown(self):
        """
        A close outside the event of the read (a timer's), when input may
        have come since, is a shutdown() then a close() on every port.
        """
        calls = []

        def dataReceived(p, data):
            p.transport.socket = ShutdownRecordingSocket(p.transport.socket, calls)
            reactor.callLater(0.01, p.transport.loseConnection)

        factory = ScriptedFactory(dataReceived=dataReceived)
        yield self.exchange(factory, b"x")
        self.assertEqual(calls, [socket.SHUT_RDWR])

    @defer.inlineCallbacks
    def test_closeAfterASendShutsDown(self):
        """
        A close outside the event of the read, after the connection sent
        what that event wrote, is a shutdown() then a close() on every
        port.
        """
        calls = []

        def dataReceived(p, data):
            p.transport.socket = ShutdownRecordingSocket(p.transport.socket, calls)
            p.transport.write(b"sent")
            reactor.callLater(0.01, p.transport.loseConnection)

        factory = ScriptedFactory(dataReceived=dataReceived)
        self.assertEqual((yield self.exchange(factory, b"x")), b"sent")
        self.assertEqual(calls, [socket.SHUT_RDWR])

    @defer.inlineCallbacks
    def test_repr(self):
        """
        A connection's repr names its protocol, its session number and the
        port, while it is open and after it closed.
        """
        seen = []

        def connectionMade(p):
            seen.append(repr(p.transport))
            p.transport.loseConnection()

        factory = ScriptedFactory(connectionMade=connectionMade)
        yield self.exchange(factory)
        transport = factory.connections[0].transport
        self.assertRegex(seen[0], r"^<ScriptedServer #0 on .+>$")
        self.assertEqual(repr(transport), seen[0])
        transport.repstr = "<renamed>"
        self.assertEqual(repr(transport), "<renamed>")


#: Run by PromptPortsOnAsyncioTests.test_asyncioReactor: 20 clients that each
#: send b"abc" and end their side at once, on the asyncio reactor; prints
#: the port's class, then what each client received.
ASYNCIO_SCRIPT = '''
import socket, sys, threading
from twisted.internet import asyncioreactor
asyncioreactor.install()
from twisted import version
from twisted.internet import protocol, reactor
from twisted_mysqlauth import server

server.PROMPT_PORTS_CHECKED_UP_TO = max(
    server.PROMPT_PORTS_CHECKED_UP_TO, (version.major, version.minor))

class Upper(protocol.Protocol):
    def dataReceived(self, data):
        self.transport.write(data.upper())

def clients(port):
    try:
        for _ in range(20):
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            s.sendall(b"abc")
            s.shutdown(socket.SHUT_WR)
            with s, s.makefile("rb") as stream:
                received = stream.read()
            print(received.decode() or "(nothing)", flush=True)
    finally:
        reactor.callFromThread(reactor.stop)

def listening(port):
    print(type(port).__name__, flush=True)
    threading.Thread(target=clients, args=(port.getHost().port,)).start()

endpoint = server.serverEndpoint(reactor, "tcp:0:interface=127.0.0.1")
endpoint.listen(protocol.Factory.forProtocol(Upper)).addCallback(listening)
reactor.run()
'''


def readToEnd(client):
    """
    Read from the blocking socket C{client} until the server closes.
    """
    received = []
    while True:
        data = client.recv(4096)
        if not data:
            return b"".join(received)
        received.append(data)


class SendRecordingSocket:
    """
    A socket that records each C{send} as C{("send", owner)} in C{events}.
    """

    def __init__(self, real, events, owner):
        self._real = real
        self._events = events
        self._owner = owner

    def send(self, data, *flags):
        self._events.append(("send", self._owner))
        return self._real.send(data, *flags)

    def __getattr__(self, name):
        return getattr(self._real, name)


class BrokenSendSocket:
    """
    A socket whose C{send} raises L{ZeroDivisionError}: a defect, not a
    socket error.
    """

    def __init__(self, real):
        self._real = real

    def send(self, data, *flags):
        raise ZeroDivisionError("send is broken")

    def __getattr__(self, name):
        return getattr(self._real, name)


class ShutdownRecordingSocket:
    """
    A socket that records the calls of its C{shutdown} in C{calls}.
    """

    def __init__(self, real, calls):
        self._real = real
        self._calls = calls

    def shutdown(self, how):
        self._calls.append(how)
        return self._real.shutdown(how)

    def __getattr__(self, name):
        return getattr(self._real, name)


class FlakySocket:
    """
    A socket whose first few C{send} or C{recv} calls fail with C{error}
    (recorded in C{refusals}); everything else is the real socket's.
    """

    def __init__(self, real, refusals, send=0, recv=0, error=errno.EAGAIN):
        self._real = real
        self._refusals = refusals
        self._left = {"send": send, "recv": recv}
        self._error = error

    def _maybeRefuse(self, name):
        if self._left[name] > 0:
            self._left[name] -= 1
            self._refusals.append(name)
            raise OSError(self._error, os.strerror(self._error))

    def send(self, data):
        self._maybeRefuse("send")
        return self._real.send(data)

    def recv(self, size):
        self._maybeRefuse("recv")
        return self._real.recv(size)

    def __getattr__(self, name):
        return getattr(self._real, name)


class TCPAddressesMixin:
    """
    Listen on a TCP port of 127.0.0.1 and connect to it.
    """

    def description(self):
        return "tcp:0:interface=127.0.0.1"

    def clientDescription(self, port):
        return f"tcp:127.0.0.1:{port.getHost().port}"

    def blockingConnect(self, port):
        return socket.create_connection(("127.0.0.1", port.getHost().port), timeout=10)

    def peerOf(self, address):
        return (address.host, address.port)


class PromptTCPPortTests(TCPAddressesMixin, PromptPortsMixin, TestCase):
    """
    L{PromptTCPPort} through C{serverEndpoint(reactor, "tcp:...")}.
    """

    portClass = PromptTCPPort
    transportClass = PromptTCPServer
    initialNoDelay = sys.platform.startswith("linux")
    bareClose = True
    directSend = True

    @defer.inlineCallbacks
    def test_noDelay(self):
        """
        Connections start with C{TCP_NODELAY} (on Linux, where accepted
        sockets inherit it from the listening one), and C{setTcpNoDelay}
        still turns it off and on.
        """
        states = []

        def connectionMade(p):
            states.append(p.transport.getTcpNoDelay())
            p.transport.setTcpNoDelay(True)
            states.append(p.transport.getTcpNoDelay())
            p.transport.setTcpNoDelay(False)
            states.append(p.transport.getTcpNoDelay())
            p.transport.setTcpNoDelay(True)
            states.append(p.transport.getTcpNoDelay())
            p.transport.loseConnection()

        yield self.exchange(ScriptedFactory(connectionMade=connectionMade))
        self.assertEqual(states, [self.initialNoDelay, True, False, True])

    @defer.inlineCallbacks
    def test_readRefusedForNow(self):
        """
        A read that finds nothing after all (C{EAGAIN}) changes nothing: the
        data is read on the next event. (TCP: a UNIX transport reads with
        C{recvmsg}, its stock way.)
        """
        refusals = []

        def connectionMade(p):
            p.transport.socket = FlakySocket(p.transport.socket, refusals, recv=1)

        def dataReceived(p, data):
            p.transport.write(data.upper())
            p.transport.loseConnection()

        factory = ScriptedFactory(connectionMade=connectionMade, dataReceived=dataReceived)
        received = yield self.exchange(factory, b"abc")
        self.assertEqual(received, b"ABC")
        self.assertEqual(refusals, ["recv"])

    @defer.inlineCallbacks
    def test_readFails(self):
        """
        A read that fails loses the connection (C{ConnectionLost}). (TCP,
        as above.)
        """
        refusals = []

        def connectionMade(p):
            p.transport.socket = FlakySocket(
                p.transport.socket, refusals, recv=1, error=errno.ECONNRESET
            )

        factory = ScriptedFactory(connectionMade=connectionMade)
        received = yield self.exchange(factory, b"abc")
        self.assertEqual(received, b"")
        self.assertEqual(refusals, ["recv"])
        factory.lost[0].trap(ConnectionLost)


class SendsAfterPollTests(TestCase):
    """
    L{server._SendsAfterPoll}, on a clock.
    """

    class Transport:
        disconnected = False

        def __init__(self, handled, fails=False):
            self.handled = handled
            self.fails = fails
            self.lost = []

        def _pollHandled(self):
            self.handled.append(self)
            if self.fails:
                raise ZeroDivisionError("fails")

        def stopReading(self):
            pass

        def stopWriting(self):
            pass

        def connectionLost(self, reason):
            self.disconnected = True
            self.lost.append(reason)

    def test_oneCallPerPoll(self):
        """
        The connections added while the reactor handles a poll are handled
        by one timed call, right after it, in the order they were added; a
        connection added later gets a call of its own.
        """
        clock = Clock()
        sends = server._SendsAfterPoll(clock)
        handled = []
        first, second, third = (self.Transport(handled) for _ in range(3))
        sends.add(first)
        sends.add(second)
        self.assertEqual([call.getTime() for call in clock.getDelayedCalls()], [0])
        clock.advance(0)
        self.assertEqual(handled, [first, second])
        self.assertEqual(clock.getDelayedCalls(), [])
        sends.add(third)
        clock.advance(0)
        self.assertEqual(handled, [first, second, third])

    def test_callCancelled(self):
        """
        If the timed call is cancelled (a cleanup that cancels every
        delayed call), the next connection added schedules another, which
        handles the waiting ones too.
        """
        clock = Clock()
        sends = server._SendsAfterPoll(clock)
        handled = []
        first, second = self.Transport(handled), self.Transport(handled)
        sends.add(first)
        for call in clock.getDelayedCalls():
            call.cancel()
        sends.add(second)
        self.assertEqual(len(clock.getDelayedCalls()), 1)
        clock.advance(0)
        self.assertEqual(handled, [first, second])

    def test_errorAfterItClosed(self):
        """
        A connection that raises after it closed is not closed again.
        """

        class ClosesThenFails(self.Transport):
            def _pollHandled(self):
                self.connectionLost(None)
                raise ZeroDivisionError("fails")

        clock = Clock()
        sends = server._SendsAfterPoll(clock)
        transport = ClosesThenFails([])
        sends.add(transport)
        clock.advance(0)
        self.assertEqual(transport.lost, [None])
        self.assertEqual(len(self.flushLoggedErrors(ZeroDivisionError)), 1)

    def test_errorClosesThatConnection(self):
        """
        A connection that raises while it sends is closed with the error,
        which is logged; the ones after it are handled.
        """
        clock = Clock()
        sends = server._SendsAfterPoll(clock)
        handled = []
        broken, fine = self.Transport(handled, fails=True), self.Transport(handled)
        sends.add(broken)
        sends.add(fine)
        clock.advance(0)
        self.assertEqual(handled, [broken, fine])
        self.assertEqual(len(broken.lost), 1)
        broken.lost[0].trap(ZeroDivisionError)
        self.assertEqual(fine.lost, [])
        self.assertEqual(len(self.flushLoggedErrors(ZeroDivisionError)), 1)


class PromptTCPServerInitTests(TestCase):
    """
    L{PromptTCPServer}'s own C{__init__} (tcp.Server's, tcp.Connection's and
    FileDescriptor's in one) against the stock one.
    """

    def test_sameAttributes(self):
        """
        A L{PromptTCPServer} made outside an accept event has the attributes
        a stock C{tcp.Server} has, with the same values, but for the text
        of its repr, made when asked for (and the same): on a Twisted whose
        transports set more, this fails.
        """

        class Port:
            _realPortNumber = 3306

        class Reactor:
            def addReader(self, reader):
                self.reading = reader

        for client in (("10.0.0.1", 40000), ("::1", 40000, 0, 0)):
            made = []
            for transportClass in (tcp.Server, PromptTCPServer):
                one, other = socket.socketpair()
                self.addCleanup(one.close)
                self.addCleanup(other.close)
                made.append(transportClass(one, protocol.Protocol(), client, Port(), 7, Reactor()))
            stock, prompt = made
            stockState, promptState = dict(vars(stock)), dict(vars(prompt))
            self.assertEqual(promptState.pop("_repr"), ("Protocol", 7, 3306))
            self.assertEqual(stockState.pop("repstr"), repr(prompt))
            for state, transport in ((stockState, stock), (promptState, prompt)):
                self.assertIs(state.pop("reactor").reading, transport)
                for name in ("socket", "fileno", "protocol", "server"):
                    state.pop(name)
            self.assertEqual(promptState, stockState)
            self.assertEqual(prompt.logPrefix(), stock.logPrefix())
            self.assertEqual(prompt.getPeer(), stock.getPeer())


class PromptTCPNoDelayTests(TCPAddressesMixin, ListeningMixin, TestCase):
    """
    L{PromptTCPPort}'s check that accepted sockets inherit C{TCP_NODELAY}.
    """

    portClass = PromptTCPPort

    @defer.inlineCallbacks
    def test_noDelayNotInherited(self):
        """
        Where accepted sockets do not have the listening socket's
        C{TCP_NODELAY}, the port finds out at its first connection, and
        C{setTcpNoDelay(True)} sets it.
        """
        states = []

        def connectionMade(p):
            states.append(p.transport.getTcpNoDelay())
            p.transport.setTcpNoDelay(True)
            states.append(p.transport.getTcpNoDelay())
            p.transport.loseConnection()

        factory = ScriptedFactory(connectionMade=connectionMade)
        port = yield self.listen(factory)
        # As if the kernel did not pass the option on.
        port.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 0)
        port._noDelay = True
        client = Collector()
        yield connectProtocol(clientFromString(reactor, self.clientDescription(port)), client)
        yield client.done
        self.assertEqual(states, [False, True])
        self.assertFalse(port._noDelay)

    @defer.inlineCallbacks
    def test_checkedAgainAfterRestart(self):
        """
        A port that listens again checks its new listening socket again.
        """
        if not sys.platform.startswith("linux"):
            raise SkipTest("the listening socket gets TCP_NODELAY on Linux only")
        factory = ScriptedFactory(connectionMade=lambda p: p.transport.loseConnection())
        port = yield self.listen(factory)
        client = Collector()
        yield connectProtocol(clientFromString(reactor, self.clientDescription(port)), client)
        yield client.done
        self.assertTrue(port._noDelayChecked)
        yield port.stopListening()
        port.startListening()
        self.assertFalse(port._noDelayChecked)


class PromptUNIXPortTests(PromptPortsMixin, TestCase):
    """
    L{PromptUNIXPort} through C{serverEndpoint(reactor, "unix:...")}.
    """

    portClass = PromptUNIXPort
    transportClass = PromptUNIXServer

    def setUp(self):
        super().setUp()
        if PromptUNIXPort is None:
            raise SkipTest("no UNIX sockets")
        directory = tempfile.mkdtemp(prefix="tma-")
        self.addCleanup(shutil.rmtree, directory, True)
        self.path = os.path.join(directory, "s.sock")

    def description(self):
        return f"unix:{self.path}"

    def clientDescription(self, port):
        return f"unix:{self.path}"

    def blockingConnect(self, port):
        client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        client.settimeout(10)
        client.connect(self.path)
        return client

    def peerOf(self, address):
        # (An unnamed client socket: Twisted gives None, the socket "".)
        return address.name or ""


class ServerEndpointTests(TestCase):
    """
    Tests for L{serverEndpoint} itself.
    """

    def test_otherReactors(self):
        """
        A reactor that is not a POSIX one gets L{serverFromString}'s
        endpoint, unchanged.
        """
        from twisted.internet.endpoints import TCP4ServerEndpoint
        from twisted.internet.testing import MemoryReactor

        memory = MemoryReactor()
        endpoint = serverEndpoint(memory, "tcp:0")
        self.assertIsInstance(endpoint, TCP4ServerEndpoint)
        self.successResultOf(endpoint.listen(protocol.ServerFactory()))
        self.assertEqual(len(memory.tcpServers), 1)

    def test_probeInstallsNoReactor(self):
        """
        Asking whether the prompt ports can be used installs no reactor (an
        application may install its own afterwards).
        """
        code = (
            "import sys; from twisted_mysqlauth import server;"
            " print(server._promptWritesSupported(), 'twisted.internet.reactor' in sys.modules)"
        )
        output = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
        )
        self.assertEqual(output.stdout.split(), ["True", "False"], output.stderr)

    def test_newerTwisted(self):
        """
        A Twisted released after the last one the prompt ports were checked
        with gets the stock ports, and L{whyNoPromptPorts} says why.
        """
        import twisted
        from incremental import Version

        from twisted.internet import reactor as globalReactor

        checkOnThisTwisted(self)
        self.assertIsNone(server.whyNoPromptPorts(globalReactor))
        self.patch(server, "PROMPT_PORTS_CHECKED_UP_TO", (26, 10))
        self.patch(twisted, "version", Version("Twisted", 27, 1, 0))
        self.assertEqual(
            server.whyNoPromptPorts(globalReactor),
            "Twisted 27.1.0 is newer than the releases they were checked with (up to 26.10)",
        )
        endpoint = serverEndpoint(globalReactor, "tcp:0:interface=127.0.0.1")
        port = self.successResultOf(endpoint.listen(protocol.ServerFactory()))
        self.addCleanup(port.stopListening)
        self.assertIs(type(port), tcp.Port)

    def test_checkedWithThisTwisted(self):
        """
        On a Twisted the prompt ports were checked with, the running
        reactor gets them (on a newer one twistd uses the stock ports: this
        suite, which tests the prompt ports on it, is the check).
        """
        from twisted import version

        if (version.major, version.minor) > server.PROMPT_PORTS_CHECKED_UP_TO:
            raise SkipTest(
                f"Twisted {version.short()} is newer than the prompt ports were checked with, so "
                "twistd mysqlauth uses the stock ports; if this suite passes on it, raise "
                "twisted_mysqlauth.server.PROMPT_PORTS_CHECKED_UP_TO"
            )
        if not isinstance(reactor, PosixReactorBase):
            raise SkipTest("prompt ports need a POSIX reactor")
        self.assertIsNone(server.whyNoPromptPorts(reactor))

    def test_unknownTwisted(self):
        """
        A Twisted whose transports lack what the prompt ports use gets the
        stock ports.
        """
        from twisted.internet import reactor as globalReactor

        self.assertTrue(server._promptWritesSupported())
        self.patch(server, "_PORT_INTERNALS", server._PORT_INTERNALS + ("_noSuchThing",))
        self.assertFalse(server._promptWritesSupported())
        self.patch(server, "_PORT_INTERNALS", server._PORT_INTERNALS[:-1])
        self.assertTrue(server._promptWritesSupported())
        self.patch(server, "_TRANSPORT_INTERNALS", server._TRANSPORT_INTERNALS + ("_noSuchThing",))
        self.assertFalse(server._promptWritesSupported())
        endpoint = serverEndpoint(globalReactor, "tcp:0:interface=127.0.0.1")
        port = self.successResultOf(endpoint.listen(protocol.ServerFactory()))
        self.addCleanup(port.stopListening)
        self.assertIs(type(port), tcp.Port)


class PromptPortsOnAsyncioTests(TestCase):
    """
    The prompt TCP port on Twisted's asyncio reactor (in a child process).
    """

    def test_asyncioReactor(self):
        """
        On Twisted's asyncio reactor, which runs timed calls after the next
        poll's events, a client that sends and at once ends its side still
        gets the reply (a connection reading again before the send after
        the poll sends first).
        """
        result = subprocess.run(
            [sys.executable, "-c", ASYNCIO_SCRIPT],
            capture_output=True,
            text=True,
            timeout=60,
            env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)),
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.split(), ["PromptTCPPort"] + ["ABC"] * 20)


class StockTCPPortTests(PromptTCPPortTests):
    """
    The same tests on a stock TCP port.
    """

    stock = True
    portClass = tcp.Port
    transportClass = tcp.Server
    initialNoDelay = False
    bareClose = False
    directSend = False


class StockUNIXPortTests(PromptUNIXPortTests):
    """
    The same tests on a stock UNIX port.
    """

    stock = True
    portClass = unix.Port
    transportClass = unix.Server
