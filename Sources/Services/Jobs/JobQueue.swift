import Domain
import FluentKit
import Foundation
import Logging
import SQLKit
import Storage

/// The persistent job queue shared by every node: enqueue, claim (exactly one worker gets a row),
/// finish with retry and back-off, and the history the console shows.
public enum JobQueue {
    public struct Claimed: Sendable {
        public var id: Int
        public var kind: String
        public var payload: String
        public var attempts: Int
        public var maxAttempts: Int
        public var deploymentID: UUID?
    }

    @discardableResult
    public static func enqueue(on db: any Database, kind: String, payload: String = "{}", runAt: Date, now: Date,
                               maxAttempts: Int = 5, deploymentID: UUID? = nil, scheduleName: String? = nil) async throws -> Int {
        let job = JobModel()
        job.createdAt = now
        job.kind = kind
        job.payload = payload
        job.deploymentID = deploymentID
        job.scheduleName = scheduleName
        job.status = JobStatus.queued.rawValue
        job.attempts = 0
        job.maxAttempts = max(1, maxAttempts)
        job.runAt = runAt
        try await job.create(on: db)
        return try job.requireID()
    }

    /// Takes the oldest due job for `worker`, or nil. One conditional UPDATE: a row another worker
    /// took first no longer matches `status = 'queued'`, so it is never run twice. PostgreSQL also
    /// skips rows locked by other claimers instead of queueing behind them.
    public static func claim(_ env: ServiceEnvironment, worker: String, kinds: [String]? = nil) async throws -> Claimed? {
        let now = env.now
        let lock: SQLQueryString = env.db.dialect == .postgres ? " FOR UPDATE SKIP LOCKED" : ""
        var kindFilter: SQLQueryString = ""
        if let kinds, !kinds.isEmpty {
            kindFilter = " AND kind IN (\(binds: kinds))"
        }
        let sql: SQLQueryString = """
            UPDATE jobs SET status = 'running', locked_by = \(bind: worker), started_at = \(bind: now), attempts = attempts + 1
            WHERE id = (SELECT id FROM jobs WHERE status = 'queued' AND run_at <= \(bind: now)\(kindFilter)
                        ORDER BY run_at, id LIMIT 1\(lock))
              AND status = 'queued'
            RETURNING id, kind, payload, attempts, max_attempts, deployment_id
            """
        return try await env.write { db in
            guard let row = try await db.sql.raw(sql).first() else { return nil }
            return Claimed(id: try row.decode(column: "id", as: Int.self),
                           kind: try row.decode(column: "kind", as: String.self),
                           payload: try row.decode(column: "payload", as: String.self),
                           attempts: try row.decode(column: "attempts", as: Int.self),
                           maxAttempts: try row.decode(column: "max_attempts", as: Int.self),
                           deploymentID: try row.decode(column: "deployment_id", as: UUID?.self))
        }
    }

    public static func succeed(_ env: ServiceEnvironment, id: Int, result: String?) async throws {
        let now = env.now
        try await env.write { db in
            try await db.sql.update(JobModel.schema)
                .set("status", to: JobStatus.succeeded.rawValue)
                .set("finished_at", to: now)
                .set("result", to: result)
                .set("last_error", to: SQLLiteral.null)
                .where("id", .equal, id).run()
        }
    }

    /// Records a failure: back to the queue with exponential back-off while attempts remain,
    /// otherwise failed for good (visible in the console, retryable by hand).
    public static func fail(_ env: ServiceEnvironment, job: Claimed, error: String) async throws {
        let now = env.now
        let retry = job.attempts < job.maxAttempts
        let message = String(error.prefix(2000))
        try await env.write { db in
            let update = db.sql.update(JobModel.schema)
                .set("last_error", to: message)
                .set("finished_at", to: now)
            if retry {
                update.set("status", to: JobStatus.queued.rawValue)
                    .set("run_at", to: now.addingTimeInterval(RetryPolicy.delay(afterAttempt: job.attempts)))
            } else {
                update.set("status", to: JobStatus.failed.rawValue)
            }
            try await update.where("id", .equal, job.id).run()
        }
    }

    /// Puts a failed job back in the queue now (console "Retry").
    public static func retry(_ env: ServiceEnvironment, actor: Principal, id: Int) async throws {
        try actor.require(.manageJobs)
        let now = env.now
        try await env.write { db in
            guard let job = try await JobModel.find(id, on: db) else { throw DomainError.notFound("The job") }
            if let d = job.deploymentID, !actor.canAccess(deployment: d) { throw DomainError.notFound("The job") }
            guard job.status == JobStatus.failed.rawValue else {
                throw DomainError(.conflict, code: "job_not_failed", "Only failed jobs can be retried; this one is \(job.status).")
            }
            job.status = JobStatus.queued.rawValue
            job.runAt = now
            job.maxAttempts = job.attempts + 1
            try await job.save(on: db)
            try await AuditService.record(on: db, at: now, actor: actor, deploymentID: job.deploymentID, entityType: "job",
                                          entityID: String(id), action: "retry")
        }
    }

    /// Jobs left `running` by a node that died are handed back after `staleAfter`.
    public static func requeueStale(_ env: ServiceEnvironment, staleAfter: TimeInterval) async throws -> Int {
        let cutoff = env.now.addingTimeInterval(-staleAfter)
        return try await env.write { db in
            let rows = try await db.sql.raw("""
                UPDATE jobs SET status = 'queued', locked_by = NULL, last_error = 'worker stopped before finishing'
                WHERE status = 'running' AND started_at < \(bind: cutoff) RETURNING id
                """).all()
            return rows.count
        }
    }

    public static func list(_ env: ServiceEnvironment, actor: Principal, request: ListRequest) async throws -> PageResult<JobModel> {
        try actor.require(.viewJobs)
        let q = JobModel.query(on: env.db)
        if !actor.seesAllDeployments {
            q.group(.or) { $0.filter(\.$deploymentID == nil).filter(\.$deploymentID ~~ Array(actor.deploymentIDs)) }
        }
        if let s = request.filters["status"], JobStatus(rawValue: s) != nil { q.filter(\.$status == s) }
        if let k = request.filters["kind"], !k.isEmpty { q.filter(\.$kind == k) }
        let dir: DatabaseQuery.Sort.Direction = request.descending ? .descending : .ascending
        switch request.sort {
        case "kind": q.sort(\.$kind, dir)
        case "status": q.sort(\.$status, dir)
        case "runAt": q.sort(\.$runAt, dir)
        default: q.sort(\.$id, request.sort == nil ? .descending : dir)
        }
        return try await q.page(request)
    }

    public static func counts(_ env: ServiceEnvironment) async throws -> [String: Int] {
        let rows = try await env.db.sql.raw("SELECT status, COUNT(*) AS n FROM jobs GROUP BY status").all()
        var out: [String: Int] = [:]
        for r in rows { out[try r.decode(column: "status", as: String.self)] = try r.decode(column: "n", as: Int.self) }
        return out
    }
}
