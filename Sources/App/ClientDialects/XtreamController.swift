import Domain
import Foundation
import NIOCore
import Services
import Storage
import Vapor

/// The Xtream Codes dialect for existing IPTV players, and per-customer M3U and XMLTV
/// (docs/CLIENTS.md): `player_api.php`, `get.php`, `xmltv.php` and the stream paths `/live`,
/// `/movie`, `/series`, `/timeshift` (plus `/timeshifts/…` and `/streaming/timeshift.php`),
/// at the root and under `/xc/{crmService}/` for installations where one login id exists at
/// several operators. Stream paths answer with a redirect to the signed address playback
/// authorisation grants.
///
/// Credentials are in every Xtream URL (the protocol's design): they are never logged here, the
/// metrics middleware records route patterns only, and errors never echo them.
enum XtreamController {
    /// The dialect's per-process state: built catalogues, proven passwords, guide files, and the
    /// rendered bodies of lists and playlists.
    final class State: @unchecked Sendable {
        let clients = ClientDialectState()
        let bodies = RenderedBodies()
        /// `TVMS_XTREAM_AUTH_FAILURE=401`: refused logins get HTTP 401 instead of XC's HTTP 200
        /// with `user_info.auth = 0` (the body is the same JSON either way).
        var strictStatus: Bool
        init(strictStatus: Bool) { self.strictStatus = strictStatus }
    }

    struct StateKey: StorageKey { typealias Value = State }

    static func register(_ app: Application) {
        let strict = Environment.get("TVMS_XTREAM_AUTH_FAILURE") == "401"
        let state = State(strictStatus: strict)
        app.storage[StateKey.self] = state
        app.lifecycle.use(GuideCleanup(state: state))
        for routes in [app.routes, app.grouped("xc", ":service")] as [any RoutesBuilder] {
            routes.get("player_api.php", use: playerAPI)
            routes.post("player_api.php", use: playerAPI)
            routes.get("get.php", use: playlist)
            routes.post("get.php", use: playlist)
            routes.get("xmltv.php", use: guide)
            routes.get("live", ":u", ":p", ":file") { try await stream($0, kind: "live") }
            routes.get("movie", ":u", ":p", ":file") { try await stream($0, kind: "movie") }
            routes.get("series", ":u", ":p", ":file") { try await stream($0, kind: "series") }
            routes.get("timeshift", ":u", ":p", ":duration", ":start", ":file", use: timeshift)
            routes.get("timeshifts", ":u", ":p", ":duration", ":id", ":file", use: timeshiftAlternative)
            routes.get("streaming", "timeshift.php", use: timeshiftQuery)
        }
    }

    struct GuideCleanup: LifecycleHandler {
        let state: State
        func shutdown(_ application: Application) { state.clients.guides.removeAll() }
    }

    static func state(_ req: Request) -> State { req.application.storage[StateKey.self]! }

    // MARK: Requests

