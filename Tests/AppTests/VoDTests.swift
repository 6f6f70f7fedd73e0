import Fluent
import Foundation
import Testing
import VaporTesting
@testable import App
@testable import Domain
@testable import Services
import Storage

@Suite(.serialized) struct VoDTests {
    func demo(_ app: Application) async throws -> DemoCRM {
        let crm = try await DemoCRM(app)
        try await DemoData.loadContent(crm.env)
        try await DemoData.loadVoD(crm.env)
        return crm
    }

    func item(_ app: Application, _ title: String) async throws -> VoDItemModel {
        try #require(try await VoDItemModel.query(on: app.db).filter(\.$title == title).first(), "no item \(title)")
    }

    /// The visibility chain for every kind, and a rental paid from the wallet.
    @Test func entitlementsCoverEveryKindAndAWalletRental() async throws {
        try await withTVMS { app, clock in
            let crm = try await demo(app)
            let viewer = try await crm.customer(login: "vod.viewer").customer
            let harbour = try await item(app, "Night Harbour"), premiere = try await item(app, "Premiere Night")
            let season2 = try #require(try await VoDItemModel.query(on: app.db).filter(\.$kind == "season").filter(\.$number == 2).first())
            let episode = try #require(try await VoDItemModel.query(on: app.db).filter(\.$parentID == season2.id!).filter(\.$number == 3).first())
            let song = try await item(app, "Blue Hour"), lesson = try await item(app, "A simple stock"), radar = try await item(app, "Weather Radar")
            for m in [harbour, episode, song, lesson, radar] {
                #expect(try await Entitlements.decide(crm.env, customer: viewer, ref: .vod(VoDKind(rawValue: m.kind)!, m.id!)) == .allowed, "\(m.title)")
            }
            #expect(try await Entitlements.decide(crm.env, customer: viewer, ref: .vod(.movie, premiere.id!)) == .notInPackages)
            // A ref of the wrong kind is never a way in.
            #expect(try await Entitlements.decide(crm.env, customer: viewer, ref: .vod(.movie, episode.id!)) == .notInPackages)

            // The wallet is empty: the rental is refused and nothing changes.
            await #expect(throws: DomainError.self) {
                try await PPVService.buyWithWallet(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, customerID: viewer.id!, ref: .vod(.movie, premiere.id!))
            }
            #expect(try await PPVPurchaseModel.query(on: app.db).count() == 0)
            _ = try await CustomerService.walletMove(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, id: viewer.id!, amount: 1000, reason: "top-up", idempotencyKey: nil)
            let bought = try await PPVService.buyWithWallet(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, customerID: viewer.id!, ref: .vod(.movie, premiere.id!))
            #expect(bought.price == 399 && bought.currency == "EUR" && bought.accessUntil == clock.now.addingTimeInterval(48 * 3600))
            #expect(try await crm.reload(viewer).walletBalance == 601)
            #expect(try await Entitlements.decide(crm.env, customer: crm.reload(viewer), ref: .vod(.movie, premiere.id!)) == .allowed)
            // Buying an open rental again charges nothing.
            _ = try await PPVService.buyWithWallet(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, customerID: viewer.id!, ref: .vod(.movie, premiere.id!))
            #expect(try await crm.reload(viewer).walletBalance == 601)
            #expect(try await WalletTransactionModel.query(on: app.db).filter(\.$customerID == viewer.id!).count() == 2)

            var b = Browser(app)
            try await b.login("owner@demo.tvms", "demo1234")
            let tab = try await b.get("/crm/customers/\(viewer.id!)?tab=content").body.string
            #expect(tab.contains("Night Harbour") && tab.contains("Glass Valley") && tab.contains("Harbour Lights") && tab.contains("Premiere Night (48h rental)"))

            clock.advance(by: 49 * 3600)
            #expect(try await Entitlements.decide(crm.env, customer: crm.reload(viewer), ref: .vod(.movie, premiere.id!)) == .notInPackages)
            // A disabled episode is not played even though its series is granted.
            var off = VoDService.input(of: episode, prices: [:])
            off.enabled = false
            _ = try await VoDService.save(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, id: episode.id!, input: off)
            #expect(try await Entitlements.decide(crm.env, customer: crm.reload(viewer), ref: .vod(.episode, episode.id!)) == .disabledItem)
        }
    }

    /// An item is sold by subscription or by PPV, never both, from either side.
    @Test func anItemIsSoldOneWayOnly() async throws {
        try await withTVMS { app, _ in
            let crm = try await demo(app)
            let premiere = try await item(app, "Premiere Night"), harbour = try await item(app, "Night Harbour")
            let movies = try #require(try await ContentPackageModel.query(on: app.db).filter(\.$kind == "movie").first())
            do {
                _ = try await PackageService.add(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, packageID: movies.id!, items: [premiere.id!])
                Issue.record("a PPV movie went into a package")
            } catch let e as DomainError { #expect(e.code == "sold_by_ppv" && e.message.contains("Premiere Night")) }

            let rule = try #require(try await PPVRuleModel.query(on: app.db).first())
            var ppv = VoDService.input(of: harbour, prices: [:])
            ppv.ppvRuleID = rule.id
            ppv.prices = ["EUR": 299]
            do {
                _ = try await VoDService.save(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, id: harbour.id!, input: ppv)
                Issue.record("a packaged movie became PPV")
            } catch let e as DomainError { #expect(e.fields["ppvRuleID"]?.contains("Movies") == true) }
            #expect(try await item(app, "Night Harbour").ppvRuleID == nil)

            // Seasons follow their series' packages; a series rule is needed, not a movie rule.
            let season = try #require(try await VoDItemModel.query(on: app.db).filter(\.$kind == "season").first())
            var s = VoDService.input(of: season, prices: [:])
            s.ppvRuleID = rule.id
            s.prices = ["EUR": 999]
            do {
                _ = try await VoDService.save(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, id: season.id!, input: s)
                Issue.record("a movie rule was accepted on a season")
            } catch let e as DomainError { #expect(e.fields["ppvRuleID"] == "is not a PPV rule of Series") }
            let seasonRule = try await PPVService.saveRule(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, section: .series, id: nil, name: "Season pass", unit: "months", count: 3)
            s.ppvRuleID = seasonRule.id
            await #expect(throws: DomainError.self) { try await VoDService.save(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, id: season.id!, input: s) }

            // Prices only in the deployment's currencies, and at least one.
            var noPrice = VoDService.Input(kind: .movie, title: "No Price")
            noPrice.streamURL = "https://vod.example/a.mp4"
            noPrice.ppvRuleID = rule.id
            noPrice.prices = ["JPY": 500]
            do {
                _ = try await VoDService.save(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, id: nil, input: noPrice)
                Issue.record("a JPY price was accepted")
            } catch let e as DomainError { #expect(e.fields["prices"]?.contains("JPY") == true) }

            // A rule in use cannot be deleted; an unused one can.
            await #expect(throws: DomainError.self) { try await PPVService.deleteRule(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, id: rule.id!) }
            try await PPVService.deleteRule(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, id: seasonRule.id!)
        }
    }

    /// The console: a series with a 2:3 cover, a season attached to it, episodes in order
    /// ("Add to Top"), a refused picture that changes nothing, and deletion of the whole tree.
    @Test func consoleBuildsASeriesWithSeasonsAndEpisodes() async throws {
        try await withTVMS { app, _ in
            let crm = try await demo(app)
            var b = Browser(app)
            try await b.login("owner@demo.tvms", "demo1234")
            #expect(try await b.get("/cms/series/new").body.string.contains("Cover picture"))
            let before = try await VoDItemModel.query(on: app.db).count()
            let wrong = try await b.upload("/cms/series", fields: [("kind", "series"), ("title", "Tall Tales"), ("enabled", "on")],
                                           files: [("cover", "wide.png", Data(try DemoArtwork.png(width: 320, height: 180, top: (0, 0, 0), bottom: (9, 9, 9))))])
            #expect(wrong.status == .unprocessableEntity && wrong.body.string.contains("must be 2:3; this one is 320×180"))
            #expect(try await VoDItemModel.query(on: app.db).count() == before)

            let made = try await b.upload("/cms/series", fields: [("kind", "series"), ("title", "Tall Tales"), ("year", "2024"), ("genres", "Fantasy, Comedy"), ("enabled", "on")],
                                          files: [("cover", "cover.png", Data(try DemoArtwork.png(width: 200, height: 300, top: (0, 0, 0), bottom: (9, 9, 9))))])
            #expect(made.status == .seeOther)
            let series = try await item(app, "Tall Tales")
            #expect(series.coverID != nil && series.genres == "fantasy,comedy")
            let form = try await b.get("/cms/series/new?parent=\(series.id!)").body.string
            #expect(form.contains("Serie Package") && form.contains("value=\"1\""))
            let seasonPost = try await b.upload("/cms/series", fields: [("kind", "season"), ("parentID", String(series.id!)), ("number", "1"), ("title", "Season One"), ("enabled", "on")], files: [])
            #expect(seasonPost.status == .seeOther)
            let season = try await item(app, "Season One")
            for (n, title, top) in [(1, "Pilot", false), (2, "Second", false), (0, "Recap", true)] {
                let r = try await b.upload("/cms/series", fields: [("kind", "episode"), ("parentID", String(season.id!)), ("number", String(n)), ("title", title),
                                                                   ("duration", "1:02:03"), ("streamURL", "https://vod.example/\(n).m3u8"), ("enabled", "on")] + (top ? [("addToTop", "on")] : []), files: [])
                #expect(r.status == .seeOther, "\(title): \(r.body.string.prefix(300))")
            }
            #expect(try await VoDService.children(crm.env, parentID: season.id!).map(\.title) == ["Recap", "Pilot", "Second"])
            #expect(try await item(app, "Pilot").durationSeconds == 3723)
            // An enabled episode needs its URL; the same number twice is refused.
            let noURL = try await b.upload("/cms/series", fields: [("kind", "episode"), ("parentID", String(season.id!)), ("number", "2"), ("title", "Dup"), ("enabled", "on")], files: [])
            #expect(noURL.status == .unprocessableEntity && noURL.body.string.contains("2 is already Second") && noURL.body.string.contains("is required to enable it"))
            let page = try await b.get("/cms/series/\(season.id!)").body.string
            #expect(page.contains("Pilot") && page.contains("Add Episodes") && page.contains("Not in any package (through Tall Tales)"))

            // Search and the IMDb filter find it; deleting the series takes seasons and episodes.
            #expect(try await b.get("/cms/series?q=tall").body.string.contains("1 season"))
            #expect(try await b.get("/cms/series/\(series.id!)/delete").body.string.contains("with its 1 season(s) and their episodes"))
            #expect(try await b.post("/cms/series/\(series.id!)/delete").status == .seeOther)
            #expect(try await VoDItemModel.query(on: app.db).filter(\.$title ~~ ["Tall Tales", "Season One", "Pilot", "Second", "Recap"]).count() == 0)
            #expect(try await MediaAssetModel.find(series.coverID!, on: app.db) == nil)
            let log = try await AuditRecordModel.query(on: app.db).filter(\.$entityType == "series").filter(\.$action == "delete").count()
            #expect(log == 1)
        }
    }

    /// Movie packages through the console, PPV rules, and the published documents per kind.
    @Test func packagesRulesAndPublishedDocuments() async throws {
        try await withTVMS { app, _ in
            let crm = try await demo(app)
            var b = Browser(app)
            try await b.login("owner@demo.tvms", "demo1234")
            let rules = try await b.post("/cms/movies/ppv-rules", [("name", "Weekend"), ("unit", "days"), ("count", "2")])
            #expect(rules.status == .seeOther)
            let bad = try await b.post("/cms/movies/ppv-rules", [("name", "Forever"), ("unit", "hours"), ("count", "0")])
            #expect(bad.status == .unprocessableEntity && bad.body.string.contains("between 1 and 8784"))
            let created = try await b.post("/cms/movies/packages", [("name", "Classics"), ("description", "Old films")])
            let path = try #require(created.headers.first(name: .location))
            let picker = try await b.get(path + "?q=night").body.string
            #expect(picker.contains("Night Harbour (1998)") && !picker.contains("Orbit Nine"))
            let harbour = try await item(app, "Night Harbour")
            #expect(try await b.post(path + "/items", [("items[]", String(harbour.id!))]).status == .seeOther)
            #expect(try await b.get(path).body.string.contains("Night Harbour"))

            let results = try await PublishService.publish(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, productID: crm.basic.id!)
            #expect(Set(results.map(\.kind)) == Set(PublishService.kinds))
            let movies = try #require(results.first { $0.kind == "movies" })
            #expect(movies.items == 6)
            let d = try #require(try await DeploymentModel.find(crm.deploymentID, on: app.db))
            let res = try await app.testing().sendRequest(.GET, "/catalogue/\(d.crmService)/\(crm.basic.id!)/movies.json")
            #expect(res.status == .ok)
            let doc = try jsonObject(res)
            let items = try #require(doc["items"] as? [[String: Any]])
            let premiere = try #require(items.first { $0["title"] as? String == "Premiere Night" })
            #expect(premiere["access"] as? String == "ppv")
            let ppv = try #require(premiere["ppv"] as? [String: Any])
            #expect(ppv["rule"] as? String == "48h rental" && (ppv["prices"] as? [String: String]) == ["EUR": "3.99", "USD": "4.49"])
            #expect(items.first { $0["title"] as? String == "Night Harbour" }?["access"] as? String == "subscription")
            #expect(!res.body.string.contains("vod.demo.tvms"), "stream URLs are not published")
            let etag = try #require(res.headers.first(name: .eTag))
            var h = HTTPHeaders()
            h.add(name: .ifNoneMatch, value: etag)
            #expect(try await app.testing().sendRequest(.GET, "/catalogue/\(d.crmService)/\(crm.basic.id!)/movies.json", headers: h).status == .notModified)

            let series = try jsonObject(try await app.testing().sendRequest(.GET, "/catalogue/\(d.crmService)/\(crm.basic.id!)/series.json"))
            let glass = try #require((series["items"] as? [[String: Any]])?.first)
            let seasons = try #require(glass["seasons"] as? [[String: Any]])
            #expect(seasons.count == 2 && (seasons[1]["episodes"] as? [[String: Any]])?.count == 3)
            let courses = try jsonObject(try await app.testing().sendRequest(.GET, "/catalogue/\(d.crmService)/\(crm.basic.id!)/courses.json"))
            #expect((courses["levels"] as? [[String: Any]])?.map { $0["name"] as? String } == ["Beginner", "Intermediate", "Advanced"])
            let apps = try jsonObject(try await app.testing().sendRequest(.GET, "/catalogue/\(d.crmService)/\(crm.basic.id!)/apps.json"))
            #expect(((apps["items"] as? [[String: Any]])?.first?["launch"] as? [String: String])?["android"] == "com.demo.weatherradar")
            #expect(try await app.testing().sendRequest(.GET, "/catalogue/\(d.crmService)/\(crm.basic.id!)/secrets.json").status == .notFound)

            // Unchanged content keeps every version.
            let again = try await PublishService.publish(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, productID: crm.basic.id!)
            #expect(again.allSatisfy { !$0.changed })
        }
    }

    /// Lists of 100,000 items page by (title, id): every page has what follows the last one.
    @Test func movieListIsKeysetPagedByTitle() async throws {
        try await withTVMS { app, _ in
            let crm = try await DemoCRM(app)
            for n in 0..<130 {
                var i = VoDService.Input(kind: .movie, title: n % 2 == 0 ? "Same Title" : String(format: "Film %03d", n))
                i.streamURL = "https://vod.example/\(n).mp4"
                _ = try await VoDService.save(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, id: nil, input: i)
            }
            var seen: [Int] = []
            var q = VoDService.Query(kind: .movie)
            while true {
                let (page, more) = try await VoDService.list(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, query: q)
                seen += page.compactMap(\.id)
                guard more, let last = page.last else { break }
                q.after = (last.searchTitle, last.id!)
            }
            #expect(seen.count == 130 && Set(seen).count == 130)
            var b = Browser(app)
            try await b.login("owner@demo.tvms", "demo1234")
            let first = try await b.get("/cms/movies").body.string
            #expect(first.contains("afterTitle=film%20") || first.contains("afterTitle=film "), "a next-page link")
        }
    }

    /// Export then import changes nothing; a changed file updates, adds (with a picture fetched
    /// from a URL) and creates a series tree; a file with one bad row changes nothing at all.
    @Test func movieAndSeriesSheetsRoundTripAndRefuseWhole() async throws {
        try await withTVMS { app, _ in
            let crm = try await demo(app)
            let tmdb = try await FakeTMDb()
            do {
                let http = VaporOutboundHTTP(client: app.client)
                func rows(_ csv: String) -> [(line: Int, fields: [String])] { CSV.parse(csv) }
                for sheet in [VoDImport.Sheet.movies, .series] {
                    let csv = try await VoDImport.exportCSV(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, sheet: sheet)
                    let r = try await VoDImport.importRows(crm.env, http: http, actor: crm.actor, deploymentID: crm.deploymentID, sheet: sheet, rows: rows(csv))
                    #expect(r.errors.isEmpty && r.created == 0 && r.updated == 0 && r.unchanged == (sheet == .movies ? 6 : 9), "\(sheet): \(r)")
                }
                let movies = try await VoDImport.exportCSV(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, sheet: .movies)
                #expect(movies.contains("48h rental") && movies.contains("EUR 3.99; USD 4.49") && movies.contains("/media/"))

                let count = try await VoDItemModel.query(on: app.db).count()
                let bad = """
                title,year,age_rating,ppv_rule,prices,cover_url,stream_url
                Brand New,2020,7,,,,https://vod.example/1.mp4
                Rented,2021,0,Forever,EUR 1.00,,https://vod.example/2.mp4
                Cheap,2022,0,48h rental,EUR one,,https://vod.example/3.mp4
                Wrong Shape,2023,0,,,\(tmdb.imageBase)/nightharbour-backdrop.png,https://vod.example/4.mp4
                """
                let refused = try await VoDImport.importRows(crm.env, http: http, actor: crm.actor, deploymentID: crm.deploymentID, sheet: .movies, rows: rows(bad))
                #expect(refused.errors.map(\.column) == ["age_rating", "ppv_rule", "prices", "cover_url"], "\(refused.errors)")
                #expect(refused.errors.first { $0.column == "cover_url" }?.message.contains("must be 2:3; this one is 320×180") == true)
                #expect(try await VoDItemModel.query(on: app.db).count() == count)

                let good = """
                external_id,title,year,duration_s,genres,stream_url,enabled,cover_url
                NH-1,Night Harbour,1998,6720,"drama, thriller",https://vod.demo.tvms/night-harbour/index.m3u8,true,
                ,Fresh Arrival,2026,5400,comedy,https://vod.example/fresh.mp4,true,\(tmdb.imageBase)/nightharbour-poster.png
                """
                let applied = try await VoDImport.importRows(crm.env, http: http, actor: crm.actor, deploymentID: crm.deploymentID, sheet: .movies, rows: rows(good))
                #expect(applied.errors.isEmpty && applied.created == 1 && applied.updated == 1, "\(applied)")
                let fresh = try await item(app, "Fresh Arrival")
                #expect(fresh.coverID != nil && fresh.durationSeconds == 5400)
                #expect(try await item(app, "Night Harbour").externalID == "NH-1")

                let tree = """
                series,season,episode,title,year,duration_s,stream_url,enabled
                Harbour Patrol,,,Harbour Patrol,2024,,,true
                Harbour Patrol,1,,Season One,2024,,,true
                Harbour Patrol,1,1,First Watch,,2700,https://vod.example/hp/1.m3u8,true
                Harbour Patrol,1,2,Second Watch,,,,false
                Glass Valley,2,4,Late Addition,,1800,https://vod.example/gv/4.m3u8,true
                """
                let series = try await VoDImport.importRows(crm.env, http: http, actor: crm.actor, deploymentID: crm.deploymentID, sheet: .series, rows: rows(tree))
                #expect(series.errors.isEmpty && series.created == 5, "\(series)")
                let patrol = try await item(app, "Harbour Patrol")
                let season = try #require(try await VoDService.children(crm.env, parentID: patrol.id!).first)
                #expect(try await VoDService.children(crm.env, parentID: season.id!).map(\.title) == ["First Watch", "Second Watch"])
                let orphan = "series,season,episode,title\nNowhere,3,1,Lost\n"
                let lost = try await VoDImport.importRows(crm.env, http: http, actor: crm.actor, deploymentID: crm.deploymentID, sheet: .series, rows: rows(orphan))
                #expect(lost.errors.first?.message.contains("neither stored nor on an earlier row") == true)
            } catch {
                try await tmdb.stop()
                throw error
            }
            try await tmdb.stop()
        }
    }

    /// "Add from the database": the key is set once and never shown again, a search lists
    /// matches, a pick pre-fills the form, saving fetches the artwork, and a series brings its
    /// seasons and episodes (disabled until they have URLs).
    @Test func metadataLookupPrefillsMoviesAndSeriesFromTMDb() async throws {
        try await withTVMS { app, _ in
            let crm = try await DemoCRM(app)
            let tmdb = try await FakeTMDb()
            do {
                app.tvms.config.tmdb = .init(apiBase: tmdb.apiBase, imageBase: tmdb.imageBase)
                var b = Browser(app)
                try await b.login("owner@demo.tvms", "demo1234")
                let notYet = try await b.get("/cms/movies/lookup?q=night")
                #expect(notYet.status == .badGateway && notYet.body.string.contains("No TMDb API key yet"))
                #expect(try await b.post("/cms/settings", [("apiKey", FakeTMDb.apiKey), ("language", "en-US")]).status == .seeOther)
                let settings = try await b.get("/cms/settings").body.string
                #expect(!settings.contains(FakeTMDb.apiKey) && settings.contains("ending in …6789"))
                let audit = try await AuditRecordModel.query(on: app.db).filter(\.$action == "set_tmdb").all()
                #expect(audit.count == 1 && !(audit.first!.afterJSON ?? "").contains(FakeTMDb.apiKey))

                let results = try await b.get("/cms/movies/lookup?q=night%20harbour").body.string
                #expect(results.contains("Night Harbour Returns") && results.contains("/cms/movies/lookup/\(FakeTMDb.nightHarbour)"))
                let form = try await b.get("/cms/movies/lookup/\(FakeTMDb.nightHarbour)").body.string
                #expect(form.contains("value=\"Night Harbour\"") && form.contains("value=\"117\"") && form.contains("Mara Quell") && form.contains("tt0900101"))
                let posterURL = try #require(form.firstMatch(of: /name="coverURL" value="([^"]+)"/)?.1)
                let backdropURL = try #require(form.firstMatch(of: /name="wideURL" value="([^"]+)"/)?.1)
                let saved = try await b.upload("/cms/movies", fields: [("kind", "movie"), ("title", "Night Harbour"), ("year", "1998"), ("duration", "117"),
                                                                       ("imdbID", "tt0900101"), ("tmdbID", String(FakeTMDb.nightHarbour)), ("coverURL", String(posterURL)),
                                                                       ("wideURL", String(backdropURL)), ("streamURL", "https://vod.example/nh.mp4"), ("enabled", "on")], files: [])
                #expect(saved.status == .seeOther, "\(saved.body.string.prefix(400))")
                let movie = try await item(app, "Night Harbour")
                let cover = try #require(try await MediaAssetModel.find(try #require(movie.coverID), on: app.db))
                #expect(cover.width == 200 && cover.height == 300 && movie.tmdbID == FakeTMDb.nightHarbour && movie.durationSeconds == 7020)

                let seriesForm = try await b.get("/cms/series/lookup/\(FakeTMDb.glassValley)").body.string
                #expect(seriesForm.contains("2 season(s)") && seriesForm.contains("importSeasons"))
                let made = try await b.upload("/cms/series", fields: [("kind", "series"), ("title", "Glass Valley"), ("tmdbID", String(FakeTMDb.glassValley)),
                                                                      ("importSeasons", "on"), ("enabled", "on")], files: [])
                #expect(made.status == .seeOther)
                let flash = try await b.get(try #require(made.headers.first(name: .location))).body.string
                #expect(flash.contains("2 season(s) and 5 episode(s)"), "\(flash)")
                let glass = try await item(app, "Glass Valley")
                let seasons = try await VoDService.children(crm.env, parentID: glass.id!)
                #expect(seasons.map(\.number) == [1, 2] && seasons.allSatisfy { $0.coverID != nil })
                let episodes = try await VoDService.children(crm.env, parentID: seasons[0].id!)
                #expect(episodes.map(\.title) == ["Thaw", "Ice Road", "Meltwater"] && episodes.allSatisfy { !$0.enabled && $0.streamURL.isEmpty })
                #expect(episodes[0].durationSeconds == 52 * 60 && episodes[0].wideID != nil && episodes[0].guestCast.contains("Arlo Dane"))

                // A wrong key is TMDb's refusal, shown as such; the key is not echoed.
                #expect(try await b.post("/cms/settings", [("apiKey", "wrong-key-0123456789abcdef"), ("language", "en-US")]).status == .seeOther)
                let refused = try await b.get("/cms/movies/lookup?q=night")
                #expect(refused.status == .badGateway && refused.body.string.contains("TMDb refused the API key") && !refused.body.string.contains("wrong-key"))
            } catch {
                try await tmdb.stop()
                throw error
            }
            try await tmdb.stop()
        }
    }

    /// The Excel exports open as workbooks our importer reads back to the same rows, so an
    /// exported workbook imported again changes nothing.
    @Test func excelExportsRoundTrip() async throws {
        try await withTVMS { app, _ in
            let crm = try await demo(app)
            var b = Browser(app)
            try await b.login("owner@demo.tvms", "demo1234")
            for (base, sheet) in [("/cms/channels", nil), ("/cms/movies", VoDImport.Sheet.movies), ("/cms/series", .series)] {
                let res = try await b.get(base + "/export.xlsx")
                #expect(res.status == .ok && res.headers.contentType?.subType == "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
                let rows = try XLSXReader.rows(from: Data(buffer: res.body))
                let expected = sheet == nil ? try await ChannelImport.exportRows(crm.env, actor: crm.actor, deploymentID: crm.deploymentID)
                                            : try await VoDImport.exportRows(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, sheet: sheet!)
                // The reader drops trailing empty cells; compare what is there.
                func trim(_ r: [String]) -> [String] { Array(r.reversed().drop(while: \.isEmpty).reversed()) }
                #expect(rows.map { trim($0.fields) } == expected.map(trim), "\(base)")
                let again = try await b.upload(base + "/import", files: [("file", "export.xlsx", Data(buffer: res.body))])
                #expect(again.status == .seeOther, "\(base): \(again.body.string.prefix(300))")
                #expect(try await b.get(base).body.string.contains("0 added, 0 updated"), "\(base)")
            }
        }
    }
}
