# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
The PAM worker: a child process that runs PAM transactions for the server,
one at a time, relaying every PAM conversation to the server over its
standard input and output. The server kills it if a login times out or
its client leaves, so a PAM stack that hangs never holds the server (MariaDB
isolates PAM the same way, in its C{auth_pam_tool} helper).

It is started as a script (C{python -I pamworker.py SERVER_PID}) and
imports nothing but the standard library and python-pam's ctypes bindings
of libpam. It dies with the server, even a server killed with C{SIGKILL}
while a PAM module holds the worker.

Messages, each a 4-byte big-endian length and a JSON object; byte strings
travel as text decoded from Latin-1 (lossless)::

    server -> worker  {"service", "user", "rhost", "tty", "confdir"}
    worker -> server  {"conversation": [[style, text], ...]}
    server -> worker  {"answers": [text or null, ...]}  or  {"abort": true}
    worker -> server  {"code", "stage", "reason", "user", "groups"}

C{code} is the PAM result (0 is success) of C{stage} (C{start},
C{authenticate} or C{acct_mgmt}); C{user} is C{PAM_USER} after the
transaction (a module such as C{pam_user_map} may change it) and
C{groups} the names of that user's groups.
"""

import ctypes
import ctypes.util
import grp
import json
import os
import pwd
import struct
import sys

#: python-pam's ctypes bindings, imported by L{main} (the server imports
#: this module only for its path, and must work without python-pam).
_pam = None

PAM_SUCCESS = 0
PAM_CONV_ERR = 19
PAM_SERVICE = 1
PAM_USER = 2
PAM_TTY = 3
PAM_RHOST = 4
PAM_PROMPT_ECHO_OFF = 1
PAM_PROMPT_ECHO_ON = 2

_HEADER = struct.Struct(">I")
#: The largest message accepted from the server.
_MAX_MESSAGE = 1 << 20


class _Channel:
    """
    Framed JSON over two file descriptors.
    """

    def __init__(self, reader, writer):
        self.reader = reader
        self.writer = writer

    def read(self):
        header = self.reader.read(_HEADER.size)
        if len(header) < _HEADER.size:
            return None
        (length,) = _HEADER.unpack(header)
        if length > _MAX_MESSAGE:
            return None
        body = self.reader.read(length)
        if len(body) < length:
            return None
        return json.loads(body.decode("utf-8"))

    def write(self, message):
        body = json.dumps(message).encode("utf-8")
        self.writer.write(_HEADER.pack(len(body)) + body)
        self.writer.flush()


def _text(raw):
    return raw.decode("latin-1") if raw is not None else None


def _raw(text):
    return text.encode("latin-1")


class _LibPAM:
    """
    The libpam functions a transaction needs: python-pam's bindings, and
    C{pam_get_item} and C{pam_start_confdir} (Linux-PAM 1.4+), which it
    does not bind.
    """

    def __init__(self):
        _pam.PamAuthenticator._ensure_libs()
        self.bound = _pam.PamAuthenticator
        name = ctypes.util.find_library("pam") or "libpam.so.0"
        lib = ctypes.CDLL(name)
        self.getItem = lib.pam_get_item
        self.getItem.restype = ctypes.c_int
        self.getItem.argtypes = [_pam.PamHandle, ctypes.c_int, ctypes.POINTER(ctypes.c_void_p)]
        self.startConfdir = getattr(lib, "pam_start_confdir", None)
        if self.startConfdir is not None:
            self.startConfdir.restype = ctypes.c_int
            self.startConfdir.argtypes = [
                ctypes.c_char_p,
                ctypes.c_char_p,
                ctypes.POINTER(_pam.PamConv),
                ctypes.c_char_p,
                ctypes.POINTER(_pam.PamHandle),
            ]


def _groupsOf(user):
    """
    @return: the names of the groups C{user} belongs to (primary first), or
        an empty list for a name the OS does not know.
    """
    try:
        entry = pwd.getpwnam(user)
    except (KeyError, UnicodeEncodeError):
        return []
    names = []
    for gid in os.getgrouplist(user, entry.pw_gid):
        try:
            name = grp.getgrgid(gid).gr_name
        except KeyError:
            continue
        if name not in names:
            names.append(name)
    return names


def runTransaction(lib, channel, request):
    """
    One PAM transaction: start, authenticate, account management, end.

    @return: the result message.
    """
    calloc = lib.bound.calloc
    aborted = []

    def conversation(count, messages, responses, appdata):
        if aborted:
            return PAM_CONV_ERR
        batch = []
        for i in range(count):
            message = messages[i].contents
            batch.append([message.msg_style, _text(message.msg or b"")])
        channel.write({"conversation": batch})
        reply = channel.read()
        if reply is None:
            # The server is gone: nobody can answer.
            aborted.append(True)
            return PAM_CONV_ERR
        answers = reply.get("answers")
        if reply.get("abort") or not isinstance(answers, list) or len(answers) != count:
            aborted.append(True)
            return PAM_CONV_ERR
        array = ctypes.cast(calloc(count, ctypes.sizeof(_pam.PamResponse)), ctypes.POINTER(_pam.PamResponse))
        for i, answer in enumerate(answers):
            if answer is None:
                continue
            data = _raw(answer)
            buffer = calloc(len(data) + 1, 1)
            ctypes.memmove(buffer, data, len(data))
            array[i].resp = ctypes.cast(buffer, ctypes.c_char_p)
            array[i].resp_retcode = 0
        responses[0] = array
        return PAM_SUCCESS

    callback = _pam.conv_func(conversation)
    conv = _pam.PamConv(callback, None)
    handle = _pam.PamHandle()
    service = request["service"].encode("utf-8")
    user = request["user"].encode("utf-8")
    confdir = request.get("confdir")
    if confdir:
        if lib.startConfdir is None:
            return {"code": 4, "stage": "start", "reason": "this libpam has no pam_start_confdir"}
        code = lib.startConfdir(
            service, user, ctypes.byref(conv), confdir.encode("utf-8"), ctypes.byref(handle)
        )
    else:
        code = lib.bound.pam_start(service, user, ctypes.byref(conv), ctypes.byref(handle))
    if code != PAM_SUCCESS:
        return {"code": code, "stage": "start", "reason": "pam_start failed"}
    stage = "authenticate"
    try:
        for item, value in ((PAM_RHOST, request.get("rhost")), (PAM_TTY, request.get("tty"))):
            if value:
                lib.bound.pam_set_item(handle, item, ctypes.c_char_p(value.encode("utf-8")))
        code = lib.bound.pam_authenticate(handle, 0)
        if code == PAM_SUCCESS:
            stage = "acct_mgmt"
            code = lib.bound.pam_acct_mgmt(handle, 0)
        reason = _text(lib.bound.pam_strerror(handle, code))
        finalUser = None
        groups = []
        if code == PAM_SUCCESS:
            item = ctypes.c_void_p()
            if lib.getItem(handle, PAM_USER, ctypes.byref(item)) == PAM_SUCCESS and item.value:
                finalUser = ctypes.cast(item, ctypes.c_char_p).value.decode("utf-8", "replace")
            groups = _groupsOf(finalUser or request["user"])
        return {"code": code, "stage": stage, "reason": reason, "user": finalUser, "groups": groups}
    finally:
        lib.bound.pam_end(handle, code)


def _dieWithServer(serverPid):
    """
    Ask the kernel to kill this process when the server dies, even with
    C{SIGKILL} while a PAM module holds it (Linux C{PR_SET_PDEATHSIG}); the
    server may already be gone by then.
    """
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, 9, 0, 0, 0)  # PR_SET_PDEATHSIG, SIGKILL
    if serverPid and os.getppid() != serverPid:
        os._exit(1)


def main():
    global _pam
    _dieWithServer(int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 0)
    from pam import __internals

    _pam = __internals
    # The channel gets file descriptors of its own; a module that reads its
    # standard input gets nothing and one that prints goes to standard
    # error (which the server logs), never into the channel.
    reader = os.fdopen(os.dup(0), "rb")
    writer = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    channel = _Channel(reader, writer)
    lib = _LibPAM()
    channel.write({"ready": True})
    while True:
        request = channel.read()
        if request is None:
            return
        channel.write(runTransaction(lib, channel, request))


if __name__ == "__main__":
    main()
