import Fluent
import Foundation
import NIOCore
import Services
import Storage
import Vapor

/// WebTV (issue 11): the subscriber's TV app in the browser, static files under `Public/tv/`
/// (docs/WEBTV.md). It sits in front of `FileMiddleware` because three things cannot be said by a
/// plain file server:
/// - the app's routes are paths (`/tv/guide`, `/tv/vod/movie/12`): any path under `/tv/` without a
///   file extension is the app shell, so deep links and reloads work;
/// - the shell's Content-Security-Policy must let `<video>` load from the operator's stream hosts
///   (the signed URLs point at transcoders, CDN hostnames or absolute stream addresses), which
///   differ per deployment, so it is computed from the deployment the page is opened for;
/// - the manifest, the ES modules and the service worker need their exact MIME types and headers.
struct WebTVMiddleware: Middleware {
    static let prefix = "/tv/"

    // An EventLoopFuture middleware (docs/DESIGN.md, "Middleware on the hot path"): every other
    // request passes on without a Task.
    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        let path = request.url.path
        guard path == "/tv" || path.hasPrefix(Self.prefix), request.method == .GET || request.method == .HEAD else {
            return next.respond(to: request)
        }
        let asyncNext = AsyncBasicResponder { try await next.respond(to: $0).get() }
        return request.eventLoop.makeFutureWithTask { try await Self.serve(request, path: path, next: asyncNext) }
    }

    static func serve(_ request: Request, path: String, next: any AsyncResponder) async throws -> Response {
        if path == "/tv" {
            let query = request.url.query.map { "?" + $0 } ?? ""
            return request.redirect(to: Self.prefix + query, redirectType: .permanent)
        }
        let last = path.split(separator: "/").last.map(String.init) ?? ""
        if path == Self.prefix || path == Self.prefix + "index.html" || !last.contains(".") {
            return try await WebTVController.shell(request)
        }
        if last == "manifest.webmanifest" { return try await WebTVController.manifest(request) }
        if path == Self.prefix + "strings.json" { return try WebTVController.baseStrings() }
        let response = try await next.respond(to: request)
        guard response.status == .ok || response.status == .notModified else { return response }
        if last.hasSuffix(".js") {
            // The current MIME type for JavaScript (RFC 9239); module scripts insist on a JS type.
            response.headers.replaceOrAdd(name: .contentType, value: "text/javascript; charset=utf-8")
        }
        if last == "sw.js" {
            // The worker controls /tv/ only; browsers must fetch it fresh so an update is seen at once.
            response.headers.replaceOrAdd(name: "Service-Worker-Allowed", value: Self.prefix)
            response.headers.replaceOrAdd(name: .cacheControl, value: "no-cache")
        } else {
            // Modules change together with the shell: revalidate (ETag) rather than serve stale code.
            response.headers.replaceOrAdd(name: .cacheControl, value: "no-cache")
        }
        return response
    }
}

