import Fluent
import Foundation
import Testing
import VaporTesting
@testable import App
@testable import Domain
@testable import Services
import Storage

@Suite(.serialized) struct CRMAPITests {
    @Test func customersThroughRESTv1() async throws {
        try await withTVMS { app, _ in
            let crm = try await DemoCRM(app)
            let token = try await ownerToken(app)
            let base = "/api/v1/deployments/\(crm.deploymentID)"

            let products = try await api(app, .GET, "\(base)/products", token: token)
            let list = try #require(try jsonObject(products)["data"] as? [[String: Any]])
            let basic = try #require(list.first { $0["name"] as? String == "Basic Monthly" })
            #expect((basic["plans"] as? [[String: Any]])?.first?["prices"] as? [String: Int] == ["EUR": 999, "USD": 1099])
            #expect(basic["sellable"] as? Bool == true)

            let bad = try await api(app, .POST, "\(base)/customers", token: token, json: #"{"productId":\#(crm.basic.id!),"planId":\#(crm.month.id!),"login":"x y","contact":{"email":"nope"}}"#)
            #expect(bad.status == .unprocessableEntity)
            let fields = try #require((try jsonObject(bad)["error"] as? [String: Any])?["fields"] as? [String: String])
            #expect(fields.keys.sorted() == ["email", "login"])

            let made = try await api(app, .POST, "\(base)/customers", token: token,
                                     json: #"{"productId":\#(crm.basic.id!),"planId":\#(crm.month.id!),"login":"api.viewer","contact":{"firstName":"Api","country":"NL"}}"#)
            #expect(made.status == .created)
            let created = try jsonObject(made)
            let password = try #require(created["password"] as? String)
            let customer = try #require(created["customer"] as? [String: Any])
            let id = try #require(customer["id"] as? Int)
            #expect(customer["status"] as? String == "active" && customer["currency"] as? String == "EUR")
            let got = try await api(app, .GET, "\(base)/customers/\(id)", token: token)
            #expect(!got.body.string.contains(password) && !got.body.string.contains("password"))

            // The business API's ways of naming a customer, and its credential change.
            let byLogin = try await api(app, .GET, "\(base)/customers/lookup?login=api.viewer", token: token)
            #expect(try jsonObject(byLogin)["id"] as? Int == id)
            #expect(try await api(app, .GET, "\(base)/customers/lookup?login=nobody", token: token).status == .notFound)
            _ = try await api(app, .POST, "\(base)/customers/\(id)/devices", token: token, json: #"{"mac":"00:1a:79:00:00:99"}"#)
            #expect(try jsonObject(try await api(app, .GET, "\(base)/customers/lookup?mac=001A79000099", token: token))["id"] as? Int == id)
            let creds = try await api(app, .POST, "\(base)/customers/\(id)/credentials", token: token, json: #"{"login":"api.viewer2","password":"Tv!2026x"}"#)
            let newLogin = try jsonObject(creds)["login"] as? String
            #expect(creds.status == .ok && newLogin == "api.viewer2")
            let taken = try await api(app, .POST, "\(base)/customers/\(id)/credentials", token: token, json: #"{"login":"demoviewer","password":"Tv!2026x"}"#)
            #expect(taken.status == .unprocessableEntity)
            #expect(try await api(app, .GET, "\(base)/countries", token: token).body.string.contains(#"{"code":"NL","name":"Netherlands"}"#))

            let renewed = try await api(app, .POST, "\(base)/customers/\(id)/renew", token: token, json: #"{"planId":\#(crm.year.id!)}"#)
            let before = try #require(customer["expiresAt"] as? String), after = try #require(try jsonObject(renewed)["expiresAt"] as? String)
            #expect(after > before && after.hasPrefix(String(Int(before.prefix(4))! + 1)))

            for _ in 0..<2 {
                var h = HTTPHeaders()
                h.bearerAuthorization = .init(token: token)
                h.contentType = .json
                h.add(name: "Idempotency-Key", value: "order-77")
                let r = try await app.testing().sendRequest(.POST, "\(base)/customers/\(id)/wallet", headers: h, body: ByteBuffer(string: #"{"amount":"12.50","reason":"voucher"}"#))
                #expect(r.status == .created)
            }
            let wallet = try await api(app, .GET, "\(base)/customers/\(id)/wallet", token: token)
            #expect(try jsonObject(wallet)["balance"] as? Int == 1250, "the retried top-up counted once")

            let page1 = try await api(app, .GET, "\(base)/customers?limit=2", token: token)
            let cursor = try #require(try jsonObject(page1)["nextCursor"] as? String)
            let page2 = try await api(app, .GET, "\(base)/customers?limit=2&cursor=\(cursor)", token: token)
            let ids1 = try #require(try jsonObject(page1)["data"] as? [[String: Any]]).compactMap { $0["id"] as? Int }
            let ids2 = try #require(try jsonObject(page2)["data"] as? [[String: Any]]).compactMap { $0["id"] as? Int }
            #expect(ids1 == [id, 3] && ids2 == [2, 1])

            var h = HTTPHeaders()
            h.bearerAuthorization = .init(token: token)
            h.contentType = HTTPMediaType(type: "text", subType: "csv")
            let imported = try await app.testing().sendRequest(.POST, "\(base)/customers/import", headers: h,
                                                               body: ByteBuffer(string: "product,plan,lastname\nBasic Monthly,1 month,Csv One\nBasic Monthly,no such plan,Csv Two\n"))
            #expect(imported.status == .unprocessableEntity && imported.body.string.contains("\"line\":3"))
            let bulk = try await api(app, .POST, "\(base)/customers/bulk-edit", token: token, json: #"{"ids":[1,2],"resellerId":9}"#)
            #expect(try jsonObject(bulk)["changed"] as? Int == 2)
            let counts = try await api(app, .GET, "\(base)/customers/count", token: token)
            #expect((try jsonObject(counts)["byReseller"] as? [String: Int])?["9"] == 2)
            let csv = try await api(app, .GET, "\(base)/customers/export?resellerId=9", token: token)
            #expect(csv.body.string.split(separator: "\r\n").count == 3)
            #expect(try await api(app, .DELETE, "\(base)/customers/\(id)", token: token).status == .noContent)
            #expect(try await api(app, .DELETE, "\(base)/customers/\(id)/purge", token: token).status == .noContent)

            // A support agent of another deployment sees nothing here.
            let other = try await DeploymentService.create(crm.env, actor: .system(), input: .init(name: "Other", cmsService: "ocms", crmService: "ocrm", timeZone: "UTC", defaultCurrency: "EUR"))
            _ = try await app.makeUser("agent@other.test", role: "support", deployments: [other.deployment.id!])
            let login = try await api(app, .POST, "/api/v1/auth/login", json: #"{"email":"agent@other.test","password":"password123"}"#)
            let agent = try #require(try jsonObject(login)["token"] as? String)
            #expect(try await api(app, .GET, "\(base)/customers", token: agent).status == .notFound)
            #expect(try await api(app, .GET, "\(base)/customers/1", token: agent).status == .notFound)
            #expect(try await api(app, .GET, "/api/v1/deployments/\(other.deployment.id!)/customers", token: agent).status == .ok)
        }
    }
}
