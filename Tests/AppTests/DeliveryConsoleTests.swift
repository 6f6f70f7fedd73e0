import Fluent
import Foundation
import NIOConcurrencyHelpers
import Testing
import Vapor
import VaporTesting
@testable import App
@testable import Domain
@testable import Services
import Storage

/// A streaming server on loopback: a management API behind Basic auth (`/api`) and a live HLS
/// stream (`/up/index.m3u8`) whose newest segment is fresh at the test clock's time.
final class FakeStreamServer: @unchecked Sendable {
    static let user = "admin"
    let app: Application
    private(set) var port = 0
    private let seenAuth = NIOLockedValueBox<[String]>([])
    var base: String { "http://127.0.0.1:\(port)" }
    /// The Authorization headers the API received, oldest first.
    var authorizations: [String] { seenAuth.withLockedValue { $0 } }

    init(secret: String, now: Date) async throws {
        app = try await Application.make(.testing)
        app.logger.logLevel = .error
        let expected = "Basic " + Data("\(Self.user):\(secret)".utf8).base64EncodedString()
        app.get("api") { [seenAuth] req -> Response in
            let auth = req.headers.first(name: .authorization) ?? ""
            seenAuth.withLockedValue { $0.append(auth) }
            return Response(status: auth == expected ? .ok : .unauthorized, body: .init(string: #"{"server":"fake"}"#))
        }
        let f = ISO8601DateFormatter()
        let playlist = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:100\n#EXT-X-PROGRAM-DATE-TIME:\(f.string(from: now.addingTimeInterval(-20)))\n"
            + "#EXTINF:4.0,\nseg100.ts\n#EXTINF:4.0,\nseg101.ts\n#EXTINF:4.0,\nseg102.ts\n"
        app.get("up", "index.m3u8") { _ in Response(status: .ok, headers: ["Content-Type": "application/vnd.apple.mpegurl"], body: .init(string: playlist)) }
        try await app.server.start(address: .hostname("127.0.0.1", port: 0))
        port = app.http.server.shared.localAddress?.port ?? 0
    }

    func stop() async throws {
        await app.server.shutdown()
        try await app.asyncShutdown()
    }

    /// A loopback port nothing listens on (bound, then released).
    static func closedPort() async throws -> Int {
        let probe = try await Application.make(.testing)
        probe.logger.logLevel = .error
        try await probe.server.start(address: .hostname("127.0.0.1", port: 0))
        let port = probe.http.server.shared.localAddress?.port ?? 1
        await probe.server.shutdown()
        try await probe.asyncShutdown()
        return port
    }
}

/// CMS › Transcoders (servers, CDN hostnames, DVR storage, FLS Mapping, FLS Health) and CMS ›
/// Settings (Token Settings, BuyDRM, Irdeto) through the real console: forms, CSRF, flashes,
/// write-only secrets.
@Suite(.serialized) struct DeliveryConsoleTests {
    static let secret = "Sup3r-S3cret-API-9876"

    func owner(_ app: Application) async throws -> Browser {
        var b = Browser(app)
        try await b.login("owner@demo.tvms", "demo1234")
        return b
    }

    func server(_ app: Application, _ name: String) async throws -> TranscoderModel {
        try #require(try await TranscoderModel.query(on: app.db).filter(\.$name == name).first())
    }

    func channel(_ app: Application, _ name: String) async throws -> ChannelModel {
        try #require(try await ChannelModel.query(on: app.db).filter(\.$name == name).first())
    }

    func auditText(_ app: Application) async throws -> String {
        try await AuditRecordModel.query(on: app.db).all().map { "\($0.entityType) \($0.action) \($0.beforeJSON ?? "") \($0.afterJSON ?? "")" }.joined(separator: "\n")
    }

    func serverFields(name: String, base: String, api: String = "", secret: String = "", depth: String = "7") -> [(String, String)] {
        [("name", name), ("kind", "flussonic"), ("baseURL", base), ("apiURL", api), ("apiUser", FakeStreamServer.user), ("apiSecret", secret), ("dvrDepthDays", depth),
         ("archiveForm", "flussonic"), ("archiveStartParam", "start"), ("archiveEndParam", "end"), ("enabled", "on")]
    }

    /// The API password is sealed: never in a page (not even a refused form), never in the
    /// audit log; the edit form shows its hint, and an empty field keeps it.
    @Test func transcoderPasswordIsWriteOnlyAndKeptWhenLeftEmpty() async throws {
        try await withTVMS { app, _ in
            var b = try await owner(app)
            #expect(try await b.get("/cms/transcoders/new").status == .ok)
            let created = try await b.post("/cms/transcoders", serverFields(name: "edge1", base: "https://edge1.example.net", api: "http://10.0.0.5:8080", secret: Self.secret))
            #expect(created.status == .seeOther && created.headers.first(name: .location) == "/cms/transcoders")
            let list = try await b.get("/cms/transcoders").body.string
            #expect(list.contains("edge1 added.") && list.contains("https://edge1.example.net") && list.contains(">unknown<"))
            let t = try await server(app, "edge1")
            #expect(t.apiSecretHint == "…9876" && !t.apiSecretSealed.contains(Self.secret))
            #expect(try DeliverySettingsService.apiSecret(app.serviceEnvironment, of: t) == Self.secret)

            let edit = try await b.get("/cms/transcoders/\(t.id!)").body.string
            #expect(edit.contains("A password ending in …9876 is stored. Leave empty to keep it."))
            #expect(edit.contains(#"type="password" name="apiSecret" value="""#))
            #expect(!edit.contains(Self.secret) && !edit.contains("S3cret"))

            // Saved with the field empty: renamed, same sealed secret.
            let saved = try await b.post("/cms/transcoders/\(t.id!)", serverFields(name: "edge-one", base: "https://edge1.example.net", api: "http://10.0.0.5:8080", depth: "14"))
            #expect(saved.status == .seeOther)
            let after = try await server(app, "edge-one")
            #expect(after.apiSecretSealed == t.apiSecretSealed && after.dvrDepthDays == 14)
            // A refused save does not echo the new password either.
            let refused = try await b.post("/cms/transcoders/\(t.id!)", serverFields(name: "", base: "https://edge1.example.net", secret: "another-S3cret-5555"))
            #expect(refused.status == .unprocessableEntity && !refused.body.string.contains("another-S3cret-5555"))
            // A new password replaces the old one.
            _ = try await b.post("/cms/transcoders/\(t.id!)", serverFields(name: "edge-one", base: "https://edge1.example.net", secret: "next-S3cret-4321"))
            let replaced = try await server(app, "edge-one")
            let opened = try DeliverySettingsService.apiSecret(app.serviceEnvironment, of: replaced)
            #expect(replaced.apiSecretHint == "…4321" && opened == "next-S3cret-4321")

            let audit = try await auditText(app)
            #expect(audit.contains("transcoder create") && audit.contains("transcoder update"))
            #expect(!audit.contains(Self.secret) && !audit.contains("next-S3cret-4321") && !audit.contains("another-S3cret"))
        }
    }

    @Test func transcoderFormShowsTheServicesFieldErrors() async throws {
        try await withTVMS { app, _ in
            var b = try await owner(app)
            _ = try await b.get("/cms/transcoders/new")
            let res = try await b.post("/cms/transcoders", [("name", ""), ("kind", "flussonic"), ("baseURL", "ftp://edge.example.net"), ("apiURL", "not a url"),
                                                            ("dvrDepthDays", "9999"), ("archiveForm", "query"), ("archiveStartParam", "from time"), ("archiveEndParam", "to")])
            #expect(res.status == .unprocessableEntity)
            let html = res.body.string
            #expect(html.contains("Name is required"))
            #expect(html.contains("Base URL must be an http(s) address"))
            #expect(html.contains("API URL must be an http(s) address or empty"))
            #expect(html.contains("DVR depth (days) must be between 0 and 3650"))
            #expect(html.contains("Start parameter name parameter names are letters, digits and _"))
            #expect(html.contains(#"value="ftp://edge.example.net""#), "what was typed stays")
            let notNumber = try await b.post("/cms/transcoders", serverFields(name: "x", base: "https://x.example.net", depth: "a week"))
            #expect(notNumber.status == .unprocessableEntity && notNumber.body.string.contains("DVR depth (days) must be a whole number"))
            #expect(try await TranscoderModel.query(on: app.db).count() == 0)
        }
    }

    /// Test calls the server's API now with its stored credentials and flashes what happened.
    @Test func testButtonReportsTheOutcome() async throws {
        try await withTVMS { app, clock in
            let origin = try await FakeStreamServer(secret: Self.secret, now: clock.now)
            do {
                var b = try await owner(app)
                _ = try await b.get("/cms/transcoders/new")
                _ = try await b.post("/cms/transcoders", serverFields(name: "live1", base: origin.base, api: origin.base + "/api", secret: Self.secret))
                let t = try await server(app, "live1")
                let ok = try await b.post("/cms/transcoders/\(t.id!)/test")
                #expect(ok.status == .seeOther)
                let page = try await b.get("/cms/transcoders").body.string
                #expect(page.contains("Test of live1: Reachable — \(origin.base)/api answered 200 in"), "\(page)")
                #expect(origin.authorizations.last == "Basic " + Data("admin:\(Self.secret)".utf8).base64EncodedString())

                // Saved with an empty password: the kept one still opens the API.
                _ = try await b.post("/cms/transcoders/\(t.id!)", serverFields(name: "live1", base: origin.base, api: origin.base + "/api"))
                _ = try await b.post("/cms/transcoders/\(t.id!)/test")
                #expect(try await b.get("/cms/transcoders").body.string.contains("Test of live1: Reachable"))
                // A wrong password is refused by the API.
                _ = try await b.post("/cms/transcoders/\(t.id!)", serverFields(name: "live1", base: origin.base, api: origin.base + "/api", secret: "wrong-password"))
                _ = try await b.post("/cms/transcoders/\(t.id!)/test")
                #expect(try await b.get("/cms/transcoders").body.string.contains("Test of live1 failed: The API refused the credentials (401)"))

                // Nothing listening: not reachable.
                let closed = try await FakeStreamServer.closedPort()
                _ = try await b.post("/cms/transcoders", serverFields(name: "gone", base: "http://127.0.0.1:\(closed)"))
                let gone = try await server(app, "gone")
                _ = try await b.post("/cms/transcoders/\(gone.id!)/test")
                let failed = try await b.get("/cms/transcoders").body.string
                #expect(failed.contains("Test of gone failed: Not reachable"), "\(failed)")
                #expect(!failed.contains(Self.secret))
            } catch {
                try await origin.stop()
                throw error
            }
            try await origin.stop()
        }
    }

    @Test func cdnHostnamesAddEditDelete() async throws {
        try await withTVMS { app, _ in
            var b = try await owner(app)
            _ = try await b.get("/cms/transcoders/cdn")
            let bad = try await b.post("/cms/transcoders/cdn", [("baseURL", "cdn1.example.net"), ("kind", "generic"), ("priority", "5000"), ("weight", "1"), ("enabled", "on")])
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.body.string.contains("Base URL must be an http(s) address") && bad.body.string.contains("Priority must be between 0 and 1000"))
            let added = try await b.post("/cms/transcoders/cdn", [("baseURL", "https://cdn1.example.net/"), ("kind", "akamai"), ("priority", "5"), ("weight", "3"), ("enabled", "on")])
            #expect(added.status == .seeOther)
            let list = try await b.get("/cms/transcoders/cdn").body.string
            #expect(list.contains("https://cdn1.example.net added.") && list.contains(">Akamai<") && list.contains(">unknown<"))
            let c = try #require(try await CDNHostnameModel.query(on: app.db).first())
            #expect(c.baseURL == "https://cdn1.example.net" && c.priority == 5 && c.weight == 3)
            let dup = try await b.post("/cms/transcoders/cdn", [("baseURL", "https://cdn1.example.net"), ("kind", "generic"), ("priority", "1"), ("weight", "1")])
            #expect(dup.status == .unprocessableEntity && dup.body.string.contains("Base URL is already listed"))

            #expect(try await b.get("/cms/transcoders/cdn/\(c.id!)").body.string.contains(#"value="https://cdn1.example.net""#))
            let edited = try await b.post("/cms/transcoders/cdn/\(c.id!)", [("baseURL", "https://cdn2.example.net"), ("kind", "generic"), ("priority", "1"), ("weight", "2")])
            #expect(edited.status == .seeOther)
            let now = try #require(try await CDNHostnameModel.find(c.id!, on: app.db))
            #expect(now.baseURL == "https://cdn2.example.net" && !now.enabled && now.cdnKind == "generic")

            let confirm = try await b.get("/cms/transcoders/cdn/\(c.id!)/delete")
            #expect(confirm.body.string.contains("Delete the CDN hostname https://cdn2.example.net?"))
            #expect(try await b.post("/cms/transcoders/cdn/\(c.id!)/delete").status == .seeOther)
            #expect(try await CDNHostnameModel.query(on: app.db).count() == 0)
            #expect(try await b.get("/cms/transcoders/cdn").body.string.contains("https://cdn2.example.net deleted."))
        }
    }

    @Test func dvrStorageShowsUsageAndRefusesMoreThanCapacity() async throws {
        try await withTVMS { app, _ in
            var b = try await owner(app)
            let empty = try await b.get("/cms/transcoders/dvr").body.string
            #expect(empty.contains("Add a transcoder first"))
            _ = try await b.post("/cms/transcoders", serverFields(name: "edge1", base: "https://edge1.example.net"))
            let t = try await server(app, "edge1")
            _ = try await b.get("/cms/transcoders/dvr")
            let over = try await b.post("/cms/transcoders/dvr", [("transcoderID", "\(t.id!)"), ("name", "disk1"), ("path", "/storage/dvr1"), ("capacityGB", "100"), ("usedGB", "150"), ("retentionDays", "7")])
            #expect(over.status == .unprocessableEntity && over.body.string.contains("Used (GB) must be between 0 and the capacity"))
            let ok = try await b.post("/cms/transcoders/dvr", [("transcoderID", "\(t.id!)"), ("name", "disk1"), ("path", "/storage/dvr1"), ("capacityGB", "1000"), ("usedGB", "250"), ("retentionDays", "7")])
            #expect(ok.status == .seeOther)
            let list = try await b.get("/cms/transcoders/dvr").body.string
            #expect(list.contains(#"<meter min="0" max="100" low="75" high="90" optimum="0" value="25">25 %</meter> 250 of 1000 GB"#), "\(list)")
            #expect(list.contains(">edge1<"))
            let d = try #require(try await DVRStorageModel.query(on: app.db).first())
            _ = try await b.post("/cms/transcoders/dvr/\(d.id!)", [("transcoderID", "\(t.id!)"), ("name", "disk1"), ("path", "/storage/dvr1"), ("capacityGB", "1000"), ("usedGB", "950"), ("retentionDays", "14")])
            #expect(try await b.get("/cms/transcoders/dvr").body.string.contains("95 %</meter> 950 of 1000 GB"))

            // Deleting the server says what goes with it.
            let confirm = try await b.get("/cms/transcoders/\(t.id!)/delete").body.string
            #expect(confirm.contains("Its 0 stream mapping(s) and 1 DVR storage(s) are deleted with it."))
            #expect(try await b.post("/cms/transcoders/dvr/\(d.id!)/delete").status == .seeOther)
            #expect(try await DVRStorageModel.query(on: app.db).count() == 0)
        }
    }

    /// FLS Mapping: a channel's catch-up days may not exceed its stream's archive; one row per
    /// channel, keyset-paged; clearing a mapping.
    @Test func mappingChecksCatchupDaysAndPages() async throws {
        try await withTVMS { app, _ in
            let crm = try await DemoCRM(app)
            try await DemoData.loadContent(crm.env)
            for n in 31...60 {
                var input = ChannelService.Input(number: n, name: "Extra \(n)")
                input.hlsURL = "https://live.demo.tvms/extra-\(n)/index.m3u8"
                _ = try await ChannelService.save(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, id: nil, input: input)
            }
            var b = try await owner(app)
            _ = try await b.get("/cms/transcoders/new")
            _ = try await b.post("/cms/transcoders", serverFields(name: "edge1", base: "https://edge1.example.net", depth: "3"))
            let t = try await server(app, "edge1")
            let news = try await channel(app, "City News 24")
            #expect(news.catchupDays == 7)

            let first = try await b.get("/cms/transcoders/mappings").body.string
            #expect(first.contains("0 of 60 channel(s) mapped") && first.contains(">Extra 50<") && !first.contains(">Extra 51<"), "50 channels a page")
            #expect(first.contains(#"href="/cms/transcoders/mappings?after=50" rel="next""#))
            let second = try await b.get("/cms/transcoders/mappings?after=50").body.string
            #expect(second.contains("Extra 60") && !second.contains(">City News 24<") && second.contains("rel=\"prev\""))

            let form = try await b.get("/cms/transcoders/mappings/\(news.id!)").body.string
            #expect(form.contains(#"name="streamName" value="city-news-24""#), "the stream name is suggested from the address")
            let tooShallow = try await b.post("/cms/transcoders/mappings/\(news.id!)", [("transcoderID", "\(t.id!)"), ("streamName", "city-news-24"), ("dvrDepthDays", "0")])
            #expect(tooShallow.status == .unprocessableEntity)
            #expect(tooShallow.body.string.contains("DVR depth (days) the channel offers 7 catch-up days but this stream keeps 3"))
            #expect(try await StreamMappingModel.query(on: app.db).count() == 0)

            let mapped = try await b.post("/cms/transcoders/mappings/\(news.id!)", [("transcoderID", "\(t.id!)"), ("streamName", "city-news-24"), ("dvrDepthDays", "7")])
            #expect(mapped.status == .seeOther && mapped.headers.first(name: .location) == "/cms/transcoders/mappings?after=\(news.number - 1)")
            let list = try await b.get("/cms/transcoders/mappings?after=\(news.number - 1)").body.string
            #expect(list.contains("plays from the stream city-news-24") && list.contains("1 of 60 channel(s) mapped"))
            #expect(list.contains(">city-news-24<") && list.contains(">7 d<") && list.contains(">edge1<"))
            #expect(try await b.get("/cms/transcoders/config").body.string.contains(">city-news-24<"), "FLS Config is the same page")

            // Deleting the server names its mapping.
            #expect(try await b.get("/cms/transcoders/\(t.id!)/delete").body.string.contains("Its 1 stream mapping(s) and 0 DVR storage(s)"))
            #expect(try await b.post("/cms/transcoders/mappings/\(news.id!)/clear").status == .seeOther)
            #expect(try await StreamMappingModel.query(on: app.db).count() == 0)
            #expect(try await auditText(app).contains("stream_mapping delete"))
        }
    }

    /// A scheme's unknown option key is shown on the form; a good save shows "configured"
    /// with the hint only; an empty secret keeps the stored one.
    @Test func tokenSettingsSaveWithWriteOnlySecret() async throws {
        try await withTVMS { app, _ in
            var b = try await owner(app)
            let page = try await b.get("/cms/settings/tokens").body.string
            #expect(page.contains("Flussonic Token") && page.contains("Akamai Token") && page.contains("nginx secure_link"))
            #expect(page.contains("Keys: salt (fixed salt, no &#39;-&#39;); stream") || page.contains("Keys: salt (fixed salt, no '-'); stream"))
            #expect(page.contains("param (the query parameter, default token)"))
            let secret = "flussonic-Shared-Key-abcd"
            let bad = try await b.post("/cms/settings/tokens/flussonic", [("secret", secret), ("lifetimeSeconds", "600"), ("options", "salt=abc\nexpression=$uri"), ("enabled", "on")])
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.body.string.contains("Options “expression” is not an option of the flussonic scheme"), "\(bad.body.string)")
            #expect(!bad.body.string.contains(secret))
            #expect(bad.body.string.contains("salt=abc\nexpression=$uri"), "the options stay as typed")

            let ok = try await b.post("/cms/settings/tokens/flussonic", [("secret", secret), ("lifetimeSeconds", "600"), ("options", "salt=abc\nparam=tok"), ("enabled", "on")])
            #expect(ok.status == .seeOther)
            let saved = try await b.get("/cms/settings/tokens").body.string
            #expect(saved.contains("Flussonic Token saved (secret …abcd)."))
            #expect(saved.contains("<dd>configured</dd>") && saved.contains("…abcd") && saved.contains("A secret ending in …abcd is stored. Leave empty to keep it."))
            #expect(!saved.contains(secret))
            let stored = try #require(try await TokenSettingModel.query(on: app.db).filter(\.$tokenType == "flussonic").first())
            #expect(stored.lifetimeSeconds == 600 && stored.options == "salt=abc\nparam=tok")

            // Kept when left empty; Akamai's key is checked by the signer.
            _ = try await b.post("/cms/settings/tokens/flussonic", [("secret", ""), ("lifetimeSeconds", "900"), ("options", "salt=abc"), ("enabled", "on")])
            let kept = try #require(try await TokenSettingModel.query(on: app.db).filter(\.$tokenType == "flussonic").first())
            #expect(kept.secretSealed == stored.secretSealed && kept.lifetimeSeconds == 900)
            let akamai = try await b.post("/cms/settings/tokens/akamai", [("secret", "not-hex"), ("lifetimeSeconds", "600"), ("options", ""), ("enabled", "on")])
            #expect(akamai.status == .unprocessableEntity && akamai.body.string.contains("Key (hex) must be the Akamai key: an even-length hexadecimal string"))
            let nginx = try await b.post("/cms/settings/tokens/nginx_secure_link", [("secret", "s3"), ("lifetimeSeconds", "600"), ("options", ""), ("enabled", "on")])
            #expect(nginx.status == .unprocessableEntity && nginx.body.string.contains("“expression” contains $remote_addr"))
            #expect(try await b.post("/cms/settings/tokens/cloudfront", [("secret", "x")]).status == .notFound)

            let audit = try await auditText(app)
            #expect(audit.contains("token_setting create") && !audit.contains(secret))
        }
    }

