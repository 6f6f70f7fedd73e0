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

/// The Xtream Codes dialect and the per-customer M3U / XMLTV through the real app: what a
/// player relies on — field types per the compatibility contract, signed redirects, the
/// entitlement, device and connection limits, every catch-up START shape in the server's zone.
@Suite(.serialized) struct XtreamTests {
    struct Fixture {
        var deploymentID: UUID
        var productID: Int
        var news: Int, plain: Int, adult: Int, protected: Int, unsold: Int
        var movie: Int, series: Int, episode: Int
        var newsGroup: Int
    }

    static let secret = "xc-nginx-secret"
    static let ip = "198.51.100.7"

    /// A product of one device with channels of every kind a player may meet, a movie, a series,
    /// nginx tokens bound to the viewer's address, a streaming server with a Flussonic archive,
    /// a guide on the news channel around the test clock, and two customers (xcuser1, xcuser2).
    func setUp(_ app: Application) async throws -> Fixture {
        let env = app.serviceEnvironment
        let actor = Principal.system("test")
        let d = try #require(try await DeploymentModel.query(on: app.db).filter(\.$cmsService == DemoData.cmsService).first()).id!
        let product = try await ProductService.create(env, actor: actor, deploymentID: d, input: .init(
            name: "Xtream", subscriptionType: "regular", paymentType: "subscription", maxDevices: 1, defaultCurrency: "EUR", supportText: "Hello from the operator"))
        let plan = try await ProductService.addPlan(env, actor: actor, deploymentID: d, productID: product.id!, input: .init(name: "Month", length: 1, unit: "months", prices: ["EUR": "9.99"]))
        for login in ["xcuser1", "xcuser2"] {
            var n = CustomerService.NewCustomer(productID: product.id!, planID: plan.id!, currency: "EUR")
            n.login = login; n.password = "secret12"
            _ = try await CustomerService.create(env, actor: actor, deploymentID: d, input: n)
        }
        func channel(_ number: Int, _ name: String, hls: String, token: String = "none", catchup: Int = 0, age: Int = 0, drm: String = "none") async throws -> Int {
            var i = ChannelService.Input(number: 700 + number, name: name)
            i.hlsURL = hls; i.dashURL = hls.replacingOccurrences(of: "index.m3u8", with: "manifest.mpd"); i.tokenType = token; i.catchupDays = catchup; i.ageRating = age; i.drm = drm
            return try await ChannelService.save(env, actor: actor, deploymentID: d, id: nil, input: i).id!
        }
        let news = try await channel(1, "XC News", hls: "/live/news/index.m3u8", token: "nginx_secure_link", catchup: 3)
        let plain = try await channel(2, "XC \"Plain\" TV", hls: "https://cdn.example/plain/index.m3u8")
        let adult = try await channel(3, "XC Late", hls: "https://cdn.example/late/index.m3u8", age: 18)
        let protected = try await channel(4, "XC Protected", hls: "https://cdn.example/drm/index.m3u8", drm: "buydrm")
        let unsold = try await channel(5, "XC Not Sold", hls: "https://cdn.example/x/index.m3u8")
        let group = try await UIGroupService.create(env, actor: actor, deploymentID: d, name: "XC News Group")
        try await UIGroupService.setChannels(env, actor: actor, deploymentID: d, id: group.id!, channels: [news])

        var m = VoDService.Input(kind: .movie, title: "XC Film")
        m.streamURL = "https://vod.example/film/video.mkv"; m.genres = "science fiction, drama"; m.year = 2019; m.durationSeconds = 5400; m.rating = "7.25"
        let movie = try await VoDService.save(env, actor: actor, deploymentID: d, id: nil, input: m).id!
        var s = VoDService.Input(kind: .series, title: "XC Show")
        s.genres = "drama"; s.year = 2021
        let series = try await VoDService.save(env, actor: actor, deploymentID: d, id: nil, input: s).id!
        var season = VoDService.Input(kind: .season, title: "Season 2")
        season.parentID = series; season.number = 2
        let seasonID = try await VoDService.save(env, actor: actor, deploymentID: d, id: nil, input: season).id!
        var e = VoDService.Input(kind: .episode, title: "Pilot")
        e.parentID = seasonID; e.number = 1; e.durationSeconds = 2700; e.streamURL = "https://vod.example/show/s2e1.mp4"
        let episode = try await VoDService.save(env, actor: actor, deploymentID: d, id: nil, input: e).id!

        let tv = try await PackageService.create(env, actor: actor, deploymentID: d, kind: .channel, name: "XC TV", description: "")
        _ = try await PackageService.add(env, actor: actor, deploymentID: d, packageID: tv.id!, items: [news, plain, adult, protected])
        let films = try await PackageService.create(env, actor: actor, deploymentID: d, kind: .movie, name: "XC Films", description: "")
        _ = try await PackageService.add(env, actor: actor, deploymentID: d, packageID: films.id!, items: [movie])
        let shows = try await PackageService.create(env, actor: actor, deploymentID: d, kind: .series, name: "XC Shows", description: "")
        _ = try await PackageService.add(env, actor: actor, deploymentID: d, packageID: shows.id!, items: [series])
        try await PackageService.setGrants(env, actor: actor, deploymentID: d, productID: product.id!, extraPackageID: nil, packages: [tv.id!, films.id!, shows.id!])

        var t = DeliverySettingsService.TranscoderInput()
        t.name = "XC origin"; t.kind = "flussonic"; t.baseURL = "https://origin.example"; t.dvrDepthDays = 7; t.archiveForm = "flussonic"; t.enabled = true
        let server = try await DeliverySettingsService.saveTranscoder(env, actor: actor, deploymentID: d, id: nil, input: t)
        _ = try await DeliverySettingsService.map(env, actor: actor, deploymentID: d, channelID: news, transcoderID: server.id!, streamName: "news", dvrDepthDays: 0)
        var token = DeliverySettingsService.TokenInput()
        token.tokenType = "nginx_secure_link"; token.secret = Self.secret; token.lifetimeSeconds = 600; token.bindIP = true
        _ = try await DeliverySettingsService.saveTokenSetting(env, actor: actor, deploymentID: d, input: token)

        // Hourly programmes on the news channel from three days before the clock to a day after,
        // as wall-clock slots in the deployment's zone (Europe/Amsterdam).
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "Europe/Amsterdam")!
        let first = cal.dateComponents([.year, .month, .day], from: env.now.addingTimeInterval(-3 * 86_400))
        for hour in 0..<24 {
            var slot = EPGBuilderService.Slot(title: "News at \(hour) — ünïcode", day: first, hour: hour, minute: 0, durationMinutes: 60)
            slot.description = "The \(hour):00 bulletin"
            slot.weekdays = Set(1...7); slot.weeks = 1
            _ = try await EPGBuilderService.add(env, actor: actor, deploymentID: d, channelID: news, slot: slot)
        }
        return Fixture(deploymentID: d, productID: product.id!, news: news, plain: plain, adult: adult, protected: protected, unsold: unsold,
                       movie: movie, series: series, episode: episode, newsGroup: group.id!)
    }

    func get(_ app: Application, _ path: String, ip: String = XtreamTests.ip) async throws -> TestingHTTPResponse {
        var h = HTTPHeaders()
        h.add(name: "X-Forwarded-For", value: ip)
        h.add(name: .host, value: "tv.example:8080")
        return try await app.testing().sendRequest(.GET, path, headers: h)
    }

    func api(_ app: Application, _ action: String = "", login: String = "xcuser1", password: String = "secret12", _ extra: String = "") async throws -> TestingHTTPResponse {
        try await get(app, "/player_api.php?username=\(login)&password=\(password)" + (action.isEmpty ? "" : "&action=\(action)") + extra)
    }

    func any(_ res: TestingHTTPResponse) throws -> Any { try JSONSerialization.jsonObject(with: Data(res.body.string.utf8), options: [.fragmentsAllowed]) }
    func object(_ res: TestingHTTPResponse) throws -> [String: Any] { try #require(try any(res) as? [String: Any]) }
    func array(_ res: TestingHTTPResponse) throws -> [[String: Any]] { try #require(try any(res) as? [[String: Any]]) }

    /// JSON numbers come back as NSNumber, strings as String: `as? String` tells them apart.
    func isString(_ v: Any?) -> Bool { v is String }
    func isInt(_ v: Any?) -> Bool { v is NSNumber && !(v is String) }
    func isDigits(_ v: Any?) -> Bool { (v as? String).map { !$0.isEmpty && $0.allSatisfy(\.isNumber) } ?? false }

    func nginxToken(path: String, expires: Int, ip: String) -> String {
        let digest = Insecure.MD5.hash(data: Data("\(expires)\(path)\(ip) \(Self.secret)".utf8))
        return Data(digest).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    @Test func accountAnswerFollowsTheContract() async throws {
        try await withTVMS(trustProxy: true) { app, clock in
            _ = try await setUp(app)
            let res = try await api(app)
            #expect(res.status == .ok && res.headers.contentType?.subType == "json")
            let o = try object(res)
            let user = try #require(o["user_info"] as? [String: Any]), server = try #require(o["server_info"] as? [String: Any])
            #expect(user["username"] as? String == "xcuser1" && user["password"] as? String == "secret12" && user["auth"] as? Int == 1 && isInt(user["auth"]))
            #expect(user["status"] as? String == "Active" && user["message"] as? String == "Hello from the operator")
            for key in ["exp_date", "created_at", "max_connections", "active_cons"] { #expect(isDigits(user[key]), "\(key) is a digit string") }
            #expect(user["is_trial"] as? String == "0" && user["max_connections"] as? String == "1")
            #expect(user["allowed_output_formats"] as? [String] == ["m3u8", "ts"])
            #expect(server["url"] as? String == "tv.example" && server["port"] as? String == "8080" && server["server_protocol"] as? String == "http")
            #expect(server["timezone"] as? String == "Europe/Amsterdam")
            #expect(server["timestamp_now"] as? Int == Int(clock.now.timeIntervalSince1970) && isInt(server["timestamp_now"]))
            var cal = Calendar(identifier: .gregorian)
            cal.timeZone = TimeZone(identifier: "Europe/Amsterdam")!
            let c = cal.dateComponents([.year, .month, .day, .hour, .minute, .second], from: clock.now)
            #expect(server["time_now"] as? String == String(format: "%04d-%02d-%02d %02d:%02d:%02d", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!))
            // Keys in XC's order (clients that read positionally exist).
            #expect(res.body.string.hasPrefix(#"{"user_info":{"username":"xcuser1","password":"secret12","message":"#))

            // "Unlimited" is a far-future digit string, never null (pyxtream does int(exp_date)).
            let env = app.serviceEnvironment
            try await env.write { db in try await CustomerModel.query(on: db).filter(\.$login == "xcuser1").set(\.$expiresAt, to: nil).update() }
            #expect((try object(try await api(app))["user_info"] as? [String: Any])?["exp_date"] as? String == "4102444800")
            // An unknown action answers the account, like XC_VM and Dispatcharr.
            #expect(try object(try await api(app, "no_such_action"))["server_info"] != nil)
            // Under /xc/{service}/ the same answer; another service's address does not know the login.
            #expect((try object(try await get(app, "/xc/democrm/player_api.php?username=xcuser1&password=secret12"))["user_info"] as? [String: Any])?["auth"] as? Int == 1)
            #expect((try object(try await get(app, "/xc/otherservice/player_api.php?username=xcuser1&password=secret12"))["user_info"] as? [String: Any])?["auth"] as? Int == 0)
        }
    }

    @Test func aLoginAtTwoOperatorsNeedsTheOperatorsAddress() async throws {
        try await withTVMS(trustProxy: true) { app, _ in
            _ = try await setUp(app)
            let env = app.serviceEnvironment
            let other = try await DeploymentService.create(env, actor: .system("t"), input: .init(name: "Other TV", cmsService: "othercms", crmService: "othercrm",
                                                                                                   timeZone: "UTC", defaultCurrency: "EUR")).deployment.id!
            let product = try await ProductService.create(env, actor: .system("t"), deploymentID: other, input: .init(
                name: "Other", subscriptionType: "regular", paymentType: "subscription", maxDevices: 1, defaultCurrency: "EUR"))
            let plan = try await ProductService.addPlan(env, actor: .system("t"), deploymentID: other, productID: product.id!, input: .init(name: "M", length: 1, unit: "months", prices: ["EUR": "1"]))
            var n = CustomerService.NewCustomer(productID: product.id!, planID: plan.id!, currency: "EUR")
            n.login = "xcuser1"; n.password = "other123"
            _ = try await CustomerService.create(env, actor: .system("t"), deploymentID: other, input: n)
            func auth(_ path: String) async throws -> Int? { (try object(try await get(app, path))["user_info"] as? [String: Any])?["auth"] as? Int }
            // The root cannot tell the two apart: refused, whichever password.
            #expect(try await auth("/player_api.php?username=xcuser1&password=secret12") == 0)
            #expect(try await auth("/player_api.php?username=xcuser1&password=other123") == 0)
            // Each operator's address finds its own customer, with its own zone and lists.
            #expect(try await auth("/xc/democrm/player_api.php?username=xcuser1&password=secret12") == 1)
            #expect(try await auth("/xc/democrm/player_api.php?username=xcuser1&password=other123") == 0)
            let theirs = try object(try await get(app, "/xc/othercrm/player_api.php?username=xcuser1&password=other123"))
            #expect((theirs["server_info"] as? [String: Any])?["timezone"] as? String == "UTC")
            #expect(try await get(app, "/xc/othercrm/player_api.php?username=xcuser1&password=other123&action=get_live_streams").body.string == "[]")
            #expect(try array(try await get(app, "/xc/democrm/player_api.php?username=xcuser1&password=secret12&action=get_live_streams")).count == 2)
            // Stream URLs under the prefix play the prefix's customer's channels.
            let playlist = try await get(app, "/xc/democrm/get.php?username=xcuser1&password=secret12&type=m3u&key=live").body.string
            #expect(playlist.contains("http://tv.example:8080/xc/democrm/live/xcuser1/secret12/"))
        }
    }

    @Test func listsCarryXtreamTypesAndOnlyWhatAPlayerCanPlay() async throws {
        try await withTVMS(trustProxy: true) { app, _ in
            let f = try await setUp(app)
            let categories = try array(try await api(app, "get_live_categories"))
            #expect(categories.map { $0["category_name"] as? String } == ["XC News Group", "Other"])
            for c in categories { #expect(isDigits(c["category_id"]) && isInt(c["parent_id"]) && c["parent_id"] as? Int == 0) }

            let live = try await api(app, "get_live_streams")
            let streams = try array(live)
            // Not the 18+ channel (no PIN in Xtream), not the DRM one, not the unsold one.
            #expect(streams.map { $0["stream_id"] as? Int } == [f.news, f.plain])
            let news = streams[0], plain = streams[1]
            for s in streams {
                for key in ["num", "stream_id", "tv_archive", "tv_archive_duration"] { #expect(isInt(s[key]), "\(key) is an int") }
                for key in ["name", "stream_type", "stream_icon", "added", "is_adult", "category_id", "custom_sid", "direct_source", "thumbnail"] { #expect(isString(s[key]), "\(key) is a string") }
                #expect(isDigits(s["added"]) && isDigits(s["category_id"]) && s["is_adult"] as? String == "0")
            }
            #expect(news["num"] as? Int == 1 && news["stream_type"] as? String == "live" && news["tv_archive"] as? Int == 1 && news["tv_archive_duration"] as? Int == 3)
            #expect(news["epg_channel_id"] as? String == "ch701.democrm.tvms" && news["category_id"] as? String == String(f.newsGroup))
            #expect(plain["epg_channel_id"] as? String == "ch702.democrm.tvms" && plain["category_id"] as? String == "0" && plain["tv_archive"] as? Int == 0,
                    "the guide's id even without programmes: lists, playlist and guide never disagree")
            #expect(plain["name"] as? String == "XC \"Plain\" TV")
            #expect(live.body.string.hasPrefix(#"[{"num":1,"name":"XC News","stream_type":"live","stream_id":\#(f.news),"stream_icon":"","epg_channel_id":"ch701.democrm.tvms","added":""#))
            // A category filter lists that category's entries, numbered from one.
            let filtered = try array(try await api(app, "get_live_streams", "&category_id=0"))
            #expect(filtered.map { $0["stream_id"] as? Int } == [f.plain] && filtered[0]["num"] as? Int == 1)

            let movies = try array(try await api(app, "get_vod_streams"))
            let film = try #require(movies.first)
            #expect(movies.count == 1 && film["stream_id"] as? Int == f.movie && film["stream_type"] as? String == "movie" && film["container_extension"] as? String == "mkv")
            #expect((film["rating"] as? NSNumber)?.doubleValue == 7.3 && (film["rating_5based"] as? NSNumber)?.doubleValue == 3.6)
            #expect(isDigits(film["category_id"]) && isDigits(film["added"]) && film["year"] as? String == "2019")
            let vodCategories = try array(try await api(app, "get_vod_categories"))
            #expect(vodCategories.map { $0["category_name"] as? String } == ["Drama", "Science Fiction"])
            #expect(vodCategories.map { $0["category_id"] as? String } == [String(XtreamFormat.genreCategoryID("drama")), String(XtreamFormat.genreCategoryID("science fiction"))])

            let info = try object(try await api(app, "get_vod_info", "&vod_id=\(f.movie)"))
            let props = try #require(info["info"] as? [String: Any]), data = try #require(info["movie_data"] as? [String: Any])
            #expect(props["duration_secs"] as? Int == 5400 && props["duration"] as? String == "01:30:00" && isInt(props["tmdb_id"]) && isInt(props["episode_run_time"]))
            #expect(data["stream_id"] as? Int == f.movie && data["container_extension"] as? String == "mkv")
            #expect(try any(try await api(app, "get_vod_info", "&vod_id=999999")) as? [Any] != nil, "an unknown id: an empty list")

            let shows = try array(try await api(app, "get_series"))
            let show = try #require(shows.first)
            #expect(show["series_id"] as? Int == f.series && isInt(show["series_id"]) && isDigits(show["last_modified"]) && isDigits(show["category_id"]))
            #expect(show["backdrop_path"] is [Any] && isString(show["rating"]) && show["releaseDate"] as? String == "2021-01-01")
            let detail = try object(try await api(app, "get_series_info", "&series_id=\(f.series)"))
            let seasons = try #require(detail["seasons"] as? [[String: Any]])
            #expect(seasons.count == 1 && isInt(seasons[0]["id"]) && seasons[0]["season_number"] as? Int == 2 && seasons[0]["episode_count"] as? Int == 1)
            #expect((detail["info"] as? [String: Any])?["name"] as? String == "XC Show" && isDigits((detail["info"] as? [String: Any])?["category_id"]))
            let episodes = try #require((detail["episodes"] as? [String: Any])?["2"] as? [[String: Any]])
            #expect(episodes.count == 1 && episodes[0]["id"] as? String == String(f.episode) && episodes[0]["episode_num"] as? Int == 1)
            #expect(episodes[0]["season"] as? Int == 2 && episodes[0]["container_extension"] as? String == "mp4" && isDigits(episodes[0]["added"]))
        }
    }

    @Test func badLoginsAnswerAuthZeroLockTheAccountAndThrottleTheAddress() async throws {
        try await withTVMS(trustProxy: true) { app, clock in
            _ = try await setUp(app)
            // XC's answer: HTTP 200 with user_info.auth = 0 (what xtream-api-client tests for).
            let wrong = try await api(app, password: "nope")
            #expect(wrong.status == .ok)
            let user = try #require(try object(wrong)["user_info"] as? [String: Any])
            #expect(user["auth"] as? Int == 0 && user["username"] == nil && !wrong.body.string.contains("nope"))
            #expect((try object(try await api(app, login: "nobody"))["user_info"] as? [String: Any])?["auth"] as? Int == 0, "unknown logins look the same")
            #expect((try object(try await get(app, "/player_api.php"))["user_info"] as? [String: Any])?["auth"] as? Int == 0)
            // The strict option: the same body with HTTP 401.
            let state = try #require(app.storage[XtreamController.StateKey.self])
            state.strictStatus = true
            #expect(try await api(app, password: "nope").status == .unauthorized)
            state.strictStatus = false
            // Other endpoints refuse with 401 and say why, without echoing anything.
            let stream = try await get(app, "/live/xcuser1/nope/1.ts")
            #expect(stream.status == .unauthorized && stream.body.string == "Invalid username or password.\n")
            #expect(try await get(app, "/get.php?username=xcuser1&password=nope").status == .unauthorized)
            // Five wrong passwords in a row (four above) lock new sign-ins for 15 minutes, the
            // right password too, like the app sign-in.
            _ = try await api(app, password: "still-wrong")
            let locked = try await api(app)
            #expect((try object(locked)["user_info"] as? [String: Any])?["auth"] as? Int == 0)
            #expect(locked.body.string.contains("Too many wrong passwords"))
            clock.advance(by: 15 * 60 + 1)
            #expect((try object(try await api(app))["user_info"] as? [String: Any])?["auth"] as? Int == 1)
            // A password proven before keeps working while someone else guesses (as an app's
            // device session does); new guesses still lock.
            for _ in 0..<5 { _ = try await api(app, password: "guess") }
            #expect((try object(try await api(app))["user_info"] as? [String: Any])?["auth"] as? Int == 1)
            let other = try await api(app, login: "xcuser2")
            #expect((try object(other)["user_info"] as? [String: Any])?["auth"] as? Int == 1, "xcuser2 was never guessed")
            // Thirty failures from one address in five minutes: that address may not try new
            // passwords (xcuser2's never proven there, so refused); others may.
            for i in 0..<30 { _ = try await api(app, login: "ghost\(i)", password: "x") }
            try await app.serviceEnvironment.write { db in try await CustomerModel.query(on: db).filter(\.$login == "xcuser2").set(\.$passwordHash, to: try app.serviceEnvironment.subscriberHasher.hash("newpass12")).update() }
            let throttled = try await api(app, login: "xcuser2", password: "newpass12")
            #expect(throttled.body.string.contains("Too many failed sign-ins"))
            #expect((try object(try await api(app, login: "xcuser2", password: "newpass12", "") )["user_info"] as? [String: Any])?["auth"] as? Int == 0)
            #expect((try object(try await get(app, "/player_api.php?username=xcuser2&password=newpass12", ip: "192.0.2.44"))["user_info"] as? [String: Any])?["auth"] as? Int == 1)
            // The old password of xcuser2, proven before, no longer works: the hash changed.
            #expect((try object(try await get(app, "/player_api.php?username=xcuser2&password=secret12", ip: "192.0.2.44"))["user_info"] as? [String: Any])?["auth"] as? Int == 0)
        }
    }

    @Test func streamPathsRedirectToSignedAddressesUnderTheLimits() async throws {
        try await withTVMS(trustProxy: true) { app, clock in
            let f = try await setUp(app)
            let env = app.serviceEnvironment
            let live = try await get(app, "/live/xcuser1/secret12/\(f.news).ts")
            #expect(live.status == .found && live.headers.first(name: .cacheControl) == "no-store")
            let location = try #require(live.headers.first(name: .location))
            let url = try #require(URLComponents(string: location))
            #expect(url.host == "origin.example" && url.path == "/live/news/index.m3u8", "HLS for Xtream players, not the channel's DASH")
            let e = try #require(Int(url.queryItems?.first { $0.name == "e" }?.value ?? ""))
            #expect(e == Int(clock.now.timeIntervalSince1970) + 600)
            #expect(url.queryItems?.first { $0.name == "st" }?.value == nginxToken(path: "/live/news/index.m3u8", expires: e, ip: Self.ip))
            // One Xtream device for the customer, one playback from this address.
            let device = try #require(try await CustomerDeviceModel.query(on: app.db).filter(\.$uuid == ClientAccess.deviceUID).first())
            #expect(device.deviceType == "xtream")
            #expect(try await PlaybackSessionModel.query(on: app.db).filter(\.$endedAt == nil).count() == 1)
            // Zapping from the same player (same address) replaces its playback: still one.
            #expect(try await get(app, "/live/xcuser1/secret12/\(f.plain).m3u8").headers.first(name: .location) == "https://cdn.example/plain/index.m3u8")
            #expect(try await PlaybackSessionModel.query(on: app.db).filter(\.$endedAt == nil).count() == 1)
            // A second connection from elsewhere goes over the product's one stream.
            let second = try await get(app, "/live/xcuser1/secret12/\(f.plain).ts", ip: "203.0.113.50")
            #expect(second.status == .conflict && second.body.string.contains("the most its product allows at the same time"))
            let status = try object(try await api(app))["user_info"] as? [String: Any]
            #expect(status?["active_cons"] as? String == "1")
            // Movies and episodes redirect too.
            #expect(try await get(app, "/movie/xcuser1/secret12/\(f.movie).mkv").headers.first(name: .location) == "https://vod.example/film/video.mkv")
            #expect(try await get(app, "/series/xcuser1/secret12/\(f.episode).mp4").headers.first(name: .location) == "https://vod.example/show/s2e1.mp4")
            // Refusals a player meets: not in the product, age-restricted (no PIN in Xtream), DRM,
            // an episode asked as a movie, an unknown id, a file name that is not an id.
            #expect(try await get(app, "/live/xcuser1/secret12/\(f.unsold).ts").status == .forbidden)
            let adult = try await get(app, "/live/xcuser1/secret12/\(f.adult).ts")
            #expect(adult.status == .forbidden && adult.body.string.contains("parental PIN"))
            let drm = try await get(app, "/live/xcuser1/secret12/\(f.protected).ts")
            #expect(drm.status == .forbidden && drm.body.string.contains("DRM"))
            #expect(try await get(app, "/movie/xcuser1/secret12/\(f.episode).mp4").status == .notFound)
            #expect(try await get(app, "/live/xcuser1/secret12/99999.ts").status == .notFound)
            #expect(try await get(app, "/live/xcuser1/secret12/abc.ts").status == .notFound)

            // The device limit: xcuser2 already watches on an app device, so its Xtream players
            // find no free device slot (the product allows one).
            let xcuser2 = try #require(try await CustomerModel.query(on: app.db).filter(\.$login == "xcuser2").first())
            _ = try await DeviceSessionService.login(env, deploymentID: f.deploymentID, login: "xcuser2", password: "secret12", device: .init(uid: "tv-1", type: "androidtv"), ip: Self.ip)
            let full = try await get(app, "/live/xcuser2/secret12/\(f.plain).ts")
            #expect(full.status == .conflict && full.body.string.contains("devices"), "\(full.body.string)")
            #expect(try await CustomerDeviceModel.query(on: app.db).filter(\.$customerID == xcuser2.id!).count() == 1)
            // An expired subscription still signs in (status Expired) but lists and plays nothing.
            try await env.write { db in try await CustomerModel.query(on: db).filter(\.$login == "xcuser1").set(\.$expiresAt, to: clock.now.addingTimeInterval(-60)).update() }
            #expect((try object(try await api(app))["user_info"] as? [String: Any])?["status"] as? String == "Expired")
            #expect(try await api(app, "get_live_streams").body.string == "[]")
            let expired = try await get(app, "/live/xcuser1/secret12/\(f.news).ts")
            #expect(expired.status == .forbidden && expired.body.string.contains("expired"))
            #expect(try await get(app, "/get.php?username=xcuser1&password=secret12").status == .forbidden)
        }
    }

    @Test func timeshiftReadsEveryStartShapeOnTheServerClock() async throws {
        // 25 October 2026, 12:00 UTC: Amsterdam left summer time at 01:00 UTC that night, so
        // 02:30 local happened twice (00:30 and 01:30 UTC); the first is taken.
        let clock = ManualClock(ISO8601DateFormatter().date(from: "2026-10-25T12:00:00Z")!)
        try await withTVMS(clock: clock, trustProxy: true) { app, clock in
            let f = try await setUp(app)
            func from(_ start: String, duration: String = "30", path: String? = nil) async throws -> (Int, Int)? {
                let res = try await get(app, path ?? "/timeshift/xcuser1/secret12/\(duration)/\(start)/\(f.news).ts")
                guard res.status == .found, let location = res.headers.first(name: .location),
                      let m = location.firstMatch(of: /\/live\/news\/archive-(\d+)-(\d+)\.m3u8\?st=/) else { return nil }
                return (Int(m.1)!, Int(m.2)!)
            }
            func utc(_ s: String) -> Int { Int(ISO8601DateFormatter().date(from: s)!.timeIntervalSince1970) }
            let fold = utc("2026-10-25T00:30:00Z")
            for shape in ["2026-10-25:02-30", "2026-10-25:02-30-00", "2026-10-25_02-30", "2026-10-25:02:30", "2026-10-25:02:30:00",
                          "2026-10-25%2002:30:00", "2026-10-25T00:30:00Z", "2026-10-25T02:30:00%2B02:00", "\(fold)", "\(fold)000"] {
                let got = try await from(shape)
                #expect(got?.0 == fold && got?.1 == 1800, "START \(shape) → \(String(describing: got))")
            }
            #expect(try await from("20261025-02")?.0 == utc("2026-10-25T00:00:00Z"), "YYYYMMDD-HH: the hour, first occurrence")
            #expect(try await from("2026-10-25:03-30")?.0 == utc("2026-10-25T02:30:00Z"), "after the change: UTC+1")
            #expect(try await from("2026-10-24:20-00")?.0 == utc("2026-10-24T18:00:00Z"), "the day before: UTC+2")
            // The alternative path and the query form; a missing duration is 120 minutes.
            #expect(try await from("", path: "/timeshifts/xcuser1/secret12/45/\(f.news)/2026-10-25:03-30.ts")! == (utc("2026-10-25T02:30:00Z"), 2700))
            #expect(try await from("", path: "/streaming/timeshift.php?username=xcuser1&password=secret12&stream=\(f.news)&start=2026-10-25:03-30&duration=")! == (utc("2026-10-25T02:30:00Z"), 7200))
            // Refusals: unreadable, in the future, older than the channel's three days, no catch-up.
            #expect(try await get(app, "/timeshift/xcuser1/secret12/30/yesterday/\(f.news).ts").status == .unprocessableEntity)
            #expect(try await get(app, "/timeshift/xcuser1/secret12/30/2026-10-25:20-00/\(f.news).ts").status == .conflict)
            #expect(try await get(app, "/timeshift/xcuser1/secret12/30/2026-10-20:20-00/\(f.news).ts").status == .conflict)
            #expect(try await get(app, "/timeshift/xcuser1/secret12/30/2026-10-25:10-00/\(f.plain).ts").status == .conflict)

            // The guide speaks the same clock: every row's start string is its timestamp on the
            // zone of server_info.timezone, and asking catch-up with that string plays from it.
            let table = try #require(try object(try await api(app, "get_simple_data_table", "&stream_id=\(f.news)"))["epg_listings"] as? [[String: Any]])
            #expect(table.count > 24)
            var cal = Calendar(identifier: .gregorian)
            cal.timeZone = TimeZone(identifier: "Europe/Amsterdam")!
            func wall(_ t: Int) -> String {
                let c = cal.dateComponents([.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: Double(t)))
                return String(format: "%04d-%02d-%02d %02d:%02d:%02d", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!)
            }
            for row in table {
                let start = try #require(Int(row["start_timestamp"] as? String ?? "")), stop = try #require(Int(row["stop_timestamp"] as? String ?? ""))
                #expect(row["start"] as? String == wall(start) && row["end"] as? String == wall(stop) && row["stop"] as? String == wall(stop))
                #expect(isDigits(row["id"]) && isDigits(row["epg_id"]) && row["channel_id"] as? String == "ch701.democrm.tvms")
                #expect(isInt(row["now_playing"]) && isInt(row["has_archive"]))
                let title = String(decoding: Data(base64Encoded: row["title"] as? String ?? "") ?? Data(), as: UTF8.self)
                #expect(title.hasPrefix("News at ") && title.hasSuffix("ünïcode"), "base64 of UTF-8")
                #expect(row["has_archive"] as? Int == (stop <= Int(clock.now.timeIntervalSince1970) && start >= Int(clock.now.timeIntervalSince1970) - 3 * 86_400 ? 1 : 0))
            }
            #expect(table.filter { $0["now_playing"] as? Int == 1 }.count == 1)
            for row in table.filter({ $0["has_archive"] as? Int == 1 }).suffix(14) {
                let start = (row["start"] as? String ?? "").replacingOccurrences(of: " ", with: "%20")
                let timestamp = Int(row["start_timestamp"] as? String ?? "")!
                let got = try await from(start)
                let repeated = Int(ISO8601DateFormatter().date(from: "2026-10-25T01:00:00Z")!.timeIntervalSince1970)
                // The hour repeated at the change reads as its first occurrence; every other row exactly.
                #expect(got?.0 == timestamp || (timestamp >= repeated && timestamp < repeated + 3600 && got?.0 == timestamp - 3600), "\(row["start"] ?? "") → \(String(describing: got))")
            }
            let short = try #require(try object(try await api(app, "get_short_epg", "&stream_id=\(f.news)&limit=2"))["epg_listings"] as? [[String: Any]])
            #expect(short.count == 2 && short[0]["now_playing"] == nil)
            #expect(Int(short[0]["stop_timestamp"] as? String ?? "")! > Int(clock.now.timeIntervalSince1970), "now and next")
        }
    }

    @Test func playlistAndGuideAreTheCustomers() async throws {
        try await withTVMS(trustProxy: true) { app, clock in
            let f = try await setUp(app)
            let env = app.serviceEnvironment
            // A password that needs escaping in URLs.
            try await env.write { db in try await CustomerModel.query(on: db).filter(\.$login == "xcuser2").set(\.$passwordHash, to: try env.subscriberHasher.hash("a+b=c#d@1")).update() }
            let plus = try await get(app, "/get.php?username=xcuser2&password=a%2Bb%3Dc%23d%401&type=m3u_plus&output=m3u8")
            #expect(plus.status == .ok && plus.headers.first(name: .contentType)?.hasPrefix("audio/x-mpegurl") == true)
            let text = plus.body.string
            let lines = text.split(separator: "\n").map(String.init)
            #expect(lines[0] == #"#EXTM3U x-tvg-url="http://tv.example:8080/xmltv.php?username=xcuser2&password=a%2Bb%3Dc%23d%401" url-tvg="http://tv.example:8080/xmltv.php?username=xcuser2&password=a%2Bb%3Dc%23d%401""#)
            #expect(lines[1] == #"#EXTINF:-1 tvg-id="ch701.democrm.tvms" tvg-name="XC News" tvg-logo="" tvg-chno="701" group-title="XC News Group" catchup="default" catchup-days="3" catchup-source="http://tv.example:8080/timeshift/xcuser2/a%2Bb%3Dc%23d%401/{duration:60}/{utc}/\#(f.news).m3u8" timeshift="3",XC News"#)
            #expect(lines[2] == "http://tv.example:8080/live/xcuser2/a%2Bb%3Dc%23d%401/\(f.news).m3u8")
            #expect(lines[3] == #"#EXTINF:-1 tvg-id="ch702.democrm.tvms" tvg-name="XC 'Plain' TV" tvg-logo="" tvg-chno="702" group-title="Other",XC "Plain" TV"#)
            #expect(lines.contains("http://tv.example:8080/movie/xcuser2/a%2Bb%3Dc%23d%401/\(f.movie).mkv"))
            #expect(lines.contains(#"#EXTINF:-1 tvg-name="XC Show S02E01" tvg-logo="" group-title="Drama",XC Show S02E01"#))
            #expect(lines.contains("http://tv.example:8080/series/xcuser2/a%2Bb%3Dc%23d%401/\(f.episode).mp4"))
            #expect(plus.headers.first(name: .contentLength) == String(text.utf8.count))
            // The URLs in it work with those credentials.
            #expect(try await get(app, "/live/xcuser2/a%2Bb%3Dc%23d%401/\(f.plain).m3u8").status == .found)
            // m3u: names and URLs only; key= chooses sections; default output ts.
            let simple = try await get(app, "/get.php?username=xcuser1&password=secret12&type=m3u&key=live").body.string
            #expect(simple == "#EXTM3U\n#EXTINF:-1,XC News\nhttp://tv.example:8080/live/xcuser1/secret12/\(f.news).ts\n#EXTINF:-1,XC \"Plain\" TV\nhttp://tv.example:8080/live/xcuser1/secret12/\(f.plain).ts\n")
            #expect(try await get(app, "/get.php?username=xcuser1&password=secret12&type=enigma22_script").status == .badRequest)

            // The guide: valid XMLTV of the customer's channels, ids as in the lists.
            let guide = try await get(app, "/xmltv.php?username=xcuser1&password=secret12")
            #expect(guide.status == .ok && guide.headers.contentType == .xml)
            #expect(try xmltvValidationProblem(Data(guide.body.string.utf8)) == nil)
            #expect(guide.body.string.contains(#"<channel id="ch701.democrm.tvms">"#) && !guide.body.string.contains("ch702."))
            let gz = try await get(app, "/xmltv.php?username=xcuser1&password=secret12&gzip=1")
            #expect(gz.status == .ok && Array(gz.body.readableBytesView.prefix(2)) == [0x1f, 0x8b])
            // Served from one built file per entitlement set: xcuser2 (same product) reuses it.
            let state = try #require(app.storage[XtreamController.StateKey.self])
            let builds = state.clients.guides.builds
            _ = try await get(app, "/xmltv.php?username=xcuser2&password=a%2Bb%3Dc%23d%401")
            #expect(state.clients.guides.builds == builds)
            // Ten minutes on (the window moves) or a guide change: the next request starts a
            // rebuild and is answered at once with the previous file.
            clock.advance(by: XMLTVFileCache.maxAge + 1)
            let stale = try await get(app, "/xmltv.php?username=xcuser1&password=secret12")
            #expect(stale.status == .ok && stale.body.string == guide.body.string)
            #expect(state.clients.guides.builds == builds + 1)
            await state.clients.guides.settle()
            var amsterdam = Calendar(identifier: .gregorian)
            amsterdam.timeZone = TimeZone(identifier: "Europe/Amsterdam")!
            // Five days ahead: after the fixture's hourly week, inside the guide's two weeks.
            var slot = EPGBuilderService.Slot(title: "Extra bulletin", day: amsterdam.dateComponents([.year, .month, .day], from: clock.now.addingTimeInterval(5 * 86_400)),
                                              hour: 23, minute: 55, durationMinutes: 4)
            slot.description = "Late"
            _ = try await EPGBuilderService.add(app.serviceEnvironment, actor: .system("t"), deploymentID: f.deploymentID, channelID: f.news, slot: slot)
            clock.advance(by: 6)
            _ = try await get(app, "/xmltv.php?username=xcuser1&password=secret12")
            await state.clients.guides.settle()
            #expect(state.clients.guides.builds == builds + 2)
            let fresh = try await get(app, "/xmltv.php?username=xcuser1&password=secret12")
            #expect(fresh.body.string.contains("Extra bulletin") && !guide.body.string.contains("Extra bulletin"))
        }
    }

    @Test func catalogueIsSharedPerEntitlementSetAndRebuiltOnPublish() async throws {
        try await withTVMS(trustProxy: true) { app, clock in
            let f = try await setUp(app)
            let env = app.serviceEnvironment
            let state = try #require(app.storage[XtreamController.StateKey.self])
            let first = try array(try await api(app, "get_live_streams"))
            _ = try await api(app, "get_live_streams", login: "xcuser2")
            _ = try await get(app, "/get.php?username=xcuser2&password=secret12")
            #expect(state.clients.catalogues.builds == 1, "both customers hold the same set")
            // An edit is not seen until it is published (the catalogue follows the publish).
            var i = ChannelService.Input(number: 790, name: "XC Brand New")
            i.hlsURL = "https://cdn.example/new/index.m3u8"
            let added = try await ChannelService.save(env, actor: .system("t"), deploymentID: f.deploymentID, id: nil, input: i).id!
            let tv = try #require(try await ContentPackageModel.query(on: app.db).filter(\.$name == "XC TV").first())
            _ = try await PackageService.add(env, actor: .system("t"), deploymentID: f.deploymentID, packageID: tv.id!, items: [added])
            clock.advance(by: 10)
            #expect(try array(try await api(app, "get_live_streams")).count == first.count)
            _ = try await PublishService.publish(env, actor: .system("t"), deploymentID: f.deploymentID, productID: f.productID)
            clock.advance(by: 10)
            let after = try array(try await api(app, "get_live_streams"))
            #expect(after.count == first.count + 1 && after.last?["stream_id"] as? Int == added)
            #expect(state.clients.catalogues.builds == 2)
            // The playlist follows the same catalogue.
            #expect(try await get(app, "/get.php?username=xcuser2&password=secret12&key=live").body.string.contains("/\(added).ts"))
            // Another product is another set.
            let plan = try #require(try await PaymentPlanModel.query(on: app.db).filter(\.$productID == f.productID).first())
            let other = try await ProductService.create(env, actor: .system("t"), deploymentID: f.deploymentID, input: .init(
                name: "Empty", subscriptionType: "regular", paymentType: "subscription", maxDevices: 1, defaultCurrency: "EUR"))
            let otherPlan = try await ProductService.addPlan(env, actor: .system("t"), deploymentID: f.deploymentID, productID: other.id!, input: .init(name: "M", length: 1, unit: "months", prices: ["EUR": "1"]))
            var n = CustomerService.NewCustomer(productID: other.id!, planID: otherPlan.id!, currency: "EUR")
            n.login = "xcuser3"; n.password = "secret12"
            _ = try await CustomerService.create(env, actor: .system("t"), deploymentID: f.deploymentID, input: n)
            #expect(try await api(app, "get_live_streams", login: "xcuser3").body.string == "[]")
            #expect(state.clients.catalogues.builds == 3)
            _ = plan
        }
    }
}
