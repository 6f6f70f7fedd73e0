import Foundation

/// Audit records keep before/after values, but never secrets: any key that names one is replaced
/// by a fixed mask before the record is written.
public enum AuditMasking {
    public static let mask = "••••••"
    static let secretWords = ["password", "token", "secret", "apikey", "api_key", "hash", "pin"]

    public static func isSecret(key: String) -> Bool {
        let k = key.lowercased()
        return secretWords.contains { k.contains($0) }
    }

    public static func masked(_ values: [String: String?]) -> [String: String?] {
        var out: [String: String?] = [:]
        for (k, v) in values { out[k] = isSecret(key: k) && v != nil ? mask : v }
        return out
    }

    /// Only the keys whose values differ, so an audit "update" shows what actually changed.
    public static func changes(before: [String: String?], after: [String: String?]) -> (before: [String: String?], after: [String: String?]) {
        var b: [String: String?] = [:], a: [String: String?] = [:]
        for key in Set(before.keys).union(after.keys) {
            let old = before[key] ?? nil, new = after[key] ?? nil
            if old != new { b[key] = old; a[key] = new }
        }
        return (masked(b), masked(a))
    }
}

/// Login throttling: how many failures lock an account, and for how long.
public struct LockoutPolicy: Sendable {
    public var maxFailures: Int
    public var lockDuration: TimeInterval
    /// Per-client-address attempts allowed per window, across all accounts (slows spraying).
    public var attemptsPerAddressPerWindow: Int
    public var addressWindow: TimeInterval

    public init(maxFailures: Int = 5, lockDuration: TimeInterval = 15 * 60,
                attemptsPerAddressPerWindow: Int = 30, addressWindow: TimeInterval = 5 * 60) {
        self.maxFailures = maxFailures
        self.lockDuration = lockDuration
        self.attemptsPerAddressPerWindow = attemptsPerAddressPerWindow
        self.addressWindow = addressWindow
    }

    public static let standard = LockoutPolicy()
}
