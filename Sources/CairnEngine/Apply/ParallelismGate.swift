import CairnConcurrency
import Foundation

/// An apply's `parallelism`: how many operations work at once. An operation that only waits (for an API's rate
/// allowance, a retry's backoff, AWS reaching a state) gives its place to the next one and takes a place again
/// before it goes on, so that an API AWS throttles does not hold every place while the others stand idle.
///
/// Places go first to operations coming back from a wait (they finish what they started), then to those starting,
/// lowest `order` first (the plan's order, as the walk starts them).
final class ParallelismGate: @unchecked Sendable {
    // Everything below is only touched with `mutex` held.
    private let mutex = NSLock()
    private var free: Int
    private var returning: [CheckedContinuation<Void, Never>] = []
    /// Waiting to start, highest order first, so that the next one is the last.
    private var starting: [(order: Int, continuation: CheckedContinuation<Void, Never>)] = []

    init(places: Int) { free = max(1, places) }

    /// Returns once the caller holds a place, to start an operation.
    func enter(order: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let granted = mutex.withLock { () -> Bool in
                if free > 0 {
                    free -= 1
                    return true
                }
                var low = 0
                var high = starting.count
                while low < high {
                    let middle = (low + high) / 2
                    if starting[middle].order > order { low = middle + 1 } else { high = middle }
                }
                starting.insert((order, continuation), at: low)
                return false
            }
            if granted { continuation.resume() }
        }
    }

    /// Returns once the caller holds a place again, after a wait.
    func reenter() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let granted = mutex.withLock { () -> Bool in
                if free > 0 {
                    free -= 1
                    return true
                }
                returning.append(continuation)
                return false
            }
            if granted { continuation.resume() }
        }
    }

    /// Gives a place back: to an operation coming back from a wait, else to the next one to start.
    func leave() {
        let next = mutex.withLock { () -> CheckedContinuation<Void, Never>? in
            if !returning.isEmpty { return returning.removeFirst() }
            if let waiting = starting.popLast() { return waiting.continuation }
            free += 1
            return nil
        }
        next?.resume()
    }

    /// The place of one operation: lent while it waits, taken back when it goes on. Tasks the operation runs at
    /// once (a read per item) share it: it is lent when one of them starts waiting while none other waits, and taken
    /// back by the first that goes on; the others go on without waiting for a place.
    final class Place: IdleLender, @unchecked Sendable {
        private let gate: ParallelismGate
        // Everything below is only touched with `mutex` held.
        private let mutex = NSLock()
        private var waiting = 0
        private var holding = true
        private var taking = false
        // Once the operation is over, a task it started that outlives it (none should: see `Idle.unlent`) lends
        // and takes back nothing, so that the gate keeps its count.
        private var finished = false

        init(_ gate: ParallelismGate) { self.gate = gate }

        func lend() {
            let release = mutex.withLock { () -> Bool in
                waiting += 1
                guard waiting == 1, holding, !finished else { return false }
                holding = false
                return true
            }
            if release { gate.leave() }
        }

        func reclaim() async {
            let take = mutex.withLock { () -> Bool in
                waiting -= 1
                guard !holding, !taking, !finished else { return false }
                taking = true
                return true
            }
            guard take else { return }
            await gate.reenter()
            mutex.withLock {
                taking = false
                holding = true
            }
        }

        /// The operation is over: its place goes to the next one.
        func finish() {
            let release = mutex.withLock { () -> Bool in
                defer {
                    holding = false
                    finished = true
                }
                return holding
            }
            if release { gate.leave() }
        }
    }
}
