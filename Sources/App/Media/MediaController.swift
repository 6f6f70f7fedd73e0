import Foundation
import Services
import Storage
import Vapor

/// `GET /media/{id}`: uploaded images (branding) for the console and the TV apps. Ids are random
/// and an asset never changes, so responses are cacheable forever and need no login.
enum MediaController {
    static func register(_ app: Application) {
        app.get("media", ":id", use: get)
    }

    static func get(_ req: Request) async throws -> Response {
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)),
              let m = try await MediaService.find(req.serviceEnvironment, id: id) else {
            throw Abort(.notFound)
        }
        let etag = "\"\(m.sha256)\""
        if req.headers.first(name: .ifNoneMatch) == etag { return Response(status: .notModified) }
        let response = Response(status: .ok, body: .init(data: m.data))
        response.headers.contentType = HTTPMediaType.fileExtension(m.contentType.replacingOccurrences(of: "image/", with: ""))
            ?? HTTPMediaType(type: "application", subType: "octet-stream")
        response.headers.replaceOrAdd(name: .cacheControl, value: "public, max-age=31536000, immutable")
        response.headers.replaceOrAdd(name: .eTag, value: etag)
        // Never sniffed as anything but the image it was validated to be.
        response.headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        return response
    }
}
