import Crypto
import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting
@testable import App
@testable import Domain
@testable import Services
import Storage

/// The callback adapters through the real app: a subscriber plays (the address gets a TVMS
/// ticket), then the streaming server calls TVMS the way Flussonic's auth backend, nginx's
/// auth_request and Nimble's pay-per-view handler do, with their exact parameters, headers and
/// bodies. Clocks are moved by hand; nothing sleeps. Runs on SQLite and, with
/// TVMS_TEST_DATABASE_URL, on PostgreSQL.
@Suite(.serialized) struct StreamCallbackTests {
    let p = PlaybackTests()
    static let viewerIP = "198.51.100.7"

    struct Fixture {
        var deploymentID: UUID
        var productID: Int
        var packageID: Int
        /// Token type `callback`, mapped to the stream `news` on the server, 3 days of catch-up.
        var news: Int
        /// Token type `callback`: an nginx origin path.
        var sport: Int
        /// Token type `nimble_ppv`.
        var nimble: Int
        var serverID: Int
        /// The server's callback key (Flussonic, nginx and Nimble URLs all carry it).
        var key: String
    }

    func setUp(_ app: Application, maxStreams: Int = 1) async throws -> Fixture {
        let env = app.serviceEnvironment
        let actor = Principal.system("test")
        let d = try #require(try await DeploymentModel.query(on: app.db).filter(\.$cmsService == DemoData.cmsService).first()).id!
        let product = try await ProductService.create(env, actor: actor, deploymentID: d, input: .init(
            name: "Callbacks", subscriptionType: "regular", paymentType: "subscription", maxDevices: maxStreams, pvrQuotaHours: 0, defaultCurrency: "EUR"))
        let plan = try await ProductService.addPlan(env, actor: actor, deploymentID: d, productID: product.id!, input: .init(name: "Month", length: 1, unit: "months", prices: ["EUR": "9.99"]))
        var n = CustomerService.NewCustomer(productID: product.id!, planID: plan.id!, currency: "EUR")
        n.login = "viewer1"; n.password = "secret12"
        _ = try await CustomerService.create(env, actor: actor, deploymentID: d, input: n)
        func channel(_ number: Int, _ name: String, hls: String, token: String, catchup: Int = 0) async throws -> Int {
            var i = ChannelService.Input(number: 950 + number, name: name)
            i.hlsURL = hls; i.tokenType = token; i.catchupDays = catchup
            return try await ChannelService.save(env, actor: actor, deploymentID: d, id: nil, input: i).id!
        }
        let news = try await channel(1, "Callback News", hls: "/live/news/index.m3u8", token: "callback", catchup: 3)
        let sport = try await channel(2, "Callback Sport", hls: "/live/sport/index.m3u8", token: "callback")
        let nimble = try await channel(3, "Callback Nimble", hls: "/live/nb/playlist.m3u8", token: "nimble_ppv")
        let tv = try await PackageService.create(env, actor: actor, deploymentID: d, kind: .channel, name: "Callback TV", description: "")
        _ = try await PackageService.add(env, actor: actor, deploymentID: d, packageID: tv.id!, items: [news, sport, nimble])
        try await PackageService.setGrants(env, actor: actor, deploymentID: d, productID: product.id!, extraPackageID: nil, packages: [tv.id!])
        var t = DeliverySettingsService.TranscoderInput()
        t.name = "Flussonic edge"; t.kind = "flussonic"; t.baseURL = "https://edge1.example.net"; t.dvrDepthDays = 7
        let server = try await DeliverySettingsService.saveTranscoder(env, actor: actor, deploymentID: d, id: nil, input: t)
        _ = try await DeliverySettingsService.map(env, actor: actor, deploymentID: d, channelID: news, transcoderID: server.id!, streamName: "news", dvrDepthDays: 0)
        _ = try await DeliverySettingsService.map(env, actor: actor, deploymentID: d, channelID: sport, transcoderID: server.id!, streamName: "sport", dvrDepthDays: 0)
        _ = try await DeliverySettingsService.map(env, actor: actor, deploymentID: d, channelID: nimble, transcoderID: server.id!, streamName: "nb", dvrDepthDays: 0)
        let key = try #require(try await StreamCallbackService.configure(env, actor: actor, deploymentID: d, transcoderID: server.id!, enabled: true))
        var nimbleToken = DeliverySettingsService.TokenInput()
        nimbleToken.tokenType = "nimble"; nimbleToken.secret = "nimble-key"; nimbleToken.lifetimeSeconds = 3600
        _ = try await DeliverySettingsService.saveTokenSetting(env, actor: actor, deploymentID: d, input: nimbleToken)
        return Fixture(deploymentID: d, productID: product.id!, packageID: tv.id!, news: news, sport: sport, nimble: nimble, serverID: server.id!, key: key)
    }

