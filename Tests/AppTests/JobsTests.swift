import Fluent
import Foundation
import Testing
import VaporTesting
@testable import App
@testable import Domain
@testable import Services
import Storage

/// A job kind that fails until told otherwise, to exercise retries.
final class Flaky: @unchecked Sendable {
    private let lock = NSLock()
    private var _failing = true
    private var _runs = 0
    var failing: Bool { get { lock.withLock { _failing } } set { lock.withLock { _failing = newValue } } }
    var runs: Int { lock.withLock { _runs } }
    func run() throws -> String {
        lock.withLock { _runs += 1 }
        if failing { throw DomainError(.conflict, code: "upstream", "upstream said no") }
        return "fine"
    }
}

@Suite(.serialized) struct JobsTests {
    @Test func failingJobsRetryWithBackOffThenFailAndCanBeRetriedByHand() async throws {
        let flaky = Flaky()
        let overrides = Overrides(registerJobs: { r in r.register("test.flaky") { _ in try flaky.run() } })
        try await withTVMS(overrides: overrides) { app, clock in
            let env = app.serviceEnvironment
            let runner = JobRunner(env: env, registry: app.tvms.jobs, workerName: "w1")
            let id = try await JobQueue.enqueue(on: app.db, kind: "test.flaky", runAt: clock.now, now: clock.now, maxAttempts: 3)
            #expect(try await runner.runDue() == 1)
            #expect(try await runner.runDue() == 0, "not due again before its back-off")
            clock.advance(by: 10)
            #expect(try await runner.runDue() == 1)
            clock.advance(by: 19)
            #expect(try await runner.runDue() == 0)
            clock.advance(by: 1)
            #expect(try await runner.runDue() == 1)
            let job = try #require(try await JobModel.find(id, on: app.db))
            #expect(job.status == "failed" && job.attempts == 3 && job.lastError == "upstream said no")

            var b = Browser(app)
            try await b.login("owner@demo.tvms", "demo1234")
            let page = try await b.get("/jobs?status=failed")
            #expect(page.body.string.contains("upstream said no") && page.body.string.contains("Retry"))
            flaky.failing = false
            try await b.post("/jobs/\(id)/retry")
            #expect(try await runner.runDue() == 1)
            let done = try #require(try await JobModel.find(id, on: app.db))
            #expect(done.status == "succeeded" && done.result == "fine" && flaky.runs == 4)
            #expect(try await AuditRecordModel.query(on: app.db).filter(\.$entityType == "job").filter(\.$action == "retry").count() == 1)
        }
    }

    @Test func aClaimedJobRunsOnceEvenWithManyWorkers() async throws {
        let flaky = Flaky()
        flaky.failing = false
        let overrides = Overrides(registerJobs: { r in r.register("test.once") { _ in try flaky.run() } })
        try await withTVMS(overrides: overrides) { app, clock in
            for _ in 0..<20 { try await JobQueue.enqueue(on: app.db, kind: "test.once", runAt: clock.now, now: clock.now) }
            let runners = (0..<4).map { JobRunner(env: app.serviceEnvironment, registry: app.tvms.jobs, workerName: "w\($0)") }
            let total = try await withThrowingTaskGroup(of: Int.self) { group in
                for r in runners { group.addTask { try await r.runDue() } }
                return try await group.reduce(0, +)
            }
            #expect(total == 20 && flaky.runs == 20)
            #expect(try await JobModel.query(on: app.db).filter(\.$status == "succeeded").count() == 20)
        }
    }

    @Test func maintenanceRequeuesJobsOfDeadNodes() async throws {
        try await withTVMS { app, clock in
            let id = try await JobQueue.enqueue(on: app.db, kind: "platform.maintenance", runAt: clock.now, now: clock.now)
            _ = try await JobQueue.claim(app.serviceEnvironment, worker: "dead-node")
            clock.advance(by: 3601)
            let runner = JobRunner(env: app.serviceEnvironment, registry: app.tvms.jobs, workerName: "alive")
            try await JobQueue.enqueue(on: app.db, kind: "platform.maintenance", runAt: clock.now, now: clock.now)
            try await runner.runDue()
            let job = try #require(try await JobModel.find(id, on: app.db))
            #expect(job.status == "succeeded" && job.lockedBy == "alive")
        }
    }
}
