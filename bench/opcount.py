"""
Python work per login, counted rather than timed: the bytecodes executed
and the Python functions called per login, for our server (twistd
mysqlauth as it is, and with --stock-ports) and for the Twisted floor.
Counts hardly depend on how busy the shared machine is (a few per cent:
the prompt ports' send after each poll, and the reactor's turn, are shared
by the logins of that poll), so a change to the login path can be compared
before and after in a minute.

    python bench/opcount.py                 # ours, ours --stock-ports, floor
    python bench/opcount.py --top 30        # and the 30 functions with the most bytecodes
    python bench/opcount.py --case sha2_fast --only ours   # caching_sha2's fast path

The server runs under sys.settrace (with per-opcode events) only while
the load generator makes N logins (8 at a time), after a warm-up; the
counts are divided by N. C functions (hashing, socket calls) count as the
bytecodes that call them. Needs bench/build/loadgen (python bench/run.py
builds it) and a datadir made by run.py (--datadir), or makes one.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)
sys.path.insert(0, BENCH)

#: Run inside the traced server (ours or the floor): count on SIGUSR1,
#: write the counts and exit on SIGUSR2.
TRACER = r"""
import collections, os, signal, sys
counts = collections.Counter(); calls = collections.Counter()
def tracer(frame, event, arg):
    if event == "call":
        frame.f_trace_opcodes = True
        calls[frame.f_code] += 1
        return tracer
    if event == "opcode":
        counts[frame.f_code] += 1
    return tracer
def start(*a):
    counts.clear(); calls.clear(); sys.settrace(tracer)
def dump(*a):
    sys.settrace(None)
    with open(os.environ["OPCOUNT_OUT"], "w") as f:
        for code, n in counts.items():
            f.write(f"{n}\t{calls[code]}\t{code.co_name}\t{code.co_filename}\n")
    os._exit(0)
signal.signal(signal.SIGUSR1, start)
signal.signal(signal.SIGUSR2, dump)
"""


#: The servers measured, by --only name.
LABELS = {
    "ours": "twisted_mysqlauth",
    "stockports": "twisted_mysqlauth, --stock-ports",
    "floor": "Twisted floor",
}


def launch(kind: str, port: int, datadir: str, out: str, tmp: str) -> subprocess.Popen:
    env = dict(os.environ, OPCOUNT_OUT=out, PYTHONPATH=REPO)
    if kind == "floor":
        code = TRACER + (
            f"sys.argv = ['floor.py', '--port', '{port}']; sys.path.insert(0, {BENCH!r});"
            " import floor; floor.main()"
        )
    else:
        extra = ", '--stock-ports'" if kind == "stockports" else ""
        code = TRACER + (
            f"sys.path.insert(0, {REPO!r}); "
            "from twisted.scripts.twistd import run; sys.argv[0] = 'twistd';"
            f" sys.argv[1:] = ['-n', '--pidfile=', '-l', {os.path.join(tmp, kind + '.log')!r}, 'mysqlauth',"
            f" '--datadir', {datadir!r}, '--listen', 'tcp:{port}:interface=127.0.0.1'{extra}]; run()"
        )
    return subprocess.Popen([sys.executable, "-c", code], env=env, cwd=REPO)


#: The login cases, by --case name: (our account, the generator's plugin).
CASES = {
    "native": ("bench_native", "native"),
    "sha2_fast": ("bench_sha2", "sha2"),
}


def loadgen(port: int, user: str, password: str, logins: int, plugin: str) -> None:
    import run as R

    subprocess.run(
        [R.LOADGEN, "--tcp", f"127.0.0.1:{port}", "--user", user, "--password", password, "--plugin", plugin,
         "--concurrency", "8", "--duration", "600", "--warmup", "0", "--max-logins", str(logins)],
        check=True,
        capture_output=True,
    )


def measure(kind: str, datadir: str, logins: int, tmp: str, case: str = "native") -> list:
    import run as R

    port = R.freePort()
    out = os.path.join(tmp, f"{kind}.counts")
    process = launch(kind, port, datadir, out, tmp)
    try:
        R.waitForGreeting(port, process, 60)
        # (The floor answers any login: it gets the generator's native one.)
        user, plugin = ("bench", "native") if kind == "floor" else CASES[case]
        password = R.PASSWORDS[user]
        loadgen(port, user, password, 200, plugin)
        process.send_signal(signal.SIGUSR1)
        time.sleep(0.3)
        loadgen(port, user, password, logins, plugin)
        time.sleep(0.3)
        process.send_signal(signal.SIGUSR2)
        process.wait(30)
    finally:
        if process.poll() is None:
            process.kill()
    rows = []
    with open(out) as f:
        for line in f:
            n, calls, name, filename = line.rstrip("\n").split("\t")
            for marker in ("site-packages/", REPO + "/"):
                if marker in filename:
                    filename = filename.split(marker, 1)[1]
            rows.append((int(n) / logins, int(calls) / logins, name, filename))
    rows.sort(reverse=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--logins", type=int, default=1000)
    parser.add_argument("--top", type=int, default=0, help="also list the functions with the most bytecodes")
    parser.add_argument(
        "--datadir", help="a datadir with run.py's accounts (default: made in a temporary folder)"
    )
    parser.add_argument("--only", default="ours,stockports,floor", help=", ".join(LABELS))
    parser.add_argument(
        "--case", default="native", choices=sorted(CASES), help="our servers' login case"
    )
    args = parser.parse_args()
    unknown = [kind for kind in args.only.split(",") if kind not in LABELS]
    if unknown:
        parser.error(f"--only: unknown {', '.join(unknown)} (known: {', '.join(LABELS)})")
    import run as R

    R.buildLoadgen()
    with tempfile.TemporaryDirectory(prefix="opcount-") as tmp:
        datadir = args.datadir
        if datadir is None:
            init = os.path.join(tmp, "main.sql")
            R.writeMainInit(init, False)
            stub = R.Run.__new__(R.Run)
            stub.tmp, stub.serverCore = tmp, None
            datadir = R.Run.prepareOurDatadir(stub, "ours", init)["datadir"]
        for kind in args.only.split(","):
            rows = measure(kind, datadir, args.logins, tmp, args.case)
            label = LABELS[kind]
            case = "native" if kind == "floor" else args.case
            print(
                f"{label}: {sum(r[0] for r in rows):,.0f} bytecodes and"
                f" {sum(r[1] for r in rows):,.0f} Python calls per {case} login"
            )
            for n, calls, name, filename in rows[: args.top]:
                print(f"  {n:8.1f} {calls:6.2f}  {name} ({filename})")


if __name__ == "__main__":
    main()
