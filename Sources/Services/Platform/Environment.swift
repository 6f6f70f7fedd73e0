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
    /// The playback hot path's few-second memory of read-mostly rows (one per app).
    public var hot: HotCache

    public init(db: any Database, clock: AppClock, gate: WriteGate, hasher: PasswordHashing, subscriberHasher: PasswordHashing? = nil,
                logger: Logger, lockout: LockoutPolicy = .standard, secrets: SecretBox = .unconfigured, hot: HotCache = HotCache()) {
        self.db = db
        self.clock = clock
        self.gate = gate
        self.hasher = hasher
        self.subscriberHasher = subscriberHasher ?? hasher
        self.logger = logger
        self.lockout = lockout
        self.secrets = secrets
        self.hot = hot
    }

    public var now: Date { clock.now() }

    /// One write transaction, serialised on SQLite. Any change may concern what the playback
    /// path remembers, so this process's hot cache is dropped after it.
    public func write<T: Sendable>(_ work: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        let value = try await gate.transaction(db, work)
        hot.invalidateAll()
        return value
    }

    /// A write that changes nothing the hot cache holds (playback bookkeeping, session touches).
    public func writeKeepingCache<T: Sendable>(_ work: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        try await gate.transaction(db, work)
    }
}

/// A few seconds' memory of rows the playback path reads on every request (device sessions,
/// customers with their product, entitlement answers, channels with their stream mapping, the
/// deployment's hosts and token settings). Every write through `ServiceEnvironment.write` in
/// this process drops it; changes made by other nodes are seen within `ttl` plus one reload.
///
/// When an entry expires, the first request to see it reloads it while the others keep using the
/// expired value until the reload lands (at most `ttl` longer). Without that, every request in
/// flight at the moment of expiry reloaded the same rows at once, and those pile-ups every few
/// seconds were the slowest 1% of playback requests.
public final class HotCache: @unchecked Sendable {
    public static let ttl: TimeInterval = 5
    static let limit = 50_000
    private let lock = NSLock()
    private struct Entry { var value: Any; var expires: Date; var refreshing = false }
    private var entries: [String: Entry] = [:]

    public init() {}

    public func value<T>(_ key: String, now: Date) -> T? {
        lock.withLock {
            guard let e = entries[key], e.expires > now else { return nil }
            return e.value as? T
        }
    }

    public func store(_ key: String, _ value: Any, now: Date, ttl: TimeInterval = HotCache.ttl) {
        lock.withLock {
            if entries.count >= Self.limit { entries = entries.filter { $0.value.expires > now } }
            if entries.count >= Self.limit { entries.removeAll(keepingCapacity: true) }
            entries[key] = Entry(value: value, expires: now.addingTimeInterval(ttl))
        }
    }

    public func invalidateAll() { lock.withLock { entries.removeAll(keepingCapacity: true) } }

    public func remove(_ key: String) { _ = lock.withLock { entries.removeValue(forKey: key) } }

    private enum Lookup<T> { case use(T), reload }

    /// A fresh value; an expired one while another request reloads it (within `ttl` of expiry);
    /// otherwise `.reload`, and this caller is the one reloading.
    private func lookup<T>(_ key: String, now: Date, ttl: TimeInterval) -> Lookup<T> {
        lock.withLock {
            guard var e = entries[key], let v = e.value as? T else { return .reload }
            if e.expires > now { return .use(v) }
            if e.expires.addingTimeInterval(ttl) <= now { return .reload }
            if e.refreshing { return .use(v) }
            e.refreshing = true
            entries[key] = e
            return .reload
        }
    }

    /// The cached value for `key`, or `load`'s, remembered.
    public func get<T>(_ key: String, now: Date, ttl: TimeInterval = HotCache.ttl, load: () async throws -> T) async rethrows -> T {
        if case .use(let v) = lookup(key, now: now, ttl: ttl) as Lookup<T> { return v }
        do {
            let v = try await load()
            store(key, v, now: now, ttl: ttl)
            return v
        } catch {
            // Let the next request try again rather than serve the old value until it ages out.
            lock.withLock { if entries[key]?.refreshing == true { entries[key]?.refreshing = false } }
            throw error
        }
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
