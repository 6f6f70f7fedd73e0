import Domain
import Fluent
import Foundation
import Services
import Storage
import Vapor

/// Top panel › User Logs: the audit trail, filterable, keyset-paged, exportable as CSV.
enum UserLogsController {
    static func register(_ console: any RoutesBuilder) {
        let logs = console.grouped(RequirePermission(permission: .viewAuditLog))
        logs.get("user-logs", use: list)
        logs.get("user-logs.csv", use: csv)
    }

    static let filterNames = ["user", "entity", "entityId", "from", "to", "before"]

    /// Reads the filters; `from`/`to` are calendar days in the current deployment's zone.
    static func filter(_ req: Request, timeZone: String?) -> (AuditService.Filter, Int?) {
        let q = TableQuery(req, path: "/user-logs", filterNames: filterNames).params
        let day = DateFormatter()
        day.dateFormat = "yyyy-MM-dd"
        day.timeZone = timeZone.flatMap(TimeZone.init(identifier:)) ?? TimeZone(identifier: "UTC")
        let to = q["to"].flatMap(day.date(from:)).map { $0.addingTimeInterval(86_400) }
        return (AuditService.Filter(actorID: q["user"], entityType: q["entity"], entityID: q["entityId"],
                                    from: q["from"].flatMap(day.date(from:)), to: to),
                q["before"].flatMap(Int.init))
    }

    static func list(_ req: Request) async throws -> Response {
        let tz = try await req.currentDeployment()?.timeZone
        let (filter, before) = filter(req, timeZone: tz)
        let pageSize = 50
        let records = try await AuditService.list(req.serviceEnvironment, actor: req.actor, filter: filter, beforeID: before, limit: pageSize + 1)
        let page = Array(records.prefix(pageSize))
        let dates = DateDisplay(timeZone: tz)
        let tq = TableQuery(req, path: "/user-logs", filterNames: filterNames)
        let users = try await SystemUserModel.query(on: req.db).sort(\.$email).all()
        let types = try await AuditService.entityTypes(on: req.db)
        let rows = page.map { r in
            Row(cells: [Cell(dates.string(r.at)), Cell(r.actorLabel), Cell(r.action, badge: "muted"), Cell(r.entityType),
                        Cell(r.entityID, mono: true), Cell(summary(r.beforeJSON), mono: true), Cell(summary(r.afterJSON), mono: true),
                        Cell(r.ip ?? "")], actions: [])
        }
        let table = TableVM(
            heading: "User Logs",
            intro: "Every change made by a console user, reseller, API client or background job. Records are never edited or removed.",
            buttons: [Button(label: "Export CSV", href: tq.href(["before": nil]).replacingOccurrences(of: "/user-logs", with: "/user-logs.csv"), primary: false)],
            filters: [
                Filter(name: "user", label: "User", type: "select", value: tq.params["user"] ?? "",
                       options: [FilterOption(value: "", label: "Anyone", selected: tq.params["user"] == nil)]
                        + users.map { FilterOption(value: $0.id!.uuidString, label: $0.email, selected: tq.params["user"] == $0.id!.uuidString) }),
                Filter(name: "entity", label: "Entity", type: "select", value: tq.params["entity"] ?? "",
                       options: [FilterOption(value: "", label: "Any", selected: tq.params["entity"] == nil)]
                        + types.map { FilterOption(value: $0, label: $0, selected: tq.params["entity"] == $0) }),
                Filter(name: "entityId", label: "Entity id", type: "text", value: tq.params["entityId"] ?? "", options: []),
                Filter(name: "from", label: "From", type: "date", value: tq.params["from"] ?? "", options: []),
                Filter(name: "to", label: "To", type: "date", value: tq.params["to"] ?? "", options: []),
            ],
            filterAction: "/user-logs",
            columns: ["When", "Who", "Action", "Entity", "Id", "Before", "After", "IP"].map { Column(label: $0, sortHref: nil, indicator: "") },
            rows: rows, emptyText: "No record matches these filters.",
            pager: Pager(summary: page.isEmpty ? "No records" : "Showing \(page.count) record\(page.count == 1 ? "" : "s"), newest first",
                         prevHref: before == nil ? nil : tq.href(["before": nil]),
                         nextHref: records.count > pageSize ? tq.href(["before": page.last?.id.map(String.init)]) : nil))
        return try await Layout.render(req, "table", title: "User Logs", table)
    }

    /// `{"a":"1","b":null}` → `a=1 b=∅`, short enough for a table cell.
    static func summary(_ json: String?) -> String {
        guard let json, let obj = try? JSONDecoder().decode([String: String?].self, from: Data(json.utf8)) else { return "" }
        return obj.keys.sorted().map { "\($0)=\((obj[$0] ?? nil) ?? "∅")" }.joined(separator: " ")
    }

    /// The whole filtered trail as CSV, streamed in keyset pages so a large export stays small in memory.
    static func csv(_ req: Request) async throws -> Response {
        let tz = try await req.currentDeployment()?.timeZone
        let (filter, _) = filter(req, timeZone: tz)
        let actor = try req.actor
        let env = req.serviceEnvironment
        let iso = ISO8601DateFormatter()
        var out = "id,at_utc,actor_kind,actor,deployment_id,entity_type,entity_id,action,before,after,ip\n"
        var before: Int? = nil
        while true {
            let batch = try await AuditService.list(env, actor: actor, filter: filter, beforeID: before, limit: 1000)
            for r in batch {
                let fields: [String] = [String(r.id ?? 0), iso.string(from: r.at), r.actorKind, r.actorLabel, r.deploymentID?.uuidString ?? "",
                              r.entityType, r.entityID, r.action, r.beforeJSON ?? "", r.afterJSON ?? "", r.ip ?? ""]
                out += CSV.line(fields) + "\n"
            }
            guard batch.count == 1000, let last = batch.last?.id else { break }
            before = last
        }
        let response = Response(status: .ok, body: .init(string: out))
        response.headers.contentType = HTTPMediaType(type: "text", subType: "csv", parameters: ["charset": "utf-8"])
        response.headers.contentDisposition = .init(.attachment, filename: "user-logs.csv")
        return response
    }
}
