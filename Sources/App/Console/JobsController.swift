import Domain
import Fluent
import Foundation
import Services
import Storage
import Vapor

/// Top panel › Jobs: background job history with status and errors, and retry.
enum JobsController {
    static func register(_ console: any RoutesBuilder) {
        let jobs = console.grouped("jobs").grouped(RequirePermission(permission: .viewJobs))
        jobs.get(use: list)
        jobs.grouped(RequirePermission(permission: .manageJobs)).post(":id", "retry", use: retry)
    }

    static func list(_ req: Request) async throws -> Response {
        let tq = TableQuery(req, path: "/jobs", filterNames: ["status", "kind"])
        let actor = try req.actor
        let result = try await JobQueue.list(req.serviceEnvironment, actor: actor, request: tq.listRequest)
        let dates = try await req.dateDisplay()
        let rows = result.items.map { j -> Row in
            let duration: String = {
                guard let s = j.startedAt, let f = j.finishedAt, f >= s else { return "" }
                return String(format: "%.2f s", f.timeIntervalSince(s))
            }()
            let badge = ["succeeded": "ok", "failed": "danger", "running": "info"][j.status] ?? "muted"
            var actions: [RowAction] = []
            if j.status == JobStatus.failed.rawValue && actor.may(.manageJobs) {
                actions.append(RowAction(label: "Retry", href: nil, postTo: "/jobs/\(j.id!)/retry", danger: false))
            }
            return Row(cells: [Cell(String(j.id ?? 0), mono: true), Cell(j.kind, mono: true), Cell(j.status, badge: badge),
                               Cell("\(j.attempts)/\(j.maxAttempts)"), Cell(dates.string(j.runAt)), Cell(duration),
                               Cell(j.lockedBy ?? ""), Cell(j.lastError ?? j.result ?? "")], actions: actions)
        }
        let statusOptions = [FilterOption(value: "", label: "Any status", selected: tq.params["status"] == nil)]
            + JobStatus.allCases.map { FilterOption(value: $0.rawValue, label: $0.rawValue.capitalized, selected: tq.params["status"] == $0.rawValue) }
        let kinds = req.application.tvms.jobs.handlers.keys.sorted()
        let kindOptions = [FilterOption(value: "", label: "Any kind", selected: tq.params["kind"] == nil)]
            + kinds.map { FilterOption(value: $0, label: $0, selected: tq.params["kind"] == $0) }
        let schedules = req.application.tvms.jobs.schedules.map { "\($0.name) every \(Int($0.interval)) s" }.joined(separator: ", ")
        let table = TableVM(
            heading: "Jobs",
            intro: "Background work of every node: runs, retries with back-off, errors. Recurring: \(schedules).",
            buttons: [], filters: [
                Filter(name: "status", label: "Status", type: "select", value: tq.params["status"] ?? "", options: statusOptions),
                Filter(name: "kind", label: "Kind", type: "select", value: tq.params["kind"] ?? "", options: kindOptions)],
            filterAction: "/jobs",
            columns: [tq.column("#", key: "id", defaultKey: "id"), tq.column("Kind", key: "kind", defaultKey: "id"),
                      tq.column("Status", key: "status", defaultKey: "id"), tq.column("Attempts", key: nil, defaultKey: "id"),
                      tq.column("Run at", key: "runAt", defaultKey: "id"), tq.column("Took", key: nil, defaultKey: "id"),
                      tq.column("Node", key: nil, defaultKey: "id"), tq.column("Result / error", key: nil, defaultKey: "id")],
            rows: rows, emptyText: "No job matches these filters.", pager: tq.pager(result, noun: "jobs"))
        return try await Layout.render(req, "table", title: "Jobs", table)
    }

    static func retry(_ req: Request) async throws -> Response {
        let id = try req.parameters.require("id", as: Int.self)
        return try await req.flashing(redirectTo: "/jobs") {
            try await JobQueue.retry(req.serviceEnvironment, actor: req.actor, id: id)
            return "Job \(id) queued again."
        }
    }
}
