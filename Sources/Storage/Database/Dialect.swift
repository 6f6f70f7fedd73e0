import FluentKit
import SQLKit
import Foundation

/// The two databases TVMS runs on. Shared SQL avoids dialect differences; where one is needed
/// (row locking, case-insensitive search) the code asks this once instead of sniffing strings.
public enum Dialect: String, Sendable {
    case sqlite, postgres

    public init(_ db: Database) {
        let name = (db as? SQLDatabase)?.dialect.name ?? ""
        self = name.contains("postgres") ? .postgres : .sqlite
    }
}

extension Database {
    public var sql: SQLDatabase { self as! SQLDatabase }
    public var dialect: Dialect { Dialect(self) }
}

/// SQLite has a single writer. Fluent's SQLite driver keeps one connection per event loop and
/// opens transactions with a deferred BEGIN, so two concurrent write transactions would make one
/// fail with SQLITE_BUSY at its first write. Every write transaction therefore goes through this
/// process-wide FIFO lock on SQLite; on PostgreSQL it is a pass-through and row locks do the work.
public actor WriteSerializer {
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    public init() {}

    public func acquire() async {
        if !busy { busy = true; return }
        await withCheckedContinuation { waiters.append($0) }
    }

    public func release() {
        if waiters.isEmpty { busy = false } else { waiters.removeFirst().resume() }
    }
}

public struct WriteGate: Sendable {
    let serializer = WriteSerializer()
    public init() {}

    /// Runs `work` in one transaction; serialised against other write transactions on SQLite.
    public func transaction<T: Sendable>(_ db: Database, _ work: @escaping @Sendable (Database) async throws -> T) async throws -> T {
        guard db.dialect == .sqlite, !db.inTransaction else {
            return try await db.transaction(work)
        }
        await serializer.acquire()
        do {
            let value = try await db.transaction(work)
            await serializer.release()
            return value
        } catch {
            await serializer.release()
            throw error
        }
    }

    /// Takes this process's SQLite write turn until `release` (for a bulk load that keeps its
    /// own transaction open across several awaits). A pass-through on PostgreSQL.
    public func acquire(_ db: Database) async {
        if db.dialect == .sqlite { await serializer.acquire() }
    }

    public func release(_ db: Database) async {
        if db.dialect == .sqlite { await serializer.release() }
    }

    /// Runs `work` holding this process's SQLite write turn without opening a Fluent
    /// transaction: for work that writes through its own connection (`SQLiteBulkConnection`).
    public func exclusive<T: Sendable>(_ db: Database, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        guard db.dialect == .sqlite else { return try await work() }
        await serializer.acquire()
        do {
            let value = try await work()
            await serializer.release()
            return value
        } catch {
            await serializer.release()
            throw error
        }
    }
}

/// Whether every migration the binary knows has been applied (for `/readyz`).
public enum MigrationStatus {
    public static func pending(on db: Database, known: [String]) async throws -> [String] {
        let applied = try await db.sql.select().column("name").from("_fluent_migrations").all()
            .map { try $0.decode(column: "name", as: String.self) }
        let set = Set(applied)
        return known.filter { !set.contains($0) }
    }
}
