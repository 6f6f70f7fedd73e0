import Foundation
import Testing
import Vapor
import VaporTesting
@testable import App
@testable import Services
import Storage
import Fluent
import Domain

/// UIT (issue 10): user interfaces with versions and ETags, translation layers and their
/// fallback, import/export, products choosing their UI, the subscriber API's /ui and
/// /translations, and the console pages — through the real app on SQLite and PostgreSQL.
@Suite(.serialized) struct UIToolkitTests {
    let actor = Principal.system("test")

    func demo(_ app: Application) async throws -> (deployment: UUID, ui: UserInterfaceModel) {
        let d = try #require(try await DeploymentModel.query(on: app.db).filter(\.$cmsService == DemoData.cmsService).first()).id!
        let ui = try #require(try await UserInterfaceModel.query(on: app.db).filter(\.$deploymentID == d).filter(\.$name == DemoData.demoUIName).first())
        return (d, ui)
    }

    func get(_ app: Application, _ path: String, etag: String? = nil) async throws -> TestingHTTPResponse {
        var h = HTTPHeaders()
        if let etag { h.add(name: .ifNoneMatch, value: etag) }
        return try await app.testing().sendRequest(.GET, path, headers: h)
    }

    func otherDeploymentUI(_ app: Application) async throws -> (UUID, UserInterfaceModel) {
        let env = app.serviceEnvironment
        let other = try await DeploymentService.create(env, actor: actor, input: .init(name: "Other TV", cmsService: "othercms", crmService: "othercrm",
                                                                                        timeZone: "UTC", defaultCurrency: "EUR")).deployment.id!
        let ui = try await UserInterfaceService.create(env, actor: actor, deploymentID: other, name: "Other UI", template: "honua")
        return (other, ui)
    }

    @Test func everySaveIsANewVersionServedWithItsETag() async throws {
        try await withTVMS { app, _ in
            let (d, ui) = try await demo(app)
            let path = "/api/client/v1/ui/\(ui.id!.uuidString.lowercased())"
            let first = try await get(app, path)
            #expect(first.status == .ok)
            #expect(first.headers.first(name: .eTag) == "\"2\"")
            let doc = try jsonObject(first)
            #expect(doc["version"] as? Int == 2)
            #expect(doc["template"] as? String == "akua")
            #expect(doc["languages"] as? [String] == ["en", "ar"])
            #expect((doc["logo"] as? String)?.hasPrefix("/media/") == true)
            #expect(doc["background"] is NSNull)
            let menu = try #require(doc["menu"] as? [[String: Any]])
            #expect(menu.map { $0["key"] as? String } == MenuSection.allCases.map(\.rawValue))
            #expect((menu[0]["label"] as? [String: String]) == ["en": "Home", "ar": "الرئيسية"])
            let rails = try #require(doc["rails"] as? [[String: Any]]).compactMap { $0["key"] as? String }
            #expect(rails.starts(with: ["continue_watching", "favourites", "new_movies"]) && rails.contains("channels_now"))
            let behaviour = try #require(doc["behaviour"] as? [String: Any])
            #expect(behaviour["startChannel"] as? Int == 1)
            #expect((behaviour["parental"] as? [String: Any])?["maxRating"] as? Int == 18)

            let unchanged = try await get(app, path, etag: "\"2\"")
            #expect(unchanged.status == .notModified)
            #expect(unchanged.body.readableBytes == 0)

            var config = try UserInterfaceService.decode(ui.config)
            config.colours.primary = "#00aa55"
            try await UserInterfaceService.update(app.serviceEnvironment, actor: actor, deploymentID: d, id: ui.id!, input: .init(name: ui.name, config: config))
            let changed = try await get(app, path, etag: "\"2\"")
            #expect(changed.status == .ok)
            #expect(changed.headers.first(name: .eTag) == "\"3\"")
            #expect((try jsonObject(changed)["colours"] as? [String: String])?["primary"] == "#00AA55")
            // Every version's document is kept as published.
            let versions = try await UserInterfaceService.versions(app.serviceEnvironment, actor: actor, deploymentID: d, id: ui.id!)
            #expect(versions.map(\.version) == [3, 2, 1])
            #expect(versions[1].document.contains("#E50914") && versions[0].document.contains("#00AA55"))
            let embedded = try await UserInterfaceService.document(app.serviceEnvironment, deploymentID: d, id: ui.id!)
            #expect(embedded.version == 3)
        }
    }

