import Fluent
import Foundation
import Services
import Storage
import Vapor

/// Health, readiness, metrics and the API's own documentation.
enum OpsController {
    static func register(_ app: Application) {
        app.get("healthz", use: health)
        app.get("readyz", use: ready)
        app.get("metrics", use: metrics)
        app.get("api", "v1", "openapi.json", use: openAPI)
        app.get("api", "v1", "docs", use: docs)
    }

    struct Health: Content { var status: String; var database: String?; var pendingMigrations: [String]? }

    /// The process is up. Touches nothing else, so a slow database does not get the node killed.
    static func health(_ req: Request) async throws -> Health { Health(status: "ok", database: nil, pendingMigrations: nil) }

    /// Ready for traffic: the database answers and every migration this binary knows is applied.
    static func ready(_ req: Request) async throws -> Response {
        let label = req.application.tvms.config.databaseLabel
        let known = knownMigrationNames
        do {
            let pending = try await MigrationStatus.pending(on: req.db, known: known)
            let ok = pending.isEmpty
            return try await Health(status: ok ? "ready" : "migrations_pending", database: label, pendingMigrations: pending)
                .encodeResponse(status: ok ? .ok : .serviceUnavailable, for: req)
        } catch {
            req.logger.warning("readiness check failed: \(String(reflecting: error))")
            return try await Health(status: "database_unavailable", database: label, pendingMigrations: nil)
                .encodeResponse(status: .serviceUnavailable, for: req)
        }
    }

    static func metrics(_ req: Request) async throws -> Response {
        let state = req.application.tvms
        var ping: Double? = nil
        var counts: [String: Int] = [:]
        let start = Date()
        if (try? await req.db.sql.raw("SELECT 1 AS one").first()) != nil {
            ping = Date().timeIntervalSince(start)
            counts = (try? await JobQueue.counts(req.serviceEnvironment)) ?? [:]
        }
        let pool: Int = {
            switch state.config.database {
            case .sqlite: return System.coreCount
            case .postgres: return System.coreCount * 4
            }
        }()
        state.metrics.refreshGauges(jobCounts: counts, dbPingSeconds: ping, poolSize: pool, database: state.config.databaseLabel)
        let response = Response(status: .ok, body: .init(string: state.metrics.registry.emitToString()))
        response.headers.contentType = HTTPMediaType(type: "text", subType: "plain", parameters: ["version": "0.0.4", "charset": "utf-8"])
        return response
    }

    static func openAPI(_ req: Request) async throws -> Response {
        let doc = OpenAPIDocument.build(req.application.apiCatalogue.endpoints, serverURL: SettingsController.baseURL(req))
        let data = try JSONSerialization.data(withJSONObject: doc, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
        let response = Response(status: .ok, body: .init(data: data))
        response.headers.contentType = .json
        return response
    }

    struct DocsVM: Encodable {
        struct Endpoint: Encodable {
            var method: String; var path: String; var summary: String; var auth: Bool
            var query: [String]; var request: String?; var response: String?; var status: Int
        }
        struct Group: Encodable { var tag: String; var endpoints: [Endpoint] }
        var groups: [Group]
        var schemas: [KeyValue]
    }

    /// A browsable page of the same catalogue, without any JavaScript or CDN.
    static func docs(_ req: Request) async throws -> View {
        let endpoints = req.application.apiCatalogue.endpoints
        var groups: [DocsVM.Group] = []
        for e in endpoints {
            let item = DocsVM.Endpoint(method: e.method.rawValue, path: e.openAPIPath, summary: e.summary, auth: e.authenticated,
                                       query: e.query.map { "\($0.name): \($0.description)" }, request: e.requestSchema,
                                       response: e.responseSchema, status: e.responseStatus)
            if let i = groups.firstIndex(where: { $0.tag == e.tag }) { groups[i].endpoints.append(item) } else {
                groups.append(.init(tag: e.tag, endpoints: [item]))
            }
        }
        let schemas = OpenAPIDocument.schemas.keys.sorted().map { name -> KeyValue in
            let data = (try? JSONSerialization.data(withJSONObject: OpenAPIDocument.schemas[name]!, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])) ?? Data()
            return KeyValue(key: name, value: String(decoding: data, as: UTF8.self), mono: true)
        }
        return try await req.view.render("api-docs", DocsVM(groups: groups, schemas: schemas))
    }
}
