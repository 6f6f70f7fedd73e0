import Fluent
import Foundation
import Testing
import VaporTesting
@testable import App
@testable import Domain
@testable import Services
import Storage

@Suite(.serialized) struct ContentTests {
    /// The visibility chain: channel → package → product or live extra package → served customer.
    @Test func entitlementsFollowPackagesProductsExtrasAndStatus() async throws {
        try await withTVMS { app, clock in
            let crm = try await DemoCRM(app)
            try await DemoData.loadContent(crm.env)
            let viewer = try await crm.customer(login: "channel.viewer").customer
            let news = try #require(try await ChannelModel.query(on: app.db).filter(\.$name == "City News 24").first())
            let football = try #require(try await ChannelModel.query(on: app.db).filter(\.$name == "Football Live").first())
            #expect(try await Entitlements.decide(crm.env, customer: viewer, ref: .channel(news.id!)) == .allowed)
            #expect(try await Entitlements.decide(crm.env, customer: viewer, ref: .channel(football.id!)) == .notInPackages)
            #expect(try await Entitlements.channels(crm.env, customer: viewer).count == 25)

            let sports = try #require(try await PaymentPlanModel.query(on: app.db).filter(\.$name == "Sports 1 month").first())
            _ = try await CustomerService.addExtraPackage(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, id: viewer.id!, planID: sports.id!, synced: false)
            #expect(try await Entitlements.decide(crm.env, customer: viewer, ref: .channel(football.id!)) == .allowed)
            #expect(try await Entitlements.channels(crm.env, customer: viewer).count == 30)
            var b = Browser(app)
            try await b.login("owner@demo.tvms", "demo1234")
            let tab = try await b.get("/crm/customers/\(viewer.id!)?tab=content")
            #expect(tab.status == .ok && tab.body.string.contains("30 channel(s)") && tab.body.string.contains("Football Live"))

            var disabled = ChannelService.Input(number: news.number, name: news.name)
            disabled.hlsURL = news.hlsURL
            disabled.enabled = false
            _ = try await ChannelService.save(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, id: news.id!, input: disabled)
            #expect(try await Entitlements.decide(crm.env, customer: viewer, ref: .channel(news.id!)) == .disabledItem)

            // Past the extra package's month the sports channels go; past the expiry, everything.
            clock.advance(by: 32 * 86_400)
            let fresh = try #require(try await CustomerModel.find(viewer.id, on: app.db))
            let status = try await Entitlements.decide(crm.env, customer: fresh, ref: .channel(football.id!))
            #expect(status == .notServed(.expired))
            #expect(try await Entitlements.channels(crm.env, customer: fresh).isEmpty)

            // Another deployment's channel id is never in this customer's packages.
            let other = try await DeploymentService.create(crm.env, actor: crm.actor, input: .init(name: "Other", cmsService: "othercms", crmService: "othercrm",
                                                                                                   timeZone: "UTC", defaultCurrency: "EUR"))
            var foreign = ChannelService.Input(number: 1, name: "Foreign")
            foreign.hlsURL = "https://x.example/a.m3u8"
            let f = try await ChannelService.save(crm.env, actor: crm.actor, deploymentID: other.deployment.id!, id: nil, input: foreign)
            _ = try await CustomerService.renew(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, id: viewer.id!, fromExpiry: false)
            let renewed = try #require(try await CustomerModel.find(viewer.id, on: app.db))
            #expect(try await Entitlements.decide(crm.env, customer: renewed, ref: .channel(f.id!)) == .notInPackages)
        }
    }

