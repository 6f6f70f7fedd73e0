import Domain
import Foundation
import NIOCore
import NIOFoundationCompat
import Vapor

/// JSON in and out of the subscriber API without Vapor's content negotiation. The apps always send
/// and accept JSON; parsing the Content-Type into media types and directives on every request cost
/// more than playback authorisation's own work, so the hot endpoints read and write bytes directly.
enum ClientJSON {
    /// Dates as ISO 8601 instants, like every TVMS API; slashes unescaped so URLs read as sent.
    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.dateEncodingStrategy = .iso8601
        e.outputFormatting = [.withoutEscapingSlashes]
        return e
    }()

    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        return d
    }()

    /// The request body as `T`. A body that says it is something other than JSON is refused
    /// (415) rather than guessed at; a missing Content-Type is read as JSON.
    static func decode<T: Decodable>(_ type: T.Type, from req: Request) throws -> T {
        if let declared = req.headers.first(name: .contentType), declared != "application/json", !declared.lowercased().hasPrefix("application/json") {
            throw Abort(.unsupportedMediaType, reason: "Send the request body as application/json.")
        }
        guard let body = req.body.data, body.readableBytes > 0 else {
            throw DomainError.validation(["body": "a JSON object is required"])
        }
        return try decoder.decode(T.self, from: body)
    }

    static func response<T: Encodable>(_ value: T, status: HTTPResponseStatus = .ok, noStore: Bool = true) throws -> Response {
        var headers = HTTPHeaders()
        headers.add(name: .contentType, value: "application/json; charset=utf-8")
        if noStore { headers.add(name: .cacheControl, value: "no-store") }
        return Response(status: status, headers: headers, body: .init(data: try encoder.encode(value)))
    }

    /// Whether the app already holds the answer tagged `etag` (quoted): If-None-Match may list
    /// several tags, mark them weak (`W/`) or say `*`.
    static func holds(_ req: Request, etag: String) -> Bool {
        guard let header = req.headers.first(name: .ifNoneMatch) else { return false }
        return header.split(separator: ",").contains { tag in
            let t = tag.trimmingCharacters(in: .whitespaces)
            return t == "*" || t == etag || t == "W/" + etag
        }
    }
}
