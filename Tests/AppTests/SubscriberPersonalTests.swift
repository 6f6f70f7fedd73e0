import Foundation
import Testing
import Vapor
import VaporTesting
@testable import App
@testable import Services
import Storage
import Fluent
import Domain

/// The subscriber's own part of the client API (issue 9): profiles and parental control,
/// favourites, watchlist and resume points, messages, pay-per-view with the wallet, analytics
/// events and problem reports — through the real app, as a TV app calls it.
@Suite(.serialized) struct SubscriberPersonalTests {
    struct Fixture {
        var deploymentID: UUID
        var viewer: Int, other: Int
        var news: Int, adultChannel: Int
        var family: Int, teen: Int, drama: Int, extra: Int
        var premiere: Int, pricey: Int
    }

    /// A product with a channel package and a movie package, two customers on it, and two
    /// pay-per-view movies (3.99 and 9.99 EUR, 48 hours).
    func setUp(_ app: Application) async throws -> Fixture {
        let env = app.serviceEnvironment
        let actor = Principal.system("test")
        let d = try #require(try await DeploymentModel.query(on: app.db).filter(\.$cmsService == DemoData.cmsService).first()).id!
        let product = try await ProductService.create(env, actor: actor, deploymentID: d, input: .init(
            name: "Personal", subscriptionType: "regular", paymentType: "wallet", maxDevices: 2, pvrQuotaHours: 0, defaultCurrency: "EUR"))
        let plan = try await ProductService.addPlan(env, actor: actor, deploymentID: d, productID: product.id!, input: .init(name: "Month", length: 1, unit: "months", prices: ["EUR": "9.99"]))
        func customer(_ login: String) async throws -> Int {
            var n = CustomerService.NewCustomer(productID: product.id!, planID: plan.id!, currency: "EUR")
            n.login = login; n.password = "secret12"
            return try await CustomerService.create(env, actor: actor, deploymentID: d, input: n).customer.id!
        }
        let viewer = try await customer("viewer1"), other = try await customer("viewer2")
        func channel(_ number: Int, _ name: String, age: Int) async throws -> Int {
            var i = ChannelService.Input(number: 800 + number, name: name)
            i.hlsURL = "https://edge.example/\(number)/index.m3u8"; i.ageRating = age
            return try await ChannelService.save(env, actor: actor, deploymentID: d, id: nil, input: i).id!
        }
        let news = try await channel(1, "Personal News", age: 0)
        let adult = try await channel(2, "Late Night", age: 18)
        func movie(_ title: String, age: Int, rule: Int? = nil, price: Int64? = nil) async throws -> Int {
            var m = VoDService.Input(kind: .movie, title: title)
            m.streamURL = "https://vod.example/\(title.count)/manifest.mpd"; m.ageRating = age; m.durationSeconds = 6000
            if let rule, let price { m.ppvRuleID = rule; m.prices = ["EUR": price] }
            return try await VoDService.save(env, actor: actor, deploymentID: d, id: nil, input: m).id!
        }
        let family = try await movie("Family Film", age: 6), teen = try await movie("Teen Drama", age: 14)
        let drama = try await movie("Slow Drama", age: 12), extra = try await movie("Extra Feature", age: 0)
        let rule = try await PPVService.saveRule(env, actor: actor, deploymentID: d, section: .movie, id: nil, name: "Rent 48h", unit: "hours", count: 48)
        let premiere = try await movie("Premiere Personal", age: 12, rule: rule.id!, price: 399)
        let pricey = try await movie("Pricey Premiere", age: 0, rule: rule.id!, price: 999)
        let tv = try await PackageService.create(env, actor: actor, deploymentID: d, kind: .channel, name: "Personal TV", description: "")
        _ = try await PackageService.add(env, actor: actor, deploymentID: d, packageID: tv.id!, items: [news, adult])
        let films = try await PackageService.create(env, actor: actor, deploymentID: d, kind: .movie, name: "Personal Films", description: "")
        _ = try await PackageService.add(env, actor: actor, deploymentID: d, packageID: films.id!, items: [family, teen, drama, extra])
        try await PackageService.setGrants(env, actor: actor, deploymentID: d, productID: product.id!, extraPackageID: nil, packages: [tv.id!, films.id!])
        return Fixture(deploymentID: d, viewer: viewer, other: other, news: news, adultChannel: adult, family: family, teen: teen, drama: drama, extra: extra,
                       premiere: premiere, pricey: pricey)
    }

    func request(_ app: Application, _ method: HTTPMethod, _ path: String, token: String? = nil, json: String? = nil,
                 headers extra: [(String, String)] = []) async throws -> TestingHTTPResponse {
        var h = HTTPHeaders()
        if let token { h.bearerAuthorization = .init(token: token) }
        for (k, v) in extra { h.add(name: k, value: v) }
        var body: ByteBuffer? = nil
        if let json { h.contentType = .json; body = ByteBuffer(string: json) }
        return try await app.testing().sendRequest(method, path, headers: h, body: body)
    }