    @Test func consoleAddsAChannelWithALogoPutsItInAPackageAndAProduct() async throws {
        try await withTVMS { app, _ in
            let crm = try await DemoCRM(app)
            var b = Browser(app)
            try await b.login("owner@demo.tvms", "demo1234")
            #expect(try await b.get("/cms/channels/new").status == .ok)
            let fields: [(String, String)] = [("number", "101"), ("name", "Harbour TV"), ("hlsURL", "https://live.example/harbour/index.m3u8"),
                                              ("dashURL", "https://live.example/harbour/manifest.mpd"), ("tokenType", "flussonic"), ("drm", "none"), ("ageRating", "0"),
                                              ("tags", "Local, news , local"), ("catchupDays", "3"), ("enabled", "on")]
            let wide = try await b.upload("/cms/channels", fields: fields, files: [("logo", "wide.png", Data(pngHeader(width: 300, height: 100)))])
            #expect(wide.status == .unprocessableEntity && wide.body.string.contains("must be square (1:1); this one is 300×100"))
            #expect(try await ChannelModel.query(on: app.db).count() == 0, "a refused channel is not saved")
            let badHLS = try await b.upload("/cms/channels", fields: fields.map { $0.0 == "hlsURL" ? ($0.0, "https://live.example/harbour.mpd") : $0 }, files: [])
            #expect(badHLS.status == .unprocessableEntity && badHLS.body.string.contains("must be an HLS playlist (.m3u8)"))
            #expect(try await b.upload("/cms/channels", fields: fields, files: [("logo", "logo.png", Data(pngHeader(width: 256, height: 256)))]).status == .seeOther)
            let c = try #require(try await ChannelModel.query(on: app.db).first())
            #expect(c.tags == "local,news" && c.logoID != nil && c.catchupDays == 3)
            let dup = try await b.upload("/cms/channels", fields: fields.map { $0.0 == "name" ? ($0.0, "Other") : $0 }, files: [])
            #expect(dup.status == .unprocessableEntity && dup.body.string.contains("101 is already Harbour TV"))

            try await b.post("/cms/packages", [("name", "Local"), ("description", "Local channels")])
            let p = try #require(try await ContentPackageModel.query(on: app.db).first())
            try await b.post("/cms/packages/\(p.id!)/items", [("items[]", String(c.id!))])
            #expect(try await PackageService.items(crm.env, packageID: p.id!) == [c.id!])
            try await b.post("/cms/ui-groups", [("name", "Local")])
            let g = try #require(try await UIGroupModel.query(on: app.db).first())
            try await b.post("/cms/ui-groups/\(g.id!)/channels", [("channels[]", String(c.id!))])
            #expect(try await UIGroupService.channels(crm.env, groupID: g.id!) == [c.id!])

            let viewer = try await crm.customer(login: "harbour.viewer").customer
            #expect(try await Entitlements.decide(crm.env, customer: viewer, ref: .channel(c.id!)) == .notInPackages)
            try await b.post("/crm/products/\(crm.basic.id!)/packages", [("packages[]", String(p.id!))])
            #expect(try await Entitlements.decide(crm.env, customer: viewer, ref: .channel(c.id!)) == .allowed)
            let page = try await b.get("/crm/products/\(crm.basic.id!)?tab=packages")
            #expect(page.body.string.contains("Channels: Local"))
            try await b.post("/cms/packages/\(p.id!)/delete")
            #expect(try await ContentPackageModel.find(p.id, on: app.db) != nil, "a package a product holds stays")

            let confirm = try await b.get("/cms/channels/\(c.id!)/delete")
            #expect(confirm.status == .ok && confirm.body.string.contains("Delete channel 101 Harbour TV?"))
            #expect(try await ChannelModel.find(c.id, on: app.db) != nil, "the confirm page deletes nothing")

            let list = try await b.get("/cms/channels?q=harb")
            #expect(list.body.string.contains("Harbour TV"))
            #expect(!(try await b.get("/cms/channels?q=zzz")).body.string.contains("Harbour TV"))
            let audit = Set(try await AuditRecordModel.query(on: app.db).filter(\.$entityType ~~ ["channel", "package", "ui_group", "product"]).all().map(\.action))
            #expect(audit.isSuperset(of: ["create", "add_items", "set_channels", "set_content_packages"]))
        }
    }

    @Test func channelListIsKeysetPagedByNumber() async throws {
        try await withTVMS { app, _ in
            let crm = try await DemoCRM(app)
            try await DemoData.loadContent(crm.env)
            var q = ChannelService.Query()
            q.limit = 12
            var numbers: [Int] = []
            while true {
                let (page, more) = try await ChannelService.list(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, query: q)
                numbers += page.map(\.number)
                guard more, let last = page.last else { break }
                q.afterNumber = last.number
            }
            #expect(numbers == Array(1...30))
            q = ChannelService.Query()
            q.search = "sports"
            #expect(try await ChannelService.list(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, query: q).channels.map(\.name) == ["Sports One", "Sports Two", "Football Live", "Tennis Court", "Motor Racing"])
        }
    }
}