    @Test func aRefusedSaveChangesNothing() async throws {
        try await withTVMS { app, _ in
            let (d, ui) = try await demo(app)
            var config = try UserInterfaceService.decode(ui.config)
            config.colours.text = "white"
            config.behaviour.zapBannerSeconds = 0
            config.languages = ["en", "fr"]
            config.menu.removeAll { $0.key == "settings" }
            var caught: DomainError? = nil
            do { try await UserInterfaceService.update(app.serviceEnvironment, actor: actor, deploymentID: d, id: ui.id!, input: .init(name: ui.name, config: config)) }
            catch let e as DomainError { caught = e }
            let e = try #require(caught)
            #expect(e.kind == .invalid)
            #expect(Set(e.fields.keys) == ["colour_text", "zapBannerSeconds", "languages", "menu"])
            let after = try await UserInterfaceModel.find(ui.id!, on: app.db)
            #expect(after?.version == 2 && after?.config == ui.config)
        }
    }

    @Test func textsFallBackFromUIToDeploymentToEnglish() async throws {
        try await withTVMS { app, _ in
            let env = app.serviceEnvironment
            let (d, ui) = try await demo(app)
            let q = "?service=\(DemoData.crmService)"
            func strings(_ lang: String, ui: UUID? = nil) async throws -> [String: String] {
                let res = try await get(app, "/api/client/v1/translations/\(lang)\(q)" + (ui.map { "&ui=\($0.uuidString.lowercased())" } ?? ""))
                #expect(res.status == .ok)
                let body = try jsonObject(res)
                return try #require(body["strings"] as? [String: String])
            }
            let ar = try await strings("ar")
            #expect(ar["menu.home"] == "الرئيسية")
            #expect(ar.count == (try UITResources.base()).count)
            let head = try await get(app, "/api/client/v1/translations/ar\(q)")
            #expect(try jsonObject(head)["rtl"] as? Bool == true)

            // A UI override wins over the deployment's text, only for that UI, and republishes the UI.
            try await TranslationService.setTexts(env, actor: actor, deploymentID: d, ui: ui.id!, language: "ar", changes: ["menu.home": "البداية"])
            #expect(try await strings("ar", ui: ui.id!)["menu.home"] == "البداية")
            #expect(try await strings("ar")["menu.home"] == "الرئيسية")
            let doc = try await UserInterfaceService.document(env, deploymentID: d, id: ui.id!)
            #expect(doc.version == 3)
            #expect(doc.menu.first?.label["ar"] == "البداية")

            // A key without an Arabic text shows the deployment's English override, else the base English.
            try await TranslationService.setTexts(env, actor: actor, deploymentID: d, ui: nil, language: "ar", changes: ["login.title": "", "login.submit": ""])
            try await TranslationService.setTexts(env, actor: actor, deploymentID: d, ui: nil, language: "en", changes: ["login.title": "Log in to Demo TV"])
            let fallback = try await strings("ar", ui: ui.id!)
            #expect(fallback["login.title"] == "Log in to Demo TV")
            #expect(fallback["login.submit"] == "Sign in")
            // A text of no layer at all would be a missing key: there is none.
            #expect(fallback.count == (try UITResources.base()).count)
            // Unchanged texts publish no new version.
            #expect(try await UserInterfaceService.document(env, deploymentID: d, id: ui.id!).version == 3)

            let etag = try #require(try await get(app, "/api/client/v1/translations/ar\(q)").headers.first(name: .eTag))
            #expect(try await get(app, "/api/client/v1/translations/ar\(q)", etag: etag).status == .notModified)
            try await TranslationService.setTexts(env, actor: actor, deploymentID: d, ui: nil, language: "ar", changes: ["login.title": "ادخل"])
            #expect(try await get(app, "/api/client/v1/translations/ar\(q)", etag: etag).status == .ok)
        }
    }

