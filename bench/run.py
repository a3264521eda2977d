"""
The login-throughput benchmark of twisted_mysqlauth (issue 8), in one
command:

    python bench/run.py            # the full run (about 10 minutes)
    python bench/run.py --quick    # a smoke run (about a minute)

It builds the C load generator (bench/loadgen.c), sets up a tools
virtualenv (bench/.venv: mysql-mimic, matplotlib, py-spy), prepares the
servers' data directories in a temporary directory, then measures every
server in the same run: in each round the servers come in a shuffled
order, each started alone, pinned to one core (the generator on another),
and its cells (case x concurrency) run in a shuffled order, those of each
required ratio together (the throughput ones as slices taking turns: see
Run.schedule). It writes
docs/benchmark/results.json, results.md, chart.png and profile.md.

See docs/benchmark/README.md for what each case measures.
"""

from __future__ import annotations

import argparse
import atexit
import collections
import datetime
import json
import os
import platform
import pwd
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any, Dict, List, Optional

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)
DOCS = os.path.join(REPO, "docs", "benchmark")
VENV = os.path.join(BENCH, ".venv")
BUILD = os.path.join(BENCH, "build")
LOADGEN = os.path.join(BUILD, "loadgen")

CONCURRENCIES = (1, 8, 32)

#: The cells (server, case, concurrency) that the required ratios compare,
#: run together in each round (see Run.schedule): the throughput blocks,
#: run in passes of slices, and the full-auth block ((None, None, None) is
#: the cell that measures the C primitives), run once.
SLICED_BLOCKS = (
    frozenset(
        {
            ("ours", "native", 32),
            ("ours", "sha2_fast", 32),
            ("ours-stockports", "native", 32),
            ("ours-stockports", "sha2_fast", 32),
            ("floor", "native", 32),
            ("mimic", "native", 32),
            ("ours-loglogins", "native", 32),
            ("ours-loglogins", "sha2_fast", 32),
        }
    ),
    frozenset({("ours-scale", "native_scale", 32), ("ours-10", "native_scale", 32)}),
)
WHOLE_BLOCKS = (frozenset({("ours", "sha2_full_rsa", 32), (None, None, None)}),)

#: twistd, run by this Python (so the server's pid is the Python process).
TWISTD = [
    sys.executable,
    "-c",
    "import sys; from twisted.scripts.twistd import run; sys.argv[0] = 'twistd'; run()",
]

#: Accounts and passwords (throwaway: these servers live for one run, on
#: loopback and in a private temporary directory).
PASSWORDS = {
    "bench_native": "native-pw-1234",
    "bench_sha2": "sha2-fast-pw-1234",
    "bench_sha2full": "sha2-full-pw-1234",
    "bench_sha256": "sha256-pw-1234",
    "bench": "peer-pw-1234",
    "scale": "scale-pw-1234",
}

_children: List[subprocess.Popen] = []


def log(message: str) -> None:
    stamp = datetime.datetime.now().strftime("%H:%M:%S")
    print(f"[{stamp}] {message}", flush=True)


# -- processes -------------------------------------------------------------


def killChildren() -> None:
    """
    Stop every server this run started (also on error and on exit).
    """
    for process in list(_children):
        stopProcess(process)


def stopProcess(process: subprocess.Popen, timeout: float = 10.0) -> None:
    if process.poll() is None:
        try:
            process.terminate()
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        except ProcessLookupError:
            pass
    if process in _children:
        _children.remove(process)


def onSignal(signum, frame) -> None:
    killChildren()
    sys.exit(128 + signum)


def _dieWithParent() -> None:
    """
    In the child before exec: get SIGTERM when run.py dies, even by SIGKILL
    (Linux's PR_SET_PDEATHSIG; it survives the exec of taskset and of the
    server), so no server outlives the benchmark.
    """
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def spawn(
    args: List[str], logPath: str, env: Optional[dict] = None, cwd: Optional[str] = None
) -> subprocess.Popen:
    out = open(logPath, "ab")
    process = subprocess.Popen(
        args,
        stdout=out,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        preexec_fn=_dieWithParent if sys.platform.startswith("linux") else None,
    )
    out.close()
    _children.append(process)
    return process


def freePort() -> int:
    """
    A TCP port free on 127.0.0.1 right now (bind port 0, read it, close).
    """
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


