# -*- test-case-name: tests.test_bench -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
The benchmark's bookkeeping (bench/run.py, issue 8): the order of a
round's cells and how its ratios pair them. The benchmark itself is run by
hand (C{python bench/run.py}); these tests check, on made-up cells, that
it compares what it says it compares.
"""

from __future__ import annotations

import collections
import importlib.util
import os
import random
import statistics

from twisted.trial.unittest import SynchronousTestCase

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _loadRun():
    spec = importlib.util.spec_from_file_location(
        "_bench_run", os.path.join(ROOT, "bench", "run.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


if os.path.exists(os.path.join(ROOT, "bench", "run.py")):
    run = _loadRun()
else:  # pragma: no cover (a copy of the tests without the checkout)
    run = None


class _Server:
    def __init__(self, name: str) -> None:
        self.name = name


def _cells(names) -> list:
    """
    A round's cells, as C{Run.schedule} gets them.
    """
    out = []
    for name, case, c in names:
        server = None if name is None else _Server(name)
        out.append((server, None if case is None else {"case": case}, c))
    return out


def _key(cell) -> tuple:
    server, case, c = cell
    return (server.name if server else None, case["case"] if case else None, c)


ROUND = [
    ("ours", "native", 32),
    ("ours", "native", 1),
    ("ours", "sha2_fast", 32),
    ("floor", "native", 32),
    ("floor", "native", 8),
    ("mimic", "native", 32),
    ("mariadb", "native", 32),
    ("ours-10", "native_scale", 32),
    ("ours-scale", "native_scale", 32),
    ("ours", "sha2_full_rsa", 32),
    (None, None, None),
]


_SKIP = None if run is not None else "bench/run.py is not here (not a checkout)"


class ScheduleTests(SynchronousTestCase):
    """
    L{run.Run.schedule}.
    """

    skip = _SKIP

    def test_passes(self) -> None:
        """
        Each cell of a throughput block runs once per pass, every pass
        holding the whole block; a block's passes run one after another,
        and every other cell (the full-auth block, the cells outside the
        blocks) runs once, as pass L{None}.
        """
        order = run.Run.schedule(_cells(ROUND), random.Random(7), 4)
        counts = collections.Counter((_key(cell), passNo) for cell, passNo in order)
        for key in ROUND:
            block = [b for b in run.SLICED_BLOCKS if key in b]
            if block:
                self.assertEqual({counts[(key, p)] for p in (1, 2, 3, 4)}, {1}, key)
                self.assertEqual(counts[(key, None)], 0)
            else:
                self.assertEqual(counts[(key, None)], 1, key)
        self.assertEqual(len(order), 4 * 6 + 5)
        # A block's slices are contiguous, in pass order.
        for block in run.SLICED_BLOCKS:
            where = [i for i, (cell, _) in enumerate(order) if _key(cell) in block]
            self.assertEqual(where, list(range(where[0], where[0] + len(where))))
            passes = [order[i][1] for i in where]
            self.assertEqual(passes, sorted(passes))
        # The full-auth cell and the primitives run back to back.
        where = [
            i
            for i, (cell, _) in enumerate(order)
            if _key(cell) in (("ours", "sha2_full_rsa", 32), (None, None, None))
        ]
        self.assertEqual(where[1] - where[0], 1)

    def test_onePass(self) -> None:
        """
        With one pass nothing is sliced: every cell runs once, as pass
        L{None}.
        """
        order = run.Run.schedule(_cells(ROUND), random.Random(3), 1)
        self.assertEqual(sorted(map(repr, (_key(c) for c, _ in order))), sorted(map(repr, ROUND)))
        self.assertEqual({p for _, p in order}, {None})


def _cell(server, case, c, roundNo, rate, passNo=None, cpuMs=0.1, elapsed=None):
    elapsed = elapsed if elapsed is not None else (0.5 if passNo else 2.0)
    logins = rate * elapsed
    cell = {
        "server": server,
        "case": case,
        "concurrency": c,
        "round": roundNo,
        "logins": logins,
        "errors": 0,
        "elapsed_s": elapsed,
        "logins_per_s": rate,
        "server_cpu_s": cpuMs * logins / 1000,
        "server_cpu_ms_per_login": cpuMs,
        "server_cpu_frac": 1.0,
        "gen_cpu_s": 0.5 * elapsed,
        "gen_cpu_frac": 0.5,
        "p50_ms": 1.0,
        "p99_ms": 2.0,
    }
    if passNo is not None:
        cell.update({"pass": passNo, "slice_s": elapsed})
    return cell


def _results(cells, rounds=1) -> dict:
    return {"cells": cells, "rounds": rounds, "setup": {}}


class PairingTests(SynchronousTestCase):
    """
    The ratios of L{run.aggregate}.
    """

    skip = _SKIP

    def ratio(self, results, name) -> float:
        run.aggregate(results)
        return results["ratios"][name]

    def test_samePass(self) -> None:
        """
        Two slices of the same block are compared pass by pass; the value
        is the median of those ratios, not the ratio of the medians.
        """
        ours = [1000, 2000, 900, 1100]
        floor = [1000, 1000, 1000, 2000]
        cells = [_cell("ours", "native", 32, 1, r, p) for p, r in enumerate(ours, 1)]
        cells += [_cell("floor", "native", 32, 1, r, p) for p, r in enumerate(floor, 1)]
        ratio = self.ratio(_results(cells), "ours/native/c32 vs floor")
        perPass = [o / f for o, f in zip(ours, floor)]
        self.assertEqual(ratio["pairs"], [round(r, 3) for r in perPass])
        self.assertEqual(ratio["median"], round(statistics.median(perPass), 3))

    def test_outsideTheBlock(self) -> None:
        """
        A ratio whose other side is not in the block (MariaDB) compares the
        round's slices taken together (their logins over their time) with
        that cell, once per round; so does one between two blocks (the
        scale pair's server against the floor), whose passes are a block
        apart.
        """
        cells = [
            _cell("ours", "native", 32, 1, 1000, 1, elapsed=0.5),
            _cell("ours", "native", 32, 1, 3000, 2, elapsed=1.5),
            _cell("mariadb", "native", 32, 1, 2000),
            _cell("floor", "native", 32, 1, 1000, 1),
            _cell("floor", "native", 32, 1, 1000, 2),
            _cell("ours-10", "native_scale", 32, 1, 500, 1),
            _cell("ours-10", "native_scale", 32, 1, 1500, 2),
        ]
        results = _results(cells)
        # (1000 * 0.5 + 3000 * 1.5) / 2.0 = 2500 logins/s.
        self.assertEqual(self.ratio(results, "ours/native/c32 vs mariadb")["pairs"], [1.25])
        self.assertEqual(results["ratios"]["ours-10/native_scale/c32 vs floor"]["pairs"], [1.0])

    def test_cellsOfOldRuns(self) -> None:
        """
        Cells with no pass (a results.json of a run before the passes, read
        with --report-only) are compared round by round.
        """
        cells = [
            _cell("ours", "native", 32, 1, 1000),
            _cell("floor", "native", 32, 1, 800),
            _cell("ours", "native", 32, 2, 900),
            _cell("floor", "native", 32, 2, 1000),
        ]
        self.assertEqual(self.ratio(_results(cells, 2), "ours/native/c32 vs floor")["pairs"], [1.25, 0.9])

    def test_cpuCapacity(self) -> None:
        """
        The CPU-capacity ratio of a criterion is the other side's CPU time
        per login over ours, pass by pass.
        """
        cells = [
            _cell("ours", "sha2_fast", 32, 1, 1000, 1, cpuMs=0.08),
            _cell("floor", "native", 32, 1, 1000, 1, cpuMs=0.1),
        ]
        results = _results(cells)
        run.aggregate(results)
        [criterion] = [
            c for c in results["criteria"] if c["criterion"] == "sha2_fast c=32 vs Twisted floor"
        ]
        self.assertEqual(criterion["value"], 1.0)
        self.assertEqual(criterion["cpu_value"], 1.25)

    def test_generatorCoreUse(self) -> None:
        """
        The generator's core use of a row is that of its busiest round, its
        slices taken together: one short slice does not stand for a round.
        """
        a = _cell("ours", "native", 32, 1, 1000, 1)
        b = _cell("ours", "native", 32, 1, 1000, 2)
        a["gen_cpu_s"], a["gen_cpu_frac"] = 0.45, 0.9
        b["gen_cpu_s"], b["gen_cpu_frac"] = 0.05, 0.1
        results = _results([a, b])
        run.aggregate(results)
        [row] = results["summary"]
        self.assertAlmostEqual(row["gen_cpu_frac_max"], 0.5)
