import Domain
import Fluent
import Foundation
import Services
import Storage
import Vapor

/// The guide for apps and other systems, next to the catalogue documents of a product:
/// `/catalogue/{crmService}/{productId}/epg.xml` (XMLTV, `.xml.gz` compressed),
/// `…/epg.json?channels=1,2&from=…&to=…` and `…/now-next.json?channels=…`.
enum EPGGuideController {
    static func register(_ app: Application) {
        let c = app.grouped("catalogue", ":service", ":productID")
        c.get("epg.xml") { try await xmltv($0, gzip: false) }
        c.get("epg.xml.gz") { try await xmltv($0, gzip: true) }
        c.get("epg.json", use: window)
        c.get("now-next.json", use: nowNext)
    }

    static func product(_ req: Request) async throws -> (DeploymentModel, ProductModel) {
        guard let service = req.parameters.get("service")?.lowercased(), let productID = req.parameters.get("productID", as: Int.self),
              let d = try await DeploymentModel.query(on: req.db).filter(\.$crmService == service).first(),
              let p = try await ProductModel.query(on: req.db).filter(\.$id == productID).filter(\.$deploymentID == d.id!).first() else { throw Abort(.notFound) }
        return (d, p)
    }

    static func ids(_ req: Request) throws -> [Int] {
        let raw = req.query[String.self, at: "channels"] ?? ""
        guard !raw.isEmpty else { return [] }
        let ids = raw.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard ids.allSatisfy({ $0 != nil }) else { throw DomainError.validation(["channels": "must be channel ids separated by commas"]) }
        return ids.compactMap { $0 }
    }

    static func date(_ req: Request, _ name: String, default value: Date) throws -> Date {
        guard let raw = req.query[String.self, at: name], !raw.isEmpty else { return value }
        guard let d = ISO8601DateFormatter().date(from: raw) else { throw DomainError.validation([name: "must be an ISO 8601 time, e.g. 2026-11-25T18:00:00Z"]) }
        return d
    }

    static func json(_ value: [String: Any]) throws -> Response {
        var headers = HTTPHeaders()
        headers.contentType = .json
        headers.replaceOrAdd(name: .cacheControl, value: "public, max-age=60")
        return Response(status: .ok, headers: headers, body: .init(data: Data(try CanonicalJSON.encode(value))))
    }

    static func window(_ req: Request) async throws -> Response {
        let (_, product) = try await product(req)
        let env = req.serviceEnvironment
        let from = try date(req, "from", default: env.now.addingTimeInterval(-3600))
        let to = try date(req, "to", default: from.addingTimeInterval(86_400))
        return try json(try await EPGOutput.window(env, product: product, ids: try ids(req), from: from, to: to))
    }

    static func nowNext(_ req: Request) async throws -> Response {
        let (_, product) = try await product(req)
        return try json(try await EPGOutput.nowNext(req.serviceEnvironment, product: product, ids: try ids(req)))
    }

    /// The product's guide from a week back (catch-up) to two weeks ahead, written to a file a
    /// channel at a time and streamed from there.
    static func xmltv(_ req: Request, gzip: Bool) async throws -> Response {
        let (d, product) = try await product(req)
        let env = req.serviceEnvironment
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tvms-xmltv-\(UUID().uuidString).xml\(gzip ? ".gz" : "")")
        try await EPGOutput.writeXMLTV(env, channels: try await EPGOutput.channels(env, product: product), service: d.crmService, baseURL: SettingsController.baseURL(req),
                                       from: env.now.addingTimeInterval(-7 * 86_400), to: env.now.addingTimeInterval(14 * 86_400), to: file, gzip: gzip)
        let response = try await req.fileio.asyncStreamFile(at: file.path, mediaType: gzip ? HTTPMediaType(type: "application", subType: "gzip") : .xml) { _ in
            try? FileManager.default.removeItem(at: file)
        }
        response.headers.replaceOrAdd(name: .cacheControl, value: "public, max-age=300")
        return response
    }
}