def waitForGreeting(port: int, process: subprocess.Popen, timeout: float) -> None:
    """
    Wait until the server on 127.0.0.1:port sends the first bytes of a
    greeting.

    @raise RuntimeError: the process died or the time ran out.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                s.settimeout(5)
                if s.recv(4):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"no greeting on port {port} within {timeout} s")


def pinned(core: Optional[int], args: List[str]) -> List[str]:
    if core is None:
        return args
    return ["taskset", "-c", str(core)] + args


def procCpuSeconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def coreBusy() -> dict:
    """
    Busy seconds of each core (user, nice, system, irq, softirq, steal)
    from /proc/stat, and the wall clock.
    """
    out: Dict[Any, float] = {"wall": time.monotonic()}
    tick = os.sysconf("SC_CLK_TCK")
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu") and line[3:4].isdigit():
                parts = line.split()
                values = [int(v) for v in parts[1:9]]
                busy = values[0] + values[1] + values[2] + values[5] + values[6] + values[7]
                out[int(parts[0][3:])] = busy / tick
    return out


def childCpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# -- setup -----------------------------------------------------------------


def buildLoadgen() -> None:
    source = os.path.join(BENCH, "loadgen.c")
    if os.path.exists(LOADGEN) and os.path.getmtime(LOADGEN) >= os.path.getmtime(source):
        return
    os.makedirs(BUILD, exist_ok=True)
    command = ["gcc", "-O2", "-Wall", "-o", LOADGEN, source, "-lssl", "-lcrypto"]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode and "openssl/" in result.stderr and os.geteuid() == 0:
        log("OpenSSL headers missing: apt-get install libssl-dev")
        subprocess.run(["apt-get", "install", "-y", "-qq", "libssl-dev"], check=False)
        result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"cannot build the load generator:\n{result.stderr}")
    log(f"built {os.path.relpath(LOADGEN, REPO)}")


def buildShacrypt() -> Optional[str]:
    """
    bench/build/libshacrypt.so: SHA-crypt over OpenSSL's SHA-256, the
    second C baseline of the full-auth comparison (optional).
    """
    source = os.path.join(BENCH, "shacrypt.c")
    target = os.path.join(BUILD, "libshacrypt.so")
    if os.path.exists(target) and os.path.getmtime(target) >= os.path.getmtime(source):
        return target
    os.makedirs(BUILD, exist_ok=True)
    result = subprocess.run(
        ["gcc", "-O2", "-Wall", "-shared", "-fPIC", "-o", target, source, "-lcrypto"],
        capture_output=True,
        text=True,
    )
    if result.returncode:
        log("libshacrypt not built: " + result.stderr.strip()[-200:])
        return None
    return target


def venvPython() -> str:
    return os.path.join(VENV, "bin", "python")


def setupVenv() -> Dict[str, bool]:
    """
    bench/.venv with mysql-mimic, matplotlib and py-spy (each optional: what
    cannot be installed is recorded and skipped).
    """
    if not os.path.exists(venvPython()):
        log("creating bench/.venv")
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
    have = {}
    for package, module in (("mysql-mimic", "mysql_mimic"), ("matplotlib", "matplotlib"), ("py-spy", None)):
        if module:
            ok = subprocess.run([venvPython(), "-c", f"import {module}"], capture_output=True).returncode == 0
        else:
            ok = os.path.exists(os.path.join(VENV, "bin", "py-spy"))
        if not ok:
            log(f"pip install {package} into bench/.venv")
            subprocess.run(
                [venvPython(), "-m", "pip", "install", "-q", package],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            if module:
                ok = (
                    subprocess.run([venvPython(), "-c", f"import {module}"], capture_output=True).returncode
                    == 0
                )
            else:
                ok = os.path.exists(os.path.join(VENV, "bin", "py-spy"))
        have[package] = ok
    return have


def packageVersion(python: str, distribution: str) -> Optional[str]:
    result = subprocess.run(
        [python, "-c", f"import importlib.metadata as m; print(m.version({distribution!r}))"],
        capture_output=True,
        text=True,
    )
    return result.stdout.strip() or None


# -- account files -----------------------------------------------------------


def quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


def fillerHost(i: int) -> str:
    """
    Many kinds of host pattern: wildcards, literal names and IPs, domain
    suffixes, netmasks, CIDR-style netmasks; none matches 127.0.0.1.
    """
    kind = i % 8
    if kind == 0:
        return f"10.{i // 65536 % 256}.{i // 256 % 256}.%"
    if kind == 1:
        return f"app{i}.example.com"
    if kind == 2:
        return f"%.dc{i % 97}.example.org"
    if kind == 3:
        return f"192.168.{i % 256}.{i // 256 % 256}"
    if kind == 4:
        return f"10.{i % 256}.0.0/255.255.0.0"
    if kind == 5:
        return f"db-{i % 1000}-%.internal"
    if kind == 6:
        return f"172.16.{i % 256}.{i // 256 % 250}"
    return f"web{i % 5000}.%.example.net"


def writeScaleInit(path: str, total: int) -> None:
    """
    C{total} accounts: scale0..scale9 @ '127.0.0.%' (the ones that log in)
    and C{total - 10} others, four per user name, over many host patterns.
    """
    stage2 = "*" + "%040X" % 0  # never matches; filler accounts never log in
    lines = [
        "CREATE USER "
        + ", ".join(
            f"'scale{i}'@'127.0.0.%' IDENTIFIED WITH mysql_native_password BY {quote(PASSWORDS['scale'])}"
            for i in range(10)
        )
        + ";"
    ]
    batch = []
    for i in range(total - 10):
        batch.append(f"'app{i // 4}'@'{fillerHost(i)}' IDENTIFIED WITH mysql_native_password AS '{stage2}'")
        if len(batch) == 1000:
            lines.append("CREATE USER " + ", ".join(batch) + ";")
            batch = []
    if batch:
        lines.append("CREATE USER " + ", ".join(batch) + ";")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def osUser() -> str:
    return pwd.getpwuid(os.getuid()).pw_name


def writeMainInit(path: str, withSocket: bool) -> None:
    p = PASSWORDS
    statements = [
        f"CREATE USER 'bench_native'@'localhost' IDENTIFIED WITH mysql_native_password BY {quote(p['bench_native'])}",
        f"CREATE USER 'bench_sha2'@'localhost' IDENTIFIED WITH caching_sha2_password BY {quote(p['bench_sha2'])}",
        f"CREATE USER 'bench_sha2full'@'localhost' IDENTIFIED WITH caching_sha2_password BY {quote(p['bench_sha2full'])}",
        f"CREATE USER 'bench_sha256'@'localhost' IDENTIFIED WITH sha256_password BY {quote(p['bench_sha256'])}",
    ]
    if withSocket:
        statements.append(
            f"CREATE USER 'bench_socket'@'localhost' IDENTIFIED WITH auth_socket AS {quote(osUser())}"
        )
    with open(path, "w") as f:
        f.write(";\n".join(statements) + ";\n")


def loadedMethods() -> List[str]:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from twisted_mysqlauth.auth.registry import discoverMethods;"
            "print(' '.join(m.pluginName for m in discoverMethods()))",
        ],
        capture_output=True,
        text=True,
        env=ourEnv(),
    )
    return result.stdout.split()


# -- servers -----------------------------------------------------------------


def ourEnv() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = REPO + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


class Server:
    """
    One server under test: how to start it, and its cells.
    """

    name = ""
    label = ""
    startTimeout = 60.0
    concurrencies = CONCURRENCIES

    def __init__(self, run: "Run") -> None:
        self.run = run
        self.process: Optional[subprocess.Popen] = None
        self.port = 0
        self.startSeconds: List[float] = []

    def cases(self) -> List[dict]:
        raise NotImplementedError

    def command(self, port: int) -> List[str]:
        raise NotImplementedError

    def env(self) -> Optional[dict]:
        return None

    def launch(self) -> None:
        """
        Start the process (without waiting for it to listen).
        """
        self.port = freePort()
        self._launched = time.monotonic()
        self.process = spawn(
            pinned(self.run.serverCore, self.command(self.port)),
            os.path.join(self.run.tmp, f"{self.name}.log"),
            env=self.env(),
        )

    def waitReady(self) -> None:
        """
        Wait for the first greeting.

        @raise RuntimeError: it did not come.
        """
        waitForGreeting(self.port, self.process, self.startTimeout)
        self.startSeconds.append(time.monotonic() - self._launched)

    def start(self) -> None:
        """
        Launch and wait, with up to three tries (a free port can be taken
        between the check and the bind).
        """
        for attempt in range(3):
            if self.process is None:
                self.launch()
            try:
                self.waitReady()
                return
            except RuntimeError as e:
                self.stop()
                if attempt == 2:
                    raise RuntimeError(f"{self.name} did not start: {e}") from None

    def stop(self) -> None:
        if self.process is not None:
            stopProcess(self.process)
            self.process = None

    def target(self, case: dict) -> List[str]:
        if case.get("unix"):
            return ["--unix", self.unixPath()]
        return ["--tcp", f"127.0.0.1:{self.port}"]

    def unixPath(self) -> str:
        raise NotImplementedError


class OurServer(Server):
    label = "twisted_mysqlauth"

    def __init__(
        self,
        run: "Run",
        name: str,
        datadir: str,
        cases: List[dict],
        label: str,
        extraOptions: tuple = (),
        concurrencies: tuple = CONCURRENCIES,
    ) -> None:
        super().__init__(run)
        self.name = name
        self.datadir = datadir
        self._cases = cases
        self.label = label
        self.extraOptions = list(extraOptions)
        self.concurrencies = concurrencies

    def cases(self) -> List[dict]:
        return self._cases

    def unixPath(self) -> str:
        return os.path.join(self.run.tmp, f"{self.name}.sock")

    def command(self, port: int) -> List[str]:
        return [
            *TWISTD,
            "-n",
            "--pidfile=",
            "-l",
            os.path.join(self.run.tmp, f"{self.name}-twistd.log"),
            "mysqlauth",
            *self.extraOptions,
            "--datadir",
            self.datadir,
            "--listen",
            f"tcp:{port}:interface=127.0.0.1",
            "--listen",
            f"unix:{self.unixPath()}",
        ]

    def env(self) -> dict:
        return ourEnv()


class FloorServer(Server):
    name = "floor"
    label = "Twisted floor"

    def cases(self) -> List[dict]:
        return [dict(case="native", user="bench", password=PASSWORDS["bench"], plugin="native")]

    def command(self, port: int) -> List[str]:
        return [sys.executable, os.path.join(BENCH, "floor.py"), "--port", str(port)]

    def env(self) -> dict:
        return ourEnv()


class MimicServer(Server):
    name = "mimic"
    label = "mysql-mimic"

    def cases(self) -> List[dict]:
        return [dict(case="native", user="bench", password=PASSWORDS["bench"], plugin="native")]

    def command(self, port: int) -> List[str]:
        return [
            venvPython(),
            os.path.join(BENCH, "mimic_server.py"),
            "--port",
            str(port),
            "--user",
            "bench",
            "--password",
            PASSWORDS["bench"],
        ]


class MariaDBServer(Server):
    name = "mariadb"
    label = "MariaDB"

    def __init__(self, run: "Run", datadir: str) -> None:
        super().__init__(run)
        self.datadir = datadir

    def cases(self) -> List[dict]:
        return [dict(case="native", user="bench", password=PASSWORDS["bench"], plugin="native")]

    def unixPath(self) -> str:
        return os.path.join(self.datadir, "m.sock")

    def command(self, port: int) -> List[str]:
        args = [
            shutil.which("mariadbd") or "mariadbd",
            "--no-defaults",
            f"--datadir={self.datadir}",
            f"--socket={self.unixPath()}",
            f"--port={port}",
            "--bind-address=127.0.0.1",
            f"--pid-file={os.path.join(self.datadir, 'm.pid')}",
            f"--log-error={os.path.join(self.datadir, 'error.log')}",
            "--skip-name-resolve",
            "--innodb-buffer-pool-size=64M",
            "--max-connections=200",
        ]
        if os.geteuid() == 0:
            args.append("--user=root")
        return args


# -- the run -----------------------------------------------------------------


class Run:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.quick = args.quick
        self.rounds = args.rounds or (1 if self.quick else 5)
        self.duration = args.duration or (0.8 if self.quick else 2.0)
        self.warmup = 0.2 if self.quick else 0.4
        #: The cells that a required ratio compares run as this many
        #: slices of duration / passes seconds each, the block's cells
        #: taking turns (see schedule).
        self.passes = max(1, args.passes or (1 if self.quick else 4))
        #: A slice's warm-up: the server is already warm (it ran the
        #: block's earlier slices); the generator's connections need a
        #: few milliseconds to reach the concurrency.
        self.sliceWarmup = min(self.warmup, 0.25)
        self.scaleAccounts = args.scale_accounts or (10000 if self.quick else 100000)
        cores = os.cpu_count() or 1
        self.serverCore: Optional[int] = None if cores < 2 else args.server_core
        self.clientCore: Optional[int] = None if cores < 2 else args.client_core
        self.tmp = tempfile.mkdtemp(prefix="mysqlauth-bench-")
        self.results: Dict[str, Any] = {
            "issue": 8,
            "command": "python bench/run.py" + (" --quick" if self.quick else ""),
            "started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "rounds": self.rounds,
            "duration_s": self.duration,
            "warmup_s": self.warmup,
            "passes": self.passes,
            "slice_warmup_s": self.sliceWarmup,
            "concurrencies": list(CONCURRENCIES),
            "server_core": self.serverCore,
            "client_core": self.clientCore,
            "machine": machineInfo(),
            "cells": [],
            "servers": {},
            "setup": {},
        }

    # cells

    def runCell(
        self,
        server: Server,
        case: dict,
        concurrency: int,
        roundNo: int,
        passNo: Optional[int] = None,
        duration: Optional[float] = None,
        warmup: Optional[float] = None,
    ) -> dict:
        duration = self.duration if duration is None else duration
        warmup = self.warmup if warmup is None else warmup
        user = case["user"]
        command = pinned(
            self.clientCore,
            [LOADGEN]
            + server.target(case)
            + ["--user", user, "--password", case["password"], "--plugin", case["plugin"]]
            + (["--users", str(case["users"])] if case.get("users") else [])
            + (["--tls"] if case.get("tls") else [])
            + (["--sha2-full"] if case.get("sha2full") else [])
            + [
                "--concurrency",
                str(concurrency),
                "--duration",
                str(duration),
                "--warmup",
                str(warmup),
                "--max-logins",
                "2000000",
                "--server-pid",
                str(server.process.pid),
            ],
        )
        before = coreBusy(), procCpuSeconds(server.process.pid), childCpu()
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=duration + warmup + 30
        )
        after = coreBusy(), procCpuSeconds(server.process.pid), childCpu()
        try:
            cell = json.loads(result.stdout)
        except ValueError:
            cell = {"logins": 0, "errors": 1, "first_error": f"loadgen failed: {result.stderr.strip()[:200]}"}
        wall = after[0]["wall"] - before[0]["wall"]
        if wall > 0:
            # What else ran on the two cores during the cell (other jobs of
            # this shared machine, and interrupts): a noise indicator.
            for role, core, own in (
                ("server", self.serverCore, after[1] - before[1]),
                ("client", self.clientCore, after[2] - before[2]),
            ):
                if core is not None and core in after[0] and core in before[0]:
                    busy = after[0][core] - before[0][core]
                    cell[f"other_load_{role}_core"] = round(max(0.0, busy - own) / wall, 3)
        cell.update(server=server.name, case=case["case"], concurrency=concurrency, round=roundNo)
        if passNo is not None:
            # A slice: pass passNo of its block in this round.
            cell.update({"pass": passNo, "slice_s": duration})
        self.results["cells"].append(cell)
        log(
            f"  r{roundNo}{'' if passNo is None else f'.{passNo}'} {server.name:10s} {case['case']:14s} c={concurrency:<3d}"
            f" {cell.get('logins_per_s', 0):8.1f}/s p50 {cell.get('p50_ms', 0):7.2f} ms"
            f" p99 {cell.get('p99_ms', 0):7.2f} ms err {cell.get('errors')}"
            f" srv {cell.get('server_cpu_ms_per_login', 0):.3f} ms/login ({100 * cell.get('server_cpu_frac', 0):.0f}% core)"
            f" gen {100 * cell.get('gen_cpu_frac', 0):.0f}%"
            + (f"  [{cell.get('first_error')}]" if cell.get("first_error") else "")
        )
        return cell

    # preparation

    def prepareOurDatadir(self, name: str, initFile: str, timeRestart: bool = False) -> dict:
        """
        Run twistd once with the init file (it creates the datadir and the
        accounts), then stop it; the rounds start from the datadir.
        """
        datadir = os.path.join(self.tmp, f"{name}-data")
        port = freePort()
        started = time.monotonic()
        process = spawn(
            pinned(
                self.serverCore,
                [
                    *TWISTD,
                    "-n",
                    "--pidfile=",
                    "-l",
                    os.path.join(self.tmp, f"{name}-init.log"),
                    "mysqlauth",
                    "--datadir",
                    datadir,
                    "--listen",
                    f"tcp:{port}:interface=127.0.0.1",
                    "--init-file",
                    initFile,
                ],
            ),
            os.path.join(self.tmp, f"{name}-init.out"),
            env=ourEnv(),
        )
        try:
            waitForGreeting(port, process, 900)
        finally:
            stopProcess(process)
        info = {"datadir": datadir, "init_file_seconds": round(time.monotonic() - started, 2)}
        if timeRestart:
            # How long a start from the existing datadir takes (what the
            # rounds do), measured alone.
            server = OurServer(self, name, datadir, [], name)
            server.start()
            server.stop()
            info["restart_seconds"] = round(server.startSeconds[0], 2)
        return info

    def prepareMariaDB(self) -> Optional[MariaDBServer]:
        info: Dict[str, Any] = {}
        self.results["servers"]["mariadb"] = info
        if self.args.no_mariadb:
            info["status"] = "skipped (--no-mariadb)"
            return None
        if not shutil.which("mariadbd") and self.args.install_mariadb and os.geteuid() == 0:
            log("apt-get install mariadb-server")
            subprocess.run(
                ["apt-get", "install", "-y", "-qq", "mariadb-server"],
                check=False,
                env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"),
            )
        if not shutil.which("mariadbd") or not shutil.which("mariadb-install-db"):
            info["status"] = "not installed (apt-get install mariadb-server, or run with --install-mariadb)"
            log(f"MariaDB: {info['status']}")
            return None
        datadir = os.path.join(self.tmp, "mariadb-data")
        os.makedirs(datadir)
        try:
            version = subprocess.run(["mariadbd", "--version"], capture_output=True, text=True).stdout.strip()
            info["version"] = version
            started = time.monotonic()
            installArgs = [
                "mariadb-install-db",
                "--no-defaults",
                f"--datadir={datadir}",
                "--skip-test-db",
                "--auth-root-authentication-method=socket",
            ]
            if os.geteuid() == 0:
                installArgs.append("--user=root")
            result = subprocess.run(installArgs, capture_output=True, text=True, timeout=300)
            if result.returncode:
                raise RuntimeError("mariadb-install-db failed: " + result.stderr.strip()[-300:])
            server = MariaDBServer(self, datadir)
            server.start()
            try:
                sql = (
                    "CREATE USER 'bench'@'%' IDENTIFIED VIA mysql_native_password USING PASSWORD("
                    + quote(PASSWORDS["bench"])
                    + "); "
                    "CREATE USER 'bench'@'localhost' IDENTIFIED VIA mysql_native_password USING PASSWORD("
                    + quote(PASSWORDS["bench"])
                    + "); "
                    "SELECT CONCAT('DROP USER ', QUOTE(user), '@', QUOTE(host), ';') FROM mysql.user WHERE user = '';"
                )
                client = shutil.which("mariadb") or shutil.which("mysql")
                result = subprocess.run(
                    [
                        client,
                        "--no-defaults",
                        "--protocol=socket",
                        "-S",
                        server.unixPath(),
                        "-u",
                        osUser(),
                        "-N",
                        "-e",
                        sql,
                    ],
                    capture_output=True,
                    text=True,
                    timeout=60,
                )
                if result.returncode:
                    raise RuntimeError("creating the user failed: " + result.stderr.strip()[-300:])
                drops = result.stdout.strip()
                if drops:
                    subprocess.run(
                        [
                            client,
                            "--no-defaults",
                            "--protocol=socket",
                            "-S",
                            server.unixPath(),
                            "-u",
                            osUser(),
                            "-e",
                            drops,
                        ],
                        capture_output=True,
                        timeout=60,
                    )
            finally:
                server.stop()
            info["setup_seconds"] = round(time.monotonic() - started, 2)
            info["status"] = "measured"
            info["options"] = (
                "mariadbd --no-defaults --skip-name-resolve --innodb-buffer-pool-size=64M --max-connections=200"
            )
            return server
        except Exception as e:
            info["status"] = f"could not be set up: {e}"
            log(f"MariaDB: {info['status']}")
            return None

    def run(self) -> None:
        args = self.args
        buildLoadgen()
        self.shacryptLib = buildShacrypt()
        have = setupVenv()
        self.results["setup"]["tools"] = have
        self.results["setup"]["versions"] = {
            "twisted": packageVersion(sys.executable, "twisted"),
            "cryptography": packageVersion(sys.executable, "cryptography"),
            "mysql-mimic": packageVersion(venvPython(), "mysql-mimic") if have.get("mysql-mimic") else None,
            "openssl": subprocess.run(["openssl", "version"], capture_output=True, text=True).stdout.strip(),
        }
        methods = loadedMethods()
        withSocket = "auth_socket" in methods
        self.results["setup"]["methods"] = methods
        helpText = subprocess.run(
            [*TWISTD, "mysqlauth", "--help"], capture_output=True, text=True, env=ourEnv()
        ).stdout
        self.results["setup"]["log_logins_option"] = "--log-logins" in helpText
        self.results["setup"]["git_at_start"] = gitState()

        # Our datadirs.
        mainInit = os.path.join(self.tmp, "main.sql")
        writeMainInit(mainInit, withSocket)
        log("preparing twisted_mysqlauth datadirs")
        main = self.prepareOurDatadir("ours", mainInit)
        scale10Init = os.path.join(self.tmp, "scale10.sql")
        writeScaleInit(scale10Init, 10)
        scale10 = self.prepareOurDatadir("ours-10", scale10Init)
        scaleInit = os.path.join(self.tmp, "scale.sql")
        writeScaleInit(scaleInit, self.scaleAccounts)
        log(f"loading {self.scaleAccounts} accounts from an init file")
        scaleBig = self.prepareOurDatadir("ours-scale", scaleInit, timeRestart=True)
        self.results["setup"]["scale"] = {
            "accounts": self.scaleAccounts,
            "init_file_seconds": scaleBig["init_file_seconds"],
            "restart_seconds": scaleBig.get("restart_seconds"),
            "init_statements": "CREATE USER with 1,000 accounts per statement",
        }
        log(
            f"  {self.scaleAccounts} accounts: init file took {scaleBig['init_file_seconds']} s,"
            f" a start from the datadir {scaleBig.get('restart_seconds')} s"
        )

        p = PASSWORDS
        ourCases = [
            dict(case="native", user="bench_native", password=p["bench_native"], plugin="native"),
            dict(case="sha2_fast", user="bench_sha2", password=p["bench_sha2"], plugin="sha2"),
            dict(
                case="sha2_full_rsa",
                user="bench_sha2full",
                password=p["bench_sha2full"],
                plugin="sha2",
                sha2full=True,
            ),
            dict(case="sha256_tls", user="bench_sha256", password=p["bench_sha256"], plugin="sha2", tls=True),
        ]
        if withSocket:
            ourCases.append(
                dict(
                    case="auth_socket_unix",
                    user="bench_socket",
                    password="unused",
                    plugin="native",
                    unix=True,
                )
            )
        scaleCase = [
            dict(case="native_scale", user="scale%d", users=10, password=p["scale"], plugin="native")
        ]
        servers: List[Server] = [OurServer(self, "ours", main["datadir"], ourCases, "twisted_mysqlauth")]
        if self.results["setup"]["log_logins_option"]:
            # The same server and accounts with every successful login
            # written to the twistd log: what that line costs.
            loudDatadir = main["datadir"] + "-loglogins"
            shutil.copytree(main["datadir"], loudDatadir)
            servers.append(
                OurServer(
                    self,
                    "ours-loglogins",
                    loudDatadir,
                    ourCases[:2],
                    "twisted_mysqlauth, --log-logins",
                    extraOptions=("--log-logins",),
                    concurrencies=(32,),
                )
            )
        # The same server and accounts listening with Twisted's stock ports
        # (--stock-ports) instead of the prompt ports twistd uses by
        # default: what those are worth.
        stockDatadir = main["datadir"] + "-stockports"
        shutil.copytree(main["datadir"], stockDatadir)
        servers.append(
            OurServer(
                self,
                "ours-stockports",
                stockDatadir,
                ourCases[:2],
                "twisted_mysqlauth, --stock-ports",
                extraOptions=("--stock-ports",),
            )
        )
        servers += [
            OurServer(self, "ours-10", scale10["datadir"], scaleCase, "twisted_mysqlauth, 10 accounts"),
            OurServer(
                self,
                "ours-scale",
                scaleBig["datadir"],
                scaleCase,
                f"twisted_mysqlauth, {self.scaleAccounts:,} accounts",
            ),
            FloorServer(self),
        ]
        self.results["servers"]["floor"] = {"status": "measured"}
        if have.get("mysql-mimic") and not args.no_mimic:
            servers.append(MimicServer(self))
            self.results["servers"]["mimic"] = {"status": "measured"}
        else:
            self.results["servers"]["mimic"] = {
                "status": "skipped" if args.no_mimic else "mysql-mimic could not be installed"
            }
        mariadb = self.prepareMariaDB()
        if mariadb is not None:
            servers.append(mariadb)
        if args.only:
            servers = [s for s in servers if s.name in args.only.split(",")]

        rng = random.Random(args.seed)
        primitives = []
        for roundNo in range(1, self.rounds + 1):
            # Every server runs during the whole round, idle but for its own
            # cells, and the cells of all servers come in one shuffled order:
            # neighbouring cells of different servers see the same noise.
            order = servers[:]
            rng.shuffle(order)
            self.results.setdefault("loadavg", []).append(open("/proc/loadavg").read().split()[:3])
            log(f"round {roundNo}/{self.rounds}: starting " + ", ".join(s.name for s in order))
            up = []
            try:
                for server in order:
                    server.launch()
                for server in order:
                    try:
                        server.start()
                        up.append(server)
                    except RuntimeError as e:
                        log(f"  {e}")
                        self.results["servers"].setdefault(server.name, {})["start_error"] = str(e)
                cells = [
                    (server, case, c)
                    for server in up
                    for case in server.cases()
                    for c in server.concurrencies
                ]
                # The C primitives are measured among the cells too, so that
                # the full-auth ratio compares figures taken close in time.
                cells.append((None, None, None))
                for (server, case, concurrency), passNo in self.schedule(cells, rng, self.passes):
                    if server is None:
                        primitives.append(dict(self.measurePrimitives(), round=roundNo))
                        continue
                    if server.process is None or server.process.poll() is not None:
                        log(f"  {server.name} has exited; its cell is skipped")
                        continue
                    if passNo is None:
                        self.runCell(server, case, concurrency, roundNo)
                    else:
                        self.runCell(
                            server,
                            case,
                            concurrency,
                            roundNo,
                            passNo,
                            self.duration / self.passes,
                            self.sliceWarmup,
                        )
            finally:
                for server in order:
                    server.stop()
        self.results["primitives_rounds"] = primitives
        for server in servers:
            info = self.results["servers"].setdefault(server.name, {})
            info["label"] = server.label
            info["ready_within_seconds"] = [round(s, 2) for s in server.startSeconds]

        if not args.no_profile and have.get("py-spy"):
            self.results["profile"] = self.profile(servers[0] if not args.only else None)
            stock = [s for s in servers if s.name == "ours-stockports"]
            if stock:
                self.results["profile_stockports"] = self.profile(stock[0])
        self.results["finished"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        self.results["setup"]["git_at_end"] = gitState()

    @staticmethod
    def schedule(cells: List[tuple], rng: random.Random, passes: int = 1) -> List[tuple]:
        """
        The order of a round's cells, as C{(cell, passNo)}: random, except
        that the cells each required ratio compares run together, so that
        both sides of a ratio see the same noise.

        The throughput blocks (ours, the floor and mysql-mimic at c=32; the
        scale pair) run in C{passes} passes: in each, every cell of the
        block runs one slice (its duration divided by C{passes}), in a
        fresh random order. A ratio is taken between slices of the same
        pass, seconds apart rather than a whole block apart, and a round
        gives C{passes} of them. (This shared machine's speed changes
        from one second to the next: the scale pair, whose logins cost the
        same, run back to back for 2 s each, differed by up to 24 % in a
        round.) The full-auth block (CPU time against the C primitives)
        runs once, as C{passNo} L{None}; so do the cells outside the
        blocks.
        """

        def key(cell):
            server, case, c = cell
            return (server.name if server else None, case["case"] if case else None, c)

        blocks = SLICED_BLOCKS + WHOLE_BLOCKS
        sliced = [True] * len(SLICED_BLOCKS) + [False] * len(WHOLE_BLOCKS)
        grouped: List[List[tuple]] = [[] for _ in blocks]
        units: List[List[tuple]] = []
        for cell in cells:
            for i, block in enumerate(blocks):
                if key(cell) in block:
                    grouped[i].append(cell)
                    break
            else:
                units.append([(cell, None)])
        for i, group in enumerate(grouped):
            if not group:
                continue
            if sliced[i] and passes > 1:
                unit = []
                for passNo in range(1, passes + 1):
                    rng.shuffle(group)
                    unit.extend((cell, passNo) for cell in group)
            else:
                rng.shuffle(group)
                unit = [(cell, None) for cell in group]
            units.append(unit)
        rng.shuffle(units)
        return [item for unit in units for item in unit]

    def measurePrimitives(self) -> dict:
        result = subprocess.run(
            pinned(
                self.serverCore,
                [
                    sys.executable,
                    os.path.join(BENCH, "primitives.py"),
                    "--iterations",
                    "20" if self.quick else "60",
                    "--password",
                    PASSWORDS["bench_sha2full"],
                ]
                + (["--shacrypt-lib", self.shacryptLib] if self.shacryptLib else []),
            ),
            capture_output=True,
            text=True,
            env=ourEnv(),
            timeout=300,
        )
        try:
            value = json.loads(result.stdout)
        except ValueError:
            value = {"error": result.stderr.strip()[-300:]}
        log(
            "  primitives: glibc crypt $5$ 5000 rounds {0:.0f} us, OpenSSL RSA-2048 OAEP decrypt {1:.0f} us;"
            " ours: shaCrypt256 {2:.0f} us, decryptPassword {3:.0f} us".format(
                value.get("glibc_crypt_sha256_5000_us", float("nan")),
                value.get("openssl_rsa2048_oaep_decrypt_us", float("nan")),
                value.get("python_shacrypt256_5000_us", float("nan")),
                value.get("project_decrypt_password_us", float("nan")),
            )
        )
        return value

    def profile(self, server: Optional[Server]) -> dict:
        """
        py-spy on our server at concurrency 32, native and sha2 fast path.
        """
        if server is None:
            return {}
        pyspy = os.path.join(VENV, "bin", "py-spy")
        out: Dict[str, Any] = {}
        seconds = 2 if self.quick else 6
        server.start()
        try:
            for case in server.cases():
                if case["case"] not in ("native", "sha2_fast", "sha2_full_rsa", "sha256_tls"):
                    continue
                raw = os.path.join(self.tmp, f"profile-{case['case']}.txt")
                load = subprocess.Popen(
                    pinned(
                        self.clientCore,
                        [LOADGEN]
                        + server.target(case)
                        + [
                            "--user",
                            case["user"],
                            "--password",
                            case["password"],
                            "--plugin",
                            case["plugin"],
                            "--concurrency",
                            "32",
                            "--duration",
                            str(seconds + 2),
                            "--warmup",
                            "0.5",
                        ]
                        + (["--sha2-full"] if case.get("sha2full") else [])
                        + (["--tls"] if case.get("tls") else [])
                        + ["--server-pid", str(server.process.pid)],
                    ),
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                time.sleep(0.7)
                spy = subprocess.run(
                    pinned(
                        self.clientCore,
                        [
                            pyspy,
                            "record",
                            "--pid",
                            str(server.process.pid),
                            "--duration",
                            str(seconds),
                            "--rate",
                            "250",
                            "--format",
                            "raw",
                            "--nonblocking",
                            "--output",
                            raw,
                        ],
                    ),
                    capture_output=True,
                    text=True,
                    timeout=seconds + 60,
                )
                stdout, _ = load.communicate(timeout=seconds + 60)
                try:
                    loadResult = json.loads(stdout)
                except ValueError:
                    loadResult = {}
                if spy.returncode or not os.path.exists(raw):
                    out[case["case"]] = {"error": (spy.stderr or spy.stdout).strip()[-300:]}
                    continue
                stacks = parseCollapsed(raw)
                out[case["case"]] = summarizeProfile(stacks)
                out[case["case"]]["load"] = {
                    k: loadResult.get(k) for k in ("logins_per_s", "server_cpu_ms_per_login")
                }
                log(f"  profiled {case['case']}: {out[case['case']]['samples']} samples")
        finally:
            server.stop()
        return out


def gitState() -> dict:
    """
    The commit and the library files that differ from it: other people may
    edit the library while the benchmark runs, and every round starts the
    servers from the files on disk.
    """

    def git(*args: str) -> str:
        result = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True)
        return result.stdout.strip()

    changed = git("status", "--porcelain", "--", "twisted_mysqlauth", "twisted")
    return {
        "head": git("rev-parse", "--short", "HEAD"),
        "library_changes": [line[3:] for line in changed.splitlines() if line.strip()],
    }


def machineInfo() -> dict:
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "loadavg_at_start": (
            open("/proc/loadavg").read().split()[:3] if os.path.exists("/proc/loadavg") else None
        ),
    }


# -- profiles -----------------------------------------------------------------

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>.*?)(?::(?P<line>\d+))?\)$")


def parseCollapsed(path: str) -> List[tuple]:
    stacks = []
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            stack, _, count = line.rpartition(" ")
            try:
                n = int(count)
            except ValueError:
                continue
            frames = [frame for frame in stack.split(";") if frame]
            if not frames or frames[-1].startswith(
                ("Condition.wait (threading.py", "Event.wait (threading.py")
            ):
                # An idle helper thread (the store's thread pool), not work.
                continue
            stacks.append((frames, n))
    return stacks


def frameKey(frame: str) -> str:
    """
    C{function (path/to/file.py)} without the line number, the path made
    short (relative to the repo or to site-packages / the stdlib).
    """
    m = _FRAME.match(frame)
    if not m:
        return frame
    path = m.group("file")
    for marker in ("site-packages/", "lib/python3", REPO + "/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            if marker.startswith("lib/python3"):
                path = "stdlib/" + path.split("/", 1)[1] if "/" in path else path
            break
    return f"{m.group('func')} ({path})"


CATEGORIES = (
    ("logging (twisted.logger)", ("twisted/logger/", "stdlib/logging")),
    (
        "cred portal, realm, checker",
        (
            "twisted/cred/",
            "twisted_mysqlauth/realm.py",
            "twisted_mysqlauth/checkers.py",
            "twisted_mysqlauth/credentials.py",
        ),
    ),
    ("Deferred machinery", ("twisted/internet/defer.py",)),
    ("password hashing", ("twisted_mysqlauth/auth/hashing.py", "stdlib/hmac.py")),
    ("auth methods, exchanges", ("twisted_mysqlauth/auth/",)),
    ("account lookup", ("twisted_mysqlauth/accounts/",)),
    ("wire packets, codec", ("twisted_mysqlauth/wire/",)),
    ("protocol state machine", ("twisted_mysqlauth/protocol.py",)),
    # The prompt ports of server.py are a Twisted transport.
    ("TCP transport, reactor", ("_PromptWrites.", "_PromptAccepts.", "_ListeningSocket.")),
    ("server config, session", ("twisted_mysqlauth/server.py", "twisted_mysqlauth/session.py")),
    ("TCP transport, reactor", ("twisted/internet/", "twisted/python/")),
    ("attrs / zope.interface", ("attr/", "zope/")),
)


def categoryOf(frames: List[str]) -> str:
    """
    The category of a sample: the innermost frame whose file belongs to a
    category decides, scanning from the leaf outwards (so time in hashlib
    called from hashing.py counts as hashing).
    """
    for frame in reversed(frames):
        key = frameKey(frame)
        for name, markers in CATEGORIES:
            if any(marker in key for marker in markers):
                return name
    return "other"


def summarizeProfile(stacks: List[tuple], top: int = 25) -> dict:
    total = sum(n for _, n in stacks)
    selfTime: collections.Counter = collections.Counter()
    inclusive: collections.Counter = collections.Counter()
    categories: collections.Counter = collections.Counter()
    for frames, n in stacks:
        keys = [frameKey(f) for f in frames]
        selfTime[keys[-1]] += n
        for key in set(keys):
            inclusive[key] += n
        categories[categoryOf(frames)] += n

    def share(counter, limit):
        return [
            {"function": k, "samples": v, "percent": round(100.0 * v / total, 1)}
            for k, v in counter.most_common(limit)
        ]

    return {
        "samples": total,
        "self": share(selfTime, top),
        "inclusive": share(
            collections.Counter(
                {k: v for k, v in inclusive.items() if "twisted" in k or "attr" in k or "zope" in k}
            ),
            top,
        ),
        "categories": share(categories, len(CATEGORIES) + 1),
    }


# -- aggregation and reports ------------------------------------------------


def median(values: List[float]) -> Optional[float]:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def aggregate(results: dict) -> None:
    cells = results["cells"]
    perRound: Dict[tuple, List[dict]] = collections.defaultdict(list)
    for m in cells:
        perRound[(m["server"], m["case"], m["concurrency"], m["round"])].append(m)

    def combined(members: List[dict], key: str) -> Optional[float]:
        """
        C{key} over a round's cell, or over its slices taken together.
        """
        if len(members) == 1:
            return members[0].get(key)
        logins = sum(m.get("logins") or 0 for m in members)
        elapsed = sum(m.get("elapsed_s") or 0 for m in members)
        if key == "logins_per_s":
            return logins / elapsed if elapsed else None
        if key == "server_cpu_ms_per_login":
            cpu = sum(m.get("server_cpu_s") or 0 for m in members)
            return cpu * 1000 / logins if logins else None
        if key == "gen_cpu_frac":
            cpu = sum(m.get("gen_cpu_s") or 0 for m in members)
            return cpu / elapsed if elapsed else None
        raise KeyError(key)

    groups: Dict[tuple, List[dict]] = collections.defaultdict(list)
    for cell in cells:
        groups[(cell["server"], cell["case"], cell["concurrency"])].append(cell)
    summary = []
    for (server, case, c), members in sorted(groups.items()):
        summary.append(
            {
                "server": server,
                "case": case,
                "concurrency": c,
                "measurements": len(members),
                "logins_per_s": median([m.get("logins_per_s") for m in members]),
                "logins_per_s_all": [m.get("logins_per_s") for m in members],
                "p50_ms": median([m.get("p50_ms") for m in members]),
                "p99_ms": median([m.get("p99_ms") for m in members]),
                "errors": sum(m.get("errors", 0) for m in members),
                "logins": sum(m.get("logins", 0) for m in members),
                "server_cpu_ms_per_login": median([m.get("server_cpu_ms_per_login") for m in members]),
                "server_cpu_frac": median([m.get("server_cpu_frac") for m in members]),
                # (Per round: a server's slices of a round taken together.)
                "gen_cpu_frac_max": max(
                    combined(perRound[(server, case, c, roundNo)], "gen_cpu_frac") or 0
                    for roundNo in {m["round"] for m in members}
                ),
                "other_load_server_core": median([m.get("other_load_server_core") for m in members]),
                "other_load_client_core": median([m.get("other_load_client_core") for m in members]),
            }
        )
    results["summary"] = summary

    def slicedBlock(key: tuple) -> Optional[int]:
        for i, block in enumerate(SLICED_BLOCKS):
            if key in block:
                return i
        return None

    def pairedRatio(a: tuple, b: tuple, c: int, key: str = "logins_per_s", invert: bool = False):
        """
        The median of the ratios a/b, and the list of them: between two
        slices of the same pass when a and b are slices of the same block;
        otherwise between the two rounds' cells (a server's slices of a
        round taken together).
        """
        keyA, keyB = (*a, c), (*b, c)
        samePass = slicedBlock(keyA) is not None and slicedBlock(keyA) == slicedBlock(keyB)
        ratios = []
        for roundNo in range(1, results["rounds"] + 1):
            xs, ys = perRound.get((*keyA, roundNo)), perRound.get((*keyB, roundNo))
            if not xs or not ys:
                continue
            if samePass and all("slice_s" in m for m in xs + ys):
                passesB = {m["pass"]: m for m in ys}
                pairs = [
                    (x.get(key), passesB[x["pass"]].get(key))
                    for x in sorted(xs, key=lambda m: m["pass"])
                    if x["pass"] in passesB
                ]
            else:
                pairs = [(combined(xs, key), combined(ys, key))]
            for x, y in pairs:
                if x and y:
                    ratios.append(y / x if invert else x / y)
        return (round(statistics.median(ratios), 3) if ratios else None), [round(r, 3) for r in ratios]

    ratios = {}
    peers = {"floor": ("floor", "native"), "mimic": ("mimic", "native"), "mariadb": ("mariadb", "native")}
    for row in summary:
        if row["server"] not in ("ours", "ours-loglogins", "ours-stockports", "ours-10", "ours-scale"):
            continue
        for peer, key in peers.items():
            value, per = pairedRatio((row["server"], row["case"]), key, row["concurrency"])
            row[f"x_{peer}"] = value
            ratios[f"{row['server']}/{row['case']}/c{row['concurrency']} vs {peer}"] = {
                "median": value,
                "pairs": per,
            }
            cpu, _ = pairedRatio(
                (row["server"], row["case"]),
                key,
                row["concurrency"],
                key="server_cpu_ms_per_login",
                invert=True,
            )
            row[f"cpu_x_{peer}"] = cpu
    results["ratios"] = ratios

    criteria = []

    def criterion(name, value, threshold, higherIsBetter=True, detail="", cpuValue=None):
        def check(v):
            return None if v is None else (v >= threshold if higherIsBetter else v <= threshold)

        criteria.append(
            {
                "criterion": name,
                "value": value,
                "threshold": threshold,
                "direction": ">=" if higherIsBetter else "<=",
                "met": check(value),
                "detail": detail,
                "cpu_value": cpuValue,
                "cpu_met": check(cpuValue),
            }
        )

    def both(name, a, b, threshold, informational=False):
        value, per = pairedRatio(a, b, 32)
        cpu, cpuPer = pairedRatio(a, b, 32, key="server_cpu_ms_per_login", invert=True)
        criterion(
            name,
            value,
            threshold,
            cpuValue=cpu,
            detail=f"logins/s ratio per pass {per}; CPU-capacity ratio per pass {cpuPer}",
        )
        if informational:
            criteria[-1]["informational"] = True

    for case in ("native", "sha2_fast"):
        both(f"{case} c=32 vs Twisted floor", ("ours", case), ("floor", "native"), 0.95)
        both(f"{case} c=32 vs mysql-mimic", ("ours", case), ("mimic", "native"), 3.0)
    if any(m["server"] == "ours-stockports" for m in cells):
        for case in ("native", "sha2_fast"):
            both(
                f"{case} c=32 vs Twisted floor, --stock-ports",
                ("ours-stockports", case),
                ("floor", "native"),
                0.95,
                informational=True,
            )
            both(
                f"{case} c=32 vs mysql-mimic, --stock-ports",
                ("ours-stockports", case),
                ("mimic", "native"),
                3.0,
                informational=True,
            )
    accounts = results["setup"].get("scale", {}).get("accounts")
    both(
        f"native c=32 with {accounts:,} accounts vs 10 accounts" if accounts else "scale",
        ("ours-scale", "native_scale"),
        ("ours-10", "native_scale"),
        0.95,
    )

    prims = results.get("primitives_rounds") or []
    cTotal = median([p.get("c_full_auth_primitives_us") for p in prims])
    full = [
        m for m in cells if m["server"] == "ours" and m["case"] == "sha2_full_rsa" and m["concurrency"] == 32
    ]
    fast = [m for m in cells if m["server"] == "ours" and m["case"] == "sha2_fast" and m["concurrency"] == 32]
    fullCpu = median([m.get("server_cpu_ms_per_login") for m in full])
    fastCpu = median([m.get("server_cpu_ms_per_login") for m in fast])
    perRound, perRoundWork = [], []
    for p in prims:
        f = [m for m in full if m["round"] == p.get("round") and m.get("server_cpu_ms_per_login")]
        # (The fast path's slices of that round: their median.)
        q = median(
            [m["server_cpu_ms_per_login"] for m in fast if m["round"] == p.get("round") and m.get("server_cpu_ms_per_login")]
        )
        if f and p.get("c_full_auth_primitives_us"):
            perRound.append(f[0]["server_cpu_ms_per_login"] * 1000 / p["c_full_auth_primitives_us"])
            if q:
                perRoundWork.append(
                    (f[0]["server_cpu_ms_per_login"] - q)
                    * 1000
                    / p["c_full_auth_primitives_us"]
                )
    results["full_auth"] = {
        "c_primitives_us": cTotal,
        "glibc_crypt_us": median([p.get("glibc_crypt_sha256_5000_us") for p in prims]),
        "openssl_rsa_decrypt_us": median([p.get("openssl_rsa2048_oaep_decrypt_us") for p in prims]),
        "python_shacrypt_us": median([p.get("python_shacrypt256_5000_us") for p in prims]),
        "project_decrypt_us": median([p.get("project_decrypt_password_us") for p in prims]),
        "openssl_shacrypt_us": median([p.get("openssl_shacrypt256_5000_us") for p in prims]),
        "c_openssl_primitives_us": median([p.get("c_openssl_full_auth_primitives_us") for p in prims]),
        "ours_full_login_cpu_ms": fullCpu,
        "ours_fast_login_cpu_ms": fastCpu,
        "ratio_whole_login_per_round": [round(r, 3) for r in perRound],
        "ratio_auth_work_only_per_round": [round(r, 3) for r in perRoundWork],
    }
    strict = [
        f[0]["server_cpu_ms_per_login"] * 1000 / p["c_openssl_full_auth_primitives_us"]
        for p in prims
        if p.get("c_openssl_full_auth_primitives_us")
        for f in [[m for m in full if m["round"] == p.get("round") and m.get("server_cpu_ms_per_login")]]
        if f
    ]
    if strict:
        results["full_auth"]["ratio_vs_openssl_shacrypt"] = round(statistics.median(strict), 3)
    if perRound:
        ratio = round(statistics.median(perRound), 3)
        extra = round(statistics.median(perRoundWork), 3) if perRoundWork else None
        results["full_auth"]["ratio_whole_login"] = ratio
        results["full_auth"]["ratio_auth_work_only"] = extra
        criterion(
            "caching_sha2 full auth (RSA) c=32: server CPU per login vs C primitives (glibc crypt + OpenSSL RSA)",
            ratio,
            1.5,
            higherIsBetter=False,
            detail=f"whole login {fullCpu:.3f} ms vs {cTotal / 1000:.3f} ms (medians); per round"
            f" {[round(r, 3) for r in perRound]}; full-auth work only (minus a fast-path login of the same"
            f" round) {extra}",
        )
    else:
        criterion("caching_sha2 full auth vs C primitives", None, 1.5, higherIsBetter=False)
    results["criteria"] = criteria


SERVER_ORDER = [
    "ours",
    "ours-loglogins",
    "ours-stockports",
    "ours-10",
    "ours-scale",
    "floor",
    "mimic",
    "mariadb",
]
CASE_ORDER = ["native", "sha2_fast", "sha2_full_rsa", "sha256_tls", "auth_socket_unix", "native_scale"]


def rowOrder(row: dict) -> tuple:
    return (
        SERVER_ORDER.index(row["server"]) if row["server"] in SERVER_ORDER else 99,
        CASE_ORDER.index(row["case"]) if row["case"] in CASE_ORDER else 99,
        row.get("concurrency", 0),
    )


CASE_LABEL = {
    "native": "mysql_native_password",
    "sha2_fast": "caching_sha2 fast path",
    "sha2_full_rsa": "caching_sha2 full auth, RSA over TCP",
    "sha256_tls": "sha256_password over TLS",
    "auth_socket_unix": "auth_socket over UNIX socket",
    "native_scale": "mysql_native_password, 10 users",
}


def fmt(value, digits=1, suffix=""):
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}{suffix}"
    return f"{value}{suffix}"


def gitLine(results: dict) -> str:
    start = results["setup"].get("git_at_start") or {}
    end = results["setup"].get("git_at_end") or {}
    if not start:
        return ""
    text = f"Library: commit {start.get('head')}"
    if start.get("library_changes"):
        text += f" with uncommitted changes to {', '.join(start['library_changes'])}"
    if end and end != start:
        text += (
            f"; **the library changed during the run** (at the end: commit {end.get('head')},"
            f" changes {', '.join(end.get('library_changes') or []) or 'none'}): rounds started after the"
            " change ran the new code"
        )
    return text + "."


def writeMarkdown(results: dict, path: str) -> None:
    servers = results["servers"]
    lines = [
        "# Login throughput: results of the last run",
        "",
        f"Command: `{results['command']}`; started {results['started']}, finished {results.get('finished')}.",
        f"Machine: {results['machine']['cpu']}, {results['machine']['cores']} cores, Python"
        f" {results['machine']['python']}, load average at start {', '.join(results['machine']['loadavg_at_start'] or [])}"
        " (a shared machine: other jobs ran beside the benchmark).",
        f"Every server pinned to core {results['server_core']}, the load generator to core {results['client_core']};"
        f" {results['rounds']} round(s); in each, all servers run and the cells (server × case × concurrency) come in"
        f" a shuffled order, those that a required ratio compares together; each cell {results['duration_s']} s"
        f" after a {results['warmup_s']} s warm-up."
        + (
            f" The cells of the throughput ratios (ours, the floor and mysql-mimic at c=32; the scale pair) run in"
            f" {results['passes']} passes per round, each cell a {results['duration_s'] / results['passes']:g} s slice"
            f" (after a {results['slice_warmup_s']} s warm-up) in each pass, the block's cells taking turns in a fresh"
            " random order. Figures are medians over the rounds' cells or slices (the generator's core use: the"
            " highest round, slices taken together); a ratio within a block is the median of the ratios of two slices"
            " of the same pass, any other the median over rounds (a server's slices of a round taken together)."
            if results.get("passes", 1) > 1
            else " Figures are medians over the rounds; ratios are medians of the ratios measured within the same"
            " round."
        ),
        gitLine(results),
        "",
        "| server | case | c | logins/s | p50 ms | p99 ms | errors | server CPU ms/login | server core use |"
        " others on server core | gen. core use | × floor | × mysql-mimic | × MariaDB |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    rows = sorted(results["summary"], key=rowOrder)
    for r in rows:
        label = servers.get(r["server"], {}).get("label", r["server"])
        lines.append(
            f"| {label} | {CASE_LABEL.get(r['case'], r['case'])} | {r['concurrency']} | {fmt(r['logins_per_s'], 0)} |"
            f" {fmt(r['p50_ms'], 2)} | {fmt(r['p99_ms'], 2)} | {r['errors']} | {fmt(r['server_cpu_ms_per_login'], 3)} |"
            f" {fmt(100 * r['server_cpu_frac'] if r['server_cpu_frac'] is not None else None, 0, '%')} |"
            f" {fmt(100 * r['other_load_server_core'] if r.get('other_load_server_core') is not None else None, 0, '%')} |"
            f" {fmt(100 * r['gen_cpu_frac_max'], 0, '%')}{' ⚠' if r['gen_cpu_frac_max'] >= 0.8 else ''} |"
            f" {fmt(r.get('x_floor'), 2)} | {fmt(r.get('x_mimic'), 2)} | {fmt(r.get('x_mariadb'), 2)} |"
        )
    lines += [
        "",
        "“server core use” is the server's CPU time over the window divided by the window (1.0 = the whole pinned"
        " core); below 100 % at c=8 and c=32 the server was waiting for a core shared with other jobs, or for the"
        " generator. “others on server core” is the rest of that core's busy time (/proc/stat) in the cell: other"
        " jobs of this shared machine, and kernel interrupt work (loopback TCP runs partly in softirq). “gen. core"
        " use” is the generator's own CPU time (getrusage) over the window, the highest of its measurements: it must stay"
        " well below 100 % (⚠ marks 80 % or more: there the generator may have limited the rate). The × columns"
        " are logins/s ratios measured within the same pass or round (medians).",
        "",
        "## Required ratios",
        "",
        "The issue's measure is logins/s, compared within the same pass (the full-auth ratio: CPU time within"
        " the same round) (value, met). Because the machine is"
        " shared, the CPU-capacity ratio is given beside it: the same ratio computed from the servers' CPU time"
        " per login (logins per CPU-second), which does not depend on how much of the core the server was given.",
        "",
        "| criterion | logins/s ratio | required | met | CPU-capacity ratio | met |",
        "|---|--:|--:|---|--:|---|",
    ]

    def yes(flag):
        return "n/a" if flag is None else ("**yes**" if flag else "**no**")

    def criterionRows(criteria):
        for c in criteria:
            cpu = c.get("cpu_value")
            lines.append(
                f"| {c['criterion']} | {fmt(c['value'], 3)} | {c['direction']} {c['threshold']} |"
                f" {yes(c['met'])} | {fmt(cpu, 3) if cpu is not None else '(same)'} |"
                f" {yes(c.get('cpu_met')) if cpu is not None else ''} |"
            )

    required = [c for c in results["criteria"] if not c.get("informational")]
    informational = [c for c in results["criteria"] if c.get("informational")]
    criterionRows(required)
    if informational:
        lines += [
            "",
            "The same ratios for the same server listening with Twisted's stock ports (`twistd mysqlauth"
            " --stock-ports`) instead of its default prompt ports (`twisted_mysqlauth.server.serverEndpoint`:"
            " writes sent once the reactor has handled the poll that made them, see"
            " docs/benchmark/profile.md); for"
            " information, not the issue's measure of the shipped server:",
            "",
            "| criterion | logins/s ratio | required | met | CPU-capacity ratio | met |",
            "|---|--:|--:|---|--:|---|",
        ]
        criterionRows(informational)
    lines.append("")
    for c in results["criteria"]:
        if c.get("detail"):
            lines.append(f"- {c['criterion']}: {c['detail']}")
    fa = results.get("full_auth", {})
    lines += [
        "",
        "## Full authentication against the C primitives",
        "",
        f"- glibc `crypt()` `$5$rounds=5000$`: {fmt(fa.get('glibc_crypt_us'), 0)} µs;"
        f" OpenSSL RSA-2048 OAEP decrypt: {fmt(fa.get('openssl_rsa_decrypt_us'), 0)} µs;"
        f" together {fmt(fa.get('c_primitives_us'), 0)} µs (CPU time, best of 3, median over rounds, same core as"
        " the servers, the same password as the full-auth account).",
        f"- A second C baseline: SHA-crypt-256 over OpenSSL's SHA-256 (`bench/shacrypt.c`, how MySQL's own"
        f" `my_crypt_genhash` computes it; glibc's SHA-256 does not use the CPU's SHA instructions):"
        f" {fmt(fa.get('openssl_shacrypt_us'), 0)} µs, with the RSA decrypt {fmt(fa.get('c_openssl_primitives_us'), 0)}"
        f" µs; our whole full-auth login against it: {fmt(fa.get('ratio_vs_openssl_shacrypt'), 2)} ×"
        " (not the issue's criterion, which names glibc).",
        f"- This project's primitives alone: `shaCrypt256` {fmt(fa.get('python_shacrypt_us'), 0)} µs,"
        f" `RSAKeyPair.decryptPassword` {fmt(fa.get('project_decrypt_us'), 0)} µs.",
        f"- Our server, whole caching_sha2 full-auth login at c=32 (connect, greeting, fast check that fails,"
        f" 01 04, key request, RSA, SHA-crypt, OK, quit): {fmt(fa.get('ours_full_login_cpu_ms'), 3)} ms CPU;"
        f" a fast-path login: {fmt(fa.get('ours_fast_login_cpu_ms'), 3)} ms.",
        f"- Ratio whole login / C primitives (median of the per-round ratios; the primitives are measured as one"
        f" more cell of each round): **{fmt(fa.get('ratio_whole_login'), 2)}**; full-auth work only (minus a"
        f" fast-path login) / C primitives: {fmt(fa.get('ratio_auth_work_only'), 2)}.",
        "",
        "## Servers",
        "",
    ]
    for name in SERVER_ORDER:
        info = servers.get(name)
        if info is None:
            continue
        text = info.get("status", "measured")
        if info.get("version"):
            text += f"; {info['version']}"
        if info.get("start_error"):
            text += f"; start error: {info['start_error']}"
        lines.append(f"- {info.get('label', name)}: {text}")
    scale = results["setup"].get("scale", {})
    if scale:
        lines.append(
            f"- Scale datadir: {scale.get('accounts'):,} accounts loaded by `--init-file`"
            f" ({scale.get('init_statements')}) in {scale.get('init_file_seconds')} s; a start from that"
            f" datadir (what each round does) takes {scale.get('restart_seconds')} s to the first greeting."
        )
    lines += ["", "Chart: [chart.png](chart.png). Raw cells: [results.json](results.json).", ""]
    with open(path, "w") as f:
        f.write("\n".join(lines))


def writeChart(results: dict, path: str) -> bool:
    """
    Draw the chart with matplotlib from bench/.venv (a subprocess, so the
    benchmark's own Python needs no matplotlib).
    """
    script = r"""
import json, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
data = json.load(open(sys.argv[1]))
labels = data["labels"]; series = data["series"]; cpu = data["cpu"]
fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(13, 9), constrained_layout=True)
width = 0.27
xs = range(len(labels))
colors = {"1": "#9ecae1", "8": "#4292c6", "32": "#08519c"}
for i, c in enumerate(["1", "8", "32"]):
    ax1.bar([x + (i - 1) * width for x in xs], series[c], width, label=f"c={c}", color=colors[c])
    ax2.bar([x + (i - 1) * width for x in xs], cpu[c], width, label=f"c={c}", color=colors[c])
