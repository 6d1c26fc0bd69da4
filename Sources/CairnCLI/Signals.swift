import CairnEngine
import Dispatch
import Foundation

/// SIGINT (Ctrl-C) and SIGTERM (a cancelled CI job) during an apply or destroy, as Terraform handles them.
///
/// The first signal stops the apply between operations: the running API calls finish (for up to `grace`)
/// and are recorded, none starts, the lock is released and the command exits 130 (SIGINT) or 143 (SIGTERM).
/// A second signal exits at once, releasing the lock; what the unfinished calls leave are intents, which
/// the next run resolves. An apply that has not started changing anything yet (waiting for the lock,
/// planning, asking for confirmation) exits at once. Outside `during(_:_:)` the signals keep their default
/// disposition (other commands end at once; `drift --every` handles them itself).
final class Interrupts: @unchecked Sendable {
    static let shared = Interrupts()

    /// How long running operations may take to finish after the first signal.
    static let grace: Duration = .seconds(300)

    // `control`, `received` and `sources` are only touched with `mutex` held.
    private let mutex = NSLock()
    private var control: ApplyControl?
    private var received: Int32?
    private var sources: [any DispatchSourceSignal] = []
    private let queue = DispatchQueue(label: "cairn.signals")

    /// Runs `body` (an apply or destroy) so that the first signal stops it through `control`.
    func during<T>(_ control: ApplyControl, _ body: () async throws -> T) async throws -> T {
        locked {
            self.control = control
            for number in [SIGINT, SIGTERM] {
                // Ignored first, so that the signal only reaches the dispatch source.
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
                source.setEventHandler { [unowned self] in self.handle(number) }
                source.resume()
                sources.append(source)
            }
        }
        defer {
            locked {
                self.control = nil
                for source in sources { source.cancel() }
                sources = []
                for number in [SIGINT, SIGTERM] { signal(number, SIG_DFL) }
            }
        }
        return try await body()
    }

    /// The exit code the process owes to a signal received (130 or 143), or nil when none came.
    var exitCode: Int32? {
        locked { received.map { 128 + $0 } }
    }

    private func handle(_ number: Int32) {
        let (first, control) = locked { () -> (Bool, ApplyControl?) in
            defer { if received == nil { received = number } }
            return (received == nil, self.control)
        }
        // None: `during` has just ended, and the command finishes on its own (exiting with `exitCode`).
        guard let control else { return }
        let code = 128 + number
        guard first else {
            control.releaseLockNow()
            report("Interrupted again: stopping at once. Operations still running were cut off; the next run resolves what they left.")
            _exit(code)
        }
        guard let running = control.requestStop() else {
            // Nothing changed yet: nothing to wait for.
            control.releaseLockNow()
            report("Interrupted before any change was made.")
            _exit(code)
        }
        report(
            "Interrupt received: finishing \(running.count) running operation\(running.count == 1 ? "" : "s"), starting no new ones; interrupt again to stop at once."
        )
        let (seconds, _) = Self.grace.components
        queue.asyncAfter(deadline: .now() + .seconds(Int(seconds))) {
            control.releaseLockNow()
            self.report(
                "Operations still running \(seconds / 60) minutes after the interrupt: stopping at once; the next run resolves what they left.")
            _exit(code)
        }
    }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        mutex.lock()
        defer { mutex.unlock() }
        return try body()
    }

    private func report(_ line: String) {
        FileHandle.standardError.write(Data("\n\(line)\n".utf8))
    }
}
