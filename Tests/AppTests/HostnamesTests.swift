import Fluent
import Foundation
import SQLKit
import Testing
import Vapor
import VaporTesting
@testable import App
@testable import Domain
@testable import Services
@testable import Storage

/// Hostnames, super hostnames, console white labelling and the bootstrap answer built on them
/// (issue 10), through the real app on SQLite and (with TVMS_TEST_DATABASE_URL) PostgreSQL.
@Suite(.serialized) struct HostnamesTests {
    let p = PlaybackTests()

    func demo(_ app: Application) async throws -> DeploymentModel {
        try await DemoData.loadResellers(app.serviceEnvironment)
        try await DemoData.loadHostnames(app.serviceEnvironment)
        return try #require(try await DeploymentModel.query(on: app.db).filter(\.$cmsService == DemoData.cmsService).first())
    }

    func boot(_ app: Application, _ query: String, headers: HTTPHeaders = [:]) async throws -> TestingHTTPResponse {
        try await app.testing().sendRequest(.GET, "/api/client/v1/bootstrap?" + query, headers: headers)
    }

    func hostFields(_ host: String, reseller: String = "", login: [(String, String)] = [], methods: [String] = ["password"],
                    platforms: [String] = ["web", "android"], email: String = "") -> [(String, String)] {
        [("hostname", host), ("reseller", reseller), ("defaultUI", ""), ("supportEmail", email), ("supportPhone", ""), ("supportWebsite", ""),
         ("supportText", ""), ("androidStoreURL", ""), ("iosStoreURL", ""), ("newLanguage", "")]
            + methods.map { ("authMethods[]", $0) } + platforms.map { ("platforms[]", $0) } + login.map { ("loginSide_" + $0.0, $0.1) }
    }

    @Test func hostnamesAreAddedEditedAndDeletedOnTheConsoleAndUniqueAcrossTheInstallation() async throws {
        try await withTVMS { app, _ in
            let d = try await demo(app)
            var b = Browser(app)
            try await b.login(DemoData.ownerEmail, DemoData.ownerPassword)
            #expect(try await b.get("/uit/hostnames").body.string.contains("tv.demo.example"))
            #expect(try await b.get("/uit/hostnames/new").status == .ok)

            let added = try await b.post("/uit/hostnames", hostFields("  WebTV.Example.COM. ", login: [("en", "Hello"), ("ar", "مرحبا")],
                                                                      methods: ["password", "mac"], email: "help@example.com"))
            #expect(added.status == .seeOther)
            let h = try #require(try await HostnameModel.query(on: app.db).filter(\.$hostname == "webtv.example.com").first())
            #expect(h.deploymentID == d.id && h.authMethods == "password,mac" && h.platforms == "web,android" && h.resellerID == nil)
            #expect(h.loginTextsByLanguage == ["en": "Hello", "ar": "مرحبا"] && h.supportEmail == "help@example.com")

            // The same name again, or a super hostname's name, is refused and nothing is added.
            let duplicate = try await b.post("/uit/hostnames", hostFields("webtv.example.com"))
            #expect(duplicate.status == .conflict && duplicate.body.string.contains("is already in use"))
            let superName = try await b.post("/uit/hostnames", hostFields(DemoData.superHostname))
            #expect(superName.status == .conflict && superName.body.string.contains("is a super hostname"))
            // Bad fields: every message at once, the typed values kept, nothing written.
            let bad = try await b.post("/uit/hostnames", hostFields("http://x/y", login: [("en", "kept text")], methods: [], email: "not-an-email"))
            #expect(bad.status == .unprocessableEntity)
            for m in ["must be a host name", "needs at least one sign-in method", "must be an e-mail address", "kept text"] {
                #expect(bad.body.string.contains(m), "\(m)")
            }
            #expect(try await HostnameModel.query(on: app.db).filter(\.$deploymentID == d.id!).count() == 3)

            // Edit: a new language is added, English changed, Arabic emptied (dropped).
            var edit = hostFields("webtv.example.com", login: [("en", "Hello again"), ("ar", "")], methods: ["activation_code"], platforms: ["tv"])
            edit.removeAll { $0.0 == "newLanguage" }
            edit += [("newLanguage", "NL"), ("loginSide_new", "Hallo"), ("disclaimer_new", "Let op")]
            #expect(try await b.post("/uit/hostnames/\(h.id!)", edit).status == .seeOther)
            let edited = try #require(try await HostnameModel.find(h.id, on: app.db))
            #expect(edited.loginTextsByLanguage == ["en": "Hello again", "nl": "Hallo"] && edited.disclaimersByLanguage == ["nl": "Let op"])
            #expect(edited.authMethods == "activation_code" && edited.platforms == "tv")
            let page = try await b.get("/uit/hostnames/\(h.id!)")
            #expect(page.body.string.contains("Login screen text (Nederlands)") && page.body.string.contains("Hallo"))

            // Delete goes through a confirmation and takes the row.
            #expect(try await b.get("/uit/hostnames/\(h.id!)/delete").body.string.contains("Delete webtv.example.com?"))
            #expect(try await b.post("/uit/hostnames/\(h.id!)/delete").status == .seeOther)
            #expect(try await HostnameModel.find(h.id, on: app.db) == nil)
            let actions = try await AuditRecordModel.query(on: app.db).filter(\.$entityType == "hostname").filter(\.$entityID == String(h.id!)).all().map(\.action)
            #expect(Set(actions) == ["create", "update", "delete"])
            // Without the form's CSRF token nothing happens.
            let forged = try await b.post("/uit/hostnames", hostFields("forged.example.com"), csrf: false)
            #expect(forged.status == .forbidden)
            #expect(try await HostnameModel.query(on: app.db).filter(\.$hostname == "forged.example.com").count() == 0)
        }
    }

