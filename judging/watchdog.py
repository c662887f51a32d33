"""``judging serve`` on Linux: a watchdog that holds the listening socket and runs the server
in a child process, with a standby beside it that serves at once if that one dies.

A server process can die mid-contest without anyone stopping it: the kernel's out-of-memory
killer, a crash in a C library, a ``kill -9`` by mistake. Everything acknowledged is in the log
(judging/store.py), so what is lost is time: someone has to notice and start the server again,
while a hall's clients are refused. Here nobody has to. The watchdog keeps the listening socket
open, so the clients' reconnections wait in its queue instead of being refused, and a standby
child has recovered the state and follows the log: told that the server died, it reads the
last events and serves, 35 to 52 ms after the kill at the median (docs/benchmarks.md: a
million events, a thousand clients). If no standby is ready (it is still recovering), a new
child forked from the watchdog, which has imported everything, recovers from the log and the
checkpoint instead: 0.13 to 0.24 s.

The children die with the watchdog (``PR_SET_PDEATHSIG``), so killing ``judging serve`` still
stops everything and frees the port. Ctrl+C and SIGTERM stop the child as before (the
watchdog passes them on, and waits). A child that keeps dying as it starts (5 times in a row,
each within two seconds) is not started again: something is wrong that a restart will not mend.
"""

from __future__ import annotations

import ctypes
import errno
import os
import select
import signal
import socket
import sys
import time
import traceback
from pathlib import Path
from typing import Callable

PR_SET_PDEATHSIG = 1  # linux/prctl.h
PR_SET_NAME = 15
GIVE_UP = (5, 2.0)  # deaths in a row, each that many seconds after its start or sooner
# Process names (ps, top; /proc/PID/comm) of the serving process and of the standby.
SERVING_NAME, STANDBY_NAME = b"judging-serve", b"judging-standby"

Serve = Callable[[socket.socket, Callable[[], None]], int]  # (socket, serving) -> exit code
# (socket, told(timeout): True once it is to serve, serving) -> exit code
Standby = Callable[[socket.socket, Callable[[float], bool], Callable[[], None]], int]


def listen(host: str, port: int, backlog: int, wait: float = 1.0) -> socket.socket:
    """A listening socket on ``host``:``port``. A server killed a moment ago may still hold
    the port while it dies (its child goes a little after it): tried again for ``wait`` s."""
    family, _, _, _, addr = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    deadline = time.monotonic() + wait
    while True:
        try:
            return socket.create_server(addr[:2], family=family, backlog=backlog)
        except OSError as e:
            if e.errno != errno.EADDRINUSE or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def available() -> bool:
    """Can this system run the watchdog (Linux with fork and pidfds: 5.3 or later)?"""
    if not (sys.platform.startswith("linux") and hasattr(os, "fork") and hasattr(os, "pidfd_open")):
        return False
    try:
        os.close(os.pidfd_open(os.getpid()))
    except OSError:
        return False
    return True


