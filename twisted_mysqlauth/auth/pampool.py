# -*- test-case-name: tests.test_pam -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
A bounded pool of PAM worker processes (L{twisted_mysqlauth.auth.pamworker}).

PAM is blocking C code that may wait on anything (a network directory, a
second factor, a script), so it never runs on the reactor thread. It does
not run on a thread either: a thread stuck inside a PAM module can never be
stopped, while a process can. Each worker runs one PAM transaction at a
time; at most C{size} run at once and further logins wait their turn (their
login timeout still runs). A worker whose login is cancelled (the client
left, the login timed out) is killed at once and replaced when needed, so a
PAM stack that hangs costs one process for at most the login timeout.
Idle workers are reused.
"""

from __future__ import annotations

import json
import os
import struct
import sys
from collections import deque
from typing import Any, Callable, Deque, List, Optional, Tuple

import attr

from twisted.internet import defer, error
from twisted.internet.protocol import ProcessProtocol
from twisted.logger import Logger
from twisted.python.failure import Failure

from twisted_mysqlauth.auth import pamworker

_HEADER = struct.Struct(">I")

#: The environment of a worker (and so of what PAM modules run).
WORKER_ENVIRONMENT = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG": "C.UTF-8",
}

#: The largest message accepted from a worker.
MAX_MESSAGE = 1 << 20

#: PAM's message styles.
PROMPT_ECHO_OFF = 1
PROMPT_ECHO_ON = 2
ERROR_MSG = 3
TEXT_INFO = 4


@attr.s(frozen=True, auto_attribs=True)
class PAMRequest:
    """
    One PAM transaction to run.

    @ivar service: the PAM service (a file in C{/etc/pam.d}).
    @ivar user: C{PAM_USER} at the start.
    @ivar rhost: C{PAM_RHOST}, the client's host.
    @ivar tty: C{PAM_TTY}.
    @ivar confdir: a folder of service files to read instead of
        C{/etc/pam.d} (Linux-PAM's C{pam_start_confdir}), or L{None}.
    """

    service: str
    user: str
    rhost: Optional[str] = None
    tty: Optional[str] = None
    confdir: Optional[str] = None


@attr.s(frozen=True, auto_attribs=True)
class PAMResult:
    """
    How a PAM transaction ended.

    @ivar code: PAM's result code (0 is success).
    @ivar stage: the call that gave it: C{start}, C{authenticate} or
        C{acct_mgmt}.
    @ivar reason: PAM's text for the code.
    @ivar user: C{PAM_USER} at the end (after a module such as
        C{pam_user_map} changed it), on success.
    @ivar groups: the names of that user's OS groups, on success.
    """

    code: int
    stage: str
    reason: str = ""
    user: Optional[str] = None
    groups: Tuple[str, ...] = ()

    @property
    def succeeded(self) -> bool:
        return self.code == 0


class WorkerFailed(Exception):
    """
    A PAM worker died or spoke nonsense.
    """


#: C{converse(messages)}: the PAM messages of one conversation call, as
#: (style, bytes) pairs, to a L{Deferred} of the answers (bytes or
#: L{None} each), or of L{None} to abort the transaction.
Converse = Callable[[List[Tuple[int, bytes]]], defer.Deferred]


class PAMWorker(ProcessProtocol):
    """
    The server's side of one worker process.
    """

    _log = Logger()

    def __init__(self, pool: "PAMWorkerPool") -> None:
        self.pool = pool
        self.ready: defer.Deferred = defer.Deferred()
        self.ended: defer.Deferred = defer.Deferred()
        self._buffer = b""
        self._job: Optional[defer.Deferred] = None
        self._converse: Optional[Converse] = None
        self._answering: Optional[defer.Deferred] = None
        self._dead = False

    # process events

    def outReceived(self, data: bytes) -> None:
        self._buffer += data
        while len(self._buffer) >= _HEADER.size:
            (length,) = _HEADER.unpack_from(self._buffer)
            if length > MAX_MESSAGE:
                self._broken("message too long")
                return
            if len(self._buffer) < _HEADER.size + length:
                return
            body = self._buffer[_HEADER.size : _HEADER.size + length]
            self._buffer = self._buffer[_HEADER.size + length :]
            try:
                message = json.loads(body.decode("utf-8"))
            except ValueError:
                self._broken("not JSON")
                return
            self._messageReceived(message)

    def errReceived(self, data: bytes) -> None:
        # What PAM modules print; it never holds the conversation's answers.
        for line in data.decode("utf-8", "replace").splitlines():
            if line.strip():
                self._log.info("PAM worker: {line}", line=line[:500])

    def processEnded(self, reason: Failure) -> None:
        self._dead = True
        if not self.ready.called:
            self.ready.errback(WorkerFailed(f"the PAM worker did not start: {reason.value}"))
        self._finish(Failure(WorkerFailed(f"the PAM worker ended: {reason.value}")))
        self.pool._workerEnded(self)
        self.ended.callback(None)

    # the conversation

    def _messageReceived(self, message: Any) -> None:
        if not isinstance(message, dict):
            self._broken("not an object")
        elif message.get("ready") and not self.ready.called:
            self.ready.callback(self)
        elif "conversation" in message and self._job is not None:
            self._conversation(message["conversation"])
        elif "code" in message and self._job is not None:
            try:
                result = PAMResult(
                    code=int(message["code"]),
                    stage=str(message.get("stage", "")),
                    reason=str(message.get("reason") or ""),
                    user=message.get("user"),
                    groups=tuple(str(g) for g in message.get("groups") or ()),
                )
            except (TypeError, ValueError):
                self._broken("bad result")
                return
            job, self._job = self._job, None
            self._converse = None
            # Idle (and perhaps given the next transaction) before the
            # result is handed on, so that whoever gets it finds it free.
            self.pool._workerIdle(self)
            job.callback(result)
        else:
            self._broken("unexpected message")

    def _conversation(self, batch: Any) -> None:
        try:
            messages = [(int(style), str(text).encode("latin-1")) for style, text in batch]
        except (TypeError, ValueError):
            self._broken("bad conversation")
            return
        assert self._converse is not None
        d = self._answering = defer.maybeDeferred(self._converse, messages)

        def answered(answers: Optional[List[Optional[bytes]]]) -> None:
            self._answering = None
            if self._dead:
                return
            if answers is None or len(answers) != len(messages):
                self._send({"abort": True})
            else:
                self._send(
                    {"answers": [None if a is None else a.decode("latin-1") for a in answers]}
                )

        def failed(reason: Failure) -> None:
            self._answering = None
            if not self._dead:
                self._send({"abort": True})

        d.addCallbacks(answered, failed)

    # used by the pool

    def run(self, request: PAMRequest, converse: Converse) -> defer.Deferred:
        """
        Run one transaction.

        @return: a L{Deferred} firing with the L{PAMResult}.
        """
        self._job = defer.Deferred()
        self._converse = converse
        self._send(attr.asdict(request))
        return self._job

    def kill(self) -> None:
        """
        End the worker now, whatever it is doing.
        """
        if self._answering is not None:
            answering, self._answering = self._answering, None
            answering.cancel()
        if not self._dead:
            self._dead = True
            try:
                self.transport.signalProcess("KILL")
            except error.ProcessExitedAlready:
                pass

    def _send(self, message: Any) -> None:
        body = json.dumps(message).encode("utf-8")
        self.transport.write(_HEADER.pack(len(body)) + body)

    def _finish(self, result: Any) -> None:
        job, self._job = self._job, None
        self._converse = None
        if job is not None:
            if isinstance(result, Failure):
                job.errback(result)
            else:
                job.callback(result)

    def _broken(self, why: str) -> None:
        self._log.error("PAM worker protocol error: {why}", why=why)
        self._finish(Failure(WorkerFailed(why)))
        self.kill()


@attr.s(auto_attribs=True, eq=False)
class _Job:
    """
    A transaction waiting for, or running in, a worker.
    """

    request: PAMRequest
    converse: Converse
    done: Any = None
    worker: Optional[PAMWorker] = None

    def succeed(self, result: PAMResult) -> None:
        if not self.done.called:
            self.done.callback(result)

    def fail(self, reason: Failure) -> None:
        if not self.done.called:
            self.done.errback(reason)


class PAMWorkerPool:
    """
    At most C{size} PAM transactions at once, each in a worker process.

    @ivar size: the most workers at once.
    """

    _log = Logger()

    def __init__(self, reactor: Any, size: int = 8, command: Optional[List[str]] = None) -> None:
        if size < 1:
            raise ValueError("a PAM pool needs at least one worker")
        self.reactor = reactor
        self.size = size
        self.command = command or [
            sys.executable,
            "-I",
            os.path.abspath(pamworker.__file__),
            str(os.getpid()),
        ]
        self._idle: List[PAMWorker] = []
        self._all: List[PAMWorker] = []
        self._waiting: Deque[_Job] = deque()
        self._closed = False
        self._saturated = False
        self._trigger: Any = None

    @property
    def busy(self) -> int:
        """
        How many workers are running a transaction or starting.
        """
        return len(self._all) - len(self._idle)

    @property
    def workers(self) -> List[PAMWorker]:
        """
        The live workers.
        """
        return list(self._all)

    def authenticate(self, request: PAMRequest, converse: Converse) -> defer.Deferred:
        """
        Run a PAM transaction.

        @param converse: answers PAM's questions (see L{Converse}).
        @return: a L{Deferred} firing with the L{PAMResult}; cancelling it
            kills the worker running it (or drops it from the queue).
        """
        if self._closed:
            return defer.fail(WorkerFailed("the PAM pool is closed"))
        job = _Job(request, converse)

        def cancel(d: defer.Deferred) -> None:
            if job.worker is not None:
                job.worker.kill()
            elif job in self._waiting:
                self._waiting.remove(job)

        job.done = defer.Deferred(cancel)
        self._waiting.append(job)
        self._dispatch()
        if self._waiting and not self._saturated:
            self._saturated = True
            self._log.info(
                "all {size} PAM workers are busy: PAM logins wait for one",
                size=self.size,
            )
        elif not self._waiting:
            self._saturated = False
        return job.done

    def _dispatch(self) -> None:
        while self._waiting and (self._idle or len(self._all) < self.size):
            job = self._waiting.popleft()
            if self._idle:
                self._start(self._idle.pop(), job)
                continue
            try:
                worker = job.worker = self._spawn()
            except Exception as e:
                # No process (out of file descriptors or memory): this login
                # fails, and the slot stays free for the next.
                self._log.error("cannot start a PAM worker: {error}", error=e)
                job.fail(Failure(WorkerFailed(f"cannot start a PAM worker: {e}")))
                continue
            worker.ready.addCallbacks(
                lambda worker, job=job: self._start(worker, job),
                lambda reason, job=job: job.fail(reason),
            )

    def _start(self, worker: PAMWorker, job: "_Job") -> None:
        if job.done.called:
            # Cancelled while its worker started (and so killed).
            return
        job.worker = worker
        worker.run(job.request, job.converse).addCallbacks(job.succeed, job.fail)

    def _spawn(self) -> PAMWorker:
        if self._trigger is None:
            self._trigger = self.reactor.addSystemEventTrigger("before", "shutdown", self.close)
        worker = PAMWorker(self)
        self.reactor.spawnProcess(
            worker,
            self.command[0],
            self.command,
            env=dict(WORKER_ENVIRONMENT),
            childFDs={0: "w", 1: "r", 2: "r"},
        )
        # Counted only once it exists: a spawn that raised holds no slot.
        self._all.append(worker)
        return worker

    def _workerIdle(self, worker: PAMWorker) -> None:
        if worker._dead or self._closed:
            worker.kill()
            return
        if worker not in self._idle:
            self._idle.append(worker)
        self._dispatch()

    def _workerEnded(self, worker: PAMWorker) -> None:
        if worker in self._all:
            self._all.remove(worker)
        if worker in self._idle:
            self._idle.remove(worker)
        if not self._closed:
            self._dispatch()

    def close(self) -> defer.Deferred:
        """
        Stop every worker; waiting transactions fail.

        @return: a L{Deferred} firing once every worker process has ended.
        """
        self._closed = True
        if self._trigger is not None:
            try:
                self.reactor.removeSystemEventTrigger(self._trigger)
            except (ValueError, KeyError):
                pass
            self._trigger = None
        waiting, self._waiting = self._waiting, deque()
        for job in waiting:
            job.fail(Failure(WorkerFailed("the PAM pool is closed")))
        ended = [worker.ended for worker in self._all]
        for worker in list(self._all):
            if worker in self._idle:
                # An idle worker leaves cleanly when its input closes.
                worker.transport.closeStdin()
            else:
                worker.kill()
        return defer.DeferredList(ended, consumeErrors=True).addCallback(lambda ignored: None)
