#!/usr/bin/env python3
"""Runs a command and guarantees it does not outlive the test process that started it.

    python3 watchdog.py --parent-pid PID [--cleanup DIR]... [--pid-file FILE] -- COMMAND [ARG]...

- The command runs in its own session (so its whole process group can be killed) with
  PR_SET_PDEATHSIG=SIGKILL pointing at this watchdog: if the watchdog dies, even by SIGKILL,
  the kernel kills the command.
- The watchdog polls its own parent pid (every 0.2 s): when the test process is gone (the
  watchdog was re-parented), or on SIGTERM/SIGINT/SIGHUP, it stops the command (SIGTERM to its
  group, SIGKILL after 5 s), removes the --cleanup directories and exits 0.
  PR_SET_PDEATHSIG is deliberately NOT used towards the test process: it fires when the *thread*
  that spawned the child exits, and Swift spawns from short-lived pool threads.
- If the command exits on its own, the watchdog exits with the same status and keeps the
  --cleanup directories (they hold the logs needed to understand why).
"""
import argparse
import ctypes
import os
import shutil
import signal
import subprocess
import sys
import time

PR_SET_PDEATHSIG = 1


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--parent-pid", type=int, required=True)
    parser.add_argument("--cleanup", action="append", default=[])
    parser.add_argument("--pid-file")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given")

    if os.getppid() != args.parent_pid:
        print("watchdog: parent %d already gone" % args.parent_pid, file=sys.stderr)
        return 3

    stop_requests = []

    def on_signal(signum, _frame):
        stop_requests.append(signum)

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, on_signal)

    libc = ctypes.CDLL(None, use_errno=True)
    watchdog_pid = os.getpid()

    def in_child():
        os.setsid()
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != watchdog_pid:  # the watchdog died before prctl took effect
            os._exit(1)

    child = subprocess.Popen(command, preexec_fn=in_child, close_fds=True)
    if args.pid_file:
        with open(args.pid_file + ".tmp", "w") as handle:
            handle.write("%d\n" % child.pid)
        os.replace(args.pid_file + ".tmp", args.pid_file)

    while True:
        code = child.poll()
        if code is not None:
            print("watchdog: %s exited by itself with status %d" % (command[0], code), file=sys.stderr)
            return code if code >= 0 else 128 - code
        if stop_requests or os.getppid() != args.parent_pid:
            break
        time.sleep(0.2)

    stop(child)
    for directory in args.cleanup:
        shutil.rmtree(directory, ignore_errors=True)
    return 0


def stop(child):
    def kill_group(signum):
        try:
            os.killpg(child.pid, signum)
        except (ProcessLookupError, PermissionError):
            pass

    kill_group(signal.SIGTERM)
    try:
        child.wait(timeout=5)
    except subprocess.TimeoutExpired:
        kill_group(signal.SIGKILL)
        child.wait()
    kill_group(signal.SIGKILL)  # anything the command left behind in its group


if __name__ == "__main__":
    sys.exit(main())