    /// Rows of `reseller_domains` written before M0023 are hostnames afterwards, with their
    /// deployment, reseller and name; the old table is gone.
    @Test func theHostnamesMigrationKeepsEveryResellerDomainMapping() async throws {
        let db = try TestDatabase.make()
        defer { db.cleanup() }
        let app = try await Application.make(.testing)
        app.logger.logLevel = .warning
        do {
            var o = Overrides()
            o.clock = ManualClock(testEpoch).appClock
            try await configure(app, config: AppConfig(database: db.target, inProcessWorkers: 0, schedulerEnabled: false, bcryptCost: 4, nodeName: "test"), overrides: o)
            let before = Migrations()
            before.add(StorageMigrations.all.filter { !($0 is M0023_CreateHostnames) })
            let migrator = Migrator(databases: app.databases, migrations: before, logger: app.logger, on: app.eventLoopGroup.next())
            try await migrator.setupIfNeeded().get()
            try await migrator.prepareBatch().get()

            let env = app.serviceEnvironment
            let dep = try await DeploymentService.create(env, actor: .system("test"), input: .init(name: "Old", cmsService: "oldcms", crmService: "oldcrm",
                                                                                                   timeZone: "UTC", defaultCurrency: "EUR")).deployment
            _ = try await CurrencyService.add(env, actor: .system("test"), deploymentID: dep.id!, code: "CREDITS", name: nil, symbol: nil)
            let one = ResellerService.Input(name: "One", type: .postpaid), two = ResellerService.Input(name: "Two", type: .postpaid)
            let r1 = try await ResellerService.create(env, actor: .system("test"), deploymentID: dep.id!, input: one)
            let r2 = try await ResellerService.create(env, actor: .system("test"), deploymentID: dep.id!, input: two)
            for (r, host) in [(r1, "tv.one.example"), (r2, "tv.two.example"), (r2, "watch.two.example")] {
                try await app.db.sql.raw("""
                    INSERT INTO reseller_domains (deployment_id, reseller_id, hostname, created_at) VALUES (\(bind: dep.id!), \(bind: r.id!), \(bind: host), \(bind: testEpoch))
                    """).run()
            }

            try await app.autoMigrate()
            let rows = try await HostnameModel.query(on: app.db).sort(\.$hostname).all()
            #expect(rows.map(\.hostname) == ["tv.one.example", "tv.two.example", "watch.two.example"])
            #expect(rows.map(\.resellerID) == [r1.id, r2.id, r2.id])
            #expect(rows.allSatisfy { $0.deploymentID == dep.id && $0.authMethods == "password,activation_code,mac" && $0.platforms == "web,android,ios,tv,stb" })
            #expect(rows.allSatisfy { $0.createdAt.map { abs($0.timeIntervalSince(testEpoch)) < 1 } == true })
            // The moved rows answer bootstrap as the reseller's brand, as the mappings did.
            let boot = try await self.boot(app, "host=watch.two.example")
            #expect(boot.status == .ok)
            #expect(((try jsonObject(boot))["branding"] as? [String: Any])?["resellerId"] as? Int == r2.id)
            var oldTableGone = false
            do { try await app.db.sql.raw("SELECT COUNT(*) FROM reseller_domains").run() } catch { oldTableGone = true }
            #expect(oldTableGone)
        } catch {
            try await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
    }

    @Test func bootstrapAnswersByHostnameSuperHostnameServiceIdAndLegacyService() async throws {
        try await withTVMS { app, _ in
            _ = try await demo(app)
            let main = try await boot(app, "host=TV.Demo.Example")
            #expect(main.status == .ok)
            #expect(main.headers.first(name: .cacheControl) == "public, max-age=300")
            let etag = try #require(main.headers.first(name: .eTag))
            let m = try jsonObject(main)
            #expect(m["hostname"] as? String == "tv.demo.example" && m["service"] as? String == "democrm" && m["api"] as? String == "/api/client/v1")
            #expect(m["authMethods"] as? [String] == ["password", "activation_code", "mac"])
            #expect(m["platforms"] as? [String] == ["web", "android", "ios", "tv", "stb"])
            #expect((m["stores"] as? [String: Any])?["android"] as? String == "https://play.google.com/store/apps/details?id=tv.demo.app")
            #expect((m["texts"] as? [String: Any])?["loginSide"] as? String == "Welcome to Demo TV. No account yet? Call +31 35 000 0000 or visit demo.tvms.")
            #expect((m["support"] as? [String: Any])?["website"] as? String == "https://demo.tvms/help")
            // The hostname names no UI: the deployment's default UI (the demo UI) is embedded.
            let ui = try #require(m["ui"] as? [String: Any])
            #expect(ui["name"] as? String == "Demo UI" && ui["template"] as? String == "akua" && (ui["menu"] as? [Any])?.isEmpty == false)
            #expect(m["defaultLanguage"] as? String == "en")
            let languages = try #require(m["languages"] as? [[String: Any]])
            #expect(languages.map { $0["code"] as? String } == ["en", "ar"])
            #expect(languages.last?["rtl"] as? Bool == true && languages.first?["rtl"] as? Bool == false)
            let branding = try #require(m["branding"] as? [String: Any])
            #expect(branding["name"] as? String == "Demo TV B.V." && branding["resellerId"] == nil && branding["logo"] is NSNull)
            // Unchanged answer: 304 on the ETag.
            let again = try await boot(app, "host=tv.demo.example", headers: ["If-None-Match": etag])
            #expect(again.status == .notModified)

            // Texts in the asked language, falling back to the default language.
            let ar = try jsonObject(try await boot(app, "host=tv.demo.example&lang=ar"))["texts"] as? [String: Any]
            #expect((ar?["loginSide"] as? String)?.hasPrefix("مرحبًا") == true && ar?["disclaimer"] as? String == "Demo TV خدمة تجريبية؛ البرامج عينات.")
            let fr = try jsonObject(try await boot(app, "host=tv.demo.example&lang=fr"))["texts"] as? [String: Any]
            #expect(fr?["disclaimer"] as? String == "Demo TV is a demonstration service; programmes are samples.")

            // A super hostname first asks for the service id, then answers as its hostname.
            let ask = try await boot(app, "host=apps.tvms.example")
            let askBody = try jsonObject(ask)
            #expect(ask.status == .ok && askBody["serviceRequired"] as? Bool == true && askBody["hostname"] as? String == "apps.tvms.example")
            #expect(askBody.count == 2, "nothing else before the service id")
            let viaService = try jsonObject(try await boot(app, "host=apps.tvms.example&service=1001"))
            #expect(viaService["hostname"] as? String == "tv.demo.example")
            let reseller = try await boot(app, "host=apps.tvms.example&service=1002&lang=ar")
            let r = try jsonObject(reseller)
            #expect(r["hostname"] as? String == "tv.reseller.example")
            #expect(r["authMethods"] as? [String] == ["password", "activation_code"] && r["platforms"] as? [String] == ["web", "android", "tv"])
            #expect((r["texts"] as? [String: Any])?["loginSide"] as? String == "Postpaid Reseller TV — your customer number is on your invoice.", "English when the hostname has no Arabic")
            let rb = try #require(r["branding"] as? [String: Any])
            let postpaid = try #require(try await ResellerModel.query(on: app.db).filter(\.$name == "Demo Postpaid Reseller").first())
            #expect(rb["resellerId"] as? Int == postpaid.id && rb["selectionColour"] as? String == "#0F766E" && rb["name"] as? String == "Demo Postpaid Reseller")
            let logo = try #require(rb["logo"] as? String)
            #expect(try await app.testing().sendRequest(.GET, logo).status == .ok)
            #expect((r["support"] as? [String: Any])?["text"] as? String == "Postpaid Reseller support: +31 20 000 0000")

            // Typed refusals.
            let unknownService = try await boot(app, "host=apps.tvms.example&service=9999")
            let unknownServiceCode = try p.code(unknownService)
            #expect(unknownService.status == .notFound && unknownServiceCode == "unknown_service")
            let unknownHost = try await boot(app, "host=tv.nobody.example")
            let unknownHostCode = try p.code(unknownHost)
            #expect(unknownHost.status == .notFound && unknownHostCode == "unknown_hostname")
            let nothing = try await boot(app, "")
            #expect(nothing.status == .unprocessableEntity)

            // Older apps: the CRM service name alone, as before hostnames.
            let legacy = try await boot(app, "service=DemoCRM")
            let l = try jsonObject(legacy)
            #expect(legacy.status == .ok && l["service"] as? String == "democrm" && l["hostname"] is NSNull)
            #expect(l["authMethods"] as? [String] == ["password", "activation_code", "mac"] && (l["texts"] as? [String: Any])?["loginSide"] as? String == "")
            #expect(try p.code(try await boot(app, "service=nobody")) == "unknown_service")
            // An address no operator mapped (WebTV opened by the server's own address) with the
            // CRM service name: that operator; without it, the unknown hostname.
            let unmapped = try jsonObject(try await boot(app, "host=127.0.0.1&service=democrm"))
            #expect(unmapped["service"] as? String == "democrm" && unmapped["hostname"] is NSNull)
            #expect(try p.code(try await boot(app, "host=127.0.0.1")) == "unknown_hostname")
            #expect(try p.code(try await boot(app, "host=127.0.0.1&service=nobody")) == "unknown_service")

        }
    }

    @Test func operatorsSeeOnlyTheirDeploymentsHostnamesAndOnlyTheOwnerEditsSuperHostnamesAndWhiteLabelling() async throws {
        try await withTVMS { app, _ in
            let a = try await demo(app)
            let env = app.serviceEnvironment
            let other = try await DeploymentService.create(env, actor: .system("test"), input: .init(name: "Other TV", cmsService: "othercms", crmService: "othercrm",
                                                                                                     timeZone: "UTC", defaultCurrency: "EUR")).deployment
            let theirs = try await HostnameService.create(env, actor: .system("test"), deploymentID: other.id!, input: .init(hostname: "tv.other.example"))
            _ = try await app.makeUser("admin-a@example.com", role: "admin", deployments: [a.id!])
            var b = Browser(app)
            try await b.login("admin-a@example.com", "password123")

            let list = try await b.get("/uit/hostnames")
            #expect(list.status == .ok && list.body.string.contains("tv.demo.example") && !list.body.string.contains("tv.other.example"))
            #expect(try await b.get("/uit/hostnames/\(theirs.id!)").status == .notFound)
            #expect(try await b.post("/uit/hostnames/\(theirs.id!)", hostFields("stolen.example.com")).status == .notFound)
            #expect(try await b.post("/uit/hostnames/\(theirs.id!)/delete").status == .notFound)
            let still = try #require(try await HostnameModel.find(theirs.id, on: app.db))
            #expect(still.hostname == "tv.other.example")
            // Nor can a hostname of A be moved onto a reseller of another deployment.
            _ = try await CurrencyService.add(env, actor: .system("test"), deploymentID: other.id!, code: "CREDITS", name: nil, symbol: nil)
            let theirsInput = ResellerService.Input(name: "Theirs", type: .postpaid)
            let otherReseller = try await ResellerService.create(env, actor: .system("test"), deploymentID: other.id!, input: theirsInput)
            let mine = try #require(try await HostnameModel.query(on: app.db).filter(\.$hostname == "tv.demo.example").first())
            let moved = try await b.post("/uit/hostnames/\(mine.id!)", hostFields("tv.demo.example", reseller: String(otherReseller.id!)))
            #expect(moved.status == .unprocessableEntity && moved.body.string.contains("is not a reseller of this deployment"))

            // Installation-wide pages are the owner's.
            #expect(try await b.get("/settings/super-hostnames").status == .forbidden)
            #expect(try await b.post("/settings/super-hostnames", [("hostname", "apps.evil.example")]).status == .forbidden)
            #expect(try await b.get("/settings/white-labelling").status == .forbidden)
            #expect(try await b.post("/settings/white-labelling", [("name", "Hijacked")]).status == .forbidden)
            #expect(try await SuperHostnameModel.query(on: app.db).filter(\.$hostname == "apps.evil.example").count() == 0)
            let admin = try await AuthService.actor(for: try #require(try await SystemUserModel.query(on: app.db).filter(\.$email == "admin-a@example.com").first()), on: app.db, ip: nil)
            await #expect(throws: DomainError.self) { _ = try await SuperHostnameService.create(env, actor: admin, hostname: "apps.x.example") }
            await #expect(throws: DomainError.self) { _ = try await ConsoleBrandService.saveInstallation(env, actor: admin, input: .init(name: "X", primaryColour: "", supportContact: "", consoleDomain: "")) }
            // A reseller's console brand is visible to the deployment's admin, changeable only by the owner.
            let postpaid = try #require(try await ResellerModel.query(on: app.db).filter(\.$name == "Demo Postpaid Reseller").first())
            let tab = try await b.get("/crm/resellers/\(postpaid.id!)/console-branding")
            #expect(tab.status == .ok && tab.body.string.contains("Postpaid Reseller Console") && !tab.body.string.contains("Save brand"))
            #expect(try await b.post("/crm/resellers/\(postpaid.id!)/console-branding", [("name", "Hijacked"), ("consoleDomain", "console.main.example")]).status == .forbidden)
            await #expect(throws: DomainError.self) {
                _ = try await ConsoleBrandService.saveReseller(env, actor: admin, deploymentID: a.id!, resellerID: postpaid.id!,
                                                               input: .init(name: "X", primaryColour: "", supportContact: "", consoleDomain: "console.main.example"))
            }
            #expect(try await ConsoleBrandModel.query(on: app.db).filter(\.$resellerID == postpaid.id!).first()?.name == "Postpaid Reseller Console")
            // A reseller account reaches neither.
            var reseller = Browser(app)
            try await reseller.login(DemoData.postpaidResellerEmail, DemoData.resellerPassword)
            #expect(try await reseller.get("/uit/hostnames").status == .forbidden)
            #expect(try await reseller.get("/settings/super-hostnames").status == .forbidden)
        }
    }

    @Test func theOwnerManagesSuperHostnamesAndTheirServiceIds() async throws {
        try await withTVMS { app, _ in
            _ = try await demo(app)
            var b = Browser(app)
            try await b.login(DemoData.ownerEmail, DemoData.ownerPassword)
            #expect(try await b.get("/settings/super-hostnames").body.string.contains("1001 → tv.demo.example"))
            #expect(try await b.post("/settings/super-hostnames", [("hostname", "Apps.Second.Example")]).status == .seeOther)
            let s = try #require(try await SuperHostnameModel.query(on: app.db).filter(\.$hostname == "apps.second.example").first())
            let taken = try await b.post("/settings/super-hostnames", [("hostname", "tv.demo.example")])
            #expect(taken.status == .conflict && taken.body.string.contains("already in use"))
            let host = try #require(try await HostnameModel.query(on: app.db).filter(\.$hostname == "tv.demo.example").first())
            try await b.post("/settings/super-hostnames/\(s.id!)/services", [("serviceId", "A7"), ("hostname", String(host.id!))])
            try await b.post("/settings/super-hostnames/\(s.id!)/services", [("serviceId", "a7"), ("hostname", String(host.id!))])
            let page = try await b.get("/settings/super-hostnames/\(s.id!)")
            #expect(page.body.string.contains("is already used on this super hostname"))
            #expect(try await SuperHostnameServiceModel.query(on: app.db).filter(\.$superHostnameID == s.id!).count() == 1)
            #expect(try jsonObject(try await boot(app, "host=apps.second.example&service=A7"))["hostname"] as? String == "tv.demo.example")
            // The same id on another super hostname is fine: ids are unique per super hostname.
            let demoSuper = try #require(try await SuperHostnameModel.query(on: app.db).filter(\.$hostname == DemoData.superHostname).first())
            try await b.post("/settings/super-hostnames/\(demoSuper.id!)/services", [("serviceId", "a7"), ("hostname", String(host.id!))])
            #expect(try await SuperHostnameServiceModel.query(on: app.db).filter(\.$serviceID == "a7").count() == 2)
            let mapping = try #require(try await SuperHostnameServiceModel.query(on: app.db).filter(\.$superHostnameID == s.id!).first())
            try await b.post("/settings/super-hostnames/\(s.id!)/services/\(mapping.id!)/remove")
            #expect(try p.code(try await boot(app, "host=apps.second.example&service=a7")) == "unknown_service")
            #expect(try await b.get("/settings/super-hostnames/\(s.id!)/delete").body.string.contains("Delete apps.second.example?"))
            try await b.post("/settings/super-hostnames/\(s.id!)/delete")
            #expect(try p.code(try await boot(app, "host=apps.second.example")) == "unknown_hostname")
            let actions = try await AuditRecordModel.query(on: app.db).filter(\.$entityType == "super_hostname").filter(\.$entityID == String(s.id!)).all().map(\.action)
            #expect(Set(actions) == ["create", "add_service", "remove_service", "delete"])
        }
    }

    @Test func whiteLabellingBrandsTheLoginPageAndConsoleForTheInstallationAndEachReseller() async throws {
        try await withTVMS { app, _ in
            _ = try await demo(app)
            var owner = Browser(app)
            try await owner.login(DemoData.ownerEmail, DemoData.ownerPassword)
            let plain = try await app.testing().sendRequest(.GET, "/login")
            #expect(plain.body.string.contains("<h1>TVMS</h1>") && !plain.body.string.contains("theme.css"))

            let logo = Data(pngHeader(width: 300, height: 90))
            let saved = try await owner.upload("/settings/white-labelling", fields: [("name", "Acme Operator"), ("primaryColour", "#b91c1c"),
                                                                                  ("supportContact", "noc@acme.example"), ("consoleDomain", "")],
                                               files: [("logo", "logo.png", logo)])
            #expect(saved.status == .seeOther)
            let login = try await app.testing().sendRequest(.GET, "/login")
            #expect(login.body.string.contains("<h1>Acme Operator</h1>") && login.body.string.contains("/console-brand/theme.css?colour=B91C1C"))
            #expect(login.body.string.contains("Need help? noc@acme.example"))
            let theme = try await app.testing().sendRequest(.GET, "/console-brand/theme.css?colour=B91C1C")
            #expect(theme.body.string.contains("--brand: #B91C1C") && theme.body.string.contains("--brand-ink: #FFFFFF"))
            #expect(try await app.testing().sendRequest(.GET, "/console-brand/theme.css?colour=red;}body{").status == .notFound)
            let logoPath = try #require(login.body.string.firstMatch(of: /src="(\/console-brand\/\d+\/logo\?v=[0-9a-f]+)"/)?.1)
            let served = try await app.testing().sendRequest(.GET, String(logoPath))
            #expect(served.status == .ok && Data(buffer: served.body) == logo && served.headers.contentType == .png)
            #expect(try await owner.get("/").body.string.contains("Acme Operator"))

            // A refused form (bad colour, a file that is no image) changes nothing.
            let bad = try await owner.upload("/settings/white-labelling", fields: [("name", "Changed"), ("primaryColour", "crimson"), ("supportContact", ""), ("consoleDomain", "")],
                                             files: [("logo", "x.png", Data("<svg/>".utf8))])
            #expect(bad.status == .unprocessableEntity && bad.body.string.contains("must be a colour like #FF8800") && bad.body.string.contains("must be a PNG, JPEG or WebP image"))
            let installation = try #require(try await ConsoleBrandModel.query(on: app.db).filter(\.$resellerID == nil).first())
            #expect(installation.name == "Acme Operator" && installation.primaryColour == "#B91C1C" && installation.logoData == logo)

            // The demo reseller's own brand: on its console domain before login, and once signed in.
            let onDomain = try await app.testing().sendRequest(.GET, "/login", headers: ["Host": "console.reseller.example:8080"])
            #expect(onDomain.body.string.contains("<h1>Postpaid Reseller Console</h1>") && onDomain.body.string.contains("colour=0F766E"))
            var reseller = Browser(app)
            try await reseller.login(DemoData.postpaidResellerEmail, DemoData.resellerPassword)
            let portal = try await reseller.get("/portal")
            #expect(portal.body.string.contains("Postpaid Reseller Console") && portal.body.string.contains("colour=0F766E") && !portal.body.string.contains("Acme Operator"))
            // The prepaid reseller has no brand: the installation's applies.
            var prepaid = Browser(app)
            try await prepaid.login(DemoData.prepaidResellerEmail, DemoData.resellerPassword)
            #expect(try await prepaid.get("/portal").body.string.contains("Acme Operator"))

            // The operator edits a reseller's console brand from the reseller's page; empty
            // fields fall back to the installation's.
            let pre = try #require(try await ResellerModel.query(on: app.db).filter(\.$name == "Demo Prepaid Reseller").first())
            #expect(try await owner.get("/crm/resellers/\(pre.id!)/console-branding").status == .ok)
            let taken = try await owner.upload("/crm/resellers/\(pre.id!)/console-branding", fields: [("name", "Prepaid Console"), ("primaryColour", ""),
                                                                                                 ("supportContact", ""), ("consoleDomain", "console.reseller.example")], files: [])
            #expect(taken.status == .unprocessableEntity && taken.body.string.contains("is already another brand"))
            #expect(try await owner.upload("/crm/resellers/\(pre.id!)/console-branding", fields: [("name", "Prepaid Console"), ("primaryColour", ""),
                                                                                             ("supportContact", ""), ("consoleDomain", "")], files: []).status == .seeOther)
            let prepaidPage = try await prepaid.get("/portal").body.string
            #expect(prepaidPage.contains("Prepaid Console") && prepaidPage.contains("colour=B91C1C"), "its name, the installation's colour")
            #expect(try await AuditRecordModel.query(on: app.db).filter(\.$action == "update_console_brand").count() >= 3)
        }
    }
}