    /// Signs a device in and plays a channel; returns the playback address and its ticket.
    func play(_ app: Application, channel: Int, device: String = "tv-1", ip: String = viewerIP) async throws -> (token: String, url: String, ticket: String, playbackID: Int) {
        let login = try await p.login(app, device: device, type: "androidtv", ip: ip)
        #expect(login.status == .created, "\(login.body.string)")
        let token = try p.token(login)
        let res = try await p.request(app, .POST, "/api/client/v1/play", token: token, ip: ip, json: #"{"kind":"live","item":"channel:\#(channel)"}"#)
        #expect(res.status == .ok, "\(res.body.string)")
        let grant = try jsonObject(res)
        let url = try #require(grant["url"] as? String)
        let ticket = URLComponents(string: url)?.queryItems?.first { $0.name == "token" }?.value ?? ""
        return (token, url, ticket, try #require(grant["playbackID"] as? Int))
    }

    /// Flussonic's auth backend call (Authorization Backend API): GET with the session's parameters.
    func flussonic(_ app: Application, key: String, name: String, token: String, ip: String = viewerIP, type: String = "new_session",
                   media: String? = nil) async throws -> TestingHTTPResponse {
        var c = URLComponents()
        c.path = "/stream-auth/flussonic/\(key)"
        c.queryItems = [.init(name: "name", value: name), .init(name: "proto", value: "hls"), .init(name: "ip", value: ip), .init(name: "token", value: token),
                        .init(name: "request_type", value: type), .init(name: "request_number", value: "1"),
                        .init(name: "session_id", value: "6d1b4f2c-1f1a-4a8e-9f59-0c2a0b5c7e11"), .init(name: "stream_clients", value: "3"),
                        .init(name: "total_clients", value: "12"), .init(name: "duration", value: "0"), .init(name: "referer", value: "")]
        if let media { c.queryItems!.append(.init(name: "media_request", value: media)) }
        return try await app.testing().sendRequest(.GET, c.string!)
    }

    /// nginx's auth_request subrequest: `proxy_set_header X-Original-URI $request_uri;` and
    /// `proxy_set_header X-Real-IP $remote_addr;`.
    func nginx(_ app: Application, key: String, uri: String?, ip: String = viewerIP) async throws -> TestingHTTPResponse {
        var h = HTTPHeaders()
        if let uri { h.add(name: "X-Original-URI", value: uri) }
        h.add(name: "X-Real-IP", value: ip)
        return try await app.testing().sendRequest(.GET, "/stream-auth/nginx/\(key)", headers: h)
    }

    func nimbleSync(_ app: Application, key: String, body: String) async throws -> TestingHTTPResponse {
        var h = HTTPHeaders()
        h.contentType = .json
        return try await app.testing().sendRequest(.POST, "/stream-auth/nimble/\(key)", headers: h, body: ByteBuffer(string: body))
    }

    func reason(_ res: TestingHTTPResponse) -> String? { res.headers.first(name: "X-TVMS-Reason") }

    func playback(_ app: Application, _ id: Int) async throws -> PlaybackSessionModel { try #require(try await PlaybackSessionModel.find(id, on: app.db)) }

    // MARK: Flussonic

    @Test func flussonicAllowsTheViewerWithTheHeadersItExpects() async throws {
        try await withTVMS(trustProxy: true) { app, clock in
            let f = try await setUp(app)
            let (_, url, ticket, playbackID) = try await play(app, channel: f.news)
            #expect(url.hasPrefix("https://edge1.example.net/live/news/index.m3u8?token=t1."), "\(url)")
            let ok = try await flussonic(app, key: f.key, name: "news", token: ticket)
            #expect(ok.status == .ok, "\(ok.body.string)")
            let customer = try #require(try await playback(app, playbackID).customerID)
            #expect(ok.headers.first(name: "X-AuthDuration") == "60")
            #expect(ok.headers.first(name: "X-UserId") == String(customer))
            #expect(ok.headers.first(name: "X-Max-Sessions") == "1")
            #expect(ok.headers.first(name: "X-Unique") == "true", "one stream: Flussonic keeps one session per user")

            // update_session a minute later keeps the playback counted (its heartbeat moves).
            clock.advance(by: 70)
            let update = try await flussonic(app, key: f.key, name: "news", token: ticket, type: "update_session")
            #expect(update.status == .ok)
            #expect(try await playback(app, playbackID).lastSeenAt == clock.now)
            // Asked again at once, nothing is written (the heartbeat is fresh).
            clock.advance(by: 10)
            #expect(try await flussonic(app, key: f.key, name: "news", token: ticket, type: "update_session").status == .ok)
            #expect(try await playback(app, playbackID).lastSeenAt == clock.now.addingTimeInterval(-10))

            // Catch-up forms within the channel's 3 days: Flussonic's media_request and DVR names.
            let from = Int(clock.now.timeIntervalSince1970) - 86_400
            #expect(try await flussonic(app, key: f.key, name: "news", token: ticket, media: "dvr_session-hls_mbr_playlist-\(from)-3600").status == .ok)
            #expect(try await flussonic(app, key: f.key, name: "news/index-\(from)-3600.m3u8", token: ticket).status == .ok)
            #expect(try await flussonic(app, key: f.key, name: "news", token: ticket, media: "dvr_handler-timeshift_rel-3600").status == .ok)
            let tooOld = try await flussonic(app, key: f.key, name: "news/archive-\(from - 4 * 86_400)-3600.ts", token: ticket)
            #expect(tooOld.status == .forbidden && reason(tooOld) == "catchup_not_allowed")
        }
    }

    @Test func flussonicRefusesBadTicketsWrongStreamsAndStrangers() async throws {
        try await withTVMS(trustProxy: true) { app, clock in
            let f = try await setUp(app)
            let (_, _, ticket, playbackID) = try await play(app, channel: f.news)

            let missing = try await flussonic(app, key: f.key, name: "news", token: "")
            #expect(missing.status == .forbidden && reason(missing) == "no_ticket")
            let fields = ticket.split(separator: ".").map(String.init)
            let forged = (fields.prefix(5) + [String(Int(fields[5])! + 86_400)] + fields.suffix(2)).joined(separator: ".")
            let bad = try await flussonic(app, key: f.key, name: "news", token: forged)
            #expect(bad.status == .forbidden && reason(bad) == "bad_ticket", "a ticket with a moved expiry")
            #expect(reason(try await flussonic(app, key: f.key, name: "news", token: "abc")) == "bad_ticket")
            let wrong = try await flussonic(app, key: f.key, name: "sport", token: ticket)
            #expect(wrong.status == .forbidden && reason(wrong) == "wrong_stream")
            #expect(reason(try await flussonic(app, key: f.key, name: "news2", token: ticket)) == "wrong_stream")

            // An unknown key, a key of another form, a server whose callback is off: refused alike.
            for key in ["tvms_cb_" + String(repeating: "A", count: 43), "nope"] {
                let stranger = try await flussonic(app, key: key, name: "news", token: ticket)
                #expect(stranger.status == .forbidden && reason(stranger) == "unknown_caller")
            }
            _ = try await StreamCallbackService.configure(app.serviceEnvironment, actor: .system("t"), deploymentID: f.deploymentID, transcoderID: f.serverID, enabled: false)
            #expect(reason(try await flussonic(app, key: f.key, name: "news", token: ticket)) == "unknown_caller")
            let newKey = try #require(try await StreamCallbackService.configure(app.serviceEnvironment, actor: .system("t"), deploymentID: f.deploymentID,
                                                                                transcoderID: f.serverID, enabled: true))
            #expect(reason(try await flussonic(app, key: f.key, name: "news", token: ticket)) == "unknown_caller", "turning it on again gives a new key")
            #expect(try await flussonic(app, key: newKey, name: "news", token: ticket).status == .ok)

            // The ticket expires after an hour: a new session needs a fresh one.
            clock.advance(by: 3601)
            let expired = try await flussonic(app, key: newKey, name: "news", token: ticket)
            #expect(expired.status == .forbidden && reason(expired) == "ticket_expired")
            #expect(reason(try await flussonic(app, key: newKey, name: "news", token: ticket, type: "update_session")) == "ticket_expired",
                    "nor may a session go on whose playback went quiet")

            // A stopped playback ends its ticket.
            let (device, _, fresh, freshID) = try await play(app, channel: f.news)
            #expect(freshID != playbackID, "the quiet playback was replaced by a new one")
            #expect(try await flussonic(app, key: newKey, name: "news", token: fresh).status == .ok)
            #expect(try await p.request(app, .POST, "/api/client/v1/play/\(freshID)/stop", token: device).status == .noContent)
            let ended = try await flussonic(app, key: newKey, name: "news", token: fresh, type: "update_session")
            #expect(ended.status == .forbidden && reason(ended) == "playback_ended")
        }
    }

