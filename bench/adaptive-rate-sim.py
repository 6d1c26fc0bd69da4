#!/usr/bin/env python3
"""Simulates Cairn's adaptive retry mode (Sources/CairnAWS/Core/AdaptiveRateLimiter.swift) against one API that
allows RATE requests a second (a token bucket holding one second's worth), with CALLERS operations at once, in
simulated time. Prints goodput (share of the allowed rate that got through) and the share of requests throttled,
for backoff alone, the SDKs' CUBIC constants (scale 0.4) and Cairn's (scale 0.1).

    bench/adaptive-rate-sim.py [--calls 300] [--callers 10] [--rate 5]

The model mirrors the Swift code; AdaptiveRateLimiterTests runs the same experiment against the Swift limiter.
"""
import argparse
import heapq
import math
import random

BUCKET_WIDTH, SMOOTHING, MINIMUM_RATE, BETA = 0.5, 0.8, 0.5, 0.7


class Limiter:
    def __init__(self, scale):
        self.scale = scale
        self.enabled = False
        self.fill, self.capacity, self.tokens, self.last_refill = MINIMUM_RATE, 1.0, 1.0, None
        self.measured, self.bucket_start, self.answers = 0.0, None, 0
        self.rate_at_throttle, self.last_throttle, self.window = 0.0, 0.0, 0.0
        self.successes_before_throttling = 0

    def refill(self, now):
        if self.last_refill is not None and now > self.last_refill:
            self.tokens = min(self.capacity, self.tokens + (now - self.last_refill) * self.fill)
        self.last_refill = now if self.last_refill is None else max(now, self.last_refill)

    def acquire(self, now):
        """Zero when a token was taken, else the wait before asking again."""
        if not self.enabled:
            return 0.0
        self.refill(now)
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return max((1 - self.tokens) / self.fill, 0.001)

    def record(self, now, throttled, sent):
        bucket = math.floor(now / BUCKET_WIDTH) * BUCKET_WIDTH
        self.answers += 1
        if self.bucket_start is None:
            self.bucket_start = bucket
        elif bucket > self.bucket_start:
            current = self.answers / (bucket - self.bucket_start)
            self.measured = current * SMOOTHING + self.measured * (1 - SMOOTHING)
            self.answers, self.bucket_start = 0, bucket
        measured = max(self.measured, self.answers / max(now - self.bucket_start, BUCKET_WIDTH))
        if throttled:
            if self.enabled and sent < self.last_throttle:
                return
            bucket = self.successes_before_throttling
            ended_burst = not self.enabled and 0 < bucket < measured
            sending = min(measured, self.fill) if self.enabled else (bucket if ended_burst else measured)
            # A first throttle ending a burst paces at the burst's size a second, without a cut.
            beta = 1.0 if ended_burst else BETA
            self.rate_at_throttle, self.last_throttle = sending, now
            self.window = (sending * (1 - beta) / self.scale) ** (1 / 3)
            rate = sending * beta
            if not self.enabled:
                self.enabled, self.last_refill, self.tokens = True, now, 0.0
        else:
            if not self.enabled:
                self.successes_before_throttling += 1
                return
            rate = self.scale * (now - self.last_throttle - self.window) ** 3 + self.rate_at_throttle
        rate = min(rate, 2 * measured)
        self.refill(now)
        self.fill = max(rate, MINIMUM_RATE)
        self.capacity = max(self.fill, 1.0)
        self.tokens = min(self.tokens, self.capacity)


def simulate(calls, callers, rate, scale=None, latency=0.05, seed=42):
    """scale None: backoff alone. Returns (goodput share of `rate`, throttled share of requests)."""
    rng = random.Random(seed)
    limiter = Limiter(scale) if scale else None
    server_tokens, server_fill = rate, 0.0
    events, order = [], 0
    remaining, completed, requests, throttled, finished = calls, 0, 0, 0, 0.0

    def push(time, kind, data):
        nonlocal order
        order += 1
        heapq.heappush(events, (time, order, kind, data))

    for _ in range(min(callers, calls)):
        remaining -= 1
        push(0.0, "acquire", 0)
    while events:
        now, _, kind, data = heapq.heappop(events)
        if kind == "acquire":
            wait = limiter.acquire(now) if limiter else 0.0
            push(now + wait, "send" if wait == 0 else "acquire", data)
        elif kind == "send":
            requests += 1
            server_tokens = min(rate, server_tokens + (now - server_fill) * rate)
            server_fill = now
            ok = server_tokens >= 1
            if ok:
                server_tokens -= 1
            else:
                throttled += 1
            push(now + latency, "answer", (data, ok, now))
        else:
            throttles, ok, sent = data
            if limiter:
                limiter.record(now, not ok, sent)
            if ok:
                completed, finished = completed + 1, now
                if remaining:
                    remaining -= 1
                    push(now, "acquire", 0)
            else:
                # Full-jitter backoff, 1 s doubling, at most 20 s.
                push(now + rng.random() * min(20.0, 2.0 ** throttles), "acquire", throttles + 1)
    return completed / finished / rate, throttled / requests


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--callers", type=int, default=10)
    parser.add_argument("--rate", type=float, default=5.0)
    args = parser.parse_args()
    print(f"{args.calls} calls, {args.callers} at once, API allowing {args.rate:g} requests/s")
    for label, scale in [("backoff alone (standard)", None), ("adaptive, scale 0.4 (the SDKs')", 0.4), ("adaptive, scale 0.1 (Cairn's)", 0.1)]:
        goodput, throttled = simulate(args.calls, args.callers, args.rate, scale)
        print(f"  {label:32} goodput {goodput:6.1%} of the allowed rate   throttled {throttled:6.1%} of requests")


if __name__ == "__main__":
    main()
