import Domain
import Foundation
import Services
import Vapor

/// The UI toolkit's part of the subscriber API (issue 10): a UI's published document and the
/// merged texts of a language. Both are open (the apps need them before sign-in) and cacheable:
/// the UI's ETag is its version, the texts' a digest of what is served; `If-None-Match` gets 304.
enum ClientUIToolkitController {
    static func register(_ open: ClientAPIRoutes) {
        let tag = "User interface"
        open.add(.GET, ["ui", ":uiId"], "A user interface as the apps draw it: template, colours, artwork, menu, rails, behaviour (ETag = version)", tag,
                 query: [("host", "Optional: the app's hostname; a UI of another operator is then not found"), ("service", "Optional: the Service ID, the same check")],
                 response: "UIDocument", use: ui)
        open.add(.GET, ["translations", ":lang"], "Every text of the apps in one language, overrides merged, missing keys in English", tag,
                 query: [("host", "The app's hostname"), ("service", "The Service ID (instead of host)"), ("ui", "A UI id: its overrides are merged too")],
                 response: "Translations", use: translations)
    }

    static func ui(_ req: Request) async throws -> Response {
        guard let raw = req.parameters.get("uiId"), let id = UUID(uuidString: raw) else { throw DomainError.notFound("The user interface") }
        let host = req.query[String.self, at: "host"], service = req.query[String.self, at: "service"]
        var deploymentID: UUID? = nil
        if (host ?? "").isEmpty == false || (service ?? "").isEmpty == false {
            deploymentID = try await ClientAccountController.deployment(req, service: service, host: host).0.id
        }
        let doc = try await UserInterfaceService.current(req.serviceEnvironment, id: id, deploymentID: deploymentID)
        return try cached(req, etag: String(doc.version), body: ClientJSON.encoder.encode(doc))
    }

    static func translations(_ req: Request) async throws -> Response {
        let lang = req.parameters.get("lang") ?? ""
        let (d, _) = try await ClientAccountController.deployment(req, service: req.query[String.self, at: "service"], host: req.query[String.self, at: "host"])
        var ui: UUID? = nil
        if let raw = req.query[String.self, at: "ui"], !raw.isEmpty {
            guard let id = UUID(uuidString: raw) else { throw DomainError.notFound("The user interface") }
            ui = id
        }
        let (language, strings) = try await TranslationService.strings(req.serviceEnvironment, deploymentID: d.requireID(), language: lang, ui: ui)
        return try ClientCatalogueController.json(req, ["language": language.code, "rtl": language.rtl, "strings": strings], cacheControl: "no-cache")
    }

    /// 200 with the body and its ETag, or 304 when the app already holds this version. The apps
    /// revalidate on every start (`no-cache`), so a new version is seen at once.
    static func cached(_ req: Request, etag: String, body: Data) throws -> Response {
        let quoted = "\"\(etag)\""
        var headers = HTTPHeaders()
        headers.add(name: .eTag, value: quoted)
        headers.add(name: .cacheControl, value: "no-cache")
        if ClientJSON.holds(req, etag: quoted) { return Response(status: .notModified, headers: headers) }
        headers.add(name: .contentType, value: "application/json; charset=utf-8")
        return Response(status: .ok, headers: headers, body: .init(data: body))
    }
}
