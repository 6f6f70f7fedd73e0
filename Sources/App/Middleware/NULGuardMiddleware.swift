import Domain
import Vapor

/// Refuses requests that carry a NUL character in the query string or a text body. PostgreSQL
/// cannot store NUL in text (SQLite can), so without this the same input would be accepted on one
/// database and fail with a server error on the other; now both answer the same clear refusal.
/// Every API request passes here, so the body is scanned as bytes (no String, no Foundation).
struct NULGuardMiddleware: Middleware {
    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        if let query = request.url.query, query.utf8.contains(0) || Self.contains(query.utf8, escape: Self.percentNUL) {
            return request.eventLoop.makeFailedFuture(refusal)
        }
        if let body = request.body.data, body.readableBytes > 0 {
            let type = Self.textType(request.headers.first(name: .contentType))
            if type != .binary {
                let bytes = body.readableBytesView
                if bytes.contains(0) || Self.contains(bytes, escape: type == .form ? Self.percentNUL : Self.jsonNUL) {
                    return request.eventLoop.makeFailedFuture(refusal)
                }
            }
        }
        return next.respond(to: request)
    }

    var refusal: DomainError { DomainError.validation(["request": "contains a NUL character, which no field may hold"]) }

    enum BodyType { case json, form, binary }

    /// JSON, forms, plain text and a missing type are checked; uploads (multipart, images, .xlsx)
    /// carry binary data.
    static func textType(_ contentType: String?) -> BodyType {
        guard let contentType else { return .json }
        if contentType == "application/json" { return .json }   // the API's usual case, without lower-casing
        let raw = contentType.lowercased()
        let essence = raw.split(separator: ";", maxSplits: 1).first.map { $0.trimmingSpaces } ?? ""
        if essence == "application/x-www-form-urlencoded" { return .form }
        if essence == "application/json" || essence.hasPrefix("text/") { return .json }
        return .binary
    }

    static let percentNUL = Array("%00".utf8)
    static let jsonNUL = Array("\\u0000".utf8)

    /// Whether `bytes` contains `escape`, ASCII letters compared case-insensitively (`%00`, `\u0000`
    /// have no letters but `\U0000` is not valid JSON anyway; the comparison stays general).
    static func contains<C: Collection>(_ bytes: C, escape: [UInt8]) -> Bool where C.Element == UInt8 {
        let first = escape[0]
        var i = bytes.startIndex
        while let at = bytes[i...].firstIndex(of: first) {
            var j = bytes.index(after: at), k = 1
            while k < escape.count, j < bytes.endIndex, bytes[j] | 0x20 == escape[k] | 0x20 { j = bytes.index(after: j); k += 1 }
            if k == escape.count { return true }
            i = bytes.index(after: at)
        }
        return false
    }
}

private extension Substring {
    var trimmingSpaces: String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}