@Suite(.serialized) struct PublishTests {
    @Test func publishingFreezesVersionedDocumentsServedWithETags() async throws {
        try await withTVMS { app, _ in
            let crm = try await DemoCRM(app)
            try await DemoData.loadContent(crm.env)
            let first = try await PublishService.publish(crm.env, actor: crm.actor, deploymentID: crm.deploymentID)
            let basic = try #require(first.first { $0.productID == crm.basic.id })
            #expect(basic.version == 1 && basic.changed && basic.items == 30 && basic.gzipBytes < basic.bytes)
            let again = try await PublishService.publish(crm.env, actor: crm.actor, deploymentID: crm.deploymentID)
            #expect(again.allSatisfy { !$0.changed } && again.first { $0.productID == crm.basic.id }?.version == 1, "unchanged content keeps its version")

            let path = "/catalogue/democrm/\(crm.basic.id!)/channels.json"
            let res = try await app.testing().sendRequest(.GET, path, headers: ["Accept-Encoding": "gzip"])
            #expect(res.status == .ok && res.headers.first(name: .contentEncoding) == "gzip")
            let etag = try #require(res.headers.first(name: .eTag))
            let plain = try await app.testing().sendRequest(.GET, path)
            let doc = try #require(try JSONSerialization.jsonObject(with: Data(plain.body.string.utf8)) as? [String: Any])
            let channels = try #require(doc["channels"] as? [[String: Any]])
            #expect(channels.count == 30 && channels.first?["number"] as? Int == 1)
            #expect(!plain.body.string.contains("live.demo.tvms"), "stream URLs are not published: apps get signed URLs when they play")
            let football = try #require(channels.first { $0["name"] as? String == "Football Live" })
            #expect((football["grantedBy"] as? [String])?.first?.hasPrefix("extra:") == true)
            #expect((doc["groups"] as? [[String: Any]])?.first?["name"] as? String == "News")
            #expect(try await app.testing().sendRequest(.GET, path, headers: ["If-None-Match": etag]).status == .notModified)

            // A change publishes a new version; the old one stays reachable by its number.
            let news = try #require(try await ChannelModel.query(on: app.db).filter(\.$name == "City News 24").first())
            var input = ChannelService.Input(number: news.number, name: "City News 24 HD")
            input.hlsURL = news.hlsURL
            _ = try await ChannelService.save(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, id: news.id!, input: input)
            var b = Browser(app)
            try await b.login("owner@demo.tvms", "demo1234")
            try await b.post("/cms/publish")
            #expect(try await b.get("/cms/publish").body.string.contains("v2"))
            let changed = try await app.testing().sendRequest(.GET, path, headers: ["If-None-Match": etag])
            #expect(changed.status == .ok && changed.body.string.contains("City News 24 HD") && changed.headers.first(name: "X-Catalogue-Version") == "2")
            let pinned = try await app.testing().sendRequest(.GET, "/catalogue/democrm/\(crm.basic.id!)/channels.v1.json")
            #expect(pinned.status == .ok && pinned.body.string.contains("\"City News 24\"") && pinned.headers.first(name: .cacheControl)?.contains("immutable") == true)
            #expect(try await app.testing().sendRequest(.GET, "/catalogue/othercrm/\(crm.basic.id!)/channels.json").status == .notFound)
            #expect(try Gzip.decompress(try Gzip.compress(Data("hello".utf8))) == Data("hello".utf8))

            // The folder mirror for a CDN: versioned files and the current one, written whole.
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tvms-publish-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: dir) }
            _ = try await ChannelService.save(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, id: news.id!, input: { var i = input; i.name = "City News"; return i }())
            _ = try await PublishService.publish(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, productID: crm.basic.id!, targets: [PublishMirror(root: dir)])
            let folder = dir.appendingPathComponent("democrm").appendingPathComponent(String(crm.basic.id!))
            let current = try Gzip.decompress(try Data(contentsOf: folder.appendingPathComponent("channels.json.gz")))
            #expect(String(decoding: current, as: UTF8.self).contains("\"City News\""))
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("channels.v3.json.gz").path))
        }
    }
}

