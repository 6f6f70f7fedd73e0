import Fluent
import Foundation
import Testing
import VaporTesting
@testable import App
@testable import Domain
@testable import Services
import Storage

/// Two nodes on one database share console sessions and run each recurring job once per period.
/// Runs on SQLite (two processes' worth of apps on one file) and, in the PostgreSQL pass, on a
/// real shared PostgreSQL.
@Suite(.serialized) struct ScaleOutTests {
    @Test func twoNodesShareSessionsAndScheduleOncePerPeriod() async throws {
        let db = try TestDatabase.make()
        defer { db.cleanup() }
        let clock = ManualClock(testEpoch)
        let nodeA = try await makeApp(db, clock: clock)
        let nodeB = try await makeApp(db, clock: clock)
        do {
            var onA = Browser(nodeA)
            try await onA.login("owner@demo.tvms", "demo1234")
            var onB = Browser(nodeB)
            onB.cookie = onA.cookie
            onB.csrf = onA.csrf
            let home = try await onB.get("/")
            #expect(home.status == .ok && home.body.string.contains("Demo TV"), "a session made on node A is valid on node B")
            #expect(try await onB.post("/settings/company", [("companyPhone", "+31 20 123 4567")]).status == .seeOther,
                    "and so is its CSRF token")

            let schedulerA = Scheduler(env: nodeA.serviceEnvironment, schedules: nodeA.tvms.jobs.schedules, node: "A")
            let schedulerB = Scheduler(env: nodeB.serviceEnvironment, schedules: nodeB.tvms.jobs.schedules, node: "B")
            var enqueued = 0
            for _ in 0..<3 {
                async let a = schedulerA.tick()
                async let b = schedulerB.tick()
                enqueued += try await (a + b).filter { $0 == "maintenance" }.count
                clock.advance(by: 600)
            }
            #expect(enqueued == 1, "one maintenance run for the first hour, however many nodes tick")
            clock.advance(by: 3600)
            enqueued = try await (schedulerB.tick() + schedulerA.tick()).filter { $0 == "maintenance" }.count
            #expect(enqueued == 1, "and one for the next")
            #expect(try await JobModel.query(on: nodeA.db).filter(\.$kind == MaintenanceJob.kind).count() == 2)
            // The five-minute expiry sweep: one run per slot too (slots at 0, 600, 1200 s and 4800 s
            // after the start fall in four different five-minute slots).
            #expect(try await JobModel.query(on: nodeA.db).filter(\.$kind == ExpirySweepJob.kind).count() == 4)
        } catch {
            try await nodeA.asyncShutdown(); try await nodeB.asyncShutdown()
            throw error
        }
        try await nodeA.asyncShutdown()
        try await nodeB.asyncShutdown()
    }
}