    @Test func aRunningSessionOutlivesItsTicketWhileLive() async throws {
        try await withTVMS(trustProxy: true) { app, clock in
            let f = try await setUp(app)
            let (device, _, ticket, playbackID) = try await play(app, channel: f.news)
            clock.advance(by: 3590)
            #expect(try await p.request(app, .POST, "/api/client/v1/play/\(playbackID)/heartbeat", token: device).status == .noContent)
            clock.advance(by: 20)
            #expect(try await flussonic(app, key: f.key, name: "news", token: ticket, type: "update_session").status == .ok)
            #expect(reason(try await flussonic(app, key: f.key, name: "news", token: ticket, type: "new_session")) == "ticket_expired")
        }
    }

    @Test func boundTicketsAreRefusedFromAnotherAddress() async throws {
        try await withTVMS(trustProxy: true) { app, _ in
            let f = try await setUp(app)
            let (_, _, loose, _) = try await play(app, channel: f.news)
            #expect(try await flussonic(app, key: f.key, name: "news", token: loose, ip: "203.0.113.9").status == .ok, "not bound: any address")
            try await StreamCallbackService.saveTicketSetting(app.serviceEnvironment, actor: .system("t"), deploymentID: f.deploymentID,
                                                              setting: .init(lifetimeSeconds: 3600, bindIP: true))
            let (_, _, bound, _) = try await play(app, channel: f.news)
            #expect(bound.contains(".b."))
            #expect(try await flussonic(app, key: f.key, name: "news", token: bound).status == .ok)
            let other = try await flussonic(app, key: f.key, name: "news", token: bound, ip: "203.0.113.9")
            #expect(other.status == .forbidden && reason(other) == "other_ip", "\(other.body.string)")
            let nginxOther = try await nginx(app, key: f.key, uri: "/live/news/index.m3u8?token=\(bound)", ip: "203.0.113.9")
            #expect(nginxOther.status == .forbidden && reason(nginxOther) == "other_ip")
        }
    }

