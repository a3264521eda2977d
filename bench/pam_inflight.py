"""
Native-password logins with and without slow PAM logins in flight
(issue 5): does PAM hold the reactor?

    python bench/pam_inflight.py [--rounds 5] [--duration 3] [--held 32]

One server (twistd, pinned to a core), two alternating conditions per
round, the C load generator (bench/loadgen.c) doing mysql_native_password
logins at concurrency 32 on another core:

  - idle:    nothing else going on;
  - loaded:  HELD clients sit inside PAM (a stack that waits on purpose:
             the test module tests/pam/pam_mysqlauth_test.c with
             waitfor=FILE), every one of them in a worker process, while
             the load generator runs; then they are released and must
             all log in.

It prints the logins/s of both conditions and the median within-round
ratio loaded/idle, and writes docs/benchmark/pam_inflight.json and
pam_inflight.md. PAM itself needs no OS user here (pam_permit for the
account stage), so it runs as any user; it needs a C compiler and
Linux-PAM 1.4+ (pam_start_confdir).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from typing import List

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)
sys.path.insert(0, BENCH)
sys.path.insert(0, REPO)

import run as bench  # noqa: E402

from tests import pamtools  # noqa: E402
from twisted_mysqlauth.wire import constants as C  # noqa: E402
from twisted_mysqlauth.wire.codec import PacketDecoder, encodePacket  # noqa: E402
from twisted_mysqlauth.wire.packets import HandshakeResponse41, HandshakeV10  # noqa: E402

NATIVE_PASSWORD = "native-pw-1234"


class HeldLogin:
    """
    A client that opens a PAM login over the UNIX socket and waits.
    """

    def __init__(self, path: str) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(60)
        self.sock.connect(path)
        self.decoder = PacketDecoder(1 << 24)
        greeting = HandshakeV10.fromWire(self.read())
        response = HandshakeResponse41(
            capabilities=C.CLIENT_PROTOCOL_41 | C.CLIENT_PLUGIN_AUTH | C.CLIENT_SECURE_CONNECTION,
            maxPacketSize=1 << 24,
            characterSet=C.UTF8MB4_GENERAL_CI,
            username=b"slow",
            authResponse=b"pw\x00",
            clientPluginName=b"mysql_clear_password",
        )
        assert greeting is not None
        data, _ = encodePacket(1, response.toWire())
        self.sock.sendall(data)

    def read(self) -> bytes:
        while True:
            packet = self.decoder.nextPacket()
            if packet is not None:
                return packet.payload
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.decoder.receive(chunk)

    def finish(self) -> bool:
        """
        @return: whether the login ended with OK.
        """
        try:
            return self.read()[:1] == b"\x00"
        finally:
            self.sock.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=float, default=3.0)
    parser.add_argument("--held", type=int, default=32)
    parser.add_argument("--server-core", type=int, default=1)
    parser.add_argument("--client-core", type=int, default=0)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    serverCore = args.server_core if cores > 1 else None
    clientCore = args.client_core if cores > 1 else None

    reason = pamtools.pamReason()
    if reason:
        sys.exit(f"cannot run: {reason}")
    bench.buildLoadgen()
    tmp = tempfile.mkdtemp(prefix="mysqlauth-paminflight-")
    try:
        module = pamtools.buildTestModule(tmp)
        pamdir = os.path.join(tmp, "pam.d")
        os.makedirs(pamdir)
        markers = os.path.join(tmp, "inside")
        release = os.path.join(tmp, "release")
        pamtools.writeService(
            pamdir,
            "held",
            (f"auth required {module} touch={markers} waitfor={release}", "account required pam_permit.so"),
        )
        init = os.path.join(tmp, "init.sql")
        with open(init, "w") as f:
            f.write(
                f"CREATE USER 'bench_native'@'localhost' IDENTIFIED WITH mysql_native_password BY '{NATIVE_PASSWORD}';\n"
                "CREATE USER 'slow'@'localhost' IDENTIFIED WITH authentication_pam AS 'held';\n"
            )
        port = bench.freePort()
        sock = os.path.join(tmp, "s.sock")
        command = bench.pinned(
            serverCore,
            [
                *bench.TWISTD,
                "-n",
                "--pidfile=",
                "-l",
                os.path.join(tmp, "twistd.log"),
                "mysqlauth",
                "--datadir",
                os.path.join(tmp, "data"),
                "--init-file",
                init,
                "--connect-timeout",
                "300",
                "--plugin-load-add",
                "authentication_pam.so",
                "--set-variable",
                f"authentication_pam_config_dir={pamdir}",
                "--set-variable",
                f"authentication_pam_pool_size={args.held}",
                "--listen",
                f"tcp:{port}:interface=127.0.0.1",
                "--listen",
                f"unix:{sock}",
            ],
        )
        server = bench.spawn(command, os.path.join(tmp, "server.out"), env=bench.ourEnv())
        bench.waitForGreeting(port, server, 60)

        def nativeRate() -> dict:
            result = subprocess.run(
                bench.pinned(
                    clientCore,
                    [
                        bench.LOADGEN,
                        "--tcp",
                        f"127.0.0.1:{port}",
                        "--user",
                        "bench_native",
                        "--password",
                        NATIVE_PASSWORD,
                        "--plugin",
                        "native",
                        "--concurrency",
                        "32",
                        "--duration",
                        str(args.duration),
                        "--warmup",
                        "0.4",
                        "--server-pid",
                        str(server.pid),
                    ],
                ),
                capture_output=True,
                text=True,
                timeout=args.duration + 60,
            )
            return json.loads(result.stdout)

        def inside() -> int:
            return len([n for n in os.listdir(tmp) if n.startswith("inside.")])

        rows: List[dict] = []
        for roundNo in range(1, args.rounds + 1):
            # Warm the worker pool once, then measure both conditions.
            order = ["idle", "loaded"] if roundNo % 2 else ["loaded", "idle"]
            row = {"round": roundNo}
            for condition in order:
                held: List[HeldLogin] = []
                if condition == "loaded":
                    held = [HeldLogin(sock) for _ in range(args.held)]
                    deadline = time.monotonic() + 60
                    while inside() < args.held and time.monotonic() < deadline:
                        time.sleep(0.05)
                    row["held_inside_pam"] = inside()
                cell = nativeRate()
                row[condition] = cell.get("logins_per_s")
                row[f"{condition}_errors"] = cell.get("errors")
                row[f"{condition}_p99_ms"] = cell.get("p99_ms")
                if condition == "loaded":
                    row["held_still_inside_after"] = inside()
                    open(release, "w").close()
                    row["held_logged_in"] = sum(h.finish() for h in held)
                    os.unlink(release)
                    for name in os.listdir(tmp):
                        if name.startswith("inside."):
                            os.unlink(os.path.join(tmp, name))
            row["ratio"] = row["loaded"] / row["idle"] if row.get("idle") else None
            rows.append(row)
            bench.log(
                f"round {roundNo}: idle {row['idle']:.0f}/s, with {args.held} PAM logins held "
                f"{row['loaded']:.0f}/s (ratio {row['ratio']:.2f}); held logins in PAM during "
                f"the run: {row['held_inside_pam']}, all logged in after: {row['held_logged_in']}"
            )
        bench.stopProcess(server)
        ratio = statistics.median(r["ratio"] for r in rows if r["ratio"] is not None)
        summary = {
            "command": "python bench/pam_inflight.py",
            "started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "held": args.held,
            "duration_s": args.duration,
            "rounds": rows,
            "median_ratio_loaded_to_idle": round(ratio, 3),
            "git": bench.gitState(),
        }
        bench.log(f"median ratio (native logins/s with {args.held} PAM logins held / without): {ratio:.3f}")
        if not args.no_write:
            with open(os.path.join(bench.DOCS, "pam_inflight.json"), "w") as f:
                json.dump(summary, f, indent=2)
            with open(os.path.join(bench.DOCS, "pam_inflight.md"), "w") as f:
                f.write(
                    "# Native logins with slow PAM logins in flight\n\n"
                    f"`python bench/pam_inflight.py` ({summary['started']}, commit "
                    f"{summary['git'].get('head', '?')}): mysql_native_password logins at "
                    f"concurrency 32 by the C load generator, alone and while {args.held} "
                    "authentication_pam logins wait inside PAM (a stack held on purpose).\n\n"
                    "| round | alone (logins/s) | with PAM held (logins/s) | ratio | held in PAM | held then logged in |\n"
                    "|---|---|---|---|---|---|\n"
                )
                for r in rows:
                    f.write(
                        f"| {r['round']} | {r['idle']:.0f} | {r['loaded']:.0f} | {r['ratio']:.2f} | "
                        f"{r['held_inside_pam']} | {r['held_logged_in']} |\n"
                    )
                f.write(f"\nMedian within-round ratio: **{ratio:.2f}**.\n")
    finally:
        bench.killChildren()
        shutil.rmtree(tmp, True)


if __name__ == "__main__":
    main()