@Suite(.serialized) struct ChannelImportTests {
    /// Logos named by URL are fetched and checked like uploads; the exported /media path keeps
    /// the logo; a wrong shape refuses the file.
    @Test func logosAreFetchedFromURLsOnImport() async throws {
        try await withTVMS { app, _ in
            let crm = try await DemoCRM(app)
            try await DemoData.loadContent(crm.env)
            let images = try await FakeTMDb()
            do {
                let http = VaporOutboundHTTP(client: app.client)
                let csv = "number,name,logo_url\n1,Demo One,\(images.imageBase)/demo-one-logo.png\n"
                let r = try await ChannelImport.importRows(crm.env, http: http, actor: crm.actor, deploymentID: crm.deploymentID, rows: CSV.parse(csv))
                #expect(r.errors.isEmpty && r.updated == 1, "\(r.errors)")
                let one = try #require(try await ChannelModel.query(on: app.db).filter(\.$number == 1).first())
                let logo = try #require(one.logoID)
                let exported = try await ChannelImport.exportCSV(crm.env, actor: crm.actor, deploymentID: crm.deploymentID)
                #expect(exported.contains("/media/\(logo.uuidString.lowercased())"))
                let again = try await ChannelImport.importRows(crm.env, http: http, actor: crm.actor, deploymentID: crm.deploymentID, rows: CSV.parse(exported))
                #expect(again.errors.isEmpty && again.unchanged == 30)
                let wrong = "number,name,logo_url\n2,Demo Two,\(images.imageBase)/x-backdrop.png\n3,City News 24,\(images.imageBase)/missing.png\n"
                let refused = try await ChannelImport.importRows(crm.env, http: http, actor: crm.actor, deploymentID: crm.deploymentID, rows: CSV.parse(wrong))
                #expect(refused.errors.map(\.line) == [2, 3] && refused.errors[0].message.contains("square") && refused.errors[1].message.contains("HTTP 404"), "\(refused.errors)")
                #expect(try await ChannelModel.query(on: app.db).filter(\.$number == 2).first()?.logoID == nil)
            } catch {
                try await images.stop()
                throw error
            }
            try await images.stop()
        }
    }

    @Test func exportImportRoundTripsAndABadFileChangesNothing() async throws {
        try await withTVMS { app, _ in
            let crm = try await DemoCRM(app)
            try await DemoData.loadContent(crm.env)
            var b = Browser(app)
            try await b.login("owner@demo.tvms", "demo1234")
            let exported = try await b.get("/cms/channels/export.csv").body.string
            #expect(exported.hasPrefix("number,name,hls_url") && exported.split(separator: "\r\n").count == 31)
            let again = try await b.upload("/cms/channels/import", files: [("file", "channels.csv", Data(exported.utf8))])
            #expect(again.status == .seeOther)
            #expect(try await b.get("/cms/channels").body.string.contains("Imported: 0 added, 0 updated, 30 unchanged."))
            #expect(try await ChannelImport.exportCSV(crm.env, actor: crm.actor, deploymentID: crm.deploymentID) == exported, "export → import changes nothing")

            let bad = """
                number,name,hls_url,age_rating,enabled
                1,Demo One Renamed,https://live.example/one/index.m3u8,0,true
                31,New Channel,https://live.example/new.mpd,0,true
                32,Another,https://live.example/a/index.m3u8,15,maybe
                32,Twice,,0,true
                """
            let refused = try await b.upload("/cms/channels/import", files: [("file", "bad.csv", Data(bad.utf8))])
            #expect(refused.status == .unprocessableEntity)
            for text in ["must be an HLS playlist", "must be one of 0, 6", "must be true or false", "32 appears twice in the file (also line 4)"] {
                #expect(refused.body.string.contains(text), "\(text)")
            }
            #expect(try await ChannelModel.query(on: app.db).filter(\.$name == "Demo One Renamed").count() == 0, "a refused file changes nothing")
            #expect(try await ChannelModel.query(on: app.db).count() == 30)

            let noURL = "number,name\n31,New Channel\n"
            let refusedNew = try await b.upload("/cms/channels/import", files: [("file", "new.csv", Data(noURL.utf8))])
            #expect(refusedNew.status == .unprocessableEntity && refusedNew.body.string.contains("give at least one stream URL"))

            let good = "number,name,tags,hls_url\n1,Demo One Renamed,general,https://live.demo.tvms/demo-one/index.m3u8\n31,New Channel,,https://live.example/new/index.m3u8\n"
            let fine = try await b.upload("/cms/channels/import", files: [("file", "good.csv", Data(good.utf8))])
            #expect(fine.status == .seeOther)
            #expect(try await b.get("/cms/channels").body.string.contains("Imported: 1 added, 1 updated, 0 unchanged."))
            let one = try #require(try await ChannelModel.query(on: app.db).filter(\.$number == 1).first())
            #expect(one.name == "Demo One Renamed" && one.dashURL.hasSuffix("/demo-one/manifest.mpd"), "columns left out keep their values")
            #expect(try await ChannelModel.query(on: app.db).filter(\.$number == 31).first()?.name == "New Channel")
        }
    }
}
