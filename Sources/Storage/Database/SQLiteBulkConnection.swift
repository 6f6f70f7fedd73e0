import FluentKit
import Foundation
import SQLKit
// The SQLite library SQLiteNIO itself uses (symbols prefixed `sqlite_nio_`). A second copy of
// SQLite in the process (a system libsqlite3) would break file locking between the two: POSIX
// locks are per process, and each copy would release the other's when it closes the file.
import VaporCSQLite

/// A private connection to the SQLite database file for bulk loads, where going through
/// Fluent and SQLiteNIO costs more than the database itself: one prepared statement is
/// reused for every row and values are bound straight from Swift strings. The EPG importer
/// writes over a million programmes with it. Writes go in short transactions taken under the
/// process's write gate (see `WriteGate.exclusive`), so the server's own writes interleave.
/// Not thread-safe: one owner at a time.
public final class SQLiteBulkConnection: @unchecked Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    let handle: OpaquePointer

    /// The file behind an SQLite `Database`, or nil for PostgreSQL or an in-memory database.
    public static func file(of db: any Database) async throws -> String? {
        guard db.dialect == .sqlite else { return nil }
        let rows = try await db.sql.raw("SELECT file FROM pragma_database_list WHERE name = 'main'").all()
        let file = try rows.first?.decode(column: "file", as: String.self) ?? ""
        return file.isEmpty ? nil : file
    }

    public init(path: String) throws {
        var h: OpaquePointer?
        let rc = sqlite_nio_sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK, let h else {
            if let h { sqlite_nio_sqlite3_close(h) }
            throw Failure(description: "Cannot open the database file \(path) (SQLite error \(rc))")
        }
        handle = h
        sqlite_nio_sqlite3_busy_timeout(h, 30_000)
        try execute("PRAGMA synchronous = NORMAL")
        // A bulk load touches index pages all over the file (programmes arrive interleaved by
        // channel); a 64 MiB page cache keeps them in memory instead of re-reading them.
        try execute("PRAGMA cache_size = -65536")
    }

    deinit { sqlite_nio_sqlite3_close_v2(handle) }

    var lastError: String { sqlite_nio_sqlite3_errmsg(handle).map { String(cString: $0) } ?? "unknown error" }

    public func execute(_ sql: String) throws {
        let rc = sqlite_nio_sqlite3_exec(handle, sql, nil, nil, nil)
        guard rc == SQLITE_OK else { throw Failure(description: "\(lastError) (in \(sql.prefix(60)))") }
    }

    public func prepare(_ sql: String) throws -> Statement {
        var s: OpaquePointer?
        guard sqlite_nio_sqlite3_prepare_v2(handle, sql, -1, &s, nil) == SQLITE_OK, let s else {
            throw Failure(description: "\(lastError) (in \(sql.prefix(60)))")
        }
        return Statement(connection: self, handle: s)
    }

    /// Runs `work` in one IMMEDIATE transaction (the write lock is taken at BEGIN, so the
    /// transaction never fails half-way for lack of it); rolled back if `work` throws.
    public func transaction<T>(_ work: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let value = try work()
            try execute("COMMIT")
            return value
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// A prepared statement; bind parameters by position (1-based), then `run()` it, as often as needed.
    public final class Statement {
        let connection: SQLiteBulkConnection
        let handle: OpaquePointer
        /// SQLITE_TRANSIENT: SQLite copies the bytes during the bind.
        static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

        init(connection: SQLiteBulkConnection, handle: OpaquePointer) {
            self.connection = connection
            self.handle = handle
        }

        deinit { sqlite_nio_sqlite3_finalize(handle) }

        public func bind(_ value: Int, at i: Int32) { sqlite_nio_sqlite3_bind_int64(handle, i, Int64(value)) }
        public func bind(_ value: Double, at i: Int32) { sqlite_nio_sqlite3_bind_double(handle, i, value) }
        public func bind(_ value: Bool, at i: Int32) { sqlite_nio_sqlite3_bind_int64(handle, i, value ? 1 : 0) }
        /// Dates are stored as SQLiteNIO stores them: seconds since 1970 as a REAL.
        public func bind(_ value: Date, at i: Int32) { bind(value.timeIntervalSince1970, at: i) }
        public func bind(_ value: String, at i: Int32) {
            var value = value
            value.withUTF8 { b in
                if let base = b.baseAddress {
                    _ = sqlite_nio_sqlite3_bind_text(handle, i, UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self), Int32(b.count), Self.transient)
                } else {
                    _ = sqlite_nio_sqlite3_bind_text(handle, i, "", 0, Self.transient)
                }
            }
        }

        /// Executes the statement once with the bound values, then resets it for the next row.
        public func run() throws {
            let rc = sqlite_nio_sqlite3_step(handle)
            sqlite_nio_sqlite3_reset(handle)
            guard rc == SQLITE_DONE || rc == SQLITE_ROW else { throw Failure(description: connection.lastError) }
        }
    }
}
