import FluentKit
import Foundation
import Logging
import Storage
import Domain

/// The clock every service reads. Live in the server; a settable one in tests, so expiry, lock-out
/// and schedules are tested without sleeping.
public struct AppClock: Sendable {
    public var now: @Sendable () -> Date
    public init(now: @escaping @Sendable () -> Date) { self.now = now }
    public static let live = AppClock { Date() }
}

/// A clock the test moves by hand.
public final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date
    public init(_ start: Date) { current = start }
    public var now: Date { lock.withLock { current } }
    public func advance(by seconds: TimeInterval) { lock.withLock { current += seconds } }
    public func set(_ date: Date) { lock.withLock { current = date } }
    public var appClock: AppClock { AppClock { [self] in self.now } }
}

/// Password hashing as two closures so Services do not depend on the HTTP framework that ships the
/// bcrypt implementation; App supplies bcrypt.
public struct PasswordHashing: Sendable {
    public var hash: @Sendable (String) throws -> String
    public var verify: @Sendable (_ password: String, _ hash: String) throws -> Bool
    public init(hash: @escaping @Sendable (String) throws -> String,
                verify: @escaping @Sendable (String, String) throws -> Bool) {
        self.hash = hash
        self.verify = verify
    }
}

/// What every use case needs, passed explicitly (no globals): the database, the clock, the write
/// gate for SQLite, the password hasher and a logger.
public struct ServiceEnvironment: Sendable {
    public var db: any Database
    public var clock: AppClock
    public var gate: WriteGate
    public var hasher: PasswordHashing
    /// Subscriber passwords (4–24 characters typed on remotes, hashed in bulk by imports and
    /// ranges): bcrypt at a lower cost than operator passwords. Defaults to `hasher`.
    public var subscriberHasher: PasswordHashing
    public var logger: Logger
    public var lockout: LockoutPolicy
    /// Seals secrets that must be used again (streaming-server passwords, token and DRM keys).
    public var secrets: SecretBox

    public init(db: any Database, clock: AppClock, gate: WriteGate, hasher: PasswordHashing, subscriberHasher: PasswordHashing? = nil,
                logger: Logger, lockout: LockoutPolicy = .standard, secrets: SecretBox = .unconfigured) {
        self.db = db
        self.clock = clock
        self.gate = gate
        self.hasher = hasher
        self.subscriberHasher = subscriberHasher ?? hasher
        self.logger = logger
        self.lockout = lockout
        self.secrets = secrets
    }

    public var now: Date { clock.now() }

    /// One write transaction, serialised on SQLite.
    public func write<T: Sendable>(_ work: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        try await gate.transaction(db, work)
    }
}

extension PasswordHashing {
    /// Hashes many passwords on all cores (imports and customer ranges).
    public func hashAll(_ passwords: [String]) async throws -> [String] {
        try await withThrowingTaskGroup(of: (Int, String).self) { group in
            let width = max(1, ProcessInfo.processInfo.activeProcessorCount)
            var next = 0
            var out = Array(repeating: "", count: passwords.count)
            func add() {
                let i = next
                let p = passwords[i]
                next += 1
                group.addTask { (i, try self.hash(p)) }
            }
            while next < min(width, passwords.count) { add() }
            while let (i, h) = try await group.next() {
                out[i] = h
                if next < passwords.count { add() }
            }
            return out
        }
    }
}

extension Array {
    /// Slices of at most `size` elements, for `IN (…)` lists that stay under the databases'
    /// bind-parameter limits (SQLite 32,766; PostgreSQL 65,535).
    public func chunked(_ size: Int) -> [[Element]] {
        stride(from: 0, to: count, by: size).map { Array(self[$0..<Swift.min(count, $0 + size)]) }
    }
}