    @Test func theOptionKeysShownAreTheOnesTheSignerAccepts() throws {
        for (scheme, keys) in DeliverySettingsPages.optionKeys {
            for k in keys {
                let key = k.key == "param.NAME" ? "param.custom" : k.key
                let value = ["scope": "path", "hash_path": "on", "signed_stream": "off", "ppv": "on", "start_leeway": "60", "valid_minutes": "5", "type": "url", "algorithm": scheme == .wowza ? "sha512" : "md5"][key] ?? "x"
                do { _ = try StreamTokenOptions(scheme: scheme, pairs: ["\(key)=\(value)"]) } catch { Issue.record("\(scheme) refuses the key \(key) the page lists: \(error)") }
            }
        }
    }

    @Test func drmSettingsSaveWithWriteOnlyKey() async throws {
        try await withTVMS { app, _ in
            var b = try await owner(app)
            let page = try await b.get("/cms/settings/drm/buydrm").body.string
            #expect(page.contains("<h1>BuyDRM</h1>") && page.contains("<dd>not configured</dd>"))
            let key = "buydrm-User-Key-77ee"
            let bad = try await b.post("/cms/settings/drm/buydrm", [("accountID", "acct-1"), ("key", key), ("lifetimeSeconds", "3600"), ("fairplayCertificateURL", "nope"), ("enabled", "on")])
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.body.string.contains("Widevine licence URL give at least one licence server") && bad.body.string.contains("FairPlay certificate URL must be an http(s) address or empty"))
            #expect(!bad.body.string.contains(key))
            let ok = try await b.post("/cms/settings/drm/buydrm", [("accountID", "acct-1"), ("key", key), ("widevineURL", "https://wv.keyos.com/api/v4/getLicense"),
                                                                   ("fairplayURL", "https://fp.keyos.com/api/v4/getLicense"), ("lifetimeSeconds", "3600"), ("enabled", "on")])
            #expect(ok.status == .seeOther)
            let saved = try await b.get("/cms/settings/drm/buydrm").body.string
            #expect(saved.contains("BuyDRM saved (key …77ee).") && saved.contains("<dd>configured</dd>") && saved.contains("A key ending in …77ee is stored."))
            #expect(!saved.contains(key) && saved.contains(#"value="https://wv.keyos.com/api/v4/getLicense""#))
            #expect(try await b.get("/cms/settings/drm/irdeto").body.string.contains("<dd>not configured</dd>"))
            #expect(try await b.get("/cms/settings/drm/widevine").status == .notFound)
            let d = try #require(try await DRMSettingModel.query(on: app.db).first())
            _ = try await b.post("/cms/settings/drm/buydrm", [("accountID", "acct-2"), ("key", ""), ("widevineURL", "https://wv.keyos.com/api/v4/getLicense"), ("lifetimeSeconds", "3600")])
            let kept = try #require(try await DRMSettingModel.query(on: app.db).first())
            #expect(kept.keySealed == d.keySealed && kept.accountID == "acct-2" && !kept.enabled)
            #expect(!(try await auditText(app)).contains(key))
        }
    }

    /// Check now: a channel whose stream is on a server nobody listens on is down and listed
    /// first, under "1 channel down"; its history shows the failed check. A fresh stream is up.
    @Test func healthListsDownChannelsFirstAfterACheck() async throws {
        try await withTVMS { app, clock in
            let origin = try await FakeStreamServer(secret: Self.secret, now: clock.now)
            do {
                let crm = try await DemoCRM(app)
                try await DemoData.loadContent(crm.env)
                var b = try await owner(app)
                let closed = try await FakeStreamServer.closedPort()
                _ = try await b.get("/cms/transcoders/new")
                _ = try await b.post("/cms/transcoders", serverFields(name: "dead", base: "http://127.0.0.1:\(closed)"))
                _ = try await b.post("/cms/transcoders", serverFields(name: "live", base: origin.base, api: origin.base + "/api", secret: Self.secret))
                let dead = try await server(app, "dead"), live = try await server(app, "live")
                // Relative addresses resolve on the mapped server.
                let down = try await channel(app, "Sports Two"), up = try await channel(app, "Demo One")
                down.hlsURL = "/sports-two/index.m3u8"; try await down.save(on: app.db)
                up.hlsURL = "/up/index.m3u8"; try await up.save(on: app.db)
                _ = try await b.post("/cms/transcoders/mappings/\(down.id!)", [("transcoderID", "\(dead.id!)"), ("streamName", "sports-two"), ("dvrDepthDays", "7")])
                _ = try await b.post("/cms/transcoders/mappings/\(up.id!)", [("transcoderID", "\(live.id!)"), ("streamName", "up"), ("dvrDepthDays", "0")])
                #expect(try await StreamMappingModel.query(on: app.db).count() == 2)

                let before = try await b.get("/cms/transcoders/health").body.string
                #expect(!before.contains("channel down") && before.contains("not checked yet"))
                let run = try await b.post("/cms/transcoders/health/run")
                #expect(run.status == .seeOther)
                let html = try await b.get("/cms/transcoders/health").body.string
                #expect(html.contains("Checked 4: 2 down."), "server dead and its channel")
                #expect(html.contains(#"<div class="flash error alert" role="alert">1 channel down · 1 transcoder down</div>"#), "\(html)")
                let downAt = try #require(html.range(of: "22 Sports Two")?.lowerBound)
                let channelsAt = try #require(html.range(of: "<h2>Other mapped channels</h2>")?.lowerBound)
                #expect(downAt < channelsAt, "the down channel is listed above everything else")
                #expect(html.contains("Not reachable"))
                let mappedSection = String(html[channelsAt...])
                #expect(mappedSection.contains("1 Demo One") && mappedSection.contains(">up<") && mappedSection.contains("3 segments, newest 8 s old"))
                #expect(try #require(try await StreamMappingModel.query(on: app.db).filter(\.$channelID == down.id!).first()).status == "down")

                let history = try await b.get("/cms/transcoders/health/channel/\(down.id!)").body.string
                #expect(history.contains("Health history — Channel 22 Sports Two") && history.contains("The last 1 check(s)") && history.contains(">down<"))
                let serverHistory = try await b.get("/cms/transcoders/health/transcoder/\(live.id!)").body.string
                #expect(serverHistory.contains(">up<") && serverHistory.contains(">200<"))
                #expect(try await b.get("/cms/transcoders/health/nonsense/1").status == .notFound)
            } catch {
                try await origin.stop()
                throw error
            }
            try await origin.stop()
        }
    }

    /// The delivery pages are CMS pages: a support agent (CRM only) may not open them, and the
    /// sidebar lists them under Transcoders and Settings.
    @Test func deliveryPagesNeedTheCMSPermission() async throws {
        try await withTVMS { app, _ in
            _ = try await app.makeUser("agent@demo.tvms", role: "support")
            var agent = Browser(app)
            try await agent.login("agent@demo.tvms", "password123")
            for path in ["/cms/transcoders", "/cms/transcoders/cdn", "/cms/transcoders/dvr", "/cms/transcoders/mappings", "/cms/transcoders/health", "/cms/settings/tokens",
                         "/cms/settings/drm/buydrm"] {
                #expect(try await agent.get(path).status == .forbidden, "\(path)")
            }
            var b = try await owner(app)
            let html = try await b.get("/cms/transcoders/health").body.string
            for label in ["Add a transcoder", "CDN Hostnames", "DVR Storage", "FLS Mapping", "FLS Config", "FLS Health", "BuyDRM", "Irdeto", "Token Settings"] {
                #expect(html.contains(#"<li class="sub"><a href=""#) && html.contains(">\(label)</a>"), "\(label)")
            }
            #expect(html.contains(#"<a href="/cms/transcoders/health" class="active" aria-current="page">FLS Health</a>"#))
        }
    }
}
