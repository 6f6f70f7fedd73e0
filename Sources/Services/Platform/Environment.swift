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
/// One load per key at a time:
/// - When an entry expires, the first request to see it reloads it while the others keep using
///   the expired value until the reload lands (at most `ttl` longer).
/// - When there is no usable entry (a cold start, or just after a write dropped everything), the
///   first request loads and the others for the same key wait for its answer.
/// Without that, every request in flight at that moment loaded the same rows at once; those
/// pile-ups were the slowest 1% of playback requests (on PostgreSQL, 64 identical queries
/// queueing for the connection pool).
///
/// A load that started before a write is not remembered after it (`generation`), so a write is
/// never undone by a reload that read the rows just before it.
public final class HotCache: @unchecked Sendable {
    public static let ttl: TimeInterval = 5
    static let limit = 50_000
    private let lock = NSLock()
    private struct Entry { var value: Any; var expires: Date; var refreshing = false }
    private var entries: [String: Entry] = [:]
    /// Keys being loaded with no usable entry, and the requests waiting for them. A waiter gets
    /// the loaded value, or nil when the load failed or a write came in between (it then loads
    /// itself).
    private var loading: [String: [CheckedContinuation<Answer, Never>]] = [:]
    private enum Answer: @unchecked Sendable { case value(Any), retry }
    private var generation = 0

    public init() {}

    public func value<T>(_ key: String, now: Date) -> T? {
        lock.withLock {
            guard let e = entries[key], e.expires > now else { return nil }
            return e.value as? T
        }
    }

    public func store(_ key: String, _ value: Any, now: Date, ttl: TimeInterval = HotCache.ttl) {
        lock.withLock { storeLocked(key, value, now: now, ttl: ttl) }
    }

    private func storeLocked(_ key: String, _ value: Any, now: Date, ttl: TimeInterval) {
        if entries.count >= Self.limit { entries = entries.filter { $0.value.expires > now } }
        if entries.count >= Self.limit { entries.removeAll(keepingCapacity: true) }
        entries[key] = Entry(value: value, expires: now.addingTimeInterval(ttl))
    }

    public func invalidateAll() {
        lock.withLock {
            entries.removeAll(keepingCapacity: true)
            generation += 1
        }
    }

    /// Whether `key` is being loaded with no usable value, and how many requests wait for that
    /// load (tests observe the single load with these).
    public func isLoading(_ key: String) -> Bool { lock.withLock { loading[key] != nil } }
    public func waiting(for key: String) -> Int { lock.withLock { loading[key]?.count ?? 0 } }

    public func remove(_ key: String) { _ = lock.withLock { entries.removeValue(forKey: key) } }

    private enum Lookup<T> { case use(T), refresh(generation: Int), load(generation: Int), wait }

    /// A fresh value; an expired one while another request reloads it (within `ttl` of expiry);
    /// `.wait` while another request loads a key that has no usable value; otherwise this caller
    /// is the one (re)loading.
    private func lookup<T>(_ key: String, now: Date, ttl: TimeInterval) -> Lookup<T> {
        lock.withLock {
            if var e = entries[key], let v = e.value as? T, e.expires.addingTimeInterval(ttl) > now {
                if e.expires > now || e.refreshing { return .use(v) }
                e.refreshing = true
                entries[key] = e
                return .refresh(generation: generation)
            }
            if loading[key] != nil { return .wait }
            loading[key] = []
            return .load(generation: generation)
        }
    }

    /// Ends a load: remembers the value (unless a write came in between) and answers the waiters
    /// (who load again themselves when the load failed or was overtaken by a write).
    private func finish(_ key: String, _ value: Any?, startedAt loadGeneration: Int, now: Date, ttl: TimeInterval, waiters: Bool) {
        let (waiting, current): ([CheckedContinuation<Answer, Never>], Bool) = lock.withLock {
            let current = loadGeneration == generation
            if let value, current { storeLocked(key, value, now: now, ttl: ttl) }
            if value == nil, entries[key]?.refreshing == true { entries[key]?.refreshing = false }
            return (waiters ? loading.removeValue(forKey: key) ?? [] : [], current)
        }
        let answer: Answer = if let value, current { .value(value) } else { .retry }
        for c in waiting { c.resume(returning: answer) }
    }

    /// The cached value for `key`, or `load`'s, remembered.
    public func get<T>(_ key: String, now: Date, ttl: TimeInterval = HotCache.ttl, load: () async throws -> T) async rethrows -> T {
        let loadGeneration: Int
        let waiters: Bool
        switch lookup(key, now: now, ttl: ttl) as Lookup<T> {
        case .use(let v): return v
        case .wait:
            let answer: Answer = await withCheckedContinuation { c in
                let queued: Bool = lock.withLock {
                    guard loading[key] != nil else { return false }
                    loading[key]!.append(c)
                    return true
                }
                if !queued { c.resume(returning: .retry) }   // the load ended meanwhile
            }
            if case .value(let any) = answer, let v = any as? T { return v }
            return try await get(key, now: now, ttl: ttl, load: load)
        case .refresh(let g): (loadGeneration, waiters) = (g, false)
        case .load(let g): (loadGeneration, waiters) = (g, true)
        }
        do {
            let v = try await load()
            finish(key, v, startedAt: loadGeneration, now: now, ttl: ttl, waiters: waiters)
            return v
        } catch {
            // Let the next request try again rather than serve the old value until it ages out.
            finish(key, nil, startedAt: loadGeneration, now: now, ttl: ttl, waiters: waiters)
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