    func signIn(_ app: Application, _ login: String, device: String = "tv-1") async throws -> String {
        let res = try await request(app, .POST, "/api/client/v1/auth/login",
                                    json: #"{"service":"democrm","login":"\#(login)","password":"secret12","device":{"uid":"\#(device)","type":"androidtv"}}"#)
        #expect(res.status == .created, "\(res.body.string)")
        return try #require(try jsonObject(res)["token"] as? String)
    }

    func code(_ res: TestingHTTPResponse) throws -> String? { (try jsonObject(res)["error"] as? [String: Any])?["code"] as? String }

    func profiles(_ app: Application, _ token: String) async throws -> [[String: Any]] {
        let res = try await request(app, .GET, "/api/client/v1/profiles", token: token)
        #expect(res.status == .ok)
        return try #require(try jsonObject(res)["profiles"] as? [[String: Any]])
    }

    func makeProfile(_ app: Application, _ token: String, _ json: String) async throws -> Int {
        let res = try await request(app, .POST, "/api/client/v1/profiles", token: token, json: json)
        #expect(res.status == .created, "\(res.body.string)")
        return try #require(try jsonObject(res)["id"] as? Int)
    }

    func items(_ res: TestingHTTPResponse) throws -> [String] {
        try #require(try jsonObject(res)["items"] as? [[String: Any]]).compactMap { $0["item"] as? String }
    }

    // MARK: Profiles

    @Test func profilesAreTheCustomersOwnAndKeepTheirRules() async throws {
        try await withTVMS { app, _ in
            let f = try await setUp(app)
            let a = try await signIn(app, "viewer1"), b = try await signIn(app, "viewer2")

            // The first list makes the default profile; a second list does not make another.
            let first = try await profiles(app, a)
            #expect(first.count == 1 && first[0]["isDefault"] as? Bool == true && first[0]["name"] as? String == "Main")
            #expect(try await profiles(app, a).count == 1)
            let mainID = try #require(first[0]["id"] as? Int)
            let kids = try await makeProfile(app, a, #"{"name":"Kids","kids":true,"avatar":"owl"}"#)
            let made = try jsonObject(try await request(app, .GET, "/api/client/v1/profiles/\(kids)", token: a))
            #expect(made["ratingLimit"] as? Int == 12 && made["pinSet"] as? Bool == false && (made["avatarImage"] as? String)?.hasSuffix("/api/client/v1/avatars/owl.svg") == true)

            // Another customer's profile does not exist for this device, whatever the call.
            for (method, path, body) in [(HTTPMethod.GET, "/api/client/v1/profiles/\(kids)", nil), (.PUT, "/api/client/v1/profiles/\(kids)", #"{"name":"Mine"}"#),
                                         (.DELETE, "/api/client/v1/profiles/\(kids)", nil), (.POST, "/api/client/v1/profiles/\(kids)/verify-pin", #"{"pin":"0000"}"#),
                                         (.GET, "/api/client/v1/profiles/\(kids)/favorites", nil), (.PUT, "/api/client/v1/profiles/\(kids)/favorites/channel/\(f.news)", nil),
                                         (.GET, "/api/client/v1/profiles/\(kids)/continue-watching", nil),
                                         (.PUT, "/api/client/v1/profiles/\(kids)/progress", #"{"item":"movie:\#(f.family)","position":10,"duration":100}"#)] as [(HTTPMethod, String, String?)] {
                let res = try await request(app, method, path, token: b, json: body)
                #expect(res.status == .notFound, "\(method) \(path) → \(res.status)")
            }
            #expect(try await profiles(app, b).count == 1, "the other customer has only its own default profile")
            #expect(try await request(app, .GET, "/api/client/v1/profiles").status == .unauthorized)

            // Names are unique in the account; avatars come from the built-in list; six at most.
            #expect(try code(try await request(app, .POST, "/api/client/v1/profiles", token: a, json: #"{"name":"kids"}"#)) == "validation_failed")
            #expect(try code(try await request(app, .POST, "/api/client/v1/profiles", token: a, json: #"{"name":"Zed","avatar":"unicorn"}"#)) == "validation_failed")
            for n in 3...6 { _ = try await makeProfile(app, a, #"{"name":"Person \#(n)"}"#) }
            let seventh = try await request(app, .POST, "/api/client/v1/profiles", token: a, json: #"{"name":"Person 7"}"#)
            #expect(try seventh.status == .conflict && (code(seventh)) == "profile_limit_reached")

            // Lifting a kids profile's restriction needs the account's parental PIN (default 0000).
            #expect(try code(try await request(app, .PUT, "/api/client/v1/profiles/\(kids)", token: a, json: #"{"kids":false}"#)) == "parental_pin_required")
            #expect(try code(try await request(app, .PUT, "/api/client/v1/profiles/\(kids)", token: a, json: #"{"maxRating":16,"parentalPin":"1111"}"#)) == "parental_pin_wrong")
            let tightened = try await request(app, .PUT, "/api/client/v1/profiles/\(kids)", token: a, json: #"{"maxRating":6,"name":"Little ones"}"#)
            #expect(try tightened.status == .ok && (jsonObject(tightened))["ratingLimit"] as? Int == 6, "a stricter limit needs no PIN")
            // The main profile stays; a kids profile goes only with the parental PIN.
            #expect(try code(try await request(app, .DELETE, "/api/client/v1/profiles/\(mainID)", token: a)) == "profile_is_default")
            #expect(try code(try await request(app, .DELETE, "/api/client/v1/profiles/\(kids)", token: a)) == "parental_pin_required")
            #expect(try await request(app, .DELETE, "/api/client/v1/profiles/\(kids)", token: a, headers: [("X-Parental-PIN", "0000")]).status == .noContent)
            #expect(try await profiles(app, a).count == 5)
        }
    }

    @Test func kidsProfileIsRefusedWhatIsAboveItsLimitAndTheAccountLimitAsksForThePIN() async throws {
        try await withTVMS { app, _ in
            let f = try await setUp(app)
            let a = try await signIn(app, "viewer1")
            let main = try #require(try await profiles(app, a).first?["id"] as? Int)
            let kids = try await makeProfile(app, a, #"{"name":"Kids","kids":true}"#)
            func play(_ item: String, profile: Int?, pin: String? = nil) async throws -> TestingHTTPResponse {
                var fields = [#""kind":"\#(item.hasPrefix("channel") ? "live" : "vod")""#, #""item":"\#(item)""#]
                if let profile { fields.append(#""profileId":\#(profile)"#) }
                if let pin { fields.append(#""pin":"\#(pin)""#) }
                return try await request(app, .POST, "/api/client/v1/play", token: a, json: "{" + fields.joined(separator: ",") + "}")
            }

            // 18+ is refused outright in a kids profile (no PIN can open it); a 14 film too.
            let adult = try await play("channel:\(f.adultChannel)", profile: kids, pin: "0000")
            #expect(try adult.status == .forbidden && (code(adult)) == "profile_restricted", "\(adult.body.string)")
            #expect(try code(try await play("movie:\(f.teen)", profile: kids)) == "profile_restricted")
            #expect(try await play("movie:\(f.family)", profile: kids).status == .ok, "a 6 film plays in a kids profile")
            #expect(try await play("channel:\(f.news)", profile: kids).status == .ok, "an unrated channel too")
            // The main profile: the built-in rule asks the PIN for 18+ (the CMS marks 16+ parental), a 14 film plays freely.
            #expect(try code(try await play("channel:\(f.adultChannel)", profile: main)) == "parental_pin_required")
            #expect(try await play("channel:\(f.adultChannel)", profile: main, pin: "0000").status == .ok)
            #expect(try await play("movie:\(f.teen)", profile: main).status == .ok)
            // A profile of another customer, or none at all, is not found.
            #expect(try await play("movie:\(f.family)", profile: 999_999).status == .notFound)

            // The account's own limit: above 12 asks for the PIN, once a new PIN is set only that one opens.
            var parental = try await request(app, .PUT, "/api/client/v1/me/parental", token: a, json: #"{"pin":"4321","maxRating":12}"#)
            #expect(try parental.status == .ok && (jsonObject(parental))["pinSet"] as? Bool == true, "\(parental.body.string)")
            #expect(try code(try await play("movie:\(f.teen)", profile: nil)) == "parental_pin_required")
            #expect(try code(try await play("movie:\(f.teen)", profile: main, pin: "0000")) == "parental_pin_wrong")
            #expect(try await play("movie:\(f.teen)", profile: main, pin: "4321").status == .ok)
            #expect(try await play("movie:\(f.drama)", profile: nil).status == .ok, "12 is within the account's limit")
            // Changing it again needs the current PIN.
            #expect(try code(try await request(app, .PUT, "/api/client/v1/me/parental", token: a, json: #"{"maxRating":18}"#)) == "parental_pin_required")
            #expect(try code(try await request(app, .PUT, "/api/client/v1/me/parental", token: a, json: #"{"maxRating":18,"currentPin":"0000"}"#)) == "parental_pin_wrong")
            parental = try await request(app, .PUT, "/api/client/v1/me/parental", token: a, json: #"{"maxRating":18,"currentPin":"4321"}"#)
            #expect(try jsonObject(parental)["maxRating"] as? Int == 18)
            #expect(try await play("movie:\(f.teen)", profile: nil).status == .ok)
            let stored = try #require(try await CustomerModel.find(f.viewer, on: app.db))
            #expect(!stored.parentalPINDigest.contains("4321") && stored.parentalPINDigest.count == 64)
        }
    }

    @Test func wrongProfilePINsLockTheProfileForAWhile() async throws {
        try await withTVMS { app, clock in
            _ = try await setUp(app)
            let a = try await signIn(app, "viewer1")
            let dad = try await makeProfile(app, a, #"{"name":"Dad","pin":"2468"}"#)
            let shown = try await request(app, .GET, "/api/client/v1/profiles/\(dad)", token: a)
            #expect(try jsonObject(shown)["pinSet"] as? Bool == true && !shown.body.string.contains("2468") && !shown.body.string.contains("v1$"))
            let stored = try #require(try await CustomerProfileModel.find(dad, on: app.db))
            #expect(stored.pinDigest.hasPrefix("v1$") && !stored.pinDigest.contains("2468"))

            #expect(try await request(app, .POST, "/api/client/v1/profiles/\(dad)/verify-pin", token: a, json: #"{"pin":"2468"}"#).status == .ok)
            for attempt in 1...5 {
                let wrong = try await request(app, .POST, "/api/client/v1/profiles/\(dad)/verify-pin", token: a, json: #"{"pin":"1357"}"#)
                #expect(try wrong.status == .forbidden && (code(wrong)) == "profile_pin_wrong", "attempt \(attempt)")
            }
            let locked = try await request(app, .POST, "/api/client/v1/profiles/\(dad)/verify-pin", token: a, json: #"{"pin":"2468"}"#)
            #expect(try locked.status == .locked && (code(locked)) == "profile_pin_locked", "even the right PIN waits")
            clock.advance(by: 15 * 60 + 1)
            #expect(try await request(app, .POST, "/api/client/v1/profiles/\(dad)/verify-pin", token: a, json: #"{"pin":"2468"}"#).status == .ok)

            // Changing a locked profile's PIN takes the parental PIN; removing it too.
            #expect(try code(try await request(app, .PUT, "/api/client/v1/profiles/\(dad)", token: a, json: #"{"pin":null}"#)) == "parental_pin_required")
            let open = try await request(app, .PUT, "/api/client/v1/profiles/\(dad)", token: a, json: #"{"pin":null,"parentalPin":"0000"}"#)
            #expect(try jsonObject(open)["pinSet"] as? Bool == false)
        }
    }

    // MARK: Personal data

    @Test func favouritesAndWatchlistRoundTripWithoutDuplicates() async throws {
        try await withTVMS { app, clock in
            let f = try await setUp(app)
            let a = try await signIn(app, "viewer1")
            let p = try #require(try await profiles(app, a).first?["id"] as? Int)
            let base = "/api/client/v1/profiles/\(p)"
            let added = try await request(app, .PUT, "\(base)/favorites/channel/\(f.news)", token: a)
            #expect(try added.status == .created && (jsonObject(added))["title"] as? String == "Personal News")
            clock.advance(by: 10)
            #expect(try await request(app, .PUT, "\(base)/favorites/channel/\(f.news)", token: a).status == .ok, "again: already there")
            #expect(try await request(app, .PUT, "\(base)/favorites/movie/\(f.family)", token: a).status == .created)
            #expect(try items(try await request(app, .GET, "\(base)/favorites", token: a)) == ["movie:\(f.family)", "channel:\(f.news)"], "newest first, once each")
            #expect(try await ProfileItemModel.query(on: app.db).count() == 2)

            // The watchlist is a list of its own.
            #expect(try await request(app, .PUT, "\(base)/watchlist/movie:\(f.teen)", token: a).status == .notFound)
            #expect(try await request(app, .PUT, "\(base)/watchlist/movie/\(f.teen)", token: a).status == .created)
            #expect(try items(try await request(app, .GET, "\(base)/watchlist", token: a)) == ["movie:\(f.teen)"])

            // Removing is idempotent; unknown items and types are refused.
            #expect(try await request(app, .DELETE, "\(base)/favorites/channel/\(f.news)", token: a).status == .noContent)
            #expect(try await request(app, .DELETE, "\(base)/favorites/channel/\(f.news)", token: a).status == .noContent)
            #expect(try items(try await request(app, .GET, "\(base)/favorites", token: a)) == ["movie:\(f.family)"])
            #expect(try await request(app, .PUT, "\(base)/favorites/movie/999999", token: a).status == .notFound)
            #expect(try await request(app, .PUT, "\(base)/favorites/series/\(f.family)", token: a).status == .notFound, "a movie is not a series")
            #expect(try code(try await request(app, .PUT, "\(base)/favorites/podcast/1", token: a)) == "validation_failed")
            // A title deleted from the catalogue leaves the list.
            try await VoDService.delete(app.serviceEnvironment, actor: .system("t"), deploymentID: f.deploymentID, id: f.family)
            #expect(try items(try await request(app, .GET, "\(base)/favorites", token: a)).isEmpty)
        }
    }

    @Test func continueWatchingIsMostRecentFirstWithoutFinishedOrUnplayableTitles() async throws {
        try await withTVMS { app, clock in
            let f = try await setUp(app)
            let a = try await signIn(app, "viewer1")
            let p = try #require(try await profiles(app, a).first?["id"] as? Int)
            let base = "/api/client/v1/profiles/\(p)"
            func progress(_ item: String, _ position: Int, _ duration: Int = 6000) async throws -> TestingHTTPResponse {
                let res = try await request(app, .PUT, "\(base)/progress", token: a, json: #"{"item":"\#(item)","position":\#(position),"duration":\#(duration)}"#)
                clock.advance(by: 60)
                return res
            }
            #expect(try await progress("movie:\(f.family)", 600).status == .ok)
            _ = try await progress("movie:\(f.teen)", 1200)
            _ = try await progress("movie:\(f.drama)", 300)
            _ = try await progress("movie:\(f.premiere)", 100)
            let cw = "\(base)/continue-watching"
            #expect(try items(try await request(app, .GET, cw, token: a)) == ["movie:\(f.drama)", "movie:\(f.teen)", "movie:\(f.family)"],
                    "most recent first; the PPV title not rented is not offered")

            // Watching again moves a title up; the same report twice is stored once.
            _ = try await progress("movie:\(f.family)", 900)
            let again = try await progress("movie:\(f.family)", 900)
            #expect(try jsonObject(again)["progress"] as? Double == 0.15)
            #expect(try await ProfileProgressModel.query(on: app.db).filter(\.$item == "movie:\(f.family)").count() == 1)
            // From 95 % a title is finished and leaves the list.
            let done = try await progress("movie:\(f.teen)", 5700)
            #expect(try jsonObject(done)["finished"] as? Bool == true)
            #expect(try items(try await request(app, .GET, cw, token: a)) == ["movie:\(f.family)", "movie:\(f.drama)"])
            let one = try jsonObject(try await request(app, .GET, "\(base)/progress/movie/\(f.family)", token: a))
            #expect(one["position"] as? Int == 900 && one["duration"] as? Int == 6000)
            #expect(try await request(app, .GET, "\(base)/progress/movie/\(f.extra)", token: a).status == .notFound)

            // Bad reports: not a playable title, negative position, a channel.
            #expect(try code(try await progress("series:\(f.family)", 10)) == "validation_failed")
            #expect(try code(try await progress("movie:\(f.extra)", -1)) == "validation_failed")
            #expect(try code(try await progress("channel:\(f.news)", 10)) == "validation_failed")

            // Rented, the PPV title comes back; the limit is kept.
            try await topUp(app, f, 1000)
            #expect(try await request(app, .POST, "/api/client/v1/ppv/movie/\(f.premiere)/rent", token: a).status == .created)
            #expect(try items(try await request(app, .GET, cw, token: a)) == ["movie:\(f.family)", "movie:\(f.premiere)", "movie:\(f.drama)"])
            #expect(try items(try await request(app, .GET, "\(cw)?limit=1", token: a)) == ["movie:\(f.family)"])
        }
    }

    func topUp(_ app: Application, _ f: Fixture, _ cents: Int64) async throws {
        _ = try await CustomerService.walletMove(app.serviceEnvironment, actor: .system("t"), deploymentID: f.deploymentID, id: f.viewer, amount: cents,
                                                 reason: "Top-up", idempotencyKey: nil)
    }

    // MARK: Pay-per-view

    @Test func rentingChargesOnceOnRetryAndNeverWithoutFunds() async throws {
        try await withTVMS { app, _ in
            let f = try await setUp(app)
            let a = try await signIn(app, "viewer1")
            try await topUp(app, f, 1000)

            let offer = try jsonObject(try await request(app, .GET, "/api/client/v1/ppv/movie/\(f.premiere)", token: a))
            #expect(offer["owned"] as? Bool == false && offer["affordable"] as? Bool == true && offer["window"] as? String == "48 hours")
            #expect((offer["price"] as? [String: Any])?["amount"] as? Int == 399 && (offer["price"] as? [String: Any])?["currency"] as? String == "EUR")
            #expect(try code(try await request(app, .GET, "/api/client/v1/ppv/movie/\(f.family)", token: a)) == "not_for_sale")

            let key = [("Idempotency-Key", "rent-premiere-1")]
            let rent = try await request(app, .POST, "/api/client/v1/ppv/movie/\(f.premiere)/rent", token: a, headers: key)
            #expect(rent.status == .created, "\(rent.body.string)")
            #expect(((try jsonObject(rent))["walletBalance"] as? [String: Any])?["amount"] as? Int == 601)
            // The app retries (a lost answer): the same answer, no second charge.
            let retry = try await request(app, .POST, "/api/client/v1/ppv/movie/\(f.premiere)/rent", token: a, headers: key)
            #expect(retry.status == .created && retry.headers.first(name: "Idempotent-Replayed") == "true" && retry.body.string == rent.body.string)
            #expect(try await CustomerModel.find(f.viewer, on: app.db)?.walletBalance == 601)
            #expect(try await PPVPurchaseModel.query(on: app.db).filter(\.$customerID == f.viewer).count() == 1)
            #expect(try await WalletTransactionModel.query(on: app.db).filter(\.$customerID == f.viewer).filter(\.$amount < 0).count() == 1)
            // Without the key, a second rent of an open rental is refused as owned.
            let owned = try await request(app, .POST, "/api/client/v1/ppv/movie/\(f.premiere)/rent", token: a)
            #expect(try owned.status == .conflict && (code(owned)) == "already_owned")
            #expect(try jsonObject(try await request(app, .GET, "/api/client/v1/ppv/movie/\(f.premiere)", token: a))["owned"] as? Bool == true)

            // 9.99 with 6.01 in the wallet: refused, nothing charged, nothing opened.
            let poor = try await request(app, .POST, "/api/client/v1/ppv/movie/\(f.pricey)/rent", token: a, headers: [("Idempotency-Key", "rent-pricey")])
            #expect(try poor.status == .conflict && (code(poor)) == "insufficient_funds")
            #expect(try await CustomerModel.find(f.viewer, on: app.db)?.walletBalance == 601)
            #expect(try await PPVPurchaseModel.query(on: app.db).filter(\.$customerID == f.viewer).count() == 1)

            // My Content and the wallet history.
            let rentals = try #require(try jsonObject(try await request(app, .GET, "/api/client/v1/me/rentals", token: a))["rentals"] as? [[String: Any]])
            #expect(rentals.count == 1 && rentals[0]["item"] as? String == "movie:\(f.premiere)" && rentals[0]["active"] as? Bool == true)
            let history = try jsonObject(try await request(app, .GET, "/api/client/v1/me/transactions?limit=1", token: a))
            let moves = try #require(history["transactions"] as? [[String: Any]])
            #expect(moves.count == 1 && (moves[0]["amount"] as? [String: Any])?["amount"] as? Int == -399)
            let cursor = try #require(history["nextCursor"] as? String)
            let older = try jsonObject(try await request(app, .GET, "/api/client/v1/me/transactions?limit=1&cursor=\(cursor)", token: a))
            #expect(((older["transactions"] as? [[String: Any]])?.first?["amount"] as? [String: Any])?["amount"] as? Int == 1000)
            #expect(older["nextCursor"] is NSNull)
            // The other customer sees none of it.
            let b = try await signIn(app, "viewer2")
            #expect((try jsonObject(try await request(app, .GET, "/api/client/v1/me/rentals", token: b))["rentals"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func rentingThroughTheOperatorsBillingOpensAccessOnlyOnSuccess() async throws {
        try await withTVMS { app, _ in
            let f = try await setUp(app)
            let billing = try await FakeBilling()
            let env = app.serviceEnvironment
            func provision(_ path: String) async throws -> Int {
                var input = ProvisionService.Input(name: "Billing \(path)", contentType: "movies", url: billing.url(path), method: "POST",
                                                   keyMapping: "userid=customer\ncontent_id=movie\namount=price", extraParams: "", successRule: "status=ok", failureRule: "")
                input.maxAttempts = 1
                return try await ProvisionService.create(env, actor: .system("t"), deploymentID: f.deploymentID, input: input).id!
            }
            let ok = try await provision("ok"), declined = try await provision("declined")
            let a = try await signIn(app, "viewer1")
            let refused = try await request(app, .POST, "/api/client/v1/ppv/movie/\(f.premiere)/rent", token: a, json: #"{"provisionId":\#(declined)}"#)
            #expect(refused.status != .created, "a declined payment opens nothing: \(refused.body.string)")
            #expect(try await PPVPurchaseModel.query(on: app.db).filter(\.$customerID == f.viewer).count() == 0)
            let rent = try await request(app, .POST, "/api/client/v1/ppv/movie/\(f.premiere)/rent", token: a, json: #"{"provisionId":\#(ok)}"#)
            #expect(rent.status == .created, "\(rent.body.string)")
            #expect(try await PPVPurchaseModel.query(on: app.db).filter(\.$customerID == f.viewer).count() == 1)
            #expect(try await CustomerModel.find(f.viewer, on: app.db)?.walletBalance == 0, "the billing paid, not the wallet")
            #expect(billing.seen.withLockedValue { $0.count } == 1)
            try await billing.stop()
        }
    }

    // MARK: Messages

    @Test func messagesAreListedReadAndHiddenPerCustomer() async throws {
        try await withTVMS { app, clock in
            let f = try await setUp(app)
            let env = app.serviceEnvironment
            let first = try await CustomerService.sendMessage(env, actor: .system("t"), deploymentID: f.deploymentID, id: f.viewer, subject: "Welcome", body: "Hello")
            clock.advance(by: 60)
            let second = try await CustomerService.sendMessage(env, actor: .system("t"), deploymentID: f.deploymentID, id: f.viewer, subject: "Maintenance", body: "Tonight")
            let a = try await signIn(app, "viewer1"), b = try await signIn(app, "viewer2")
            var list = try jsonObject(try await request(app, .GET, "/api/client/v1/messages", token: a))
            #expect((list["messages"] as? [[String: Any]])?.compactMap { $0["subject"] as? String } == ["Maintenance", "Welcome"] && list["unread"] as? Int == 2)

            #expect(try await request(app, .POST, "/api/client/v1/messages/\(first.id!)/read", token: b).status == .notFound, "not the other customer's")
            #expect(try await request(app, .DELETE, "/api/client/v1/messages/\(first.id!)", token: b).status == .notFound)
            #expect(try await request(app, .POST, "/api/client/v1/messages/\(first.id!)/read", token: a).status == .noContent)
            #expect(try await request(app, .POST, "/api/client/v1/messages/\(first.id!)/read", token: a).status == .noContent, "again: no change")
            #expect(try await request(app, .DELETE, "/api/client/v1/messages/\(second.id!)", token: a).status == .noContent)
            list = try jsonObject(try await request(app, .GET, "/api/client/v1/messages", token: a))
            let shown = try #require(list["messages"] as? [[String: Any]])
            #expect(shown.count == 1 && shown[0]["read"] as? Bool == true && list["unread"] as? Int == 0)
            #expect(try await CustomerMessageModel.find(second.id!, on: app.db)?.hiddenAt != nil, "kept for the CRM")
            #expect(try await request(app, .POST, "/api/client/v1/messages/\(second.id!)/read", token: a).status == .notFound)
        }
    }

    // MARK: Events and problem reports

    @Test func anEventBatchKeepsItsGoodEventsAndIsStoredOnceWhenRetried() async throws {
        try await withTVMS { app, clock in
            let f = try await setUp(app)
            let a = try await signIn(app, "viewer1")
            let p = try #require(try await profiles(app, a).first?["id"] as? Int)
            let at = ISO8601DateFormatter().string(from: clock.now.addingTimeInterval(-300))
            let end = ISO8601DateFormatter().string(from: clock.now.addingTimeInterval(-60))
            let batch = """
                {"batchId":"b-1","profileId":\(p),"context":{"app":{"version":"2.1"},"device":{"os":"android"},"password":"never"},
                 "events":[{"type":"Channel","at":"\(at)","end":"\(end)","item":"channel:\(f.news)","programme":"News at Six"},
                           {"type":"Teleport","at":"\(at)"},
                           {"type":"search","at":"\(at)","query":"drama","password":"secret12"},
                           {"type":"Movies","at":"\(at)"}]}
                """
            let res = try await request(app, .POST, "/api/client/v1/events", token: a, json: batch)
            #expect(res.status == .ok, "\(res.body.string)")
            let report = try jsonObject(res)
            #expect(report["accepted"] as? Int == 2 && report["duplicate"] as? Bool == false)
            let rejected = try #require(report["rejected"] as? [[String: Any]])
            #expect(rejected.map { "\($0["index"] as? Int ?? -1):\($0["code"] as? String ?? "")" } == ["1:unknown_type", "3:missing_item"])

            let stored = try await ClientEventModel.query(on: app.db).sort(\.$id).all()
            #expect(stored.map(\.type) == ["Channel", "Search"])
            #expect(stored.allSatisfy { $0.customerID == f.viewer && $0.deploymentID == f.deploymentID && $0.profileID == p })
            #expect(stored[0].durationSeconds == 240 && stored[0].item == "channel:\(f.news)" && stored[0].extra.contains("News at Six"))
            #expect(!stored[1].extra.contains("secret12") && stored[1].extra.contains("drama"), "credentials are never stored")
            let batchRow = try #require(try await ClientEventBatchModel.query(on: app.db).first())
            #expect(batchRow.context.contains("2.1") && !batchRow.context.contains("never"))

            // The app did not get the answer and sends the batch again: same report, nothing stored twice.
            let retry = try jsonObject(try await request(app, .POST, "/api/client/v1/events", token: a, json: batch))
            #expect(retry["duplicate"] as? Bool == true && retry["accepted"] as? Int == 2 && (retry["rejected"] as? [Any])?.count == 2)
            #expect(try await ClientEventModel.query(on: app.db).count() == 2)

            // Whole-batch problems are refused as such.
            let many = (0...ClientEventCatalogue.maxPerBatch).map { _ in #"{"type":"Pages","at":"\#(at)","page":"home"}"# }.joined(separator: ",")
            #expect(try code(try await request(app, .POST, "/api/client/v1/events", token: a, json: #"{"batchId":"b-2","events":[\#(many)]}"#)) == "validation_failed")
            #expect(try code(try await request(app, .POST, "/api/client/v1/events", token: a, json: #"{"batchId":"","events":[]}"#)) == "validation_failed")
        }
    }

    @Test func problemReportsReachTheOperator() async throws {
        try await withTVMS { app, _ in
            let f = try await setUp(app)
            let a = try await signIn(app, "viewer1")
            let res = try await request(app, .POST, "/api/client/v1/problem-reports", token: a,
                                        json: #"{"item":"channel:\#(f.news)","description":"Picture freezes every minute","diagnostics":{"bitrate":1200,"token":"x"}}"#)
            #expect(res.status == .created, "\(res.body.string)")
            #expect(try code(try await request(app, .POST, "/api/client/v1/problem-reports", token: a, json: #"{"description":"  "}"#)) == "validation_failed")
            let stored = try #require(try await ProblemReportModel.query(on: app.db).first())
            #expect(stored.customerID == f.viewer && stored.diagnostics == #"{"bitrate":1200}"#)

            var b = Browser(app)
            try await b.login("owner@demo.tvms", "demo1234")
            let page = try await b.get("/crm/customers/\(f.viewer)?tab=profiles")
            #expect(page.status == .ok && page.body.string.contains("Picture freezes every minute") && page.body.string.contains("Problem reports"))
        }
    }

    @Test func subscriberOpenAPIDocumentDescribesTheseEndpoints() async throws {
        try await withTVMS { app, _ in
            let res = try await request(app, .GET, "/api/client/v1/openapi.json")
            #expect(res.status == .ok)
            let doc = try jsonObject(res)
            let paths = try #require(doc["paths"] as? [String: [String: Any]])
            let documented = Set(paths.flatMap { path, ops in ops.keys.map { "\($0.uppercased()) \(path)" } })
            let routed = Set(app.routes.all.compactMap { route -> String? in
                let comps = route.path.map(\.description)
                guard comps.starts(with: ["api", "client", "v1"]) else { return nil }
                return "\(route.method.rawValue) /" + comps.map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : $0 }.joined(separator: "/")
            })
            #expect(documented.isSubset(of: routed), "documented but not routed: \(documented.subtracting(routed))")
            let p = "/api/client/v1"
            let expected: Set<String> = [
                "GET \(p)/avatars", "GET \(p)/profiles", "POST \(p)/profiles", "GET \(p)/profiles/{profileId}", "PUT \(p)/profiles/{profileId}",
                "DELETE \(p)/profiles/{profileId}", "POST \(p)/profiles/{profileId}/verify-pin", "GET \(p)/me/parental", "PUT \(p)/me/parental",
                "GET \(p)/profiles/{profileId}/favorites", "PUT \(p)/profiles/{profileId}/favorites/{type}/{itemId}", "DELETE \(p)/profiles/{profileId}/favorites/{type}/{itemId}",
                "GET \(p)/profiles/{profileId}/watchlist", "PUT \(p)/profiles/{profileId}/watchlist/{type}/{itemId}", "DELETE \(p)/profiles/{profileId}/watchlist/{type}/{itemId}",
                "PUT \(p)/profiles/{profileId}/progress", "GET \(p)/profiles/{profileId}/progress/{type}/{itemId}", "GET \(p)/profiles/{profileId}/continue-watching",
                "GET \(p)/messages", "POST \(p)/messages/{messageId}/read", "DELETE \(p)/messages/{messageId}",
                "GET \(p)/ppv/{type}/{itemId}", "POST \(p)/ppv/{type}/{itemId}/rent", "GET \(p)/me/rentals", "GET \(p)/me/transactions",
                "POST \(p)/events", "POST \(p)/problem-reports",
            ]
            #expect(expected.subtracting(documented).isEmpty, "undocumented: \(expected.subtracting(documented))")
            // Every subscriber route is documented, except the document itself and the public avatar pictures.
            let undocumented = routed.subtracting(documented).subtracting(["GET \(p)/openapi.json", "GET \(p)/avatars/{file}"])
            #expect(undocumented.isEmpty, "routed but not documented: \(undocumented.sorted())")
            let schemas = try #require((doc["components"] as? [String: Any])?["schemas"] as? [String: Any])
            let refs = Set(res.body.string.matches(of: /"#\/components\/schemas\/([A-Za-z]+)"/).map { String($0.1) })
            #expect(!refs.isEmpty && refs.subtracting(schemas.keys).isEmpty, "unresolved: \(refs.subtracting(schemas.keys))")
            let svg = try await request(app, .GET, "\(p)/avatars/fox.svg")
            #expect(svg.status == .ok && svg.headers.contentType?.subType == "svg+xml" && svg.body.string.contains("<svg"))
        }
    }
}
