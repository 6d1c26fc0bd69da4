#!/usr/bin/env python3
"""Runs one command and appends one JSON line about it to a results file: wall time, peak RSS
(from wait4's rusage, as /usr/bin/time -v reports it), CPU time, exit status, and the AWS API calls Cairn
logged (`cairn: aws SERVICE.Operation ...` lines on stderr, with CAIRN_LOG=debug), by operation.

    bench/measure.py --results FILE --log PREFIX [--expect 0,2] [--label key=value ...] -- COMMAND...

stdout and stderr go to PREFIX.out and PREFIX.err. Exits 1 (after recording) when the status is
not one of --expect (default 0), printing the command's last lines of output.
"""
import argparse
import collections
import json
import os
import re
import subprocess
import sys
import time

LINE = re.compile(r"^cairn: aws (.+?)\.([A-Za-z0-9]+) status=(\S+) attempt=(\d+)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--results", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--expect", default="0")
    parser.add_argument("--label", action="append", default=[])
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    labels = dict(label.split("=", 1) for label in args.label)
    for key in ("n", "rep", "parallelism"):
        if key in labels:
            labels[key] = int(labels[key])

    with open(args.log + ".out", "wb") as out, open(args.log + ".err", "wb") as err:
        started = time.monotonic()
        process = subprocess.Popen(command, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.monotonic() - started
    process.returncode = os.waitstatus_to_exitcode(status)

    ops = collections.Counter()
    attempts = 0
    with open(args.log + ".err", errors="replace") as err:
        for line in err:
            match = LINE.match(line)
            if match:
                attempts += 1
                if match.group(4) == "1":
                    ops[f"{match.group(1)}.{match.group(2)}"] += 1
    record = dict(labels, wall=round(wall, 4), rss_kb=usage.ru_maxrss, cpu=round(usage.ru_utime + usage.ru_stime, 3),
                  rc=process.returncode,
                  calls=sum(ops.values()), attempts=attempts, ops=dict(sorted(ops.items())),
                  command=" ".join(command))
    with open(args.results, "a") as results:
        results.write(json.dumps(record) + "\n")
    expected = {int(x) for x in args.expect.split(",")}
    if process.returncode not in expected:
        sys.stderr.write(f"bench: `{' '.join(command)}` exited {process.returncode} (expected {args.expect}):\n")
        for suffix in (".out", ".err"):
            with open(args.log + suffix, errors="replace") as f:
                tail = f.readlines()[-15:]
            sys.stderr.write("".join("    " + line for line in tail))
        sys.exit(1)
    print(f"  {labels.get('what', command[0])} [{labels.get('endpoint', '-')}] {wall:.2f} s"
          + (f", {record['calls']} calls" if record["calls"] else "")
          + f", {usage.ru_maxrss // 1024} MB peak", flush=True)


if __name__ == "__main__":
    main()
