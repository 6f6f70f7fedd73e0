import Foundation

/// Lifecycle of a background job row. Stored as text.
public enum JobStatus: String, CaseIterable, Codable, Sendable {
    case queued, running, succeeded, failed
}

public enum RetryPolicy {
    /// Exponential back-off after the `attempt`-th failure (1-based): 10 s, 20 s, 40 s … capped at
    /// one hour, so a broken EPG source does not hammer its server.
    public static func delay(afterAttempt attempt: Int, base: TimeInterval = 10, cap: TimeInterval = 3600) -> TimeInterval {
        let exponent = max(0, min(attempt - 1, 20))
        return min(cap, base * pow(2, Double(exponent)))
    }
}

/// A recurring job: enqueue `jobKind` once per `interval`, aligned to the Unix epoch, so every node
/// computes the same slot for the same instant and a unique (schedule, slot) row elects exactly
/// one node to enqueue it — no leader lease needed.
public struct RecurringSchedule: Sendable, Equatable {
    public var name: String
    public var jobKind: String
    public var interval: TimeInterval

    public init(name: String, jobKind: String, interval: TimeInterval) {
        precondition(interval >= 1, "interval must be at least a second")
        self.name = name
        self.jobKind = jobKind
        self.interval = interval
    }

    /// Start of the slot that contains `instant`.
    public func slot(containing instant: Date) -> Date {
        let t = instant.timeIntervalSince1970
        return Date(timeIntervalSince1970: (t / interval).rounded(.down) * interval)
    }
}
