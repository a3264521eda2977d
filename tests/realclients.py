# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
Real MySQL clients for L{tests.test_integration}.

The blocking client libraries (PyMySQL, mysql-connector-python with and
without its C extension) never run on the reactor thread: this module is
also a small program, run in a subprocess by L{runPythonClient}, that logs
in with one of them as a JSON I{spec} tells it and prints the outcome of
every attempt as JSON. The C{mariadb} command-line client is run directly
by L{runMariaDB}.

Running this file as a program imports neither Twisted nor
twisted_mysqlauth, so that a client process starts quickly and its process
state (the OpenSSL loaded, notably) is only the client library's.

A spec is a JSON object::

    {"client": "pymysql" | "connector-pure" | "connector-c",
     "attempts": [ATTEMPT, ...]}

or, for a burst of concurrent logins::

    {"client": "pymysql", "load": {"logins": 200, "threads": 16},
     "attempts": [ATTEMPT]}

and an attempt::

    {"user": "u", "password": "pw", "host": "127.0.0.1", "port": 3306,
     "unixSocket": null, "tls": false, "ca": null,
     "query": "SELECT CURRENT_USER()"}

The program prints one JSON object: C{{"results": [RESULT, ...]}} where a
result is C{{"ok": true, "rows": [[...]], "tls": bool}} or C{{"ok": false,
"errno": int, "sqlstate": str, "msg": str, "type": str}}; for a burst,
C{{"load": {"ok": n, "failures": [RESULT, ...]}}}; and C{{"unavailable":
reason}} when the client library cannot be used in this process.
"""

from __future__ import annotations

import json
import os
import re
import sys
from typing import Any, Dict, List, Optional

#: The clients this program drives.
PYTHON_CLIENTS = ("pymysql", "connector-pure", "connector-c")

#: Seconds a client waits to connect and for each read.
CLIENT_TIMEOUT = 10


# -- the parent's side (no Twisted imported at module level) -----------------


def mysqlPackageDirectory() -> Optional[str]:
    """
    Find the installed C{mysql} package (of mysql-connector-python) without
    importing it.

    @return: its directory, or L{None} if it is not installed.
    """
    import importlib.util

    spec = importlib.util.find_spec("mysql")
    if spec is None or not spec.submodule_search_locations:
        return None
    return list(spec.submodule_search_locations)[0]


def connectorVendorDirectory() -> Optional[str]:
    """
    The folder of the OpenSSL libraries that mysql-connector-python's C
    extension was built against. They must be found by the dynamic loader
    before the system's: the extension needs OpenSSL 3.2 symbols, and once
    the C{ssl} module has loaded the system's older C{libssl.so.3} (which
    C{mysql.connector} itself does before it tries the extension) the
    extension fails to load. Hence C{LD_LIBRARY_PATH}, set before the
    process starts.

    @return: the folder, or L{None} if there is none.
    """
    package = mysqlPackageDirectory()
    if package is None:
        return None
    vendor = os.path.join(package, "vendor")
    return vendor if os.path.isdir(vendor) else None


def clientEnvironment(client: str) -> Dict[str, str]:
    """
    The environment of a client subprocess.

    @param client: one of L{PYTHON_CLIENTS}.
    @return: a copy of this process's environment, with C{LD_LIBRARY_PATH}
        led by the connector's vendor folder for the C extension.
    """
    env = dict(os.environ)
    if client == "connector-c":
        vendor = connectorVendorDirectory()
        if vendor is not None:
            previous = env.get("LD_LIBRARY_PATH")
            env["LD_LIBRARY_PATH"] = vendor + (
                os.pathsep + previous if previous else ""
            )
    return env


def runPythonClient(spec: Dict[str, Any], reactor: Any = None):
    """
    Run this module as a program in a subprocess.

    @param spec: the JSON spec (see the module docstring).
    @param reactor: the reactor, by default the global one.
    @return: a L{Deferred} firing with the decoded JSON output; it fails
        with L{ClientProcessError} if the program exits with an error or
        prints no JSON.
    """
    from twisted.internet.utils import getProcessOutputAndValue

    if reactor is None:
        from twisted.internet import reactor  # type: ignore[no-redef]
    env = clientEnvironment(spec["client"])
    # More environment for the client (LIBMYSQL_ENABLE_CLEARTEXT_PLUGIN).
    env.update(spec.get("environment") or {})
    d = getProcessOutputAndValue(
        sys.executable,
        [os.path.abspath(__file__), json.dumps(spec)],
        env=env,
        reactor=reactor,
    )

    def decode(result):
        out, err, code = result
        if code != 0:
            raise ClientProcessError(spec["client"], code, out, err)
        try:
            return json.loads(out.decode("utf-8").strip().splitlines()[-1])
        except (ValueError, IndexError):
            raise ClientProcessError(spec["client"], code, out, err)

    return d.addCallback(decode)


def runMariaDB(args: List[str], password: Optional[str] = None, reactor: Any = None):
    """
    Run the C{mariadb} command-line client with C{--no-defaults} (no option
    file of this machine is read) and a batch-mode, no-header output.

    @param args: more arguments (connection, C{-e} statements).
    @param password: the password, passed as C{--password=...} (an empty
        one means no password), or L{None} to pass none.
    @param reactor: the reactor, by default the global one.
    @return: a L{Deferred} firing with C{(stdout, stderr, exitCode)} as
        text.
    """
    from twisted.internet.utils import getProcessOutputAndValue

    if reactor is None:
        from twisted.internet import reactor  # type: ignore[no-redef]
    env = dict(os.environ)
    env.pop("MYSQL_PWD", None)
    env.pop("MYSQL_HOST", None)
    env.pop("MYSQL_TCP_PORT", None)
    env.pop("MYSQL_UNIX_PORT", None)
    argv = [
        "--no-defaults",
        "--batch",
        "--skip-column-names",
        f"--connect-timeout={CLIENT_TIMEOUT}",
    ]
    if password is not None:
        argv.append("--password=" + password)
    d = getProcessOutputAndValue(MARIADB, argv + list(args), env=env, reactor=reactor)
    return d.addCallback(
        lambda r: (
            r[0].decode("utf-8", "replace"),
            r[1].decode("utf-8", "replace"),
            r[2],
        )
    )


#: The mariadb command-line client.
MARIADB = "/usr/bin/mariadb"

_MARIADB_ERROR = re.compile(r"^ERROR (\d+) \(([0-9A-Z]{5})\)(?: at line \d+)?: (.*)$")


def parseMariaDBOutput(out: str, err: str, code: int) -> Dict[str, Any]:
    """
    Turn the output of a C{mariadb --batch --skip-column-names} run into a
    result like the program's (see the module docstring).
    """
    if code == 0:
        return {"ok": True, "rows": [line.split("\t") for line in out.splitlines()]}
    for line in err.splitlines():
        match = _MARIADB_ERROR.match(line.strip())
        if match is not None:
            return {
                "ok": False,
                "errno": int(match.group(1)),
                "sqlstate": match.group(2),
                "msg": match.group(3),
                "type": "mariadb",
            }
    return {
        "ok": False,
        "errno": None,
        "sqlstate": None,
        "msg": err.strip(),
        "type": "mariadb",
    }


class ClientProcessError(Exception):
    """
    A client subprocess failed outside the login it was asked to make.
    """

    def __init__(self, client: str, code: int, out: bytes, err: bytes) -> None:
        super().__init__(
            f"{client} client process exited with {code}:\n"
            f"stdout: {out.decode('utf-8', 'replace')}\n"
            f"stderr: {err.decode('utf-8', 'replace')}"
        )
        self.client = client
        self.code = code
        self.out = out
        self.err = err


# -- a raw protocol client (blocking; run it in a thread) ---------------------

#: Capability flags of the raw client.
CLIENT_LONG_PASSWORD = 1 << 0
CLIENT_PROTOCOL_41 = 1 << 9
CLIENT_SSL = 1 << 11
CLIENT_TRANSACTIONS = 1 << 13
CLIENT_SECURE_CONNECTION = 1 << 15
CLIENT_MULTI_RESULTS = 1 << 17
CLIENT_PLUGIN_AUTH = 1 << 19
CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA = 1 << 21

RAW_CAPABILITIES = (
    CLIENT_LONG_PASSWORD
    | CLIENT_PROTOCOL_41
    | CLIENT_TRANSACTIONS
    | CLIENT_SECURE_CONNECTION
    | CLIENT_MULTI_RESULTS
    | CLIENT_PLUGIN_AUTH
    | CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA
)

#: utf8mb4_general_ci
RAW_CHARSET = 45


class RawServerError(Exception):
    """
    The server answered with an ERR packet.

    @ivar errno: the code; @ivar sqlstate: the SQLSTATE or L{None} (an ERR
    without the 4.1 marker); @ivar msg: the text.
    """

    def __init__(self, errno: int, sqlstate: Optional[str], msg: str) -> None:
        super().__init__(f"{errno} ({sqlstate}): {msg}")
        self.errno = errno
        self.sqlstate = sqlstate
        self.msg = msg


def parseERR(payload: bytes) -> RawServerError:
    """
    Parse an ERR packet's payload (C{0xFF} first).
    """
    import struct

    errno = struct.unpack("<H", payload[1:3])[0]
    rest = payload[3:]
    sqlstate = None
    if rest[:1] == b"#":
        sqlstate = rest[1:6].decode("ascii", "replace")
        rest = rest[6:]
    return RawServerError(errno, sqlstate, rest.decode("utf-8", "replace"))


def packet(seq: int, payload: bytes) -> bytes:
    """
    Frame one payload (shorter than 16 MiB).
    """
    return len(payload).to_bytes(3, "little") + bytes([seq & 0xFF]) + payload


def nativeScramble(password: bytes, nonce: bytes) -> bytes:
    """
    The mysql_native_password response.
    """
    import hashlib

    if not password:
        return b""
    stage1 = hashlib.sha1(password).digest()
    stage2 = hashlib.sha1(stage1).digest()
    key = hashlib.sha1(nonce + stage2).digest()
    return bytes(a ^ b for a, b in zip(stage1, key))


def cachingSHA2Scramble(password: bytes, nonce: bytes) -> bytes:
    """
    The caching_sha2_password fast-path response.
    """
    import hashlib

    if not password:
        return b""
    one = hashlib.sha256(password).digest()
    two = hashlib.sha256(one).digest()
    key = hashlib.sha256(two + nonce).digest()
    return bytes(a ^ b for a, b in zip(one, key))


def lenenc(data: bytes) -> bytes:
    """
    A length-encoded string (shorter than 251 bytes).
    """
    assert len(data) < 251
    return bytes([len(data)]) + data


def readLenenc(data: bytes, offset: int):
    """
    Read a length-encoded string (or NULL) at C{offset}.

    @return: C{(value, nextOffset)}.
    """
    first = data[offset]
    if first == 0xFB:
        return None, offset + 1
    if first < 0xFB:
        return data[offset + 1 : offset + 1 + first], offset + 1 + first
    size = {0xFC: 2, 0xFD: 3, 0xFE: 8}[first]
    length = int.from_bytes(data[offset + 1 : offset + 1 + size], "little")
    start = offset + 1 + size
    return data[start : start + length], start + length


class Greeting:
    """
    The fields of a HandshakeV10 that the raw client needs.
    """

    def __init__(self, payload: bytes) -> None:
        import struct

        if payload[:1] == b"\xff":
            raise parseERR(payload)
        self.protocolVersion = payload[0]
        end = payload.index(b"\x00", 1)
        self.serverVersion = payload[1:end].decode("utf-8", "replace")
        offset = end + 1
        self.connectionId = struct.unpack("<I", payload[offset : offset + 4])[0]
        offset += 4
        part1 = payload[offset : offset + 8]
        offset += 9
        capsLow = struct.unpack("<H", payload[offset : offset + 2])[0]
        offset += 2
        self.charset = payload[offset]
        offset += 1
        offset += 2  # status
        capsHigh = struct.unpack("<H", payload[offset : offset + 2])[0]
        offset += 2
        self.capabilities = capsLow | capsHigh << 16
        authLength = payload[offset]
        offset += 1 + 10
        part2Length = max(13, authLength - 8)
        part2 = payload[offset : offset + part2Length]
        offset += part2Length
        # The nonce is 20 bytes: 8, then 12 followed by a NUL.
        self.nonce = part1 + part2[: max(12, authLength - 9)]
        end = payload.find(b"\x00", offset)
        self.pluginName = payload[offset : end if end >= 0 else len(payload)].decode(
            "ascii"
        )


class RawConnection:
    """
    A blocking MySQL connection on a plain socket, optionally upgraded to
    TLS through an L{ssl.SSLObject} over memory BIOs, so that the test
    decides exactly which bytes go into which C{send}.

    @ivar sock: the socket.
    @ivar tls: the L{ssl.SSLObject}, once upgraded.
    """

    def __init__(self, address, timeout: float = 10.0) -> None:
        import socket

        if isinstance(address, str):
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        else:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.address = address
        self.sock.settimeout(timeout)
        self.sock.connect(address)
        self._buffer = b""
        self.tls = None
        self._incoming = None
        self._outgoing = None

    def close(self) -> None:
        self.sock.close()

    # bytes

    def _recvRaw(self) -> bytes:
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("the server closed the connection")
        return data

    def _fill(self) -> None:
        import ssl

        if self.tls is None:
            self._buffer += self._recvRaw()
            return
        while True:
            try:
                self._buffer += self.tls.read(65536)
                return
            except ssl.SSLWantReadError:
                self._incoming.write(self._recvRaw())
            except ssl.SSLZeroReturnError:
                raise EOFError("the server closed the TLS session")

    def sendBytes(self, data: bytes) -> None:
        """
        Send bytes (through TLS once upgraded) in one C{sendall}.
        """
        if self.tls is None:
            self.sock.sendall(data)
            return
        self.tls.write(data)
        self.sock.sendall(self._outgoing.read())

    # packets

    def readPacket(self):
        """
        @return: C{(sequenceId, payload)}.
        """
        while len(self._buffer) < 4:
            self._fill()
        length = int.from_bytes(self._buffer[:3], "little")
        while len(self._buffer) < 4 + length:
            self._fill()
        seq = self._buffer[3]
        payload = self._buffer[4 : 4 + length]
        self._buffer = self._buffer[4 + length :]
        return seq, payload

    def sendPacket(self, seq: int, payload: bytes) -> None:
        self.sendBytes(packet(seq, payload))

    def readUntilClosed(self):
        """
        Read packets until the server closes the connection.

        @return: the list of C{(sequenceId, payload)} read; a partial packet
            at the end is dropped.
        """
        packets = []
        while True:
            try:
                packets.append(self.readPacket())
            except (EOFError, ConnectionResetError):
                return packets

    # TLS

    def startTLS(self, sslRequest: bytes, cafile: Optional[str]) -> None:
        """
        Send C{sslRequest} (a framed packet) and the TLS ClientHello in ONE
        C{sendall}, then finish the TLS handshake.
        """
        import ssl

        context = ssl.create_default_context(cafile=cafile)
        context.check_hostname = False
        if cafile is None:
            context.verify_mode = ssl.CERT_NONE
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()
        self.tls = context.wrap_bio(self._incoming, self._outgoing, server_side=False)
        try:
            self.tls.do_handshake()
        except ssl.SSLWantReadError:
            pass
        hello = self._outgoing.read()
        assert hello, "no ClientHello"
        self.sock.sendall(sslRequest + hello)
        while True:
            try:
                self.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                pending = self._outgoing.read()
                if pending:
                    self.sock.sendall(pending)
                self._incoming.write(self._recvRaw())
        pending = self._outgoing.read()
        if pending:
            self.sock.sendall(pending)

    # login and queries

    def login(
        self,
        user: str,
        password: str,
        cafile: Optional[str] = None,
        useTLS: bool = False,
        greeting: Optional[Greeting] = None,
    ) -> None:
        """
        Log in with mysql_native_password or caching_sha2_password
        (following one switch; full authentication only over TLS or a
        UNIX socket).

        @raise RawServerError: if the server refuses.
        """
        import struct

        if greeting is None:
            greeting = Greeting(self.readPacket()[1])
        secret = password.encode("utf-8")
        capabilities = RAW_CAPABILITIES
        seq = 1
        if useTLS:
            capabilities |= CLIENT_SSL
            head = struct.pack("<IIB23x", capabilities, 1 << 24, RAW_CHARSET)
            self.startTLS(packet(seq, head), cafile)
            seq += 1
        secure = useTLS or isinstance(self.address, str)
        plugin = greeting.pluginName
        nonce = greeting.nonce
        if plugin == "caching_sha2_password":
            auth = cachingSHA2Scramble(secret, nonce)
        else:
            plugin = "mysql_native_password"
            auth = nativeScramble(secret, nonce)
        response = (
            struct.pack("<IIB23x", capabilities, 1 << 24, RAW_CHARSET)
            + user.encode("utf-8")
            + b"\x00"
            + lenenc(auth)
            + plugin.encode("ascii")
            + b"\x00"
        )
        self.sendPacket(seq, response)
        while True:
            seq, payload = self.readPacket()
            kind = payload[:1]
            if kind == b"\x00":
                return
            if kind == b"\xff":
                raise parseERR(payload)
            if kind == b"\xfe":
                end = payload.index(b"\x00", 1)
                plugin = payload[1:end].decode("ascii")
                nonce = payload[end + 1 :]
                if nonce.endswith(b"\x00"):
                    nonce = nonce[:-1]
                if plugin == "mysql_native_password":
                    auth = nativeScramble(secret, nonce)
                elif plugin == "caching_sha2_password":
                    auth = cachingSHA2Scramble(secret, nonce)
                else:
                    raise ValueError(f"raw client cannot switch to {plugin}")
                self.sendPacket(seq + 1, auth)
                continue
            if kind == b"\x01":
                if payload[1:] == b"\x03":
                    continue
                if payload[1:] == b"\x04":
                    if not secure:
                        raise ValueError("raw client does no RSA")
                    self.sendPacket(seq + 1, secret + b"\x00")
                    continue
            raise ValueError(f"unexpected packet {payload!r}")

    def query(self, text: str):
        """
        Run a query that returns a text result set (classic EOF framing).

        @return: the rows, as lists of text or L{None}.
        """
        self.sendPacket(0, b"\x03" + text.encode("utf-8"))
        seq, payload = self.readPacket()
        if payload[:1] == b"\xff":
            raise parseERR(payload)
        columns = payload[0]  # fewer than 251 columns
        for _ in range(columns):
            self.readPacket()
        seq, payload = self.readPacket()
        assert payload[:1] == b"\xfe", payload
        rows = []
        while True:
            seq, payload = self.readPacket()
            if payload[:1] == b"\xfe" and len(payload) < 9:
                return rows
            if payload[:1] == b"\xff":
                raise parseERR(payload)
            row, offset = [], 0
            while offset < len(payload):
                value, offset = readLenenc(payload, offset)
                row.append(None if value is None else value.decode("utf-8", "replace"))
            rows.append(row)

    def quit(self) -> None:
        self.sendPacket(0, b"\x01")
        self.close()


# -- the client program --------------------------------------------------------


class Unavailable(Exception):
    """
    The client library cannot be used in this process.
    """


def _connectorCExtension():
    """
    Import mysql.connector and check that its C extension loaded.

    @raise Unavailable: if it did not, with the loader's reason.
    """
    try:
        import mysql.connector
    except ImportError as e:
        raise Unavailable(f"mysql-connector-python cannot be imported: {e}")

    if not mysql.connector.HAVE_CEXT:
        try:
            import _mysql_connector  # noqa: F401
        except ImportError as e:
            reason = str(e)
        else:
            reason = "mysql.connector.HAVE_CEXT is false"
        raise Unavailable(
            "mysql-connector-python's C extension (_mysql_connector) does not "
            f"load (LD_LIBRARY_PATH={os.environ.get('LD_LIBRARY_PATH')!r}): {reason}"
        )
    return mysql.connector


def _connect(client: str, attempt: Dict[str, Any]):
    """
    Open a connection with a client library.

    @return: the connection and a function telling whether it uses TLS.
    """
    user = attempt["user"]
    password = attempt.get("password") or ""
    host = attempt.get("host") or "127.0.0.1"
    port = attempt.get("port") or 0
    unixSocket = attempt.get("unixSocket")
    tls = bool(attempt.get("tls"))
    ca = attempt.get("ca")
    if client == "pymysql":
        try:
            import pymysql
        except ImportError as e:
            raise Unavailable(f"PyMySQL cannot be imported: {e}")

        kwargs: Dict[str, Any] = dict(
            user=user,
            password=password,
            connect_timeout=CLIENT_TIMEOUT,
            read_timeout=CLIENT_TIMEOUT,
        )
        if unixSocket:
            kwargs["unix_socket"] = unixSocket
        else:
            kwargs["host"] = host
            kwargs["port"] = port
        if tls:
            # Require TLS and verify the server's self-signed certificate
            # against itself, but not its name.
            kwargs["ssl"] = {"ca": ca, "check_hostname": False}
        else:
            # PyMySQL 1.2 otherwise uses TLS whenever the server offers it.
            kwargs["ssl_disabled"] = True
        conn = pymysql.connect(**kwargs)

        def usesTLS() -> bool:
            import ssl

            return isinstance(conn._sock, ssl.SSLSocket)

        return conn, usesTLS
    if client in ("connector-pure", "connector-c"):
        if client == "connector-c":
            connector = _connectorCExtension()
        else:
            try:
                import mysql.connector as connector
            except ImportError as e:
                raise Unavailable(f"mysql-connector-python cannot be imported: {e}")
        kwargs = dict(
            user=user,
            password=password,
            use_pure=(client == "connector-pure"),
            connection_timeout=CLIENT_TIMEOUT,
        )
        if unixSocket:
            kwargs["unix_socket"] = unixSocket
        else:
            kwargs["host"] = host
            kwargs["port"] = port
        if tls:
            kwargs["ssl_disabled"] = False
            if ca:
                kwargs["ssl_ca"] = ca
                kwargs["ssl_verify_cert"] = True
        else:
            kwargs["ssl_disabled"] = True
        conn = connector.connect(**kwargs)
        if client == "connector-c":
            from mysql.connector.connection_cext import CMySQLConnection

            if not isinstance(conn, CMySQLConnection):
                raise Unavailable(
                    f"connector returned {type(conn).__name__}, not CMySQLConnection"
                )

            def usesTLS() -> bool:
                return bool(conn._cmysql.get_ssl_cipher())

        else:

            def usesTLS() -> bool:
                import ssl

                return isinstance(getattr(conn._socket, "sock", None), ssl.SSLSocket)

        return conn, usesTLS
    raise ValueError(f"unknown client {client!r}")


def _errorResult(e: BaseException) -> Dict[str, Any]:
    """
    Describe a failed attempt.
    """
    args = getattr(e, "args", ())
    errno = getattr(e, "errno", None)
    msg = getattr(e, "msg", None)
    sqlstate = getattr(e, "sqlstate", None)
    if errno is None and len(args) >= 2 and isinstance(args[0], int):
        # PyMySQL: (code, message)
        errno, msg = args[0], args[1]
    if msg is None:
        msg = str(e)
    return {
        "ok": False,
        "errno": errno,
        "sqlstate": sqlstate,
        "msg": str(msg),
        "type": type(e).__module__ + "." + type(e).__name__,
    }


def attemptLogin(client: str, attempt: Dict[str, Any]) -> Dict[str, Any]:
    """
    Log in once and run the attempt's query.

    @return: the result (see the module docstring).
    """
    try:
        conn, usesTLS = _connect(client, attempt)
    except Unavailable:
        raise
    except Exception as e:
        return _errorResult(e)
    try:
        tls = usesTLS()
        cursor = conn.cursor()
        cursor.execute(attempt.get("query") or "SELECT CURRENT_USER()")
        rows = [
            [
                v.decode("utf-8", "replace") if isinstance(v, (bytes, bytearray)) else v
                for v in row
            ]
            for row in cursor.fetchall()
        ]
        cursor.close()
        return {"ok": True, "rows": rows, "tls": tls}
    except Exception as e:
        return _errorResult(e)
    finally:
        try:
            conn.close()
        except Exception:
            pass


def burst(
    client: str, attempt: Dict[str, Any], logins: int, threads: int
) -> Dict[str, Any]:
    """
    Make C{logins} logins from C{threads} threads at once.

    @return: C{{"ok": successes, "failures": [result, ...]}}.
    """
    from concurrent.futures import ThreadPoolExecutor

    # Import the client library before the threads start.
    if client == "pymysql":
        import pymysql  # noqa: F401
    with ThreadPoolExecutor(max_workers=threads) as pool:
        results = list(pool.map(lambda i: attemptLogin(client, attempt), range(logins)))
    expected = attempt.get("expect")
    failures = [
        r
        for r in results
        if not r["ok"] or (expected is not None and r["rows"] != expected)
    ]
    return {
        "ok": len(results) - len(failures),
        "failures": failures[:10],
        "failed": len(failures),
    }


def main(argv: List[str]) -> int:
    """
    Run the spec in C{argv[1]} and print the outcome as JSON.
    """
    spec = json.loads(argv[1])
    client = spec["client"]
    try:
        if "load" in spec:
            load = spec["load"]
            output: Dict[str, Any] = {
                "load": burst(
                    client, spec["attempts"][0], load["logins"], load["threads"]
                )
            }
        else:
            output = {"results": [attemptLogin(client, a) for a in spec["attempts"]]}
    except Unavailable as e:
        output = {"unavailable": str(e)}
    sys.stdout.write(json.dumps(output) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