    @Test func aBadImportIsRefusedWholeAndKeepsTheOldTexts() async throws {
        try await withTVMS { app, _ in
            let env = app.serviceEnvironment
            let (d, _) = try await demo(app)
            let before = try await TranslationService.layer(env, actor: actor, deploymentID: d, ui: nil, language: "ar")
            func refusal(_ text: String, _ format: TranslationFile.Format) async throws -> DomainError {
                do {
                    _ = try await TranslationService.importFile(env, actor: actor, deploymentID: d, ui: nil, language: "ar", text: text, format: format, replace: true)
                } catch let e as DomainError { return e }
                throw TestFailure("the import was accepted")
            }
            let csv = "key,english,text\nmenu.home,Home,بيت\nmenu.hom,Home,خطأ\n"
            let e1 = try await refusal(csv, .csv)
            #expect(e1.code == "bad_translation_file")
            #expect(e1.message.contains("line 3") && e1.message.contains("menu.hom"))
            let e2 = try await refusal(#"{"language":"ar","strings":{"vod.season":"الموسم","menu.tv":"تلفاز"}}"#, .json)
            #expect(e2.message.contains("vod.season") && e2.message.contains("{number}"))
            let e3 = try await refusal("{\"menu.home\": \"x\",\n\"menu.tv\" \"y\"}", .json)
            #expect(e3.message.contains("not valid JSON"))
            let e4 = try await refusal("key,text\nmenu.home,a,b\n", .csv)
            #expect(e4.message.contains("line 2"))
            let e5 = try await refusal(#"{"language":"fr","strings":{"menu.home":"Accueil"}}"#, .json)
            #expect(e5.message.contains("language fr"))
            let after = try await TranslationService.layer(env, actor: actor, deploymentID: d, ui: nil, language: "ar")
            #expect(after == before)
        }
    }

    @Test func jsonAndCSVRoundTrip() async throws {
        try await withTVMS { app, _ in
            let env = app.serviceEnvironment
            let (d, _) = try await demo(app)
            // Texts with commas, quotes, a line break and a leading minus survive both formats.
            try await TranslationService.setTexts(env, actor: actor, deploymentID: d, ui: nil, language: "ar",
                                                  changes: ["common.ok": "حسنًا, \"تم\"", "vod.empty": "-لا شيء-", "messages.empty": "سطر\nثانٍ"])
            let ar = try await TranslationService.layer(env, actor: actor, deploymentID: d, ui: nil, language: "ar")
            let json = try await TranslationService.export(env, actor: actor, deploymentID: d, ui: nil, language: "ar", format: .json)
            let csv = try await TranslationService.export(env, actor: actor, deploymentID: d, ui: nil, language: "ar", format: .csv)
            #expect(try await TranslationService.importFile(env, actor: actor, deploymentID: d, ui: nil, language: "ar", text: json, format: .json, replace: true) == 0)
            #expect(try await TranslationService.importFile(env, actor: actor, deploymentID: d, ui: nil, language: "ar", text: csv, format: .csv, replace: true) == 0)

            _ = try await TranslationService.addLanguage(env, actor: actor, deploymentID: d, code: "fa", name: "فارسی", rtl: true)
            #expect(try await TranslationService.importFile(env, actor: actor, deploymentID: d, ui: nil, language: "fa", text: csv, format: .csv, replace: false) == ar.count)
            #expect(try await TranslationService.layer(env, actor: actor, deploymentID: d, ui: nil, language: "fa") == ar)
            #expect(try await TranslationService.export(env, actor: actor, deploymentID: d, ui: nil, language: "fa", format: .csv) == csv)
            let coverage = try await TranslationService.coverage(env, actor: actor, deploymentID: d)
            #expect(coverage.first { $0.language.code == "fa" }?.translated == ar.count)
            #expect(coverage.first { $0.language.code == "en" }?.missing.isEmpty == true)
        }
    }

    @Test func productsChooseTheirUserInterface() async throws {
        try await withTVMS { app, _ in
            let env = app.serviceEnvironment
            let (d, ui) = try await demo(app)
            let uiID = ui.id!.uuidString.lowercased()
            let demoProducts = try await ProductModel.query(on: app.db).filter(\.$deploymentID == d).all()
            #expect(!demoProducts.isEmpty && demoProducts.allSatisfy { $0.userInterfaceID == uiID })
            let p = try await ProductService.create(env, actor: actor, deploymentID: d, input: .init(name: "No UI given", subscriptionType: "regular", paymentType: "subscription",
                                                                                                    maxDevices: 1, defaultCurrency: "EUR"))
            #expect(p.userInterfaceID == uiID)
            let (_, foreign) = try await otherDeploymentUI(app)
            for bad in ["not-a-ui", UUID().uuidString, foreign.id!.uuidString] {
                var caught: DomainError? = nil
                do {
                    _ = try await ProductService.create(env, actor: actor, deploymentID: d, input: .init(name: "Bad UI", subscriptionType: "regular", paymentType: "subscription",
                                                                                                        maxDevices: 1, userInterfaceID: bad, defaultCurrency: "EUR"))
                } catch let e as DomainError { caught = e }
                #expect(caught?.fields["userInterfaceId"] != nil, "\(bad) was accepted")
            }
            let kids = try await UserInterfaceService.create(env, actor: actor, deploymentID: d, name: "Kids", template: "rhodium")
            var input = ProductService.Input(p)
            input.userInterfaceID = kids.id!.uuidString
            #expect(try await ProductService.update(env, actor: actor, deploymentID: d, id: p.id!, input: input).userInterfaceID == kids.id!.uuidString.lowercased())

            // A UI a product uses cannot be deleted; once free, it can.
            var refused: DomainError? = nil
            do { try await UserInterfaceService.delete(env, actor: actor, deploymentID: d, id: kids.id!) } catch let e as DomainError { refused = e }
            #expect(refused?.code == "ui_in_use")
            #expect(refused?.message.contains("product No UI given") == true)
            input.userInterfaceID = ""
            _ = try await ProductService.update(env, actor: actor, deploymentID: d, id: p.id!, input: input)
            try await UserInterfaceService.delete(env, actor: actor, deploymentID: d, id: kids.id!)
            #expect(try await UserInterfaceModel.find(kids.id!, on: app.db) == nil)

            // REST v1 speaks the same rule: the product's UI is reported, an unknown one refused.
            let token = try await ownerToken(app)
            let rest = "/api/v1/deployments/\(d.uuidString)/products"
            let listed = try #require(try jsonObject(try await api(app, .GET, rest, token: token))["data"] as? [[String: Any]])
            #expect(listed.first { $0["name"] as? String == "Basic Monthly" }?["userInterfaceId"] as? String == uiID)
            let refusedREST = try await api(app, .POST, rest, token: token, json: #"{"name":"REST UI","subscriptionType":"regular","maxDevices":1,"defaultCurrency":"EUR","userInterfaceId":"bogus"}"#)
            #expect(refusedREST.status == .unprocessableEntity)
            #expect(((try jsonObject(refusedREST)["error"] as? [String: Any])?["fields"] as? [String: String])?["userInterfaceId"] != nil)

            // The console's product form offers the deployment's UIs with the default preselected.
            var b = Browser(app)
            try await b.login(DemoData.ownerEmail, DemoData.ownerPassword)
            let form = try await b.get("/crm/products/new")
            #expect(form.body.string.contains("<option value=\"\(uiID)\" selected>Demo UI (default)</option>"))
            let del = try await b.post("/uit/user-interfaces/\(uiID)/delete")
            #expect(del.status == .seeOther)
            let page = try await b.get("/uit/user-interfaces/\(uiID)")
            #expect(page.body.string.contains("is used by product"))
        }
    }

    @Test func theAPIServesOnlyWhatExistsAndKeepsOperatorsApart() async throws {
        try await withTVMS { app, _ in
            let (d, ui) = try await demo(app)
            let (_, foreign) = try await otherDeploymentUI(app)
            let foreignID = foreign.id!.uuidString.lowercased()
            #expect(try await get(app, "/api/client/v1/ui/\(UUID().uuidString)").status == .notFound)
            #expect(try await get(app, "/api/client/v1/ui/nonsense").status == .notFound)
            #expect(try await get(app, "/api/client/v1/ui/\(foreignID)?service=\(DemoData.crmService)").status == .notFound)
            #expect(try await get(app, "/api/client/v1/ui/\(foreignID)?service=othercrm").status == .ok)
            #expect(try await get(app, "/api/client/v1/ui/\(ui.id!.uuidString)?service=\(DemoData.crmService)").status == .ok)
            let wrongUI = try await get(app, "/api/client/v1/translations/ar?service=\(DemoData.crmService)&ui=\(foreignID)")
            #expect(wrongUI.status == .notFound)
            let unknown = try await get(app, "/api/client/v1/translations/xx?service=\(DemoData.crmService)")
            #expect(unknown.status == .notFound)
            #expect((try jsonObject(unknown)["error"] as? [String: Any])?["code"] as? String == "unknown_language")
            #expect(try await get(app, "/api/client/v1/translations/ar?service=othercrm").status == .notFound)
            #expect(try await get(app, "/api/client/v1/translations/en").status == .unprocessableEntity)
            #expect(try await get(app, "/api/client/v1/translations/en?service=nobody").status == .notFound)
            let list = try await TranslationService.languageList(app.serviceEnvironment, deploymentID: d)
            #expect(list.languages.map(\.code) == ["en", "ar"] && list.defaultLanguage == "en" && list.languages[1].rtl)

            // Console: a UIT admin of the demo deployment does not see the other deployment's UI.
            _ = try await app.makeUser("uit-admin@demo.tvms", role: "admin", deployments: [d])
            var b = Browser(app)
            try await b.login("uit-admin@demo.tvms", "password123")
            #expect(try await b.get("/uit/user-interfaces").status == .ok)
            #expect(try await b.get("/uit/user-interfaces/\(foreignID)").status == .notFound)
            #expect(try await b.get("/uit/user-interfaces/\(foreignID)/preview").status == .notFound)
            #expect(try await b.get("/uit/languages/ar/export?format=json&ui=\(foreignID)").status == .notFound)
            // An editor (CMS only) has no UIT pages.
            _ = try await app.makeUser("editor@demo.tvms", role: "editor", deployments: [d])
            var e = Browser(app)
            try await e.login("editor@demo.tvms", "password123")
            #expect(try await e.get("/uit/user-interfaces").status == .forbidden)
        }
    }

    @Test func theConsoleEditsAUIAndDrawsItsPreview() async throws {
        try await withTVMS { app, _ in
            let (d, _) = try await demo(app)
            var b = Browser(app)
            try await b.login(DemoData.ownerEmail, DemoData.ownerPassword)
            let list = try await b.get("/uit/user-interfaces")
            #expect(list.body.string.contains("Demo UI"))
            // Only the preview may be framed (by the console); every other page stays unframeable.
            #expect(list.headers.first(name: "X-Frame-Options") == "DENY")
            let created = try await b.post("/uit/user-interfaces", [("name", "Lobby"), ("template", "honua")])
            #expect(created.status == .seeOther)
            let ui = try #require(try await UserInterfaceModel.query(on: app.db).filter(\.$name == "Lobby").first())
            let path = "/uit/user-interfaces/\(ui.id!.uuidString.lowercased())"
            #expect(created.headers.first(name: .location) == path)
            var fields: [(String, String)] = [("name", "Lobby"), ("template", "palladium"), ("colour_primary", "#123456"), ("colour_secondary", "#abcdef"),
                                              ("colour_background", "#000000"), ("colour_surface", "#111111"), ("colour_text", "not a colour"),
                                              ("languages[]", "en"), ("languages[]", "ar"), ("defaultLanguage", "ar"), ("zapBannerSeconds", "7"), ("clockFormat", "12h"),
                                              ("startChannel", ""), ("parentalMaxRating", "16"), ("pinForLocked", "on"), ("sleepMinutes", "30"),
                                              ("rail_new_movies_on", "on"), ("rail_new_movies_order", "1"), ("rail_channels_now_on", "on"), ("rail_channels_now_order", "2")]
            try await b.get(path)
            let refused = try await b.upload(path, fields: fields, files: [])
            #expect(refused.status == .unprocessableEntity)
            #expect(refused.body.string.contains("must be a colour like #1A2B3C"))
            #expect(try await UserInterfaceModel.find(ui.id!, on: app.db)?.version == 1)
            fields[6] = ("colour_text", "#fafafa")
            let saved = try await b.upload(path, fields: fields, files: [("logo", "logo.png", Data(try DemoArtwork.png(width: 64, height: 64, top: (1, 2, 3), bottom: (4, 5, 6))))])
            #expect(saved.status == .seeOther)
            let after = try #require(try await UserInterfaceModel.find(ui.id!, on: app.db))
            #expect(after.version == 2 && after.template == "palladium" && after.logoID != nil)
            let config = try UserInterfaceService.decode(after.config)
            #expect(config.rails.filter(\.enabled).map(\.key) == ["new_movies", "channels_now"])
            #expect(config.behaviour.clockFormat == .h12 && config.behaviour.startChannel == nil && config.colours.text == "#FAFAFA")

            let badImage = try await b.upload(path, fields: fields, files: [("background", "bg.png", Data("not an image".utf8))])
            #expect(badImage.status == .unprocessableEntity)
            #expect(badImage.body.string.contains("must be a PNG, JPEG or WebP image"))

            let preview = try await b.get("\(path)/preview?lang=ar")
            #expect(preview.status == .ok)
            #expect(preview.headers.first(name: "X-Frame-Options") == "SAMEORIGIN")
            let html = preview.body.string
            #expect(html.contains("dir=\"rtl\"") && html.contains("menu-top") && html.contains("card-round"))
            #expect(html.contains("أفلام جديدة") && html.contains("الرئيسية"))
            #expect(html.contains("PM") || html.contains("AM"))
            let english = try await b.get("\(path)/preview?lang=en")
            #expect(english.body.string.contains("dir=\"ltr\"") && english.body.string.contains("New movies"))
            let css = try await b.get("\(path)/preview.css")
            #expect(css.body.string.contains("--ui-primary: #123456"))
            #expect(try await b.get("/uit/templates").body.string.contains("data:image/svg+xml;base64,"))

            // Menu Apps: hide the guide, move settings first, label it in Arabic, add a native app.
            let menuPath = "\(path)/menu"
            let menuPage = try await b.get(menuPath)
            #expect(menuPage.status == .ok)
            var menuFields: [(String, String)] = []
            for (i, s) in MenuSection.allCases.enumerated() {
                menuFields.append(("order_\(i)", s == .settings ? "0" : String(i + 1)))
                if s != .guide { menuFields.append(("on_\(i)", "on")) }
            }
            menuFields.append(("label_\(MenuSection.allCases.firstIndex(of: .settings)!)_ar", "الضبط"))
            #expect(try await b.post(menuPath, menuFields).status == .seeOther)
            let app1 = try await b.post("\(menuPath)/apps", [("name", "Radio"), ("slug", "radio"), ("packageName", "com.demo.radio"), ("url", "")])
            #expect(app1.status == .seeOther)
            let badApp = try await b.post("\(menuPath)/apps", [("name", "X"), ("slug", "x y"), ("packageName", "nodots"), ("url", "")])
            #expect(badApp.status == .unprocessableEntity)
            let doc = try await UserInterfaceService.document(app.serviceEnvironment, deploymentID: d, id: ui.id!)
            #expect(doc.version == 4)
            #expect(doc.menu.first?.key == "settings" && doc.menu.first?.label["ar"] == "الضبط")
            #expect(!doc.menu.contains { $0.key == "guide" })
            #expect(doc.menu.last?.key == "app:radio" && doc.menu.last?.packageName == "com.demo.radio" && doc.menu.last?.label["ar"] == "Radio")

            let audits = try await AuditRecordModel.query(on: app.db).filter(\.$entityType == "user_interface").filter(\.$entityID == ui.id!.uuidString).count()
            #expect(audits == 4)
        }
    }

    @Test func theLanguagePagesEditImportAndExport() async throws {
        try await withTVMS { app, _ in
            let (d, _) = try await demo(app)
            var b = Browser(app)
            try await b.login(DemoData.ownerEmail, DemoData.ownerPassword)
            let list = try await b.get("/uit/languages")
            #expect(list.body.string.contains("العربية"))
            let total = try UITResources.base().count
            #expect(list.body.string.contains("\(total) / \(total)"))
            let editor = try await b.get("/uit/languages/ar?q=menu.home")
            #expect(editor.body.string.contains("name=\"key_0\" value=\"menu.home\""))
            #expect(try await b.post("/uit/languages/ar/texts", [("ui", ""), ("key_0", "menu.home"), ("text_0", "")]).status == .seeOther)
            let missing = try await b.get("/uit/languages/ar?missing=1")
            #expect(missing.body.string.contains("1 of \(total) keys shown"))
            let bad = try await b.upload("/uit/languages/import", fields: [("language", "ar"), ("ui", "")],
                                         files: [("file", "ar.csv", Data("key,text\nmenu.home,بيت\nnot.a.key,x\n".utf8))])
            #expect(bad.status == .seeOther)
            let flash = try await b.get("/uit/languages")
            #expect(flash.body.string.contains("line 3: unknown key not.a.key"))
            #expect(try await TranslationService.layer(app.serviceEnvironment, actor: actor, deploymentID: d, ui: nil, language: "ar")["menu.home"] == nil)
            let good = try await b.upload("/uit/languages/import", fields: [("language", "ar"), ("ui", "")],
                                          files: [("file", "ar.json", Data(#"{"language":"ar","strings":{"menu.home":"الرئيسية"}}"#.utf8))])
            #expect(good.status == .seeOther)
            let export = try await b.get("/uit/languages/ar/export?format=csv")
            #expect(export.headers.first(name: .contentDisposition)?.contains(".csv") == true)
            #expect(export.body.string.contains("menu.home,Home,الرئيسية"))
        }
    }

    /// Every typed refusal the subscriber API can answer has an `error.<code>` text, and the
    /// shipped Arabic translates every base key.
    @Test func theBaseBundleCoversTheSubscriberAPIsRefusals() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        UITResources.use(resourceRoot: root)
        let base = try UITResources.base()
        let sources = ["Sources/Services/Subscriber", "Sources/Services/Delivery/PlaybackService.swift", "Sources/Services/Delivery/DeviceSessionService.swift",
                       "Sources/Services/Delivery/RecordingService.swift", "Sources/Services/Content/PPVService.swift", "Sources/App/ClientAPI"]
        var codes = Set<String>()
        for s in sources {
            let url = root.appendingPathComponent(s)
            let files = (try? FileManager.default.contentsOfDirectory(atPath: url.path))?.map { url.appendingPathComponent($0) } ?? [url]
            for f in files where f.pathExtension == "swift" {
                let text = try String(contentsOf: f, encoding: .utf8)
                for m in text.matches(of: /(?:refused\(|code: )"([a-z_]+)"/) { codes.insert(String(m.1)) }
            }
        }
        // Deleting a PPV rule is a console action; apps never see it.
        codes.remove("rule_in_use")
        #expect(codes.count > 30)
        let missing = codes.filter { base["error." + $0] == nil }.sorted()
        #expect(missing.isEmpty, "no error text for: \(missing)")
        // The shipped Arabic covers every key of the base bundle (apps.json and webtv.json).
        let arabic = try #require(try UITResources.shipped("ar"))
        #expect(Set(arabic.keys) == Set(base.keys), "Arabic misses \(Set(base.keys).subtracting(arabic.keys).sorted()), has extra \(Set(arabic.keys).subtracting(base.keys).sorted())")
        for (k, v) in arabic { #expect(TranslationFile.placeholders(v) == TranslationFile.placeholders(base[k]!), "\(k)") }
    }
}