def die_with(parent: int) -> None:
    """This process is killed when ``parent`` dies (and ends now if it is already gone)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the watchdog died before that took hold
        os._exit(1)


class _Process:
    """A child of the watchdog: forked to run ``run`` and exit with its code."""

    def __init__(self, run: Callable[[], int], parent: int, name: bytes = SERVING_NAME):
        sys.stdout.flush()
        self.born = time.monotonic()
        self.pid = os.fork()
        if self.pid == 0:
            code = 1
            try:  # whatever happens, the child never returns into the watchdog's code
                set_name(name)
                code = _child(run, parent)
            finally:
                os._exit(code)
        self.fd = os.pidfd_open(self.pid)  # readable once it has died
        # A standby's pipes: ``go`` (written: serve now), ``up`` (read: it has recovered).
        self.go = self.up = -1
        self.ready = False

    def close_pipes(self) -> None:
        for fd in (self.go, self.up):
            if fd >= 0:
                os.close(fd)
        self.go = self.up = -1

    def reap(self) -> int:
        """Wait for it to end; its wait status."""
        _, status = os.waitpid(self.pid, 0)
        os.close(self.fd)
        return status

    def kill(self, signum: int = signal.SIGKILL) -> None:
        try:
            os.kill(self.pid, signum)
        except ProcessLookupError:
            pass


def supervise(serve: Serve, sock: socket.socket, standby: Standby | None = None) -> int:
    """Run ``serve(sock, serving)`` in a child, again each time the child is killed; returns
    the exit code of the child that stopped of its own accord (0 after Ctrl+C or SIGTERM).

    Once a server process says it is serving (``serving()``), ``standby(sock, told,
    serving)`` runs in a second child: it recovers the state and keeps up with the log,
    asking ``told(timeout)`` in between; when the server process dies, ``told`` returns True
    and the standby serves in its place (and another standby is started). Without one, a new
    server process recovers from the log and checkpoint."""
    stopping = False
    quick = 0  # deaths in a row soon after the start
    parent = os.getpid()
    ready_r, ready_w = os.pipe()  # a byte from each server process once it serves
    server: _Process | None = None
    spare: _Process | None = None  # the standby
    spare_failed = 0

    def serving() -> None:
        os.write(ready_w, b"!")

    def forward(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        if server is not None:
            server.kill(signum)
        if spare is not None:
            spare.kill()  # writes nothing: it only reads the log

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    server = _Process(lambda: serve(sock, serving), parent)
    while True:
        waiting = [server.fd, ready_r] + ([spare.fd] + ([spare.up] if spare.up >= 0 else []) if spare is not None else [])
        readable, _, _ = select.select(waiting, [], [])
        if spare is not None and spare.up in readable:
            spare.ready = bool(os.read(spare.up, 1))  # b"": it died first (reaped below)
            os.close(spare.up)
            spare.up = -1
        if ready_r in readable:
            os.read(ready_r, 64)
            if standby is not None and spare is None and not stopping and spare_failed < GIVE_UP[0]:
                go_r, go = os.pipe()
                up_r, up_w = os.pipe()

                def run_standby(go_r: int = go_r, go: int = go, up_r: int = up_r, up_w: int = up_w) -> int:
                    os.close(go)
                    os.close(up_r)
                    return standby(sock, _Told(go_r, up_w), serving)

                spare = _Process(run_standby, parent, STANDBY_NAME)
                spare.go, spare.up = go, up_r
                os.close(go_r)
                os.close(up_w)
        if spare is not None and spare.fd in readable:
            _retire(spare)  # died before it was needed: another, unless it keeps dying
            spare_failed = spare_failed + 1 if time.monotonic() - spare.born <= GIVE_UP[1] else 0
            spare = None
            if not stopping and spare_failed < GIVE_UP[0]:
                serving()  # as if the server had just said it serves: start another
        if server.fd not in readable:
            continue
        status = server.reap()
        if os.WIFEXITED(status) or stopping:
            if spare is not None:
                _retire(spare, kill=True)
            return os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1
        name = signal.Signals(os.WTERMSIG(status)).name
        quick = quick + 1 if time.monotonic() - server.born <= GIVE_UP[1] else 0
        if quick >= GIVE_UP[0]:
            if spare is not None:
                _retire(spare, kill=True)
            print(f"error: the server process died {quick} times in a row as it started ({name}); not starting it again", flush=True)
            return 1
        if spare is not None and not spare.ready:
            # Still recovering (from the whole log, say): a new process may have a checkpoint.
            _retire(spare, kill=True)
            spare = None
        if spare is not None:
            print(f"the server process was killed ({name}); the standby serves in its place", flush=True)
            os.write(spare.go, b"!")
            spare.close_pipes()
            server, spare = spare, None
            server.born = time.monotonic()
        else:
            print(f"the server process was killed ({name}); starting it again from the log", flush=True)
            server = _Process(lambda: serve(sock, serving), parent)
        if stopping:  # asked to stop while the next one started: it may not have heard
            server.kill(signal.SIGTERM)


def serving_process(watchdog: int) -> int | None:
    """The pid of the process serving under the watchdog ``watchdog``, if one is."""
    for pid in Path(f"/proc/{watchdog}/task/{watchdog}/children").read_text().split():
        try:
            if Path(f"/proc/{pid}/comm").read_bytes().strip() == SERVING_NAME:
                return int(pid)
        except FileNotFoundError:
            pass  # it has just died
    return None


def _retire(spare: _Process, kill: bool = False) -> None:
    """A standby that will not serve: (killed and) reaped, its pipes closed."""
    if kill:
        spare.kill()
    spare.reap()
    spare.close_pipes()


class _Told:
    """The standby's question: is it to serve now? ``told(timeout)`` waits up to ``timeout`` s
    for the answer. Asked once it has recovered: the first time tells the watchdog so."""

    def __init__(self, go: int, up: int):
        self.go, self.up = go, up

    def __call__(self, timeout: float) -> bool:
        if self.up >= 0:
            os.write(self.up, b"!")
            os.close(self.up)
            self.up = -1
        if not select.select([self.go], [], [], timeout)[0]:
            return False
        if not os.read(self.go, 1):
            os._exit(1)  # the watchdog is gone (PR_SET_PDEATHSIG kills us anyway)
        set_name(SERVING_NAME)
        return True


def set_name(name: bytes) -> None:
    """This process's name in ps and top (/proc/PID/comm), where Linux lets it be set."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_NAME, ctypes.c_char_p(name), 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _child(run: Callable[[], int], parent: int) -> int:
    """The server process: its exit code. It ends with os._exit (none of the watchdog's
    cleanup runs twice), so what would have ended the program is reported here."""
    code = 1
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        die_with(parent)
        code = run()
    except KeyboardInterrupt:
        code = 130
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    return code
