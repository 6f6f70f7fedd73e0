import Domain
import FluentKit
import Foundation
import Logging
import SQLKit
import Storage

/// What a job handler gets: its row's data and the service environment.
public struct JobContext: Sendable {
    public var env: ServiceEnvironment
    public var jobID: Int
    public var payload: String
    public var attempt: Int
    public var deploymentID: UUID?
    public var logger: Logger
}

/// Handler of one job kind; returns a short result text for the job history.
public typealias JobHandler = @Sendable (JobContext) async throws -> String?

/// Kinds of job and recurring schedules. Each area registers its own at boot (EPG refresh, expiry
/// sweep, mail, publishing); the platform registers maintenance.
public struct JobRegistry: Sendable {
    public private(set) var handlers: [String: JobHandler] = [:]
    public private(set) var schedules: [RecurringSchedule] = []

    public init() {}

    public mutating func register(_ kind: String, _ handler: @escaping JobHandler) {
        handlers[kind] = handler
    }

    public mutating func schedule(_ s: RecurringSchedule) {
        precondition(handlers[s.jobKind] != nil, "schedule \(s.name) names unknown job kind \(s.jobKind)")
        schedules.removeAll { $0.name == s.name }
        schedules.append(s)
    }

    public static func platform() -> JobRegistry {
        var r = JobRegistry()
        r.register(MaintenanceJob.kind, MaintenanceJob.run)
        r.schedule(RecurringSchedule(name: "maintenance", jobKind: MaintenanceJob.kind, interval: 3600))
        r.register(ExpirySweepJob.kind, ExpirySweepJob.run)
        r.schedule(RecurringSchedule(name: "expiry-sweep", jobKind: ExpirySweepJob.kind, interval: 300))
        // Catalogue publishing ("Cloud Sync"): on demand from the console, and every 15 minutes
        // for changes nobody published by hand (unchanged products keep their version). The app
        // registers it again with its publish folder, if it has one.
        r.register(PublishService.jobKind) { try await PublishService.run($0, targets: []) }
        r.schedule(RecurringSchedule(name: "publish", jobKind: PublishService.jobKind, interval: 900))
        return r
    }
}

/// Observes finished jobs (metrics); App wires it to Prometheus.
public struct JobObserver: Sendable {
    public var finished: @Sendable (_ kind: String, _ status: JobStatus, _ seconds: Double) -> Void
    public init(finished: @escaping @Sendable (String, JobStatus, Double) -> Void) { self.finished = finished }
    public static let none = JobObserver { _, _, _ in }
}

/// Claims and runs jobs. `runDue()` is the whole algorithm and is what tests call; `start()` only
/// repeats it on a timer in `tvms serve` and `tvms worker`.
public final class JobRunner: Sendable {
    public let env: ServiceEnvironment
    public let registry: JobRegistry
    public let workerName: String
    let observer: JobObserver

    public init(env: ServiceEnvironment, registry: JobRegistry, workerName: String, observer: JobObserver = .none) {
        self.env = env
        self.registry = registry
        self.workerName = workerName
        self.observer = observer
    }

    /// Runs due jobs until none is left (or `limit` ran). Returns how many ran.
    @discardableResult
    public func runDue(limit: Int = 1000) async throws -> Int {
        var ran = 0
        while ran < limit, let job = try await JobQueue.claim(env, worker: workerName, kinds: Array(registry.handlers.keys)) {
            await run(job)
            ran += 1
        }
        return ran
    }

    func run(_ job: JobQueue.Claimed) async {
        var logger = env.logger
        logger[metadataKey: "job"] = "\(job.kind)#\(job.id)"
        let started = Date()
        logger.info("job started", metadata: ["attempt": "\(job.attempts)"])
        guard let handler = registry.handlers[job.kind] else { return }
        let ctx = JobContext(env: env, jobID: job.id, payload: job.payload, attempt: job.attempts,
                             deploymentID: job.deploymentID, logger: logger)
        do {
            let result = try await handler(ctx)
            try await JobQueue.succeed(env, id: job.id, result: result)
            let seconds = Date().timeIntervalSince(started)
            observer.finished(job.kind, .succeeded, seconds)
            logger.info("job succeeded", metadata: ["seconds": "\(seconds)", "result": "\(result ?? "")"])
        } catch {
            let text = (error as? DomainError)?.message ?? String(describing: error)
            do { try await JobQueue.fail(env, job: job, error: text) } catch {
                logger.error("could not record job failure: \(error)")
            }
            let final = job.attempts >= job.maxAttempts
            observer.finished(job.kind, final ? .failed : .queued, Date().timeIntervalSince(started))
            logger.warning("job failed", metadata: ["error": "\(text)", "willRetry": "\(!final)"])
        }
    }
}

/// Enqueues each recurring job once per slot across all nodes: a unique (name, slot) row decides
/// which node does it; the others' inserts do nothing.
public struct Scheduler: Sendable {
    public let env: ServiceEnvironment
    public let schedules: [RecurringSchedule]
    public let node: String

    public init(env: ServiceEnvironment, schedules: [RecurringSchedule], node: String) {
        self.env = env
        self.schedules = schedules
        self.node = node
    }

    /// Returns the names of the schedules this call enqueued.
    @discardableResult
    public func tick() async throws -> [String] {
        let now = env.now
        var enqueued: [String] = []
        for s in schedules {
            let slot = Int64(s.slot(containing: now).timeIntervalSince1970)
            let won = try await env.write { db in
                let rows = try await db.sql.raw("""
                    INSERT INTO schedule_slots (name, slot_epoch, node, created_at)
                    VALUES (\(bind: s.name), \(bind: slot), \(bind: node), \(bind: now))
                    ON CONFLICT (name, slot_epoch) DO NOTHING
                    RETURNING name
                    """).all()
                guard !rows.isEmpty else { return false }
                try await JobQueue.enqueue(on: db, kind: s.jobKind, runAt: now, now: now, scheduleName: s.name)
                return true
            }
            if won { enqueued.append(s.name) }
        }
        return enqueued
    }
}

/// Hourly housekeeping: old throttle windows, schedule slots, succeeded jobs, business-API
/// idempotency keys past their 24 hours, counted Nimble pay-per-view syncs older than a day;
/// jobs abandoned by a node that died.
public enum MaintenanceJob {
    public static let kind = "platform.maintenance"

    public static func run(_ ctx: JobContext) async throws -> String? {
        let env = ctx.env
        let now = env.now
        try await RateLimiter.prune(env, before: now.addingTimeInterval(-86_400))
        try await env.write { db in
            try await db.sql.delete(from: "schedule_slots")
                .where("slot_epoch", .lessThan, Int64(now.addingTimeInterval(-7 * 86_400).timeIntervalSince1970)).run()
            try await db.sql.delete(from: JobModel.schema)
                .where("status", .equal, JobStatus.succeeded.rawValue)
                .where("finished_at", .lessThan, now.addingTimeInterval(-30 * 86_400)).run()
            try await db.sql.delete(from: APIIdempotencyModel.schema)
                .where("created_at", .lessThan, now.addingTimeInterval(-IdempotencyStore.lifetime)).run()
            try await db.sql.delete(from: StreamCallbackSyncModel.schema)
                .where("received_at", .lessThan, now.addingTimeInterval(-86_400)).run()
        }
        let stale = try await JobQueue.requeueStale(env, staleAfter: 3600)
        return "requeued \(stale) stale job(s)"
    }
}
