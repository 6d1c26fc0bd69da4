#!/usr/bin/env python3
"""Cairn at AWS's rate limits (issue 12): `cairn apply` and `cairn destroy` of bench-synthetic (N resources) through
the fault proxy (Tests/TestSupport/scripts/fault_proxy.py) holding every API (service and operation) to RATE
requests a second with a bucket of BURST, as AWS throttles per API. Prints, for the apply and the destroy:

- goodput: the requests that got through, as a share of what the limit allowed while each API was busy
  (BURST + RATE x its busy time: from its first answer to its last success, less the gaps longer than two token
  intervals, where it waited for Cairn rather than for the limit), over the APIs called at least 10 times;
- the share of all requests that were throttled;
- whether the command finished (Cairn must never give up because of throttling).

    bench/throttling.py --cairn PATH --moto http://127.0.0.1:PORT [--n 100] [--rate 5] [--burst 5] [--state-dir DIR]

Targets: the apply's goodput >= 90% and throttled <= 10%; both commands succeed. Exits 0 when met, 3 when not,
1 on error.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROXY = os.path.join(ROOT, "Tests", "TestSupport", "scripts", "fault_proxy.py")


def control(endpoint, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(endpoint + path, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        text = answer.read()
    return json.loads(text) if text.strip().startswith((b"{", b"[")) else None


def measure(stats, rate, burst):
    """(goodput share, throttled share, busy APIs) from the proxy's statistics.

    An API is busy from its first answer to its last success, less the gaps between successes longer than two
    token intervals: there the API waited for Cairn (a resource's dependencies), not for the limit."""
    allowed = got = 0.0
    busy = []
    for name, op in stats["operations"].items():
        times = op.get("ok_at") or []
        if op["ok"] < 10 or op.get("first_at") is None or not times:
            continue
        window = 0.0
        previous = op["first_at"]
        for moment in times:
            window += min(moment - previous, 2.0 / rate)
            previous = moment
        allowed += burst + rate * window
        got += op["ok"]
        busy.append((name, op["ok"], op["throttled"], window))
    totals = stats["totals"]
    throttled = totals["throttled"] / totals["requests"] if totals["requests"] else 0.0
    return (got / allowed if allowed else 0.0), throttled, busy


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cairn", required=True)
    parser.add_argument("--moto", required=True, help="moto's URL, http://127.0.0.1:PORT")
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--rate", type=float, default=5.0)
    parser.add_argument("--burst", type=int, default=5)
    parser.add_argument("--state-dir")
    parser.add_argument("--log-dir")
    args = parser.parse_args()

    upstream = args.moto.split("://", 1)[-1].rstrip("/")
    proxy = subprocess.Popen(
        [sys.executable, PROXY, "--upstream", upstream, "--parent-pid", str(os.getpid())],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = proxy.stdout.readline()
        if not line.startswith("ready "):
            print("bench/throttling.py: the fault proxy did not start", file=sys.stderr)
            return 1
        endpoint = "http://127.0.0.1:%s" % line.split()[1]
        control(endpoint, "POST", "/__fault/rules", {"action": "rate_limit", "match": "*", "rate": args.rate, "burst": args.burst, "per": "operation"})
        state = args.state_dir or tempfile.mkdtemp(prefix="cairn-throttling-")
        logs = args.log_dir or state
        os.makedirs(state, exist_ok=True)
        os.makedirs(logs, exist_ok=True)
        env = dict(os.environ, AWS_ENDPOINT_URL=endpoint)
        env.pop("CAIRN_LOG", None)
        met = True
        print(f"bench-synthetic, {args.n} resources, every API held to {args.rate:g} requests/s (bucket of {args.burst})")
        for command in ("apply", "destroy"):
            control(endpoint, "POST", "/__fault/stats/reset")
            with open(os.path.join(logs, f"throttling-{command}.log"), "w") as log:
                finished = subprocess.run(
                    [args.cairn, command, "bench-synthetic", "--env", f"n{args.n}", "--auto-approve", "--state-dir", state],
                    env=env, stdout=log, stderr=subprocess.STDOUT).returncode == 0
            goodput, throttled, busy = measure(control(endpoint, "GET", "/__fault/stats"), args.rate, args.burst)
            # The targets are the apply's (issue 12); the destroy must finish, and its numbers are shown.
            targeted = command == "apply"
            ok = finished and (not targeted or (goodput >= 0.9 and throttled <= 0.1))
            met = met and ok
            print(f"  {command:8} {'finished' if finished else 'FAILED (see ' + log.name + ')'}   "
                  f"goodput {goodput:6.1%} of the allowed rate{' (target >= 90%)' if targeted else ''}   "
                  f"throttled {throttled:5.1%} of requests{' (target <= 10%)' if targeted else ''}   {'met' if ok else 'MISSED'}")
            for name, got, limited, window in sorted(busy, key=lambda b: (-b[2], -b[1]))[:8]:
                print(f"           {name:40} {got:5d} ok {limited:4d} throttled over {window:6.1f} s")
            if os.environ.get("THROTTLING_DEBUG"):
                stats = control(endpoint, "GET", "/__fault/stats")
                for name, op in stats["operations"].items():
                    if op["throttled"]:
                        print("   ", name, op["requests"], op["ok"], op["throttled"])
        return 0 if met else 3
    finally:
        proxy.terminate()
        proxy.wait()


if __name__ == "__main__":
    sys.exit(main())