    /// Query (and form body) parameters, parsed once. XC players send `+` for spaces.
    static func parameters(_ req: Request) -> [String: String] {
        var out: [String: String] = [:]
        func add(_ text: Substring) {
            for pair in text.split(separator: "&") where !pair.isEmpty {
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let decode = { (s: Substring) in String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s) }
                let key = decode(kv[0]).lowercased()
                if out[key] == nil { out[key] = kv.count > 1 ? decode(kv[1]) : "" }
            }
        }
        if let q = req.url.query { add(Substring(q)) }
        if req.method == .POST, req.headers.first(name: .contentType)?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true,
           let body = req.body.string { add(Substring(body)) }
        return out
    }

    static func path(_ req: Request, _ name: String) -> String {
        let raw = req.parameters.get(name) ?? ""
        return raw.contains("%") ? (raw.removingPercentEncoding ?? raw) : raw
    }

    static func ip(_ req: Request) -> String { req.clientIP ?? "0.0.0.0" }

    /// The server as players should address it, from the request (Host; the scheme from
    /// `X-Forwarded-Proto` behind a trusted proxy, else from `TVMS_SECURE_COOKIES`).
    static func server(_ req: Request) -> XtreamViews.Server {
        let config = req.application.tvms.config
        var scheme = config.secureCookies ? "https" : "http"
        if config.trustProxy, let proto = req.headers.first(name: "X-Forwarded-Proto")?.lowercased(), proto == "https" || proto == "http" { scheme = proto }
        let hostHeader = req.headers.first(name: .host) ?? "localhost"
        var host = hostHeader
        var port = scheme == "https" ? 443 : 80
        if hostHeader.hasPrefix("[") {
            if let close = hostHeader.firstIndex(of: "]") {
                host = String(hostHeader[...close])
                let rest = hostHeader[hostHeader.index(after: close)...]
                if rest.hasPrefix(":"), let p = Int(rest.dropFirst()) { port = p }
            }
        } else if let colon = hostHeader.lastIndex(of: ":"), let p = Int(hostHeader[hostHeader.index(after: colon)...]) {
            host = String(hostHeader[..<colon]); port = p
        }
        var s = XtreamViews.Server(host: host, port: port, scheme: scheme, base: "")
        s.base = s.origin + (req.parameters.get("service").map { "/xc/\($0.lowercased())" } ?? "")
        return s
    }

    // MARK: Responses

    static func json(_ bytes: [UInt8], status: HTTPResponseStatus = .ok) -> Response {
        json(ByteBuffer(bytes: bytes), status: status)
    }

    static func json(_ buffer: ByteBuffer, status: HTTPResponseStatus = .ok) -> Response {
        var headers = HTTPHeaders()
        headers.add(name: .contentType, value: "application/json; charset=utf-8")
        headers.add(name: .cacheControl, value: "no-store")
        headers.add(name: "Access-Control-Allow-Origin", value: "*")
        return Response(status: status, headers: headers, body: .init(buffer: buffer))
    }

    static func text(_ message: String, status: HTTPResponseStatus) -> Response {
        var headers = HTTPHeaders()
        headers.add(name: .contentType, value: "text/plain; charset=utf-8")
        headers.add(name: .cacheControl, value: "no-store")
        return Response(status: status, headers: headers, body: .init(string: message + "\n"))
    }

    /// A refusal outside `player_api.php`: the status of the error's kind, its message as text.
    static func refusal(_ error: any Error) -> Response {
        let (status, _, message, fields) = AppErrorMiddleware.describe(error)
        let detail = fields.isEmpty ? "" : " (" + fields.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: "; ") + ")"
        return text(message + detail, status: status)
    }

    // MARK: Sign-in

    static func signIn(_ req: Request, login: String?, password: String?) async throws -> ClientAccess.Account {
        guard let login, let password, !login.isEmpty else { throw ClientAccess.wrongCredentials }
        return try await ClientAccess.signIn(req.serviceEnvironment, state: state(req).clients, service: req.parameters.get("service"),
                                             login: login, password: password, ip: ip(req))
    }

    /// A refused `player_api.php` login: XC's `user_info.auth = 0` JSON, with HTTP 200 (what
    /// classic panels and xtream-api-client expect) or 401 (`TVMS_XTREAM_AUTH_FAILURE=401`).
    static func refusedLogin(_ req: Request, _ error: any Error) -> Response {
        let (status, code, message, _) = AppErrorMiddleware.describe(error)
        guard status.code < 500 else { return json(XtreamViews.refused(message: "The server could not sign you in now.", unauthorized: false), status: status) }
        let strict = state(req).strictStatus
        let xcStatus: String? = code == "locked" || code == "rate_limited" ? "Disabled" : nil
        return json(XtreamViews.refused(message: message, status: xcStatus, unauthorized: strict), status: strict ? .unauthorized : .ok)
    }

    // MARK: player_api.php

    static func playerAPI(_ req: Request) async throws -> Response {
        let p = parameters(req)
        let account: ClientAccess.Account
        do { account = try await signIn(req, login: p["username"], password: p["password"]) } catch { return refusedLogin(req, error) }
        let env = req.serviceEnvironment
        let server = server(req)
        let action = p["action"] ?? ""
        let lists = ["get_live_categories", "get_vod_categories", "get_series_categories", "get_live_streams", "get_vod_streams", "get_series",
                     "get_vod_info", "get_series_info", "get_short_epg", "get_simple_data_table"]
        guard lists.contains(action) else {
            // No action, or one we do not know: the account (as Dispatcharr and XC_VM do).
            let active = try await ClientAccess.activeConnections(env, customerID: account.customer.id!)
            return json(XtreamViews.account(account, password: p["password"] ?? "", activeConnections: active, server: server, now: env.now, message: account.product.supportText))
        }
        // An account that is not served (expired, disabled) signs in but sees nothing.
        guard account.status.isServed else { return json(Array("[]".utf8)) }
        let clients = state(req).clients
        let catalogue = try await clients.catalogues.catalogue(env, set: account.set)
        let bodies = state(req).bodies
        let category = p["category_id"].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        func cached(_ name: String, _ render: () -> [UInt8]) -> Response {
            json(bodies.buffer("\(name)|\(category.map(String.init) ?? "*")|\(server.base)", catalogue: catalogue, render: render))
        }
        switch action {
        case "get_live_categories": return cached(action) { XtreamViews.categories(catalogue.liveCategories) }
        case "get_vod_categories": return cached(action) { XtreamViews.categories(catalogue.vodCategories) }
        case "get_series_categories": return cached(action) { XtreamViews.categories(catalogue.seriesCategories) }
        case "get_live_streams": return cached(action) { XtreamViews.liveStreams(catalogue, server: server, category: category) }
        case "get_vod_streams": return cached(action) { XtreamViews.vodStreams(catalogue, server: server, category: category) }
        case "get_series": return cached(action) { XtreamViews.series(catalogue, server: server, category: category) }
        case "get_vod_info":
            guard let id = p["vod_id"].flatMap({ Int($0) }), let movie = catalogue.movie(id) else { return json(Array("[]".utf8)) }
            return json(XtreamViews.vodInfo(movie, server: server))
        case "get_series_info":
            guard let id = p["series_id"].flatMap({ Int($0) }), let show = catalogue.series(id) else { return json(Array("[]".utf8)) }
            let detail = try await ClientCatalogueDetail.series(env, deploymentID: catalogue.set.deploymentID, seriesID: id)
            return json(XtreamViews.seriesInfo(show, detail: detail, server: server))
        default:
            // get_short_epg: now and the next `limit` (default 4); get_simple_data_table: the
            // whole window, past included (catch-up).
            guard let id = p["stream_id"].flatMap({ Int($0) }), let channel = catalogue.channel(id) else { return json(Array(#"{"epg_listings":[]}"#.utf8)) }
            let now = env.now
            let table = action == "get_simple_data_table"
            let rows = table
                ? try await XtreamGuide.listings(env, catalogue: catalogue, channel: channel, from: now.addingTimeInterval(-XtreamGuide.past), to: now.addingTimeInterval(XtreamGuide.ahead))
                : try await XtreamGuide.listings(env, catalogue: catalogue, channel: channel, from: now, to: now.addingTimeInterval(XtreamGuide.ahead),
                                                 limit: min(max(p["limit"].flatMap { Int($0) } ?? 4, 1), 100))
            return json(XtreamViews.listings(rows, zone: account.zone, now: now, catchupDays: channel.catchupDays, table: table))
        }
    }

    // MARK: get.php

    static let playlistChunk = 32 * 1024

    static func playlist(_ req: Request) async throws -> Response {
        let p = parameters(req)
        let login = p["username"], password = p["password"]
        let account: ClientAccess.Account
        do { account = try await signIn(req, login: login, password: password) } catch { return refusal(error) }
        guard account.status.isServed else { return text("The subscription is \(account.status.label.lowercased()): the playlist is empty until it is renewed.", status: .forbidden) }
        let type = (p["type"] ?? "m3u_plus").lowercased()
        guard type == "m3u" || type == "m3u_plus" else {
            return text("Playlist type \(type) is not offered: use type=m3u or type=m3u_plus.", status: .badRequest)
        }
        let env = req.serviceEnvironment
        let server = server(req)
        let ext = XtreamFormat.liveExtension(output: p["output"])
        let catalogue = try await state(req).clients.catalogues.catalogue(env, set: account.set)
        let sections = try await state(req).bodies.playlist("\(type)|\(ext)|\(server.base)", catalogue: catalogue) {
            var episodes: [Int: ClientCatalogueDetail.Series] = [:]
            for show in catalogue.series {
                episodes[show.id] = try await ClientCatalogueDetail.series(env, deploymentID: catalogue.set.deploymentID, seriesID: show.id)
            }
            return ClientPlaylists.build(catalogue, server: server, plus: type == "m3u_plus", ext: ext, episodes: episodes)
        }
        let keys = Set((p["key"] ?? "").lowercased().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        let all = keys.isEmpty
        let template = sections.playlist(live: all || keys.contains("live") || keys.contains("created_live") || keys.contains("radio_streams"),
                                         movies: all || keys.contains("movie"), series: all || keys.contains("series"))
        let credentials = PlaylistTemplate.Credentials(login: login ?? "", password: password ?? "")
        var headers = HTTPHeaders()
        headers.add(name: .contentType, value: "audio/x-mpegurl; charset=utf-8")
        headers.add(name: .contentDisposition, value: "attachment; filename=\"playlist.m3u\"")
        headers.add(name: .cacheControl, value: "no-store")
        let count = template.length(path: credentials.path.count, query: credentials.query.count)
        let allocator = req.byteBufferAllocator
        // Filled straight into one reused buffer of `playlistChunk` bytes: each response in flight
        // holds one chunk, whatever the playlist's size.
        let body = Response.Body(managedAsyncStream: { writer in
            var buffer = allocator.buffer(capacity: playlistChunk + 4096)
            for (i, part) in template.parts.enumerated() {
                buffer.writeBytes(part)
                if i < template.holes.count { buffer.writeBytes(template.holes[i] == .path ? credentials.path : credentials.query) }
                if buffer.readableBytes >= playlistChunk {
                    try await writer.writeBuffer(buffer)
                    buffer.clear()
                }
            }
            if buffer.readableBytes > 0 { try await writer.writeBuffer(buffer) }
        }, count: count)
        return Response(status: .ok, headers: headers, body: body)
    }

    // MARK: xmltv.php

    static func guide(_ req: Request) async throws -> Response {
        let p = parameters(req)
        let account: ClientAccess.Account
        do { account = try await signIn(req, login: p["username"], password: p["password"]) } catch { return refusal(error) }
        guard account.status.isServed else { return text("The subscription is \(account.status.label.lowercased()): the guide is empty until it is renewed.", status: .forbidden) }
        let env = req.serviceEnvironment
        let gzip = ["1", "true", "yes"].contains((p["gzip"] ?? "").lowercased())
        let catalogue = try await state(req).clients.catalogues.catalogue(env, set: account.set)
        let file = try await XtreamGuide.guideFile(env, state: state(req).clients, catalogue: catalogue, origin: server(req).origin, gzip: gzip)
        let response = try await req.fileio.asyncStreamFile(at: file.path, mediaType: gzip ? HTTPMediaType(type: "application", subType: "gzip") : .xml)
        response.headers.replaceOrAdd(name: .cacheControl, value: "private, max-age=300")
        return response
    }

    // MARK: Stream paths

    static func redirect(_ req: Request, login: String, password: String, target: ClientPlayback.Target) async -> Response {
        do {
            let account = try await signIn(req, login: login, password: password)
            let grant = try await ClientPlayback.authorise(req.serviceEnvironment, account: account, target: target, ip: ip(req))
            var headers = HTTPHeaders()
            headers.add(name: .location, value: grant.url)
            headers.add(name: .cacheControl, value: "no-store")
            return Response(status: .found, headers: headers)
        } catch {
            return refusal(error)
        }
    }

    static func stream(_ req: Request, kind: String) async throws -> Response {
        guard let id = XtreamFormat.streamID(file: path(req, "file")) else { return text("There is no stream at this address.", status: .notFound) }
        let target: ClientPlayback.Target = kind == "live" ? .live(id) : kind == "movie" ? .movie(id) : .episode(id)
        return await redirect(req, login: path(req, "u"), password: path(req, "p"), target: target)
    }

    /// `/timeshift/U/P/DURATION/START/ID.ext` (DURATION in minutes).
    static func timeshift(_ req: Request) async throws -> Response {
        guard let id = XtreamFormat.streamID(file: path(req, "file")) else { return text("There is no stream at this address.", status: .notFound) }
        return await redirect(req, login: path(req, "u"), password: path(req, "p"),
                              target: .timeshift(channel: id, start: path(req, "start"), minutes: path(req, "duration")))
    }

    /// `/timeshifts/U/P/DURATION/ID/START.ext`.
    static func timeshiftAlternative(_ req: Request) async throws -> Response {
        guard let id = Int(path(req, "id")) else { return text("There is no stream at this address.", status: .notFound) }
        var start = path(req, "file")
        if let dot = start.lastIndex(of: "."), ["ts", "m3u8", "mp4"].contains(start[start.index(after: dot)...].lowercased()) { start = String(start[..<dot]) }
        return await redirect(req, login: path(req, "u"), password: path(req, "p"), target: .timeshift(channel: id, start: start, minutes: path(req, "duration")))
    }

    /// `/streaming/timeshift.php?username=&password=&stream=&start=&duration=`.
    static func timeshiftQuery(_ req: Request) async throws -> Response {
        let p = parameters(req)
        guard let id = p["stream"].flatMap({ XtreamFormat.streamID(file: $0) }) else { return text("Say which stream: stream=ID.", status: .badRequest) }
        return await redirect(req, login: p["username"] ?? "", password: p["password"] ?? "",
                              target: .timeshift(channel: id, start: p["start"] ?? "", minutes: p["duration"] ?? ""))
    }
}

/// Rendered list bodies and playlist templates, per catalogue: a body is kept while the
/// catalogue it was rendered from is the current one of its entitlement set, and shared by every
/// request (a `ByteBuffer` is copy-on-write, so responses send the same bytes without copying).
/// Memory is bounded by `limit` bytes (all dropped when exceeded), not by the number of requests.
final class RenderedBodies: @unchecked Sendable {
    static let limit = 512 << 20
    private let lock = NSLock()
    private var buffers: [String: (catalogue: ClientCatalogue, buffer: ByteBuffer)] = [:]
    private var playlists: [String: (catalogue: ClientCatalogue, sections: ClientPlaylists.Sections, bytes: Int)] = [:]
    private var bytes = 0

    private func makeRoom(_ size: Int) {
        if bytes + size > Self.limit {
            buffers.removeAll(keepingCapacity: true)
            playlists.removeAll(keepingCapacity: true)
            bytes = 0
        }
        bytes += size
    }

    func buffer(_ name: String, catalogue: ClientCatalogue, render: () -> [UInt8]) -> ByteBuffer {
        let key = "\(catalogue.set)|\(name)"
        if let hit = lock.withLock({ buffers[key] }), hit.catalogue === catalogue { return hit.buffer }
        let buffer = ByteBuffer(bytes: render())
        lock.withLock {
            makeRoom(buffer.readableBytes)
            buffers[key] = (catalogue, buffer)
        }
        return buffer
    }

    func playlist(_ name: String, catalogue: ClientCatalogue, build: () async throws -> ClientPlaylists.Sections) async rethrows -> ClientPlaylists.Sections {
        let key = "\(catalogue.set)|\(name)"
        if let hit = lock.withLock({ playlists[key] }), hit.catalogue === catalogue { return hit.sections }
        let sections = try await build()
        let size = [sections.header, sections.live, sections.movies, sections.series].reduce(0) { $0 + $1.length(path: 0, query: 0) }
        lock.withLock {
            makeRoom(size)
            playlists[key] = (catalogue, sections, size)
        }
        return sections
    }
}
