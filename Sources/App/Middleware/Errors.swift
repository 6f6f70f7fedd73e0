import Domain
import Foundation
import Vapor

/// The JSON error shape of every API: `{"error":{"code":"…","message":"…","fields":{…}}}`.
struct APIErrorBody: Content {
    struct Detail: Content {
        var code: String
        var message: String
        var fields: [String: String]?
    }
    var error: Detail
}

extension DomainError.Kind {
    var status: HTTPResponseStatus {
        switch self {
        case .invalid: .unprocessableEntity
        case .notFound: .notFound
        case .conflict: .conflict
        case .forbidden: .forbidden
        case .unauthorized: .unauthorized
        case .locked: .locked
        case .rateLimited: .tooManyRequests
        }
    }
}

/// An HTTP-layer refusal with a stable code (bad CSRF token, missing bearer token…).
struct HTTPError: AbortError {
    var status: HTTPResponseStatus
    var code: String
    var reason: String

    static let csrf = HTTPError(status: .forbidden, code: "csrf_failed",
                                reason: "This form has expired or did not come from TVMS. Go back, reload the page and submit it again.")
    static let unauthenticated = HTTPError(status: .unauthorized, code: "unauthenticated",
                                           reason: "Send a valid bearer token: Authorization: Bearer <token>.")
}

/// Maps every error once: DomainError and HTTPError keep their code and message; anything else is
/// logged and answered with a generic 500 that leaks no internals.
struct AppErrorMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            return try await next.respond(to: request)
        } catch {
            let (status, code, message, fields) = Self.describe(error)
            if status == .internalServerError {
                request.logger.report(error: error)
            }
            if BillingAPI.isBillingPath(request.url.path) {
                let e = error as? DomainError ?? DomainError(.invalid, code: code, message)
                var response = try BillingAPI.errorResponse(e)
                if !(error is DomainError) {
                    response = try BillingAPI.encode(BillingReply(status: status, ["Message": .string(message), "Code": .string(code)]))
                }
                return response
            }
            if Self.wantsJSON(request) {
                let body = APIErrorBody(error: .init(code: code, message: message, fields: fields.isEmpty ? nil : fields))
                let response = Response(status: status)
                try response.content.encode(body)
                if status == .unauthorized { response.headers.replaceOrAdd(name: .wwwAuthenticate, value: "Bearer") }
                return response
            }
            return try await ErrorPage.render(request, status: status, message: message)
        }
    }

    static func describe(_ error: any Error) -> (HTTPResponseStatus, String, String, [String: String]) {
        switch error {
        case let e as DomainError: return (e.kind.status, e.code, e.message, e.fields)
        case let e as HTTPError: return (e.status, e.code, e.reason, [:])
        case let e as any AbortError:
            let code = e.status == .notFound ? "not_found" : e.status.reasonPhrase.lowercased().replacingOccurrences(of: " ", with: "_")
            let message = e.status == .notFound ? "There is nothing at this address." : e.reason
            return (e.status, code, message, [:])
        case is DecodingError:
            return (.badRequest, "bad_request", "The request body could not be read: check its JSON and field types.", [:])
        default:
            return (.internalServerError, "internal_error", "Something went wrong on our side. The error has been logged.", [:])
        }
    }

    static func wantsJSON(_ request: Request) -> Bool {
        let path = request.url.path
        return path.hasPrefix("/api/") || path.hasPrefix("/webhooks/") || path == "/healthz" || path == "/readyz"
            || request.headers.accept.contains { $0.mediaType.type == "application" && $0.mediaType.subType == "json" }
    }
}

/// Headers every response carries: no framing (clickjacking), no MIME sniffing, a strict CSP that
/// allows only our own scripts and styles, and no referrer leaks of console URLs.
struct SecurityHeadersMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let response = try await next.respond(to: request)
        response.headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        // A page meant to be framed by the console (the UIT preview) says SAMEORIGIN itself.
        let sameOrigin = response.headers.first(name: "X-Frame-Options") == "SAMEORIGIN"
        response.headers.replaceOrAdd(name: "X-Frame-Options", value: sameOrigin ? "SAMEORIGIN" : "DENY")
        response.headers.replaceOrAdd(name: "Referrer-Policy", value: "same-origin")
        // The raw header is compared: parsing it into HTTPMediaType costs more than the rest of this.
        // A page that set its own policy keeps it (WebTV's shell allows media from stream hosts).
        if response.headers.first(name: .contentType)?.lowercased().hasPrefix("text/html") == true,
           !response.headers.contains(name: "Content-Security-Policy") {
            response.headers.replaceOrAdd(name: "Content-Security-Policy",
                                          value: "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors \(sameOrigin ? "'self'" : "'none'"); form-action 'self'")
            response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        }
        return response
    }
}

