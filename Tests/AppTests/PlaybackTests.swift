import Crypto
import Foundation
import Testing
import Vapor
import VaporTesting
@testable import App
@testable import Services
import Storage
import Fluent
import Domain

/// A streaming origin on loopback: a master playlist, a fresh and a stale media playlist, and
/// a 200 at the root. Segment times follow the test clock.
final class FakeOrigin: @unchecked Sendable {
    let app: Application
    var port = 0
    var base: String { "http://127.0.0.1:\(port)" }

    init(now: Date) async throws {
        app = try await Application.make(.testing)
        app.logger.logLevel = .error
        @Sendable func media(_ newest: Date) -> String {
            let f = ISO8601DateFormatter()
            f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            return "#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXT-X-MEDIA-SEQUENCE:7\n#EXT-X-PROGRAM-DATE-TIME:\(f.string(from: newest.addingTimeInterval(-12)))\n#EXTINF:6.0,\ns7.ts\n#EXTINF:6.0,\ns8.ts\n"
        }
        app.get { _ in "origin" }
        app.get("live", "news", "index.m3u8") { _ in "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=900000\nhi/index.m3u8\n" }
        app.get("live", "news", "hi", "index.m3u8") { _ in media(now.addingTimeInterval(-8)) }
        app.get("live", "stale", "index.m3u8") { _ in media(now.addingTimeInterval(-900)) }
        try await app.server.start(address: .hostname("127.0.0.1", port: 0))
        port = app.http.server.shared.localAddress?.port ?? 0
    }

    func stop() async throws {
        await app.server.shutdown()
        try await app.asyncShutdown()
    }
}

/// A closed loopback port: connections are refused at once.
func closedPort() throws -> Int {
    let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(s) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(s, $0, &len) } }
    return Int(UInt16(bigEndian: addr.sin_port))
}

@Suite(.serialized) struct PlaybackTests {
    /// Channels, a product of one device with two hours of recordings, a customer, a server,
    /// CDN edges and nginx tokens — through the services, as an operator sets them up.
    struct Fixture {
        var deploymentID: UUID
        var productID: Int
        var news: Int, stale: Int, late: Int, other: Int
        var movie: Int
        var origin: FakeOrigin
    }

    static let secret = "s3cret-key"