    @Test func streamLimitAndEntitlementAreCheckedAgain() async throws {
        try await withTVMS(trustProxy: true) { app, clock in
            let f = try await setUp(app)
            try await StreamCallbackService.saveTicketSetting(app.serviceEnvironment, actor: .system("t"), deploymentID: f.deploymentID,
                                                              setting: .init(lifetimeSeconds: 7 * 86_400))
            let (_, _, first, firstID) = try await play(app, channel: f.news, device: "tv-1")
            // Three quiet days later a second device plays; the first viewer comes back with its
            // still-valid ticket: the product allows one stream, so it is refused.
            clock.advance(by: 3 * 86_400)
            let (_, _, second, _) = try await play(app, channel: f.sport, device: "phone-2")
            let over = try await flussonic(app, key: f.key, name: "news", token: first, type: "update_session")
            #expect(over.status == .forbidden && reason(over) == "max_streams_reached", "\(over.body.string)")
            #expect(try await playback(app, firstID).lastSeenAt < clock.now.addingTimeInterval(-PlaybackService.liveWindow), "a refusal does not count it")
            #expect(try await nginx(app, key: f.key, uri: "/live/sport/index.m3u8?token=\(second)").status == .noContent)

            // The channel leaves the product: the next check refuses it.
            try await PackageService.setGrants(app.serviceEnvironment, actor: .system("t"), deploymentID: f.deploymentID, productID: f.productID,
                                               extraPackageID: nil, packages: [])
            let gone = try await nginx(app, key: f.key, uri: "/live/sport/seg-1.ts?token=\(second)")
            #expect(gone.status == .forbidden && reason(gone) == "not_entitled")
        }
    }

