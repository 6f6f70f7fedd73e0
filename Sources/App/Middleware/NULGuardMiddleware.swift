import Domain
import Vapor

/// Refuses requests that carry a NUL character in the query string or a text body. PostgreSQL
/// cannot store NUL in text (SQLite can), so without this the same input would be accepted on one
/// database and fail with a server error on the other; now both answer the same clear refusal.
struct NULGuardMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if let query = request.url.query, query.range(of: "%00", options: .caseInsensitive) != nil || query.contains("\0") {
            throw refusal
        }
        if let body = request.body.data, body.readableBytes > 0, isText(request.headers.contentType) {
            let bytes = body.readableBytesView
            if bytes.contains(0) { throw refusal }
            let text = String(decoding: bytes, as: UTF8.self)
            let encoded = request.headers.contentType == .urlEncodedForm ? "%00" : "\\u0000"
            if text.range(of: encoded, options: .caseInsensitive) != nil { throw refusal }
        }
        return try await next.respond(to: request)
    }

    var refusal: DomainError { DomainError.validation(["request": "contains a NUL character, which no field may hold"]) }

    /// JSON, forms and plain text are checked; uploads (multipart, images, .xlsx) carry binary data.
    func isText(_ type: HTTPMediaType?) -> Bool {
        guard let type else { return true }
        return type == .json || type == .urlEncodedForm || type.type == "text"
    }
}
