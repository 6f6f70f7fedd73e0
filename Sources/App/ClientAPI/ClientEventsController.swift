import Domain
import Foundation
import Services
import Vapor

/// Analytics events (batched, spec 4.1) and problem reports from the apps.
enum ClientEventsController {
    static func register(_ api: ClientAPIRoutes) {
        let tag = "Events"
        api.add(.POST, ["events"], "Send up to 500 analytics events; bad events are refused one by one, a retried batchId is stored once", tag,
                body: "EventBatch", response: "EventReport", maxBody: "2mb", use: events)
        api.add(.POST, ["problem-reports"], "Report a problem to the operator (shown in the CRM under the customer)", tag,
                body: "ProblemReportWrite", status: 201, response: "ProblemReport", maxBody: "64kb", use: problemReport)
    }

    struct BatchBody: Decodable { var batchId: String; var profileId: Int?; var context: AnyJSON?; var events: [AnyJSON] }

    static func events(_ req: Request) async throws -> Response {
        let b = try ClientJSON.decode(BatchBody.self, from: req)
        let report = try await ClientEventService.ingest(req.serviceEnvironment, context: req.device, batchID: b.batchId, profileID: b.profileId,
                                                         context: b.context, events: b.events)
        return try ClientJSON.response(report)
    }

    struct ReportBody: Decodable { var item: String?; var description: String; var profileId: Int?; var diagnostics: AnyJSON? }
    struct ReportOut: Codable { var id: Int; var item: String?; var createdAt: Date }

    static func problemReport(_ req: Request) async throws -> Response {
        let b = try ClientJSON.decode(ReportBody.self, from: req)
        let r = try await ClientEventService.reportProblem(req.serviceEnvironment, context: req.device, item: b.item, description: b.description,
                                                           profileID: b.profileId, diagnostics: b.diagnostics)
        return try ClientJSON.response(ReportOut(id: r.id!, item: r.item.isEmpty ? nil : r.item, createdAt: r.createdAt), status: .created)
    }
}
