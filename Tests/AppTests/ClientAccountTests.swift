import Foundation
import Testing
import Vapor
import VaporTesting
@testable import App
@testable import Services
import Storage
import Fluent
import Domain

/// The subscriber API's way in (bootstrap, MAC and activation-code sign-in, typed refusals), the
/// account and its devices, and the catalogue as one customer sees it — through the real app.
@Suite(.serialized) struct ClientAccountTests {
    let p = PlaybackTests()

    func body(_ res: TestingHTTPResponse) throws -> [String: Any] { try jsonObject(res) }

    @Test func bootstrapActivationCodeAndMACSignIn() async throws {
        try await withTVMS(trustProxy: true) { app, clock in
            let f = try await p.setUp(app)
            defer { Task { try? await f.origin.stop() } }
            let env = app.serviceEnvironment

            let boot = try await p.request(app, .GET, "/api/client/v1/bootstrap?service=DemoCRM")
            #expect(boot.status == .ok)
            let b = try body(boot)
            #expect(b["service"] as? String == "democrm" && (b["authMethods"] as? [String])?.contains("activation_code") == true)
            let unknownHost = try await p.request(app, .GET, "/api/client/v1/bootstrap?host=tv.nobody.example")
            let unknownHostCode = try p.code(unknownHost)
            #expect(unknownHost.status == .notFound && unknownHostCode == "unknown_hostname")

            // The TV asks for a code and polls: pending until someone confirms it.
            let started = try await p.request(app, .POST, "/api/client/v1/auth/activation-code",
                                              json: #"{"service":"democrm","device":{"uid":"living-room-tv","type":"tizen","model":"QE55"}}"#)
            #expect(started.status == .created, "\(started.body.string)")
            let s = try body(started)
            let code = try #require(s["code"] as? String)
            let poll = try #require(s["pollToken"] as? String)
            #expect(code.count == 9 && code.contains("-"))
            #expect((s["verifyURL"] as? String)?.hasSuffix("/activate?service=democrm") == true)
            let pending = try await p.request(app, .POST, "/api/client/v1/auth/activation-code/poll", json: #"{"pollToken":"\#(poll)"}"#)
            #expect(pending.status == .accepted)

            // The phone (signed in with the password) confirms; a wrong code is refused.
            let phone = try p.token(try await p.login(app, device: "phone-1", type: "android"))
            let wrong = try await p.request(app, .POST, "/api/client/v1/auth/activation-code/confirm", token: phone, json: #"{"code":"AAAA-AAAA"}"#)
            let wrongCode = try p.code(wrong)
            #expect(wrong.status == .notFound && wrongCode == "activation_code_unknown")
            // The product allows one device: the TV is refused until the phone frees its place.
            let confirm = try await p.request(app, .POST, "/api/client/v1/auth/activation-code/confirm", token: phone,
                                              json: #"{"code":"\#(code.lowercased())"}"#)
            #expect(confirm.status == .noContent)
            let full = try await p.request(app, .POST, "/api/client/v1/auth/activation-code/poll", json: #"{"pollToken":"\#(poll)"}"#)
            let fullCode = try p.code(full)
            #expect(fullCode == "max_devices_reached")
            let devices = try body(try await p.request(app, .GET, "/api/client/v1/devices", token: phone))["devices"] as? [[String: Any]]
            let phoneDevice = try #require(devices?.first { $0["current"] as? Bool == true }?["id"] as? Int)
            #expect(try await p.request(app, .DELETE, "/api/client/v1/devices/\(phoneDevice)", token: phone).status == .noContent)
            #expect(try await p.request(app, .GET, "/api/client/v1/me", token: phone).status == .unauthorized, "the removed device is signed out")

            let signedIn = try await p.request(app, .POST, "/api/client/v1/auth/activation-code/poll", json: #"{"pollToken":"\#(poll)"}"#)
            #expect(signedIn.status == .created, "\(signedIn.body.string)")
            let tv = try p.token(signedIn)
            let me = try body(try await p.request(app, .GET, "/api/client/v1/me", token: tv))
            #expect(me["login"] as? String == "viewer1" && (me["product"] as? [String: Any])?["maxDevices"] as? Int == 1)
            let tvDevices = try body(try await p.request(app, .GET, "/api/client/v1/devices", token: tv))["devices"] as? [[String: Any]]
            #expect(tvDevices?.count == 1 && tvDevices?.first?["type"] as? String == "tizen" && tvDevices?.first?["model"] as? String == "QE55")
            let again = try await p.request(app, .POST, "/api/client/v1/auth/activation-code/poll", json: #"{"pollToken":"\#(poll)"}"#)
            let againCode = try p.code(again)
            #expect(againCode == "activation_used", "a code signs in once")

            // An expired code cannot be confirmed.
            let late = try body(try await p.request(app, .POST, "/api/client/v1/auth/activation-code",
                                                     json: #"{"service":"democrm","device":{"uid":"bedroom-tv","type":"webos"}}"#))
            clock.advance(by: ActivationCodeService.lifetime + 1)
            let expired = try await p.request(app, .POST, "/api/client/v1/auth/activation-code/confirm", token: tv,
                                              json: #"{"code":"\#(try #require(late["code"] as? String))"}"#)
            let expiredCode = try p.code(expired)
            #expect(expiredCode == "activation_expired")

            // MAC sign-in works for a box the operator linked, not for any MAC.
            let customer = try #require(try await CustomerModel.query(on: app.db).filter(\.$login == "viewer1").first())
            _ = try await CustomerService.linkDevice(env, actor: .system("t"), deploymentID: f.deploymentID, id: customer.id!, mac: "00:1A:79:0A:0B:0C",
                                                     serial: "", model: "MAG 524")
            let unknownBox = try await p.request(app, .POST, "/api/client/v1/auth/mac",
                                                 json: #"{"service":"democrm","mac":"00:1A:79:FF:FF:FF","device":{"uid":"x","type":"mag"}}"#)
            let unknownBoxCode = try p.code(unknownBox)
            #expect(unknownBox.status == .unauthorized && unknownBoxCode == "wrong_credentials")
            let box = try await p.request(app, .POST, "/api/client/v1/auth/mac",
                                          json: #"{"service":"democrm","mac":"001a790a0b0c","device":{"uid":"ignored","type":"mag"}}"#)
            #expect(box.status == .created, "a linked box keeps its own place: \(box.body.string)")
            let boxToken = try p.token(box)
            let boxDevices = try body(try await p.request(app, .GET, "/api/client/v1/devices", token: boxToken))["devices"] as? [[String: Any]]
            let linked = try #require(boxDevices?.first { $0["linked"] as? Bool == true })
            let linkedID = try #require(linked["id"] as? Int)
            let refused = try await p.request(app, .DELETE, "/api/client/v1/devices/\(linkedID)", token: tv)
            let refusedCode = try p.code(refused)
            #expect(refused.status == .conflict && refusedCode == "device_linked")
        }
    }

    @Test func typedRefusalsAndFirstLoginStartsTheClock() async throws {
        try await withTVMS(trustProxy: true) { app, clock in
            let f = try await p.setUp(app)
            defer { Task { try? await f.origin.stop() } }
            let env = app.serviceEnvironment
            let product = try #require(try await ProductModel.find(f.productID, on: app.db))
            var input = ProductService.Input(product)
            input.allowedDeviceTypes = ["android", "web"]
            input.allowedCountries = ["NL"]
            _ = try await ProductService.update(env, actor: .system("t"), deploymentID: f.deploymentID, id: f.productID, input: input)

            let tizen = try await p.login(app, device: "tv", type: "tizen")
            let tizenCode = try p.code(tizen)
            #expect(tizen.status == .forbidden && tizenCode == "device_type_not_allowed")
            var h = HTTPHeaders()
            h.add(name: "X-Forwarded-For", value: "198.51.100.7"); h.add(name: "CF-IPCountry", value: "BE"); h.contentType = .json
            let abroad = try await app.testing().sendRequest(.POST, "/api/client/v1/auth/login", headers: h,
                                                             body: ByteBuffer(string: #"{"service":"democrm","login":"viewer1","password":"secret12","device":{"uid":"c","type":"chrome"}}"#))
            let abroadCode = try p.code(abroad)
            #expect(abroadCode == "country_not_allowed")
            #expect(try await p.login(app, device: "c", type: "chrome").status == .created, "a browser counts as web; no country header = no geo check")

            // Start from first login: pending until the first sign-in, which starts the subscription.
            let plan = try #require(try await PaymentPlanModel.query(on: app.db).filter(\.$productID == f.productID).first())
            var n = CustomerService.NewCustomer(productID: f.productID, planID: plan.id!, currency: "EUR")
            n.login = "later1"; n.password = "secret12"; n.startFromFirstLogin = true
            _ = try await CustomerService.create(env, actor: .system("t"), deploymentID: f.deploymentID, input: n)
            clock.advance(by: 3 * 86_400)
            let first = try await p.request(app, .POST, "/api/client/v1/auth/login",
                                            json: #"{"service":"democrm","login":"later1","password":"secret12","device":{"uid":"p","type":"android"}}"#)
            #expect(first.status == .created, "\(first.body.string)")
            let later = try #require(try await CustomerModel.query(on: app.db).filter(\.$login == "later1").first())
            #expect(later.startsAt == env.now && later.firstLoginAt == env.now)
            let me = try body(try await p.request(app, .GET, "/api/client/v1/me", token: try p.token(first)))
            #expect(me["status"] as? String == "active")
        }
    }

    @Test func catalogueShowsWhatTheCustomerMayWatch() async throws {
        try await withTVMS(trustProxy: true) { app, _ in
            let f = try await p.setUp(app)
            defer { Task { try? await f.origin.stop() } }
            let env = app.serviceEnvironment
            let actor = Principal.system("t")
            let d = f.deploymentID
            // A series with a season of two episodes in the customer's films package, a movie outside it.
            let series = try await VoDService.save(env, actor: actor, deploymentID: d, id: nil, input: VoDService.Input(kind: .series, title: "Harbour Lights")).id!
            var s1 = VoDService.Input(kind: .season, title: "Season 1"); s1.parentID = series; s1.number = 1
            let season = try await VoDService.save(env, actor: actor, deploymentID: d, id: nil, input: s1).id!
            for e in 1...2 {
                var ep = VoDService.Input(kind: .episode, title: "Episode \(e)"); ep.parentID = season; ep.number = e; ep.streamURL = "https://vod.example/hl/\(e).m3u8"
                _ = try await VoDService.save(env, actor: actor, deploymentID: d, id: nil, input: ep)
            }
            let shows = try await PackageService.create(env, actor: actor, deploymentID: d, kind: .series, name: "Shows", description: "")
            _ = try await PackageService.add(env, actor: actor, deploymentID: d, packageID: shows.id!, items: [series])
            let current = try await PackageGrantModel.query(on: app.db).filter(\.$productID == f.productID).all().map(\.packageID)
            try await PackageService.setGrants(env, actor: actor, deploymentID: d, productID: f.productID, extraPackageID: nil, packages: current + [shows.id!])
            var hidden = VoDService.Input(kind: .movie, title: "Harbour Secrets"); hidden.streamURL = "https://vod.example/x.m3u8"
            _ = try await VoDService.save(env, actor: actor, deploymentID: d, id: nil, input: hidden)

            let tv = try p.token(try await p.login(app, device: "tv", type: "androidtv"))
            let channels = try await p.request(app, .GET, "/api/client/v1/channels", token: tv)
            #expect(channels.status == .ok)
            let list = try #require(try body(channels)["channels"] as? [[String: Any]])
            #expect(Set(list.compactMap { $0["id"] as? Int }) == [f.news, f.stale, f.late], "only the product's channels")
            #expect(list.first { $0["id"] as? Int == f.late }?["parental"] as? Bool == true)
            let etag = try #require(channels.headers.first(name: .eTag))
            var h = HTTPHeaders(); h.bearerAuthorization = .init(token: tv); h.add(name: .ifNoneMatch, value: etag)
            #expect(try await app.testing().sendRequest(.GET, "/api/client/v1/channels", headers: h).status == .notModified)

            // A kids profile sees neither the 18+ channel nor anything above its age limit.
            let kids = try await p.request(app, .POST, "/api/client/v1/profiles", token: tv, json: #"{"name":"Kids","kids":true}"#)
            #expect(kids.status == .created, "\(kids.body.string)")
            let kidsID = try #require(try body(kids)["id"] as? Int)
            let kidsList = try body(try await p.request(app, .GET, "/api/client/v1/channels?profileId=\(kidsID)", token: tv))["channels"] as? [[String: Any]]
            #expect(Set(kidsList?.compactMap { $0["id"] as? Int } ?? []) == [f.news, f.stale])
            #expect(try await p.request(app, .GET, "/api/client/v1/channels?profileId=999999", token: tv).status == .notFound)

            let films = try body(try await p.request(app, .GET, "/api/client/v1/vod/movies", token: tv))
            #expect((films["items"] as? [[String: Any]])?.compactMap { $0["title"] as? String } == ["Protected Film"])
            let seriesPage = try body(try await p.request(app, .GET, "/api/client/v1/vod/series?limit=1", token: tv))
            #expect((seriesPage["items"] as? [[String: Any]])?.first?["id"] as? Int == series)
            let detail = try body(try await p.request(app, .GET, "/api/client/v1/vod/items/\(series)", token: tv))
            let seasons = try #require(detail["children"] as? [[String: Any]])
            #expect(detail["access"] as? String == "open" && seasons.count == 1 && (seasons[0]["episodes"] as? [[String: Any]])?.count == 2)
            #expect(try await p.request(app, .GET, "/api/client/v1/vod/nonsense", token: tv).status == .notFound)

            let found = try body(try await p.request(app, .GET, "/api/client/v1/search?q=harbour", token: tv))
            #expect((found["items"] as? [[String: Any]])?.compactMap { $0["title"] as? String } == ["Harbour Lights"], "the movie outside the packages is not found")
            let delivery = try body(try await p.request(app, .GET, "/api/client/v1/search?q=delivery", token: tv))
            #expect((delivery["channels"] as? [[String: Any]])?.count == 3)
            #expect(try await p.request(app, .GET, "/api/client/v1/search?q=a", token: tv).status == .unprocessableEntity)

            let home = try body(try await p.request(app, .GET, "/api/client/v1/home", token: tv))
            let rails = try #require(home["rails"] as? [[String: Any]])
            #expect(rails.compactMap { $0["id"] as? String } == ["live", "new-movies", "new-series"])
            let guide = try await p.request(app, .GET, "/api/client/v1/epg?date=2026-11-25", token: tv)
            let guideChannels = try body(guide)["channels"] as? [[String: Any]]
            #expect(guide.status == .ok && guideChannels?.count == 3)
            #expect(try await p.request(app, .GET, "/api/client/v1/epg/now-next?channels=\(f.news)", token: tv).status == .ok)
        }
    }
}