    func setUp(_ app: Application) async throws -> Fixture {
        let env = app.serviceEnvironment
        let actor = Principal.system("test")
        let d = try #require(try await DeploymentModel.query(on: app.db).filter(\.$cmsService == DemoData.cmsService).first()).id!
        let origin = try await FakeOrigin(now: env.now)
        let product = try await ProductService.create(env, actor: actor, deploymentID: d, input: .init(
            name: "Delivery", subscriptionType: "regular", paymentType: "subscription", maxDevices: 1, pvrQuotaHours: 2, defaultCurrency: "EUR"))
        let plan = try await ProductService.addPlan(env, actor: actor, deploymentID: d, productID: product.id!, input: .init(name: "Month", length: 1, unit: "months", prices: ["EUR": "9.99"]))
        var n = CustomerService.NewCustomer(productID: product.id!, planID: plan.id!, currency: "EUR")
        n.login = "viewer1"; n.password = "secret12"
        _ = try await CustomerService.create(env, actor: actor, deploymentID: d, input: n)
        func channel(_ number: Int, _ name: String, hls: String, fallback: String = "", token: String = "none", catchup: Int = 0, age: Int = 0) async throws -> Int {
            var i = ChannelService.Input(number: 900 + number, name: name)
            i.hlsURL = hls; i.dashURL = hls.hasPrefix("/") ? hls.replacingOccurrences(of: "index.m3u8", with: "manifest.mpd") : ""
            i.fallbackURL = fallback; i.tokenType = token; i.catchupDays = catchup; i.ageRating = age; i.recordingAllowed = catchup > 0
            return try await ChannelService.save(env, actor: actor, deploymentID: d, id: nil, input: i).id!
        }
        let news = try await channel(1, "Delivery News", hls: "/live/news/index.m3u8", fallback: "https://backup.example/news.m3u8", token: "nginx_secure_link", catchup: 3)
        let stale = try await channel(2, "Delivery Stale", hls: "/live/stale/index.m3u8", fallback: "https://backup.example/stale.m3u8", catchup: 1)
        let late = try await channel(3, "Delivery Late", hls: "https://late.example/late/index.m3u8", age: 18)
        let other = try await channel(4, "Not Sold", hls: "https://x.example/x/index.m3u8")
        var m = VoDService.Input(kind: .movie, title: "Protected Film")
        m.streamURL = "https://vod.example/film/manifest.mpd"; m.drm = "buydrm"
        let movie = try await VoDService.save(env, actor: actor, deploymentID: d, id: nil, input: m).id!
        let tv = try await PackageService.create(env, actor: actor, deploymentID: d, kind: .channel, name: "Delivery TV", description: "")
        _ = try await PackageService.add(env, actor: actor, deploymentID: d, packageID: tv.id!, items: [news, stale, late])
        let films = try await PackageService.create(env, actor: actor, deploymentID: d, kind: .movie, name: "Delivery Films", description: "")
        _ = try await PackageService.add(env, actor: actor, deploymentID: d, packageID: films.id!, items: [movie])
        try await PackageService.setGrants(env, actor: actor, deploymentID: d, productID: product.id!, extraPackageID: nil, packages: [tv.id!, films.id!])

        var t = DeliverySettingsService.TranscoderInput()
        t.name = "Edge origin"; t.kind = "flussonic"; t.baseURL = origin.base; t.apiUser = "admin"; t.apiSecret = "server-pass"; t.dvrDepthDays = 7
        let server = try await DeliverySettingsService.saveTranscoder(env, actor: actor, deploymentID: d, id: nil, input: t)
        _ = try await DeliverySettingsService.map(env, actor: actor, deploymentID: d, channelID: news, transcoderID: server.id!, streamName: "news", dvrDepthDays: 0)
        _ = try await DeliverySettingsService.map(env, actor: actor, deploymentID: d, channelID: stale, transcoderID: server.id!, streamName: "stale", dvrDepthDays: 0)
        var token = DeliverySettingsService.TokenInput()
        token.tokenType = "nginx_secure_link"; token.secret = Self.secret; token.lifetimeSeconds = 300; token.bindIP = true
        _ = try await DeliverySettingsService.saveTokenSetting(env, actor: actor, deploymentID: d, input: token)
        var drm = DeliverySettingsService.DRMInput()
        drm.vendor = "buydrm"; drm.accountID = "acct-7"; drm.key = "drm-user-key"; drm.widevineURL = "https://wv.keyos.example/api/v4/getLicense"
        drm.fairplayURL = "https://fp.keyos.example/api/v4/getLicense"; drm.fairplayCertificateURL = "https://fp.keyos.example/cert.der"; drm.lifetimeSeconds = 600
        _ = try await DeliverySettingsService.saveDRM(env, actor: actor, deploymentID: d, input: drm)
        return Fixture(deploymentID: d, productID: product.id!, news: news, stale: stale, late: late, other: other, movie: movie, origin: origin)
    }

    func request(_ app: Application, _ method: HTTPMethod, _ path: String, token: String? = nil, ip: String = "198.51.100.7", json: String? = nil) async throws -> TestingHTTPResponse {
        var h = HTTPHeaders()
        if let token { h.bearerAuthorization = .init(token: token) }
        h.add(name: "X-Forwarded-For", value: ip)
        var body: ByteBuffer? = nil
        if let json { h.contentType = .json; body = ByteBuffer(string: json) }
        return try await app.testing().sendRequest(method, path, headers: h, body: body)
    }

