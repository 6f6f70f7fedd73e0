import Foundation
import Vapor

/// One documented REST v1 endpoint. Routes are registered through `APIRoutes.add`, which records
/// the documentation at the same time, so the OpenAPI document cannot miss an endpoint (a test
/// checks it against the router too).
struct APIEndpoint: Sendable {
    var method: HTTPMethod
    /// Vapor path components, e.g. ["deployments", ":id"].
    var components: [String]
    var summary: String
    var tag: String
    var authenticated: Bool = true
    var query: [(name: String, description: String)] = []
    var requestSchema: String? = nil
    var responseStatus: Int = 200
    var responseSchema: String?
    /// The API the components are under: REST v1, or the subscriber API (`/api/client/v1/`).
    var basePath: String = "/api/v1/"

    /// OpenAPI style path: /api/v1/deployments/{id}
    var openAPIPath: String {
        basePath + components.map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : $0 }.joined(separator: "/")
    }
}

final class APICatalogue: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [APIEndpoint] = []

    func add(_ e: APIEndpoint) { lock.withLock { list.append(e) } }
    var endpoints: [APIEndpoint] { lock.withLock { list } }
}

extension Application {
    struct APICatalogueKey: StorageKey { typealias Value = APICatalogue }
    var apiCatalogue: APICatalogue {
        if let c = storage[APICatalogueKey.self] { return c }
        let c = APICatalogue()
        storage[APICatalogueKey.self] = c
        return c
    }
}

/// Registers a documented v1 route.
struct APIRoutes {
    let builder: any RoutesBuilder
    let catalogue: APICatalogue
    let authenticated: Bool

    func add(_ endpoint: APIEndpoint, use handler: @escaping @Sendable (Request) async throws -> Response) {
        var e = endpoint
        e.authenticated = authenticated
        catalogue.add(e)
        builder.on(e.method, e.components.map { PathComponent(stringLiteral: $0) }, use: handler)
    }
}
