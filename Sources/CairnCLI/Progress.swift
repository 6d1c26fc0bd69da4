import CairnEngine
import CairnState
import Foundation

/// Prints apply progress as Terraform does: a line when each resource starts and finishes.
struct ProgressPrinter: Sendable {
    let style: Style

    func handle(_ event: ApplyEvent) {
        switch event {
        case .started(let address, let action):
            emit("\(address): \(verb(action, done: false))…")
        case .stillRunning(let address, let action, let elapsed):
            emit("\(address): still \(verb(action, done: false))… [\(seconds(elapsed))]")
        case .finished(let address, .move, let id, _):
            emit("\(address): Moved in the state (no API call)" + (id.map { style.dim(" [id=\($0)]") } ?? ""))
        case .finished(let address, let action, let id, let elapsed):
            emit(
                style.action(action, "\(address): \(verb(action, done: true)) after \(seconds(elapsed))")
                    + (id.map { style.dim(" [id=\($0)]") } ?? ""))
        case .failed(let address, let action, _, let elapsed):
            emit(style.red("\(address): \(verb(action, done: false)) failed after \(seconds(elapsed))"))
        case .waiting(let address, let message):
            emit(style.dim("\(address): \(message)"))
        case .skipped(let address, let blocker):
            emit(style.yellow("\(address): not started, because \(blocker) failed"))
        }
    }

    /// Says that another run holds the stack's lock and that this one waits for it.
    func waiting(for holder: LockInfo, timeout seconds: Int, stack: Stack) {
        let since = ISO8601DateFormatter().string(from: holder.since)
        var holder = holder
        holder.stack = holder.stack ?? stack.name
        holder.environment = holder.environment ?? stack.environment.name
        let stale = holder.isStale ? " (that process no longer exists: `\(holder.forceUnlockCommand)` clears its lock)" : ""
        emit(
            "The stack is locked by pid \(holder.pid) on \(holder.host) running '\(holder.command)' since \(since)\(stale): waiting up to \(seconds) s for it…"
        )
    }

    /// Why a resource's change failed, where the closing summary is a single line (an interrupted apply).
    func failure(_ address: String, _ message: String) {
        emit(style.red("\(address): \(message)"))
    }

    /// A resource whose change was not started because the apply was interrupted.
    func notStarted(_ address: String) {
        emit(style.yellow("\(address): not started (interrupted)"))
    }

    private func emit(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    private func verb(_ action: Action, done: Bool) -> String {
        switch action {
        case .create: return done ? "Creation complete" : "Creating"
        case .update: return done ? "Modifications complete" : "Modifying"
        case .replace: return done ? "Replacement complete" : "Replacing"
        case .delete: return done ? "Destruction complete" : "Destroying"
        case .move: return done ? "Moved" : "Moving"
        case .noop: return done ? "Adopted" : "Adopting"
        }
    }

    private func seconds(_ duration: Duration) -> String {
        let (s, atto) = duration.components
        return s >= 10 ? "\(s)s" : String(format: "%.1fs", Double(s) + Double(atto) / 1e18)
    }
}