ax1.set_ylabel("logins/s (median)")
ax1.set_title(data["title"])
ax1.set_xticks(list(xs)); ax1.set_xticklabels(labels, rotation=20, ha="right", fontsize=8)
ax1.legend(); ax1.grid(axis="y", alpha=0.3)
ax2.set_ylabel("server CPU ms per login (log)")
ax2.set_yscale("log")
ax2.set_xticks(list(xs)); ax2.set_xticklabels(labels, rotation=20, ha="right", fontsize=8)
ax2.legend(); ax2.grid(axis="y", alpha=0.3)
fig.savefig(sys.argv[2], dpi=110)
"""
    rows = results["summary"]
    keys = []
    for r in sorted(rows, key=rowOrder):
        if (r["server"], r["case"]) not in keys:
            keys.append((r["server"], r["case"]))
    labels, series, cpu = [], {"1": [], "8": [], "32": []}, {"1": [], "8": [], "32": []}
    for server, case in keys:
        label = results["servers"].get(server, {}).get("label", server)
        labels.append(f"{label}\n{CASE_LABEL.get(case, case)}")
        for c in ("1", "8", "32"):
            row = next(
                (
                    r
                    for r in rows
                    if r["server"] == server and r["case"] == case and str(r["concurrency"]) == c
                ),
                None,
            )
            series[c].append((row or {}).get("logins_per_s") or 0)
            cpu[c].append((row or {}).get("server_cpu_ms_per_login") or 0)
    data = {
        "labels": labels,
        "series": series,
        "cpu": cpu,
        "title": f"Login throughput, one pinned core per server ({results['command']})",
    }
    spec = os.path.join(tempfile.gettempdir(), f"bench-chart-{os.getpid()}.json")
    with open(spec, "w") as f:
        json.dump(data, f)
    result = subprocess.run([venvPython(), "-c", script, spec, path], capture_output=True, text=True)
    os.remove(spec)
    if result.returncode:
        log("chart failed: " + result.stderr.strip()[-300:])
        return False
    return True


def writeProfile(results: dict, path: str) -> None:
    profile = results.get("profile") or {}
    lines = [
        "# Profile of the server at concurrency 32",
        "",
        f"From the run of {results['started']} (`{results['command']}`): py-spy sampling the `twistd mysqlauth`"
        " process (250 Hz, `--nonblocking`, idle time not sampled) while the load generator ran 32 concurrent"
        " logins; the last sections profile the same server listening with Twisted's stock ports"
        " (`--stock-ports`). In non-blocking mode py-spy drops the samples whose stack changed while it read it (a third"
        " to a half of them); the shares below are of the samples kept, and deep, fast-changing call chains are"
        " somewhat under-represented. The blocking mode keeps every sample but slows the server by a third.",
        "",
    ]
    sections = [(case, data, "") for case, data in profile.items()]
    sections += [
        (case, data, ", --stock-ports (Twisted's stock ports)")
        for case, data in (results.get("profile_stockports") or {}).items()
    ]
    for case, data, variant in sections:
        lines += [f"## {CASE_LABEL.get(case, case)}{variant}", ""]
        if "error" in data:
            lines += [f"py-spy failed: {data['error']}", ""]
            continue
        load = data.get("load") or {}
        lines += [
            f"{data['samples']} samples; under the profiler: {fmt(load.get('logins_per_s'), 0)} logins/s,"
            f" {fmt(load.get('server_cpu_ms_per_login'), 3)} ms CPU per login.",
            "",
            "Where the time goes (each sample counted once, by the innermost frame of a known part):",
            "",
            "| part | % of samples |",
            "|---|--:|",
        ]
        for item in data["categories"]:
            lines.append(f"| {item['function']} | {item['percent']} |")
        lines += ["", "Top functions by own time:", "", "| function | % |", "|---|--:|"]
        for item in data["self"][:20]:
            lines.append(f"| `{item['function']}` | {item['percent']} |")
        lines += [
            "",
            "Top Twisted and project functions by inclusive time:",
            "",
            "| function | % |",
            "|---|--:|",
        ]
        for item in data["inclusive"][:25]:
            lines.append(f"| `{item['function']}` | {item['percent']} |")
        lines.append("")
    notes = os.path.join(BENCH, "profile_findings.md")
    if os.path.exists(notes):
        with open(notes) as f:
            lines += ["", f.read()]
    with open(path, "w") as f:
        f.write("\n".join(lines))


def writeReports(results: dict) -> None:
    with open(os.path.join(DOCS, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    writeMarkdown(results, os.path.join(DOCS, "results.md"))
    writeChart(results, os.path.join(DOCS, "chart.png"))
    if results.get("profile"):
        writeProfile(results, os.path.join(DOCS, "profile.md"))


def main() -> None:
    global DOCS
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="one short round: a smoke run")
    parser.add_argument("--rounds", type=int, help="rounds (default 5, 1 with --quick)")
    parser.add_argument("--duration", type=float, help="seconds per cell (default 2, 0.8 with --quick)")
    parser.add_argument(
        "--scale-accounts", type=int, help="accounts of the scale case (default 100000, 10000 quick)"
    )
    parser.add_argument("--server-core", type=int, default=1)
    parser.add_argument("--client-core", type=int, default=0)
    parser.add_argument(
        "--passes",
        type=int,
        help="slices per cell of the ratio blocks, taking turns (default 4, 1 with --quick)",
    )
    parser.add_argument("--seed", type=int, default=None, help="seed of the shuffles")
    parser.add_argument("--no-mariadb", action="store_true")
    parser.add_argument(
        "--install-mariadb", action="store_true", help="apt-get install mariadb-server if missing"
    )
    parser.add_argument("--no-mimic", action="store_true")
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--only", help="comma-separated server names (for debugging; ratios may be missing)")
    parser.add_argument("--out", default=DOCS, help="where the results go (default docs/benchmark)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="only rewrite results.md, chart.png and profile.md from results.json",
    )
    args = parser.parse_args()
    if args.report_only:
        DOCS = os.path.abspath(args.out)
        with open(os.path.join(DOCS, "results.json")) as f:
            results = json.load(f)
        aggregate(results)
        writeReports(results)
        return

    atexit.register(killChildren)
    signal.signal(signal.SIGTERM, onSignal)
    signal.signal(signal.SIGINT, onSignal)
    DOCS = os.path.abspath(args.out)
    os.makedirs(DOCS, exist_ok=True)
    run = Run(args)
    log(f"work directory {run.tmp}")
    started = time.monotonic()
    try:
        run.run()
    finally:
        killChildren()
        if not args.keep:
            shutil.rmtree(run.tmp, ignore_errors=True)
    results = run.results
    results["wall_seconds"] = round(time.monotonic() - started, 1)
    aggregate(results)
    writeReports(results)
    log(f"done in {results['wall_seconds']} s: {os.path.relpath(DOCS, REPO)}/results.md")
    for c in results["criteria"]:
        state = "n/a" if c["met"] is None else ("MET" if c["met"] else "NOT MET")
        log(f"  {c['criterion']}: {fmt(c['value'], 3)} (need {c['direction']} {c['threshold']}) {state}")


if __name__ == "__main__":
    main()
