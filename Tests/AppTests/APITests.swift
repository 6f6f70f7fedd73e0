import Fluent
import Foundation
import Testing
import VaporTesting
@testable import App
@testable import Domain
@testable import Services
import Storage

@Suite(.serialized) struct APITests {
    @Test func operationsEndpointsAnswer() async throws {
        try await withTVMS { app, _ in
            let health = try await api(app, .GET, "/healthz")
            #expect(try health.status == .ok && (jsonObject(health)["status"] as? String) == "ok")
            let ready = try await api(app, .GET, "/readyz")
            #expect(try ready.status == .ok && (jsonObject(ready)["status"] as? String) == "ready")
            _ = try await api(app, .GET, "/login")
            let metrics = try await api(app, .GET, "/metrics")
            #expect(metrics.body.string.contains("http_requests_total{"))
            #expect(metrics.body.string.contains("tvms_db_up_bool"))
            #expect(metrics.body.string.contains(#"route="/login""#))
        }
    }

    @Test func readinessReportsPendingMigrations() async throws {
        try await withTVMS { app, _ in
            try await app.db.sql.raw("DELETE FROM _fluent_migrations WHERE name LIKE '%CreateJobs%'").run()
            let ready = try await api(app, .GET, "/readyz")
            #expect(try ready.status == .serviceUnavailable && (jsonObject(ready)["status"] as? String) == "migrations_pending")
        }
    }

