import Foundation

/// The clock the client waits on and stamps requests with; injected so tests are exact.
public protocol AWSClock: Sendable {
    func now() -> Date
    func sleep(for duration: Duration) async throws
}

/// Wall-clock time and real sleeping.
public struct SystemClock: AWSClock {
    public init() {}
    public func now() -> Date { Date() }
    public func sleep(for duration: Duration) async throws { try await Task.sleep(for: duration) }
}

/// A source of uniform numbers in [0, 1) for retry jitter; injected so a retry test fixes the jitter.
public protocol RandomSource: Sendable {
    func unit() -> Double
}

/// The system's random generator.
public struct SystemRandom: RandomSource {
    public init() {}
    public func unit() -> Double { Double.random(in: 0..<1) }
}

/// Where the client writes its one-line-per-call log.
public protocol AWSLogger: Sendable {
    func log(_ line: String)
}

/// Writes to standard error.
public struct StandardErrorLogger: AWSLogger {
    public init() {}
    public func log(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
