"""
The Twisted floor: the least a Twisted MySQL server must do per login.

It greets with a HandshakeV10 (a fresh 20-byte nonce, as any server must
make), answers the first packet of the client, whatever it is, with OK,
and closes on the next packet (COM_QUIT). It checks nothing: no account
lookup, no password, no plugin switch. Packets are framed and built with
C{twisted_mysqlauth.wire} so the bytes are the same as the real server's.

    python bench/floor.py --port 0 --portfile /tmp/floor.port
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from twisted.internet import reactor  # noqa: E402
from twisted.internet.endpoints import serverFromString  # noqa: E402
from twisted.internet.protocol import Protocol, ServerFactory  # noqa: E402

from twisted_mysqlauth.wire import constants as C  # noqa: E402
from twisted_mysqlauth.wire.codec import PacketDecoder, encodePacket  # noqa: E402
from twisted_mysqlauth.wire.packets import HandshakeV10, OKPacket  # noqa: E402

VERSION = b"8.0.36-twisted-floor"
OK = OKPacket().toWire()


class FloorProtocol(Protocol):
    def connectionMade(self) -> None:
        self.factory.connections += 1
        self.decoder = PacketDecoder(96 * 1024)
        self.answered = False
        greeting = HandshakeV10(
            serverVersion=VERSION,
            connectionId=self.factory.connections,
            authPluginData=os.urandom(20),
            capabilities=C.SERVER_CAPABILITIES,
            authPluginName=b"mysql_native_password",
        )
        data, _ = encodePacket(0, greeting.toWire())
        self.transport.write(data)

    def dataReceived(self, data: bytes) -> None:
        self.decoder.receive(data)
        while True:
            packet = self.decoder.nextPacket()
            if packet is None:
                return
            if not self.answered:
                self.answered = True
                out, _ = encodePacket((packet.lastSequenceId + 1) & 0xFF, OK)
                self.transport.write(out)
            else:
                self.transport.loseConnection()
                return


class FloorFactory(ServerFactory):
    protocol = FloorProtocol
    noisy = False
    connections = 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--portfile", help="write the TCP port here once listening")
    parser.add_argument("--unix", help="also listen on this UNIX socket")
    args = parser.parse_args()
    factory = FloorFactory()

    def listening(port) -> None:
        if args.portfile:
            with open(args.portfile + ".tmp", "w") as f:
                f.write(str(port.getHost().port))
            os.rename(args.portfile + ".tmp", args.portfile)

    endpoint = serverFromString(reactor, f"tcp:{args.port}:interface=127.0.0.1")
    endpoint.listen(factory).addCallback(listening)
    if args.unix:
        serverFromString(reactor, f"unix:{args.unix}").listen(factory)
    reactor.run()


if __name__ == "__main__":
    main()