    // MARK: nginx auth_request

    @Test func nginxAuthRequestAnswersEachRequest() async throws {
        try await withTVMS(trustProxy: true) { app, clock in
            let f = try await setUp(app)
            let (_, url, ticket, playbackID) = try await play(app, channel: f.sport)
            let uri = String(url.dropFirst("https://edge1.example.net".count))
            #expect(uri.hasPrefix("/live/sport/index.m3u8?token="), "\(uri)")
            let ok = try await nginx(app, key: f.key, uri: uri)
            #expect(ok.status == .noContent, "\(ok.body.string)")
            #expect(try await nginx(app, key: f.key, uri: "/live/sport/seg-00017.ts?token=\(ticket)").status == .noContent, "a segment with the playlist's ticket")
            // Every request proves watching: a request after a minute moves the heartbeat.
            clock.advance(by: 61)
            #expect(try await nginx(app, key: f.key, uri: "/live/sport/seg-00018.ts?token=\(ticket)").status == .noContent)
            #expect(try await playback(app, playbackID).lastSeenAt == clock.now)

            let none = try await nginx(app, key: f.key, uri: "/live/sport/index.m3u8")
            #expect(none.status == .unauthorized && reason(none) == "no_ticket")
            let other = try await nginx(app, key: f.key, uri: "/live/news/index.m3u8?token=\(ticket)")
            #expect(other.status == .forbidden && reason(other) == "wrong_stream")
            #expect(reason(try await nginx(app, key: f.key, uri: "/live/sport/../news/index.m3u8?token=\(ticket)")) == "wrong_stream")
            let noURI = try await nginx(app, key: f.key, uri: nil)
            #expect(noURI.status == .forbidden && reason(noURI) == "bad_request" && noURI.body.string.contains("X-Original-URI"))
            #expect(reason(try await nginx(app, key: "tvms_cb_x", uri: uri)) == "unknown_caller")
        }
    }

    // MARK: Nimble pay-per-view

