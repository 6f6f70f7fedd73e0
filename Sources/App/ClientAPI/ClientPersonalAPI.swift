import Domain
import Foundation
import Services
import Storage
import Vapor

/// The subscriber's own part of `/api/client/v1` (issue 9): profiles and parental control,
/// favourites, watchlist and resume points, messages, pay-per-view and the wallet, analytics
/// events and problem reports. Every route is registered through `ClientAPIRoutes`, which
/// describes it in the subscriber API's OpenAPI document (`GET /api/client/v1/openapi.json`).
enum ClientPersonalAPI {
    static func register(_ app: Application) {
        let client = app.grouped("api", "client", "v1")
        client.get("openapi.json", use: openAPI)
        // Avatar pictures are public and never change: the apps' image loaders fetch them without a token.
        client.get("avatars", ":file", use: ClientProfilesController.avatarImage)
        let api = ClientAPIRoutes(builder: client.grouped(DeviceSessionMiddleware(), ClientIdempotencyMiddleware()), catalogue: app.clientAPICatalogue)
        ClientProfilesController.register(api)
        ClientPersonalController.register(api)
        ClientMessagesController.register(api)
        ClientCommerceController.register(api)
        ClientEventsController.register(api)
    }

    static func openAPI(_ req: Request) async throws -> Response {
        let info: [String: Any] = [
            "title": "TVMS subscriber API", "version": "1",
            "description": "The API of the TV apps. Sign a device in with POST /api/client/v1/auth/login and send `Authorization: Bearer <token>`. "
                + "Errors are {\"error\":{\"code\",\"message\",\"fields\"}} with stable snake_case codes. Writes that cost money accept an "
                + "`Idempotency-Key` header: a retry with the same key gets the first answer and never acts twice.",
        ]
        let doc = OpenAPIDocument.build(req.application.clientAPICatalogue.endpoints, serverURL: SettingsController.baseURL(req), info: info,
                                        schemas: ClientAPISchemas.all, moreErrors: [("423", "Locked after too many wrong PINs; try again later")])
        let data = try JSONSerialization.data(withJSONObject: doc, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
        let response = Response(status: .ok, body: .init(data: data))
        response.headers.contentType = .json
        return response
    }
}

extension Application {
    struct ClientAPICatalogueKey: StorageKey { typealias Value = APICatalogue }
    /// The documented endpoints of the subscriber API (`/api/client/v1`).
    var clientAPICatalogue: APICatalogue {
        if let c = storage[ClientAPICatalogueKey.self] { return c }
        let c = APICatalogue()
        storage[ClientAPICatalogueKey.self] = c
        return c
    }
}

/// Registers a documented subscriber-API route (components relative to `/api/client/v1`).
struct ClientAPIRoutes {
    let builder: any RoutesBuilder
    let catalogue: APICatalogue

    func add(_ m: HTTPMethod, _ path: [String], _ summary: String, _ tag: String, query: [(String, String)] = [], body: String? = nil,
             status: Int = 200, response: String? = nil, maxBody: ByteCount? = nil, use handler: @escaping @Sendable (Request) async throws -> Response) {
        var e = APIEndpoint(method: m, components: path, summary: summary, tag: tag, query: query.map { (name: $0.0, description: $0.1) },
                            requestSchema: body, responseStatus: status, responseSchema: response)
        e.basePath = "/api/client/v1/"
        catalogue.add(e)
        let strategy: HTTPBodyStreamStrategy = maxBody.map { .collect(maxSize: $0) } ?? .collect
        builder.on(m, path.map { PathComponent(stringLiteral: $0) }, body: strategy, use: handler)
    }
}

/// Shared bits of the subscriber API's handlers.
enum ClientAPI {
    static func id(_ req: Request, _ name: String, _ what: String) throws -> Int {
        guard let id = req.parameters.get(name, as: Int.self) else { throw DomainError.notFound(what) }
        return id
    }

    static func noContent() -> Response {
        var headers = HTTPHeaders()
        headers.add(name: .cacheControl, value: "no-store")
        return Response(status: .noContent, headers: headers)
    }

    /// An optional JSON body (DELETE with a PIN, say): nil when none was sent.
    static func optionalBody<T: Decodable>(_ type: T.Type, from req: Request) throws -> T? {
        guard let body = req.body.data, body.readableBytes > 0 else { return nil }
        return try ClientJSON.decode(type, from: req)
    }
}

/// `Idempotency-Key` on subscriber-API writes (renting, problem reports): the first call with a
/// key claims it for this customer and endpoint and its answer is kept for 24 hours; a retry
/// (even a concurrent one) gets that answer again instead of acting twice — a rental is never
/// charged twice. The same store and rules as the business API's (`IdempotencyStore`).
struct ClientIdempotencyMiddleware: Middleware {
    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        // Requests without a key (playback, every read) pass straight through, without a Task.
        guard request.method != .GET, request.method != .HEAD, let given = request.headers.first(name: "Idempotency-Key") else {
            return next.respond(to: request)
        }
        let ctx = request.device
        let asyncNext = AsyncBasicResponder { try await next.respond(to: $0).get() }
        return request.eventLoop.makeFutureWithTask {
            try await IdempotentResponse.respond(request, key: "client:\(ctx.customerID):\(given)", given: given, deploymentID: ctx.deploymentID, next: asyncNext)
        }
    }
}
