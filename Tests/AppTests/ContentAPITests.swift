import Fluent
import Foundation
import Testing
import VaporTesting
@testable import App
@testable import Domain
@testable import Services
import Storage

/// REST v1 for the CMS: the same rules as the console, through bearer tokens.
@Suite(.serialized) struct ContentAPITests {
    @Test func channelsVoDPackagesPPVAndEntitlementsOverREST() async throws {
        try await withTVMS { app, _ in
            let crm = try await DemoCRM(app)
            try await DemoData.loadContent(crm.env)
            try await DemoData.loadVoD(crm.env)
            let token = try await ownerToken(app)
            let base = "/api/v1/deployments/\(crm.deploymentID.uuidString)"

            // Channels page by number with a cursor.
            let first = try jsonObject(try await api(app, .GET, base + "/channels?limit=20", token: token))
            #expect((first["data"] as? [[String: Any]])?.count == 20)
            let cursor = try #require(first["nextCursor"] as? String)
            let second = try jsonObject(try await api(app, .GET, base + "/channels?limit=20&cursor=\(cursor)", token: token))
            #expect((second["data"] as? [[String: Any]])?.first?["number"] as? Int == 21 && second["nextCursor"] is NSNull)
            let bad = try await api(app, .POST, base + "/channels", token: token, json: #"{"number": 1, "name": "Dup", "hlsUrl": "https://x.example/a.mp4"}"#)
            #expect(bad.status == .unprocessableEntity && bad.body.string.contains("already Demo One") && bad.body.string.contains(".m3u8"))

            // A movie, sold by PPV under a rule made here; a package refuses it.
            let rule = try jsonObject(try await api(app, .POST, base + "/ppv-rules", token: token, json: #"{"section": "movie", "name": "Day pass", "unit": "days", "count": 1}"#))
            let ruleID = try #require(rule["id"] as? Int)
            let created = try await api(app, .POST, base + "/vod", token: token, json: """
                {"kind": "movie", "title": "API Premiere", "year": 2026, "streamUrl": "https://vod.example/p.mp4", "genres": ["Drama"], "ppvRuleId": \(ruleID), "prices": {"EUR": "2.50"}}
                """)
            #expect(created.status == .created, "\(created.body.string)")
            let movie = try jsonObject(created)
            let movieID = try #require(movie["id"] as? Int)
            #expect((movie["prices"] as? [String: String]) == ["EUR": "2.50"] && (movie["genres"] as? [String]) == ["drama"])
            let packages = try jsonObject(try await api(app, .GET, base + "/packages?kind=movie", token: token))
            let moviesPackage = try #require((packages["data"] as? [[String: Any]])?.first?["id"] as? Int)
            let refused = try await api(app, .POST, base + "/packages/\(moviesPackage)/items", token: token, json: #"{"items": [\#(movieID)]}"#)
            #expect(refused.status == .conflict && refused.body.string.contains("sold_by_ppv"))

            // Entitlement, then a wallet purchase through the API opens it.
            let viewer = try await crm.customer(login: "api.viewer").customer
            func entitled(_ ref: String) async throws -> [String: Any] {
                try jsonObject(try await api(app, .GET, base + "/customers/\(viewer.id!)/entitlement?ref=\(ref)", token: token))
            }
            #expect(try await entitled("movie:\(movieID)")["reason"] as? String == "not_in_packages")
            let harbour = try #require(try await VoDItemModel.query(on: app.db).filter(\.$title == "Night Harbour").first())
            #expect(try await entitled("movie:\(harbour.id!)")["allowed"] as? Bool == true)
            let poor = try await api(app, .POST, base + "/customers/\(viewer.id!)/ppv", token: token, json: #"{"ref": "movie:\#(movieID)"}"#)
            #expect(poor.status == .conflict && poor.body.string.contains("insufficient_funds"))
            _ = try await api(app, .POST, base + "/customers/\(viewer.id!)/wallet", token: token, json: #"{"amount": "5.00", "reason": "top-up"}"#)
            let bought = try await api(app, .POST, base + "/customers/\(viewer.id!)/ppv", token: token, json: #"{"ref": "movie:\#(movieID)"}"#)
            #expect(bought.status == .created, "\(bought.body.string)")
            #expect(try await entitled("movie:\(movieID)")["allowed"] as? Bool == true)
            #expect((try jsonObject(try await api(app, .GET, base + "/customers/\(viewer.id!)/ppv", token: token))["data"] as? [[String: Any]])?.count == 1)

            // Lists by kind, children on the item, publishing.
            let series = try jsonObject(try await api(app, .GET, base + "/vod?kind=series", token: token))
            let glassID = try #require((series["data"] as? [[String: Any]])?.first?["id"] as? Int)
            let glass = try jsonObject(try await api(app, .GET, base + "/vod/\(glassID)", token: token))
            #expect((glass["children"] as? [[String: Any]])?.map { $0["number"] as? Int } == [1, 2])
            #expect(try await api(app, .GET, base + "/vod?kind=season", token: token).status == .unprocessableEntity)
            let published = try jsonObject(try await api(app, .POST, base + "/publish", token: token))
            #expect(((published["data"] as? [[String: Any]]) ?? []).contains { $0["kind"] as? String == "movies" && $0["changed"] as? Bool == true })

            // A support agent (CRM only) has no CMS; another deployment's items are not found.
            _ = try await app.makeUser("crm@demo.tvms", role: "support")
            let crmLogin = try jsonObject(try await api(app, .POST, "/api/v1/auth/login", json: #"{"email":"crm@demo.tvms","password":"password123","tokenName":"t"}"#))
            let crmToken = try #require(crmLogin["token"] as? String)
            #expect(try await api(app, .GET, base + "/vod?kind=movie", token: crmToken).status == .forbidden)
            let other = try await DeploymentService.create(crm.env, actor: crm.actor, input: .init(name: "Other", cmsService: "othercms", crmService: "othercrm",
                                                                                                   timeZone: "UTC", defaultCurrency: "EUR"))
            #expect(try await api(app, .GET, "/api/v1/deployments/\(other.deployment.id!.uuidString)/vod/\(glassID)", token: token).status == .notFound)
        }
    }
}