    func sync(_ players: [(id: String, ip: String, delta: Int)], stream: (app: String, name: String) = ("live", "nb"), id: String = "35465921-42f0-4a98-91b1-74305f329b4f",
              puzzle: String = "e34b51a3-4018-4707-8afe-890409202ec8", signature: String = "flPsWZPshoBFwy/Ah464OQ==") -> String {
        let list = players.enumerated().map { #"{"id":"\#($0.element.id)","ip":"\#($0.element.ip)","sessionid":"\#(1000 + $0.offset)","delta":\#($0.element.delta),"bytes_sent":1398110,"user_agents":["VLC/3.0"]}"# }
        return #"{"ID":"\#(id)","Signature":"\#(signature)","Puzzle":"\#(puzzle)","PayPerViewInfo":{"VHost":[{"name":"_defaultVHost_","Application":[{"name":"\#(stream.app)","Instance":[{"name":"_definst_","Stream":[{"name":"\#(stream.name)","Player":[\#(list.joined(separator: ","))]}]}]}]}]}}"#
    }

    func denied(_ res: TestingHTTPResponse) throws -> [String] {
        try #require(((try jsonObject(res))["DenyList"] as? [String: Any])?["ID"] as? [String])
    }

    @Test func nimblePayPerViewCountsViewersAndBlocksTheRest() async throws {
        try await withTVMS(trustProxy: true) { app, clock in
            let f = try await setUp(app)
            let (device, url, _, playbackID) = try await play(app, channel: f.nimble)
            // The address carries a WMSAuth signature whose pay-per-view id is the ticket.
            let sign = try #require(URLComponents(string: url)?.queryItems?.first { $0.name == "wmsAuthSign" }?.value)
            let signature = String(decoding: try #require(Data(base64Encoded: sign)), as: UTF8.self)
            let id = try #require(signature.split(separator: "&").first { $0.hasPrefix("id=") }.map { String($0.dropFirst(3)) })
            #expect(id.hasPrefix("t1.") && !signature.contains("checkip"), "\(signature)")

            clock.advance(by: 70)
            let body = sync([(id, Self.viewerIP, 30_031), ("1", "192.168.10.10", 286_786)])
            let res = try await nimbleSync(app, key: f.key, body: body)
            #expect(res.status == .ok, "\(res.body.string)")
            #expect(res.headers.contentType == .json)
            #expect(try denied(res) == ["1"], "an id TVMS did not issue is blocked")
            #expect(res.body.string.contains("Solution") == false, "no WMSPanel token stored: no solution")
            var pb = try await playback(app, playbackID)
            #expect(pb.viewedSeconds == 30 && pb.lastSeenAt == clock.now)

            // Nimble retries the same POST: the viewing time is not counted twice.
            clock.advance(by: 5)
            #expect(try denied(try await nimbleSync(app, key: f.key, body: body)) == ["1"])
            pb = try await playback(app, playbackID)
            #expect(pb.viewedSeconds == 30)

            // The next sync counts again; a stopped playback is blocked from then on.
            clock.advance(by: 25)
            #expect(try denied(try await nimbleSync(app, key: f.key, body: sync([(id, Self.viewerIP, 30_000)], puzzle: "second"))).isEmpty)
            #expect(try await playback(app, playbackID).viewedSeconds == 60)
            #expect(try await p.request(app, .POST, "/api/client/v1/play/\(playbackID)/stop", token: device).status == .noContent)
            #expect(try denied(try await nimbleSync(app, key: f.key, body: sync([(id, Self.viewerIP, 30_000)], puzzle: "third"))) == [id])
            // Another stream than the ticket's: blocked.
            let (_, url2, _, _) = try await play(app, channel: f.nimble, device: "tv-1")
            let sign2 = String(decoding: Data(base64Encoded: URLComponents(string: url2)!.queryItems!.first { $0.name == "wmsAuthSign" }!.value!)!, as: UTF8.self)
            let id2 = String(sign2.split(separator: "&").first { $0.hasPrefix("id=") }!.dropFirst(3))
            #expect(try denied(try await nimbleSync(app, key: f.key, body: sync([(id2, Self.viewerIP, 1000)], stream: ("live", "news"), puzzle: "fourth"))) == [id2])

            #expect(try await nimbleSync(app, key: f.key, body: "<xml/>").status == .badRequest)
            #expect(reason(try await nimbleSync(app, key: "tvms_cb_unknown", body: body)) == "unknown_caller")

            // The counted syncs are kept a day, then the hourly housekeeping forgets them.
            #expect(try await StreamCallbackSyncModel.query(on: app.db).count() == 4)
            clock.advance(by: 86_401)
            _ = try await MaintenanceJob.run(JobContext(env: app.serviceEnvironment, jobID: 0, payload: "", attempt: 1, deploymentID: nil, logger: app.logger))
            #expect(try await StreamCallbackSyncModel.query(on: app.db).count() == 0)
        }
    }

    @Test func nimbleSyncsAreSignatureCheckedWithTheWMSPanelToken() async throws {
        try await withTVMS(trustProxy: true) { app, _ in
            let f = try await setUp(app)
            // The published example: ID, Puzzle and token give this Signature.
            _ = try await StreamCallbackService.configure(app.serviceEnvironment, actor: .system("t"), deploymentID: f.deploymentID, transcoderID: f.serverID,
                                                          enabled: true, ppvToken: "bc91b48588048871f4b898af9371ccc8")
            let good = sync([("1", "127.0.0.1", 7000)], id: "5f0d5962-33b1-5137-ae6a-32776bcabc69", puzzle: "8c537e85-9684-a3b5-cbd9-bbebe952b103",
                            signature: "7r/RZeJ18rMuRYc8luBdFQ==")
            let res = try await nimbleSync(app, key: f.key, body: good)
            #expect(res.status == .ok, "\(res.body.string)")
            #expect((try jsonObject(res))["Solution"] as? String == NimblePPV.solution(puzzle: "8c537e85-9684-a3b5-cbd9-bbebe952b103", token: "bc91b48588048871f4b898af9371ccc8"))
            let forged = try await nimbleSync(app, key: f.key, body: good.replacingOccurrences(of: "7r/RZeJ18rMuRYc8luBdFQ==", with: "AAAAAAAAAAAAAAAAAAAAAA=="))
            #expect(forged.status == .forbidden && reason(forged) == "bad_signature")
            // The token is sealed: not in the database, not in the audit log.
            let rows = try await app.db.sql.raw("SELECT ppv_token_sealed, ppv_token_hint FROM transcoders").all()
            #expect(try rows.allSatisfy { !(try $0.decode(column: "ppv_token_sealed", as: String.self)).contains("bc91b485") })
            let audit = try await AuditRecordModel.query(on: app.db).all().map { "\($0.afterJSON ?? "")" }.joined()
            #expect(!audit.contains("bc91b485") && !audit.contains(f.key) && audit.contains("callbackKey"))
        }
    }

    // MARK: Console

    @Test func consoleTurnsTheCallbackOnShowsItsURLOnceAndRotatesIt() async throws {
        try await withTVMS { app, _ in
            var b = Browser(app)
            try await b.login("owner@demo.tvms", "demo1234")
            try await b.get("/cms/transcoders/new")
            let created = try await b.post("/cms/transcoders", [("name", "Nimble edge"), ("kind", "nimble"), ("baseURL", "https://nimble.example.net"),
                                                                ("dvrDepthDays", "7"), ("archiveForm", "nimble"), ("archiveStartParam", "start"),
                                                                ("archiveEndParam", "end"), ("enabled", "on"), ("callbackEnabled", "on"), ("ppvToken", "wmspanel-token-1234")])
            #expect(created.status == .ok, "the key is shown, not redirected away from")
            let key = try #require(created.body.string.firstMatch(of: /tvms_cb_[A-Za-z0-9_-]{43}/).map { String($0.0) })
            for url in ["on_play http://localhost/stream-auth/flussonic/\(key);", "http://localhost/stream-auth/nimble/\(key)", "proxy_pass http://localhost/stream-auth/nginx/\(key);"] {
                #expect(created.body.string.contains(url), "\(url)")
            }
            let server = try #require(try await TranscoderModel.query(on: app.db).filter(\.$name == "Nimble edge").first())
            #expect(server.callbackEnabled && server.callbackKeyDigest == Secrets.digest(key) && server.ppvTokenHint == "…1234")
            #expect(try await StreamCallbackService.caller(app.serviceEnvironment, key: key)?.transcoderID == server.id)

            // The page shows only the hint afterwards; saving again does not change the key.
            let page = try await b.get("/cms/transcoders/\(server.id!)")
            #expect(page.body.string.contains("Playback callback") && page.body.string.contains(server.callbackKeyHint) && !page.body.string.contains(key))
            let saved = try await b.post("/cms/transcoders/\(server.id!)", [("name", "Nimble edge"), ("kind", "nimble"), ("baseURL", "https://nimble.example.net"),
                                                                             ("dvrDepthDays", "7"), ("archiveForm", "nimble"), ("archiveStartParam", "start"),
                                                                             ("archiveEndParam", "end"), ("enabled", "on"), ("callbackEnabled", "on")])
            #expect(saved.status == .seeOther)
            #expect(try await TranscoderModel.find(server.id, on: app.db)?.callbackKeyDigest == Secrets.digest(key))

            // Rotating asks first, then shows the new key; the old one stops working.
            let confirm = try await b.get("/cms/transcoders/\(server.id!)/callback/rotate")
            #expect(confirm.status == .ok && confirm.body.string.contains("stops working"))
            let rotated = try await b.post("/cms/transcoders/\(server.id!)/callback/rotate")
            let newKey = try #require(rotated.body.string.firstMatch(of: /tvms_cb_[A-Za-z0-9_-]{43}/).map { String($0.0) })
            #expect(newKey != key)
            let stranger = try await nimbleSync(app, key: key, body: sync([]))
            #expect(reason(stranger) == "unknown_caller")
            #expect(try await nimbleSync(app, key: newKey, body: sync([])).status == .forbidden, "the stored WMSPanel token does not sign this sample")

            // Turning it off refuses every call.
            _ = try await b.post("/cms/transcoders/\(server.id!)", [("name", "Nimble edge"), ("kind", "nimble"), ("baseURL", "https://nimble.example.net"),
                                                                     ("dvrDepthDays", "7"), ("archiveForm", "nimble"), ("archiveStartParam", "start"),
                                                                     ("archiveEndParam", "end"), ("enabled", "on"), ("clearPPVToken", "on")])
            let off = try #require(try await TranscoderModel.find(server.id, on: app.db))
            #expect(!off.callbackEnabled && off.callbackKeyDigest.isEmpty && off.ppvTokenSealed.isEmpty)
            #expect(reason(try await nimbleSync(app, key: newKey, body: sync([]))) == "unknown_caller")

            // Audited without the keys or the token.
            let audit = try await AuditRecordModel.query(on: app.db).filter(\.$entityType == "transcoder").all()
            let text = audit.map { "\($0.action) \($0.afterJSON ?? "")" }.joined(separator: "\n")
            #expect(text.contains("callback_rotate") && text.contains("\"callbackEnabled\":\"false\""))
            #expect(!text.contains(key) && !text.contains(newKey) && !text.contains("wmspanel-token-1234"))
        }
    }

    @Test func consoleSavesTheTicketSettings() async throws {
        try await withTVMS { app, _ in
            var b = Browser(app)
            try await b.login("owner@demo.tvms", "demo1234")
            let page = try await b.get("/cms/settings/tokens")
            #expect(page.body.string.contains("TVMS ticket") && page.body.string.contains("/cms/settings/tokens/callback"))
            let badOption = try await b.post("/cms/settings/tokens/callback", [("lifetimeSeconds", "900"), ("options", "salt=x"), ("enabled", "on")])
            #expect(badOption.status == .unprocessableEntity && badOption.body.string.contains("only param"))
            let short = try await b.post("/cms/settings/tokens/callback", [("lifetimeSeconds", "5"), ("options", ""), ("enabled", "on")])
            #expect(short.status == .unprocessableEntity && short.body.string.contains("60 seconds"))
            let ok = try await b.post("/cms/settings/tokens/callback", [("lifetimeSeconds", "900"), ("bindIP", "on"), ("options", "param=t"), ("enabled", "on")])
            #expect(ok.status == .seeOther)
            let d = try #require(try await DeploymentModel.query(on: app.db).filter(\.$cmsService == DemoData.cmsService).first()).id!
            #expect(try await StreamCallbackService.ticketSetting(app.serviceEnvironment, deploymentID: d) == .init(lifetimeSeconds: 900, bindIP: true, parameter: "t"))
        }
    }
}