    func login(_ app: Application, device: String, type: String, ip: String = "198.51.100.7") async throws -> TestingHTTPResponse {
        try await request(app, .POST, "/api/client/v1/auth/login", ip: ip,
                          json: #"{"service":"democrm","login":"viewer1","password":"secret12","device":{"uid":"\#(device)","type":"\#(type)"}}"#)
    }

    func token(_ res: TestingHTTPResponse) throws -> String { try #require(try jsonObject(res)["token"] as? String) }
    func code(_ res: TestingHTTPResponse) throws -> String? {
        (try jsonObject(res)["error"] as? [String: Any])?["code"] as? String
    }

    func nginxToken(path: String, expires: Int, ip: String) -> String {
        let digest = Insecure.MD5.hash(data: Data("\(expires)\(path)\(ip) \(Self.secret)".utf8))
        return Data(digest).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    @Test func liveSignedOnTheRightHostWithLimitsAndLocks() async throws {
        try await withTVMS(trustProxy: true) { app, clock in
            let f = try await setUp(app)
            defer { Task { try? await f.origin.stop() } }
            let env = app.serviceEnvironment
            var c = DeliverySettingsService.CDNInput()
            c.baseURL = "https://cdn1.example.net/"; c.priority = 1; c.weight = 1
            _ = try await DeliverySettingsService.saveCDN(env, actor: .system("t"), deploymentID: f.deploymentID, id: nil, input: c)

            #expect(try code(try await request(app, .POST, "/api/client/v1/auth/login",
                                               json: #"{"service":"democrm","login":"viewer1","password":"wrong","device":{"uid":"a","type":"ios"}}"#)) == "wrong_credentials")
            // Wrong passwords lock device sign-in of the account for a while (the right one too).
            for _ in 0..<5 {
                _ = try await request(app, .POST, "/api/client/v1/auth/login", json: #"{"service":"democrm","login":"viewer1","password":"guess","device":{"uid":"a","type":"ios"}}"#)
            }
            let locked = try await login(app, device: "phone-1", type: "iPhone")
            let lockedCode = try code(locked)
            #expect(locked.status == .locked && lockedCode == "locked")
            clock.advance(by: 15 * 60 + 1)
            let phone = try await login(app, device: "phone-1", type: "iPhone")
            #expect(phone.status == .created)
            let a = try token(phone)
            #expect(try code(try await login(app, device: "tv-2", type: "androidtv")) == "max_devices_reached", "one device per product")

            // Live on an Apple device: HLS path on the CDN edge, nginx token bound to the viewer's address.
            let live = try await request(app, .POST, "/api/client/v1/play", token: a, json: #"{"kind":"live","item":"channel:\#(f.news)"}"#)
            #expect(live.status == .ok, "\(live.body.string)")
            let grant = try jsonObject(live)
            let urlText = try #require(grant["url"] as? String)
            let url = try #require(URLComponents(string: urlText))
            #expect(url.host == "cdn1.example.net" && url.path == "/live/news/index.m3u8" && grant["format"] as? String == "hls")
            let e = try #require(Int(url.queryItems?.first { $0.name == "e" }?.value ?? ""))
            #expect(e == Int(env.now.timeIntervalSince1970) + 300)
            #expect(url.queryItems?.first { $0.name == "st" }?.value == nginxToken(path: "/live/news/index.m3u8", expires: e, ip: "198.51.100.7"))
            let backups = try #require(grant["backups"] as? [String])
            #expect(backups.count == 2 && backups[0].hasPrefix(f.origin.base + "/live/news/index.m3u8?") && backups[1].hasPrefix("https://backup.example/news.m3u8?"),
                    "then the origin, then the fallback, each signed: \(backups)")

            // Asking again for the same channel (a player retry) keeps the same playback.
            let retry = try jsonObject(try await request(app, .POST, "/api/client/v1/play", token: a, json: #"{"kind":"live","item":"channel:\#(f.news)"}"#))
            #expect(retry["playbackID"] as? Int == grant["playbackID"] as? Int)
            #expect(try await PlaybackSessionModel.query(on: app.db).count() == 1)

            // Not in the product, age-restricted without the PIN, with a wrong PIN, with the default PIN.
            #expect(try code(try await request(app, .POST, "/api/client/v1/play", token: a, json: #"{"kind":"live","item":"channel:\#(f.other)"}"#)) == "not_entitled")
            #expect(try code(try await request(app, .POST, "/api/client/v1/play", token: a, json: #"{"kind":"live","item":"channel:\#(f.late)"}"#)) == "parental_pin_required")
            #expect(try code(try await request(app, .POST, "/api/client/v1/play", token: a, json: #"{"kind":"live","item":"channel:\#(f.late)","pin":"1234"}"#)) == "parental_pin_wrong")
            #expect(try await request(app, .POST, "/api/client/v1/play", token: a, json: #"{"kind":"live","item":"channel:\#(f.late)","pin":"0000"}"#).status == .ok)
            // Five wrong PINs in a row lock the PIN for 15 minutes, even the right one.
            for _ in 0..<5 { _ = try await request(app, .POST, "/api/client/v1/play", token: a, json: #"{"kind":"live","item":"channel:\#(f.late)","pin":"9999"}"#) }
            #expect(try code(try await request(app, .POST, "/api/client/v1/play", token: a, json: #"{"kind":"live","item":"channel:\#(f.late)","pin":"0000"}"#)) == "parental_pin_locked")
            clock.advance(by: 15 * 60 + 1)
            #expect(try await request(app, .POST, "/api/client/v1/play", token: a, json: #"{"kind":"live","item":"channel:\#(f.late)","pin":"0000"}"#).status == .ok)

            // IP rules of the product.
            try await ProductService.updateIPAccess(env, actor: .system("t"), deploymentID: f.deploymentID, id: f.productID, allowed: "", blocked: "203.0.113.0/24", lockFirst: false)
            #expect(try code(try await request(app, .POST, "/api/client/v1/play", token: a, ip: "203.0.113.9", json: #"{"kind":"live","item":"channel:\#(f.news)"}"#)) == "ip_not_allowed")

            // Simultaneous streams: after two idle days a second device may sign in, but while it
            // plays the first may not.
            clock.advance(by: 3 * 86_400)
            let b = try token(try await login(app, device: "tv-2", type: "androidtv"))
            let onTV = try await request(app, .POST, "/api/client/v1/play", token: b, json: #"{"kind":"live","item":"channel:\#(f.news)"}"#)
            let tvFormat = try jsonObject(onTV)["format"] as? String
            #expect(onTV.status == .ok && tvFormat == "dash", "DASH for non-Apple devices")
            let busy = try await request(app, .POST, "/api/client/v1/play", token: a, json: #"{"kind":"live","item":"channel:\#(f.news)"}"#)
            let busyCode = try code(busy)
            #expect(busy.status == .conflict && busyCode == "max_streams_reached")
            let playback = try #require(try jsonObject(onTV)["playbackID"] as? Int)
            #expect(try await request(app, .POST, "/api/client/v1/play/\(playback)/stop", token: b).status == .noContent)
            #expect(try await request(app, .POST, "/api/client/v1/play", token: a, json: #"{"kind":"live","item":"channel:\#(f.news)"}"#).status == .ok)
            #expect(try await request(app, .POST, "/api/client/v1/play/\(playback)/heartbeat", token: b).status == .conflict, "a stopped playback cannot be kept alive")

            // A playback that stops sending heartbeats frees its stream after two minutes.
            let again = try await request(app, .POST, "/api/client/v1/play", token: b, json: #"{"kind":"live","item":"channel:\#(f.news)"}"#)
            let againCode = try code(again)
            #expect(againCode == "max_streams_reached")
            clock.advance(by: PlaybackService.liveWindow + 1)
            #expect(try await request(app, .POST, "/api/client/v1/play", token: b, json: #"{"kind":"live","item":"channel:\#(f.news)"}"#).status == .ok)

            #expect(try await request(app, .POST, "/api/client/v1/auth/logout", token: b).status == .noContent)
            #expect(try code(try await request(app, .POST, "/api/client/v1/play", token: b, json: #"{"kind":"live","item":"channel:\#(f.news)"}"#)) == "session_invalid")

            // The stored secrets are sealed: neither the database nor the audit log holds them.
            let rows = try await app.db.sql.raw("SELECT secret_sealed FROM token_settings").all()
            #expect(try rows.allSatisfy { try !$0.decode(column: "secret_sealed", as: String.self).contains(Self.secret) })
            let audit = try await AuditRecordModel.query(on: app.db).all().map { "\($0.beforeJSON ?? "") \($0.afterJSON ?? "")" }.joined()
            #expect(!audit.contains(Self.secret) && !audit.contains("server-pass") && !audit.contains("drm-user-key"))
        }
    }

    @Test func catchupRecordingsAndDRM() async throws {
        try await withTVMS(trustProxy: true) { app, clock in
            let f = try await setUp(app)
            defer { Task { try? await f.origin.stop() } }
            let env = app.serviceEnvironment
            let a = try token(try await login(app, device: "tablet", type: "ipad"))
            let iso = ISO8601DateFormatter()
            let now = env.now
            func play(_ json: String) async throws -> TestingHTTPResponse { try await request(app, .POST, "/api/client/v1/play", token: a, json: json) }

            // A finished programme: Flussonic archive range; a running one: timeshift from its start.
            let start = now.addingTimeInterval(-7200), stop = now.addingTimeInterval(-5400)
            let past = try await play(#"{"kind":"catchup","item":"channel:\#(f.news)","start":"\#(iso.string(from: start))","stop":"\#(iso.string(from: stop))"}"#)
            #expect(past.status == .ok, "\(past.body.string)")
            let pastURL = try #require(try jsonObject(past)["url"] as? String)
            #expect(pastURL.hasPrefix(f.origin.base + "/live/news/archive-\(Int(start.timeIntervalSince1970))-1800.m3u8?st="), "\(pastURL)")
            let running = try await play(#"{"kind":"catchup","item":"channel:\#(f.news)","start":"\#(iso.string(from: now.addingTimeInterval(-600)))","stop":"\#(iso.string(from: now.addingTimeInterval(1200)))"}"#)
            let runningURL = try jsonObject(running)["url"] as? String
            #expect(runningURL?.contains("/timeshift_abs-\(Int(now.timeIntervalSince1970) - 600).m3u8") == true)
            #expect(try code(try await play(#"{"kind":"catchup","item":"channel:\#(f.news)","start":"\#(iso.string(from: now.addingTimeInterval(-4 * 86_400)))","stop":"\#(iso.string(from: now.addingTimeInterval(-4 * 86_400 + 1800)))"}"#)) == "catchup_expired")
            #expect(try code(try await play(#"{"kind":"catchup","item":"channel:\#(f.news)","start":"\#(iso.string(from: now.addingTimeInterval(600)))","stop":"\#(iso.string(from: now.addingTimeInterval(1200)))"}"#)) == "not_yet_aired")
            #expect(try code(try await play(#"{"kind":"catchup","item":"channel:\#(f.late)","start":"\#(iso.string(from: start))","stop":"\#(iso.string(from: stop))","pin":"0000"}"#)) == "catchup_unavailable")

            // DRM: an Apple device gets FairPlay with the certificate and a signed licence token.
            let film = try await play(#"{"kind":"vod","item":"movie:\#(f.movie)"}"#)
            let drm = try #require(try jsonObject(film)["drm"] as? [String: Any])
            #expect(drm["system"] as? String == "fairplay" && drm["certificateURL"] as? String == "https://fp.keyos.example/cert.der")
            #expect(drm["headerName"] as? String == "x-keyos-authorization" && (drm["token"] as? String)?.split(separator: ".").count == 3)

            // Recordings: quota of two hours, overlap refused, states follow the clock, playback from the archive.
            func record(_ from: Date, _ to: Date) async throws -> TestingHTTPResponse {
                try await request(app, .POST, "/api/client/v1/recordings", token: a,
                                  json: #"{"channelId":\#(f.news),"start":"\#(iso.string(from: from))","stop":"\#(iso.string(from: to))","title":"Evening News"}"#)
            }
            let first = try await record(now.addingTimeInterval(600), now.addingTimeInterval(600 + 5400))
            let firstState = try jsonObject(first)["state"] as? String
            #expect(first.status == .created && firstState == "scheduled")
            #expect(try code(try await record(now.addingTimeInterval(1200), now.addingTimeInterval(1800))) == "already_recorded")
            let tooMuch = try await record(now.addingTimeInterval(86_400), now.addingTimeInterval(86_400 + 3600))
            let tooMuchCode = try code(tooMuch)
            #expect(tooMuchCode == "quota_exceeded" && tooMuch.body.string.contains("0.5"), "\(tooMuch.body.string)")
            let list = try jsonObject(try await request(app, .GET, "/api/client/v1/recordings", token: a))
            #expect((list["quota"] as? [String: Any])?["usedHours"] as? Double == 1.5)
            let id = try #require(try jsonObject(first)["id"] as? Int)
            #expect(try code(try await play(#"{"kind":"recording","recordingId":\#(id)}"#)) == "recording_not_ready")
            clock.advance(by: 7200)
            #expect(try await RecordingService.advance(app.serviceEnvironment) == 1)
            let rec = try await play(#"{"kind":"recording","recordingId":\#(id)}"#)
            let recURL = try jsonObject(rec)["url"] as? String
            #expect(recURL?.contains("/live/news/archive-\(Int(now.timeIntervalSince1970) + 600)-5400.m3u8") == true, "\(rec.body.string)")
            #expect(try await request(app, .DELETE, "/api/client/v1/recordings/\(id)", token: a).status == .noContent)
            #expect(try await record(now.addingTimeInterval(86_400), now.addingTimeInterval(86_400 + 3600)).status == .created, "deleting frees the quota")
        }
    }

    @Test func healthChecksDriveFailover() async throws {
        try await withTVMS(trustProxy: true) { app, _ in
            let f = try await setUp(app)
            defer { Task { try? await f.origin.stop() } }
            let env = app.serviceEnvironment
            var t = DeliverySettingsService.TranscoderInput()
            t.name = "Gone"; t.kind = "nginx"; t.baseURL = "http://127.0.0.1:\(try closedPort())"
            _ = try await DeliverySettingsService.saveTranscoder(env, actor: .system("t"), deploymentID: f.deploymentID, id: nil, input: t)
            let r = try await StreamHealthService.run(env, http: VaporOutboundHTTP(client: app.client), deploymentID: f.deploymentID)
            #expect(r.checked == 4 && r.down == 2, "two servers, two streams: the closed port and the stale stream are down")
            let maps = Dictionary(uniqueKeysWithValues: try await StreamMappingModel.query(on: app.db).all().map { ($0.channelID, $0) })
            #expect(maps[f.news]?.status == "up" && maps[f.news]?.statusDetail.contains("newest 8 s old") == true, "\(maps[f.news]?.statusDetail ?? "")")
            #expect(maps[f.stale]?.status == "down" && maps[f.stale]?.statusDetail.contains("stalled") == true)
            let servers = try await TranscoderModel.query(on: app.db).sort(\.$name).all()
            #expect(servers.map(\.status) == ["up", "down"], "Edge origin up, Gone down")
            let history = try await StreamHealthService.history(env, actor: .system("t"), deploymentID: f.deploymentID, kind: "channel", id: f.stale)
            #expect(history.count == 1 && !history[0].ok && history[0].segmentAgeSeconds >= 900)

            // The stale channel now plays its fallback first; the healthy one its primary.
            let a = try token(try await login(app, device: "web", type: "chrome"))
            let stale = try jsonObject(try await request(app, .POST, "/api/client/v1/play", token: a, json: #"{"kind":"live","item":"channel:\#(f.stale)"}"#))
            #expect(stale["url"] as? String == "https://backup.example/stale.m3u8" && (stale["backups"] as? [String])?.first == f.origin.base + "/live/stale/manifest.mpd")
        }
    }

    /// The demo works end to end: its viewer plays a demo channel with a Flussonic token and
    /// gets the news from yesterday from the archive.
    @Test func demoViewerPlaysWithFlussonicTokens() async throws {
        try await withTVMS(trustProxy: true) { app, _ in
            let env = app.serviceEnvironment
            try await DemoData.loadContent(env)
            try await DemoData.loadDelivery(env)
            let news = try #require(try await ChannelModel.query(on: app.db).filter(\.$name == "City News 24").first())
            let res = try await request(app, .POST, "/api/client/v1/auth/login",
                                        json: #"{"service":"democrm","login":"\#(DemoData.subscriberLogin)","password":"\#(DemoData.subscriberPassword)","device":{"uid":"web-1","type":"chrome"}}"#)
            let a = try token(res)
            let live = try jsonObject(try await request(app, .POST, "/api/client/v1/play", token: a, json: #"{"kind":"live","item":"channel:\#(news.id!)"}"#))
            let liveURL = try #require(live["url"] as? String)
            let url = try #require(URLComponents(string: liveURL))
            #expect(url.host == "live.demo.tvms" && url.path == "/city-news-24/manifest.mpd")
            let signature = try #require(url.queryItems?.first { $0.name == "token" }?.value)
            #expect(signature.split(separator: "-").count == 4, "hash-salt-end-start: \(signature)")
            let iso = ISO8601DateFormatter()
            let y = env.now.addingTimeInterval(-86_400)
            let archive = try jsonObject(try await request(app, .POST, "/api/client/v1/play", token: a,
                json: #"{"kind":"catchup","item":"channel:\#(news.id!)","start":"\#(iso.string(from: y))","stop":"\#(iso.string(from: y.addingTimeInterval(1800)))"}"#))
            #expect((archive["url"] as? String)?.hasPrefix("https://live.demo.tvms/city-news-24/archive-\(Int(y.timeIntervalSince1970))-1800.mpd?token=") == true)
        }
    }

    /// The playback path remembers rows for a few seconds: a change written by this process is
    /// seen at once, one written elsewhere (another node, here plain SQL) after `HotCache.ttl`.
    @Test func hotCacheForgetsOnWritesHereAndAfterItsTimeElsewhere() async throws {
        try await withTVMS(trustProxy: true) { app, clock in
            let f = try await setUp(app)
            defer { Task { try? await f.origin.stop() } }
            let a = try token(try await login(app, device: "box", type: "androidtv"))
            func play() async throws -> TestingHTTPResponse {
                try await request(app, .POST, "/api/client/v1/play", token: a, json: #"{"kind":"live","item":"channel:\#(f.news)"}"#)
            }
            #expect(try await play().status == .ok)
            try await app.db.sql.raw("UPDATE products SET ip_blocked = '198.51.100.0/24' WHERE id = \(bind: f.productID)").run()
            #expect(try await play().status == .ok, "another node's change is not seen yet")
            clock.advance(by: HotCache.ttl + 1)
            #expect(try code(try await play()) == "ip_not_allowed")
            try await ProductService.updateIPAccess(app.serviceEnvironment, actor: .system("t"), deploymentID: f.deploymentID, id: f.productID,
                                                    allowed: "", blocked: "", lockFirst: false)
            #expect(try await play().status == .ok, "a change through the services is seen at once")
        }
    }
}