enum WebTVController {
    /// The app shell with a CSP that allows only this server, plus media from the deployment's
    /// stream hosts when the page names its deployment (`?service=`, `?host=`, or the Host header).
    static func shell(_ req: Request) async throws -> Response {
        let file = req.application.directory.publicDirectory + "tv/index.html"
        guard var html = FileManager.default.contents(atPath: file).flatMap({ String(data: $0, encoding: .utf8) }) else { throw Abort(.notFound) }
        // The manifest is named after the operator the page is opened for, so its link carries the same query.
        let scope = deploymentQuery(req)
        if !scope.isEmpty { html = html.replacingOccurrences(of: #"href="/tv/manifest.webmanifest""#, with: #"href="/tv/manifest.webmanifest?"# + scope + #"""#) }
        let data = Data(html.utf8)
        let origins = try await mediaOrigins(req)
        var headers = HTTPHeaders()
        headers.add(name: .contentType, value: "text/html; charset=utf-8")
        headers.add(name: "Content-Security-Policy", value: contentSecurityPolicy(mediaOrigins: origins))
        headers.add(name: .cacheControl, value: "no-cache")
        return Response(status: .ok, headers: headers, body: .init(data: data))
    }

    /// `service=…&host=…` of the request (how the page names its operator), percent-encoded.
    static func operatorQuery(_ req: Request) -> String {
        var c = URLComponents()
        c.queryItems = ["service", "host"].compactMap { k in req.query[String.self, at: k].flatMap { $0.isEmpty ? nil : URLQueryItem(name: k, value: $0) } }
        return c.percentEncodedQuery ?? ""
    }

    /// The same, safe inside an HTML attribute.
    static func deploymentQuery(_ req: Request) -> String {
        operatorQuery(req).replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "\"", with: "%22").replacingOccurrences(of: "<", with: "%3C")
    }

    /// The web app manifest: named after the operator (its company name, as bootstrap's branding),
    /// starting at /tv/ for the same operator, with the maskable icons drawn by scripts/webtv-icons.py.
    static func manifest(_ req: Request) async throws -> Response {
        let d = await deployment(req)
        let name = d.map { $0.companyName.isEmpty ? $0.name : $0.companyName } ?? "TV"
        let query = operatorQuery(req)
        let start = query.isEmpty ? "/tv/" : "/tv/?" + query
        let body: [String: Any] = [
            "name": name, "short_name": String(name.prefix(12)), "description": "Live TV, the TV guide, recordings and on-demand titles.",
            "id": "/tv/", "start_url": start, "scope": "/tv/", "display": "standalone", "orientation": "any",
            "background_color": "#0B1220", "theme_color": "#0B1220",
            "icons": [192, 512].map { ["src": "/tv/icons/icon-\($0).png", "sizes": "\($0)x\($0)", "type": "image/png", "purpose": "any maskable"] },
        ]
        var headers = HTTPHeaders()
        headers.add(name: .contentType, value: "application/manifest+json")
        headers.add(name: .cacheControl, value: "no-cache")
        return Response(status: .ok, headers: headers, body: .init(data: try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys, .withoutEscapingSlashes])))
    }

    /// The built-in English texts (Resources/UIT/base), in the shape of the translations
    /// endpoint: what the app says before it knows its operator (the Service ID screen of an
    /// unmapped hostname), when `/translations/{lang}` has no deployment to answer for.
    static func baseStrings() throws -> Response {
        let body: [String: Any] = ["language": "en", "rtl": false, "strings": try UITResources.base()]
        var headers = HTTPHeaders()
        headers.add(name: .contentType, value: "application/json; charset=utf-8")
        headers.add(name: .cacheControl, value: "no-cache")
        return Response(status: .ok, headers: headers, body: .init(data: try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])))
    }

    static func contentSecurityPolicy(mediaOrigins: [String]) -> String {
        let media = (["'self'"] + mediaOrigins).joined(separator: " ")
        return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src \(media); "
            + "connect-src 'self'; manifest-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
    }

    /// The deployment the page is opened for, as bootstrap resolves it; nil when it names none
    /// (then the app asks for a Service ID and reopens itself with `?service=`).
    static func deployment(_ req: Request) async -> DeploymentModel? {
        let service = req.query[String.self, at: "service"]
        let host = req.query[String.self, at: "host"] ?? req.headers.first(name: .host).map { String($0.split(separator: ":").first ?? "") }
        return try? await ClientAccountController.deployment(req, service: service, host: host).0
    }

    /// Origins (`scheme://host[:port]`) the deployment's signed stream URLs can point at: its
    /// streaming servers, CDN hostnames and the absolute addresses of its channels and on-demand
    /// items. Kept for a few seconds in the hot cache: a page load should not scan the catalogue.
    static func mediaOrigins(_ req: Request) async throws -> [String] {
        guard let d = await deployment(req), let id = d.id else { return [] }
        let env = req.serviceEnvironment
        let found: WebTVOrigins = try await env.hot.get("webtv-media:\(id)", now: env.now) {
            var urls: [String] = []
            urls += try await TranscoderModel.query(on: env.db).filter(\.$deploymentID == id).all().map(\.baseURL)
            urls += try await CDNHostnameModel.query(on: env.db).filter(\.$deploymentID == id).all().map(\.baseURL)
            for c in try await ChannelModel.query(on: env.db).filter(\.$deploymentID == id)
                .field(\.$id).field(\.$hlsURL).field(\.$dashURL).field(\.$fallbackURL).all() {
                urls += [c.hlsURL, c.dashURL, c.fallbackURL]
            }
            urls += try await VoDItemModel.query(on: env.db).filter(\.$deploymentID == id).field(\.$id).field(\.$streamURL).all().map(\.streamURL)
            return WebTVOrigins(list: origins(of: urls))
        }
        return found.list
    }

    /// Distinct http(s) origins of absolute URLs, sorted; relative paths add nothing (they are
    /// served from a streaming server or CDN hostname, listed by its base URL).
    static func origins(of urls: [String]) -> [String] {
        var set = Set<String>()
        for u in urls {
            guard let c = URLComponents(string: u.trimmingCharacters(in: .whitespaces)), let scheme = c.scheme?.lowercased(),
                  scheme == "http" || scheme == "https", let host = c.host, !host.isEmpty,
                  host.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == ":" || $0 == "[" || $0 == "]" }) else { continue }
            set.insert("\(scheme)://\(host.lowercased())" + (c.port.map { ":\($0)" } ?? ""))
        }
        return set.sorted()
    }
}

struct WebTVOrigins: Sendable { var list: [String] }