    @Test func openAPIDocumentCoversEveryV1Route() async throws {
        try await withTVMS { app, _ in
            let res = try await api(app, .GET, "/api/v1/openapi.json")
            let doc = try jsonObject(res)
            #expect((doc["openapi"] as? String)?.hasPrefix("3.1") == true)
            let paths = try #require(doc["paths"] as? [String: [String: Any]])
            let documented = Set(paths.flatMap { path, ops in ops.keys.map { "\($0.uppercased()) \(path)" } })
            let routed = Set(app.routes.all.compactMap { route -> String? in
                let comps = route.path.map(\.description)
                guard comps.starts(with: ["api", "v1"]), !["openapi.json", "docs"].contains(comps.last ?? "") else { return nil }
                let path = "/" + comps.map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : $0 }.joined(separator: "/")
                return "\(route.method.rawValue) \(path)"
            })
            #expect(!routed.isEmpty)
            #expect(routed == documented)
            // Every $ref resolves to a schema of the document.
            let schemas = try #require((doc["components"] as? [String: Any])?["schemas"] as? [String: Any])
            let text = res.body.string
            let refs = Set(text.matches(of: /"#\/components\/schemas\/([A-Za-z]+)"/).map { String($0.1) })
            #expect(!refs.isEmpty && refs.subtracting(schemas.keys).isEmpty, "unresolved: \(refs.subtracting(schemas.keys))")
            let docs = try await api(app, .GET, "/api/v1/docs")
            #expect(docs.status == .ok && docs.body.string.contains("/api/v1/system-users/{id}"))
        }
    }

    @Test func bearerTokensWorkUntilRevokedOrExpired() async throws {
        try await withTVMS { app, clock in
            let missing = try await api(app, .GET, "/api/v1/me")
            #expect(missing.status == .unauthorized)
            let err = try #require(try jsonObject(missing)["error"] as? [String: Any])
            #expect(err["code"] as? String == "unauthenticated")

            let token = try await ownerToken(app)
            let me = try await api(app, .GET, "/api/v1/me", token: token)
            #expect(try me.status == .ok && (jsonObject(me)["email"] as? String) == "owner@demo.tvms")
            let stored = try await APITokenModel.query(on: app.db).all()
            #expect(stored.allSatisfy { $0.tokenHash != token && !$0.tokenHash.contains("tvms_pat_") })

            let made = try await api(app, .POST, "/api/v1/tokens", token: token, json: #"{"name":"short","expiresInDays":1}"#)
            #expect(made.status == .created)
            let short = try #require(try jsonObject(made)["token"] as? String)
            let shortID = try #require(try jsonObject(made)["id"] as? String)
            #expect(try await api(app, .GET, "/api/v1/me", token: short).status == .ok)
            clock.advance(by: 86_401)
            #expect(try await api(app, .GET, "/api/v1/me", token: short).status == .unauthorized, "expired")

            let list = try await api(app, .GET, "/api/v1/tokens", token: token)
            #expect(!list.body.string.contains(short) && list.body.string.contains("short"))
            #expect(try await api(app, .DELETE, "/api/v1/tokens/\(shortID)", token: token).status == .noContent)
            let id = try #require((try jsonObject(list)["data"] as? [[String: Any]])?.first { $0["name"] as? String == "tests" }?["id"] as? String)
            #expect(try await api(app, .DELETE, "/api/v1/tokens/\(id)", token: token).status == .noContent)
            #expect(try await api(app, .GET, "/api/v1/me", token: token).status == .unauthorized, "revoked")
            let revokes = try await AuditRecordModel.query(on: app.db).filter(\.$entityType == "api_token").filter(\.$action == "revoke").count()
            #expect(revokes == 2)
        }
    }

    @Test func deactivatedAccountsLoseTheirTokens() async throws {
        try await withTVMS { app, _ in
            let user = try await app.makeUser("ed@demo.tvms", role: "editor")
            let login = try await api(app, .POST, "/api/v1/auth/login", json: #"{"email":"ed@demo.tvms","password":"password123"}"#)
            let token = try #require(try jsonObject(login)["token"] as? String)
            #expect(try await api(app, .GET, "/api/v1/me", token: token).status == .ok)
            #expect(try await api(app, .GET, "/api/v1/system-users", token: token).status == .forbidden)
            let owner = try await ownerToken(app)
            let patch = try await api(app, .PATCH, "/api/v1/system-users/\(user.id!)", token: owner, json: #"{"active":false}"#)
            #expect(patch.status == .ok)
            #expect(try await api(app, .GET, "/api/v1/me", token: token).status == .unauthorized)
        }
    }

    @Test func deploymentsThroughTheAPIShowTheTokenOnlyOnce() async throws {
        try await withTVMS { app, _ in
            let owner = try await ownerToken(app)
            let bad = try await api(app, .POST, "/api/v1/deployments", token: owner,
                                    json: #"{"name":"","cmsService":"Bad Name","crmService":"democrm","timeZone":"Nowhere","defaultCurrency":"EURO"}"#)
            #expect(bad.status == .unprocessableEntity)
            let fields = try #require((try jsonObject(bad)["error"] as? [String: Any])?["fields"] as? [String: String])
            #expect(Set(fields.keys) == ["name", "cmsService", "crmService", "timeZone", "defaultCurrency"])

            let created = try await api(app, .POST, "/api/v1/deployments", token: owner,
                                        json: #"{"name":"Hotel TV","cmsService":"hotelcms","crmService":"hotelcrm","timeZone":"Europe/Rome","defaultCurrency":"EUR"}"#)
            #expect(created.status == .created)
            let body = try jsonObject(created)
            let token = try #require(body["authToken"] as? String)
            let id = try #require((body["deployment"] as? [String: Any])?["id"] as? String)
            let got = try await api(app, .GET, "/api/v1/deployments/\(id)", token: owner)
            #expect(got.status == .ok && !got.body.string.contains(token) && got.body.string.contains("hotelcrm"))
            let list = try await api(app, .GET, "/api/v1/deployments?limit=1", token: owner)
            let cursor = try #require(try jsonObject(list)["nextCursor"] as? String)
            let page2 = try await api(app, .GET, "/api/v1/deployments?limit=1&cursor=\(cursor)", token: owner)
            #expect(try (jsonObject(page2)["data"] as? [Any])?.count == 1 && (jsonObject(page2)["nextCursor"]) is NSNull)
            #expect(try await api(app, .GET, "/api/v1/deployments?cursor=garbage", token: owner).status == .unprocessableEntity)

            let patched = try await api(app, .PATCH, "/api/v1/deployments/\(id)", token: owner, json: #"{"timeZone":"Asia/Kolkata"}"#)
            #expect(try patched.status == .ok && (jsonObject(patched)["timeZone"] as? String) == "Asia/Kolkata")
            let rotated = try await api(app, .POST, "/api/v1/deployments/\(id)/auth-token", token: owner)
            let newToken = try #require(try jsonObject(rotated)["authToken"] as? String)
            #expect(newToken != token)

            // An admin of the demo deployment cannot see the hotel one.
            let demo = try #require(try await DeploymentModel.query(on: app.db).filter(\.$cmsService == "democms").first())
            _ = try await app.makeUser("adm@demo.tvms", role: "admin", deployments: [demo.id!])
            let adminLogin = try await api(app, .POST, "/api/v1/auth/login", json: #"{"email":"adm@demo.tvms","password":"password123"}"#)
            let admin = try #require(try jsonObject(adminLogin)["token"] as? String)
            #expect(try await api(app, .GET, "/api/v1/deployments/\(id)", token: admin).status == .notFound)
            #expect(try await api(app, .PATCH, "/api/v1/deployments/\(id)", token: admin, json: #"{"name":"x"}"#).status == .notFound)
            let visible = try await api(app, .GET, "/api/v1/deployments", token: admin)
            #expect(try (jsonObject(visible)["data"] as? [Any])?.count == 1)
            let audit = try await api(app, .GET, "/api/v1/audit-log?entityType=deployment", token: admin)
            #expect(!audit.body.string.contains(id))
        }
    }

    @Test func auditLogIsCursorPagedNewestFirst() async throws {
        try await withTVMS { app, _ in
            let owner = try await ownerToken(app)
            for i in 0..<5 {
                _ = try await api(app, .POST, "/api/v1/system-users", token: owner,
                                  json: #"{"name":"U\#(i)","email":"u\#(i)@x.test","password":"password123","role":"owner"}"#)
            }
            let first = try await api(app, .GET, "/api/v1/audit-log?entityType=system_user&limit=3", token: owner)
            let page1 = try #require(try jsonObject(first)["data"] as? [[String: Any]])
            let ids1 = page1.compactMap { $0["id"] as? Int }
            #expect(ids1.count == 3 && ids1 == ids1.sorted(by: >))
            let cursor = try #require(try jsonObject(first)["nextCursor"] as? String)
            let second = try await api(app, .GET, "/api/v1/audit-log?entityType=system_user&limit=3&cursor=\(cursor)", token: owner)
            let ids2 = try #require(try jsonObject(second)["data"] as? [[String: Any]]).compactMap { $0["id"] as? Int }
            #expect(Set(ids1).isDisjoint(with: ids2) && (ids2.first ?? .max) < (ids1.last ?? 0))
            #expect(!first.body.string.contains("password123"))
        }
    }
}
