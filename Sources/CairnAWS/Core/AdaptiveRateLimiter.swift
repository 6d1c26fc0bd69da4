import Foundation

/// Client-side rate limiting that learns, for each API, the rate AWS allows from its throttling answers: the AWS
/// SDKs' "adaptive" retry mode. Each API (service and operation) has a token bucket that stays off until AWS first
/// throttles that API, so calls AWS never throttles never wait. At a throttle the bucket's fill rate drops to 70% of
/// the rate that was being sent (a first throttle that ends a burst sets it to the burst's size a second instead: see
/// `record`); every successful answer then lets it grow back along a cubic curve (CUBIC, as in TCP
/// congestion control): fast far from the rate at which AWS said no, slowly near it, and then past it to probe.
/// It never grows beyond twice the rate actually measured, so an idle API does not bank a burst.
///
/// Time comes from the client's clock, so tests drive it exactly; the caller sleeps for the wait `admit` returns.
actor AdaptiveRateLimiter {
    /// CUBIC's multiplicative decrease and scaling constant, and the smallest fill rate (one request every 2 s). The
    /// SDKs use a scale of 0.4; 0.1 makes the curve stay longer near the rate AWS allows, so that about a quarter
    /// fewer requests are throttled when ten operations run at once (bench/adaptive-rate-sim.py compares them).
    static let beta = 0.7
    static let scale = 0.1
    static let minimumRate = 0.5
    /// The measured sending rate is updated every half second, smoothed.
    static let bucketWidth = 0.5
    static let smoothing = 0.8

    /// One API's bucket and what CUBIC remembers about it.
    struct State: Sendable {
        var enabled = false
        var fillRate = AdaptiveRateLimiter.minimumRate
        var capacity = 1.0
        var tokens = 1.0
        var lastRefill: Double?
        // The answer rate measured in half-second buckets.
        var measuredRate = 0.0
        var bucketStart: Double?
        var answersInBucket = 0
        /// Successful answers before the first throttle: AWS's bucket for the API held at least that many.
        var successesBeforeThrottling = 0
        // CUBIC: the rate at the last throttle, when it came, and the time the curve takes back to that rate.
        var rateAtThrottle = 0.0
        var lastThrottle = 0.0
        var window = 0.0
    }

    private let clock: any AWSClock
    private var apis: [String: State] = [:]

    init(clock: any AWSClock) { self.clock = clock }

    private var now: Double { clock.now().timeIntervalSinceReferenceDate }

    /// Whether a request may go now: `api` is not paced (AWS never throttled it), or a token was taken for it, or
    /// not yet (the wait until the next token).
    enum Admission: Equatable {
        case unpaced
        case admitted
        case wait(Duration)
    }

    /// Takes a token for `api` if one is there; otherwise says how long until the next one, and the caller asks again
    /// after that wait. Asking again, rather than reserving a token ahead, lets a rate cut made meanwhile slow down
    /// every waiter at once.
    func admit(_ api: String) -> Admission {
        guard var state = apis[api], state.enabled else { return .unpaced }
        refill(&state, now: now)
        defer { apis[api] = state }
        if state.tokens >= 1 {
            state.tokens -= 1
            return .admitted
        }
        return .wait(.microseconds(max(Int64(((1 - state.tokens) / state.fillRate * 1_000_000).rounded(.up)), 1000)))
    }

    /// Learns from an answer to `api` to a request sent at `sent`: `throttled` when AWS said to slow down. Throttles
    /// of requests sent before the last cut belong to the same episode and do not cut again (as TCP reacts once per
    /// loss event), or ten requests in flight would cut the rate ten times.
    func record(_ api: String, throttled: Bool, sent: Date? = nil) {
        var state = apis[api] ?? State()
        let now = self.now
        measure(&state, now: now)
        // Before a first half-second has been measured, the answers so far give the rate.
        let measured = max(state.measuredRate, Double(state.answersInBucket) / max(now - (state.bucketStart ?? now), Self.bucketWidth))
        var rate: Double
        if throttled {
            if state.enabled, let sent, sent.timeIntervalSinceReferenceDate < state.lastThrottle {
                apis[api] = state
                return
            }
            // At a first throttle the burst that hit it inflates the measured rate; the successes before it tell the
            // size of AWS's bucket, and AWS's buckets refill at most about that much a second.
            let bucket = Double(state.successesBeforeThrottling)
            let endedBurst = !state.enabled && bucket > 0 && bucket < measured
            let sending = state.enabled ? min(measured, state.fillRate) : endedBurst ? bucket : measured
            // A first throttle that ended a burst says how much AWS's bucket held, not that a steady rate was too
            // much: the pace starts at that much a second and the curve climbs from there, rather than from 70% of it
            // (a short apply spent most of its calls on an API climbing back). A steady rate that AWS throttles is
            // cut, as is any later throttle.
            let beta = endedBurst ? 1 : Self.beta
            state.rateAtThrottle = sending
            state.window = Foundation.cbrt(sending * (1 - beta) / Self.scale)
            state.lastThrottle = now
            rate = sending * beta
            if !state.enabled {
                state.enabled = true
                state.lastRefill = now
                state.tokens = 0
            }
        } else {
            guard state.enabled else {
                state.successesBeforeThrottling += 1
                apis[api] = state
                return
            }
            rate = Self.scale * Foundation.pow(now - state.lastThrottle - state.window, 3) + state.rateAtThrottle
        }
        rate = min(rate, 2 * measured)
        refill(&state, now: now)
        state.fillRate = max(rate, Self.minimumRate)
        state.capacity = max(state.fillRate, 1)
        state.tokens = min(state.tokens, state.capacity)
        apis[api] = state
    }

    /// The fill rate `api` is held to (requests per second), nil while it is not limited.
    func rate(of api: String) -> Double? {
        apis[api].flatMap { $0.enabled ? $0.fillRate : nil }
    }

    private func refill(_ state: inout State, now: Double) {
        if let last = state.lastRefill, now > last {
            state.tokens = min(state.capacity, state.tokens + (now - last) * state.fillRate)
        }
        state.lastRefill = max(now, state.lastRefill ?? now)
    }

    private func measure(_ state: inout State, now: Double) {
        let bucket = (now / Self.bucketWidth).rounded(.down) * Self.bucketWidth
        state.answersInBucket += 1
        guard let start = state.bucketStart else {
            state.bucketStart = bucket
            return
        }
        if bucket > start {
            let current = Double(state.answersInBucket) / (bucket - start)
            state.measuredRate = current * Self.smoothing + state.measuredRate * (1 - Self.smoothing)
            state.answersInBucket = 0
            state.bucketStart = bucket
        }
    }
}
