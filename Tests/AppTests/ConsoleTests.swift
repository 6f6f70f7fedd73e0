import Fluent
import Foundation
import Testing
import VaporTesting
@testable import App
@testable import Domain
@testable import Services
import Storage

@Suite(.serialized) struct ConsoleTests {
    @Test func loginRequiresCSRFAndRightPasswordAndOpensTheHomePage() async throws {
        try await withTVMS { app, _ in
            var b = Browser(app)
            let anonymous = try await b.get("/")
            #expect(anonymous.status == .seeOther && anonymous.headers.first(name: .location) == "/login")

            try await b.get("/login")
            let noToken = try await b.post("/login", [("email", "owner@demo.tvms"), ("password", "demo1234")], csrf: false)
            #expect(noToken.status == .forbidden, "a form without the session's CSRF token is refused")

            let wrong = try await b.post("/login", [("email", "owner@demo.tvms"), ("password", "wrong-password")])
            #expect(wrong.status == .unauthorized && wrong.body.string.contains("Wrong e-mail or password"))

            let ok = try await b.post("/login", [("email", "OWNER@demo.tvms"), ("password", "demo1234")])
            #expect(ok.status == .seeOther && ok.headers.first(name: .location) == "/")
            let home = try await b.get("/")
            #expect(home.status == .ok)
            #expect(home.body.string.contains("democms") && home.body.string.contains("deployment-card"))
            #expect(home.headers.first(name: "Content-Security-Policy") != nil)
        }
    }

    @Test func sessionIdChangesAtLoginAndLogoutEndsIt() async throws {
        try await withTVMS { app, _ in
            var b = Browser(app)
            try await b.get("/login")
            let before = b.cookie
            try await b.post("/login", [("email", "owner@demo.tvms"), ("password", "demo1234")])
            #expect(b.cookie != nil && b.cookie != before, "a new session id after login prevents fixation")
            let stolen = b.cookie
            try await b.post("/logout")
            var thief = Browser(app)
            thief.cookie = stolen
            #expect(try await thief.get("/").status == .seeOther)
        }
    }

    @Test func fiveWrongPasswordsLockTheAccountUntilItExpiresOrAnOwnerUnlocks() async throws {
        try await withTVMS { app, clock in
            let agent = try await app.makeUser("agent@demo.tvms", role: "support")
            var b = Browser(app)
            for _ in 0..<4 { #expect(try await b.login("agent@demo.tvms", "nope-nope").status == .unauthorized) }
            let fifth = try await b.login("agent@demo.tvms", "nope-nope")
            #expect(fifth.status == .locked && fifth.body.string.contains("locked"))
            let right = try await b.login("agent@demo.tvms", "password123")
            #expect(right.status == .locked, "even the right password is refused while locked")

            var owner = Browser(app)
            try await owner.login("owner@demo.tvms", "demo1234")
            let list = try await owner.get("/system-users")
            #expect(list.body.string.contains("Unlock"))
            try await owner.post("/system-users/\(agent.id!)/unlock")
            #expect(try await b.login("agent@demo.tvms", "password123").status == .seeOther)

            // A lock also runs out by itself.
            try await b.post("/logout")
            for _ in 0..<5 { try await b.login("agent@demo.tvms", "nope-nope") }
            #expect(try await b.login("agent@demo.tvms", "password123").status == .locked)
            clock.advance(by: 15 * 60 + 1)
            #expect(try await b.login("agent@demo.tvms", "password123").status == .seeOther)

            let actions = try await AuditRecordModel.query(on: app.db).filter(\.$entityID == agent.id!.uuidString).all().map(\.action)
            #expect(actions.contains("locked") && actions.contains("unlock") && actions.contains("login_failed"))
        }
    }

    @Test func oneAddressIsThrottledAcrossAccounts() async throws {
        try await withTVMS(trustProxy: true) { app, clock in
            var b = Browser(app, ip: "203.0.113.7")
            for i in 0..<30 { try await b.login("nobody\(i)@demo.tvms", "whatever1") }
            #expect(try await b.login("owner@demo.tvms", "demo1234").status == .tooManyRequests)
            var other = Browser(app, ip: "203.0.113.8")
            #expect(try await other.login("owner@demo.tvms", "demo1234").status == .seeOther)
            clock.advance(by: 5 * 60)
            #expect(try await b.login("owner@demo.tvms", "demo1234").status == .seeOther, "the window passes")
        }
    }

    /// The role matrix through the real console: each role reaches its pages and nothing more.
    @Test(arguments: [
        ("owner", ["/system-users": 200, "/settings/time-zone": 200, "/settings/api": 200, "/user-logs": 200, "/jobs": 200, "/deployments/new": 200, "/account": 200]),
        ("admin", ["/system-users": 403, "/settings/time-zone": 200, "/settings/api": 200, "/user-logs": 200, "/jobs": 200, "/deployments/new": 403, "/account": 200]),
        ("editor", ["/system-users": 403, "/settings/time-zone": 403, "/settings/api": 403, "/user-logs": 403, "/jobs": 403, "/deployments/new": 403, "/account": 200]),
        ("support", ["/system-users": 403, "/settings/time-zone": 403, "/settings/api": 403, "/user-logs": 403, "/jobs": 403, "/deployments/new": 403, "/account": 200]),
    ])
    func roleMatrix(role: String, expected: [String: Int]) async throws {
        try await withTVMS { app, _ in
            _ = try await app.makeUser("\(role)@example.com", role: role)
            var b = Browser(app)
            #expect(try await b.login("\(role)@example.com", "password123").status == .seeOther)
            for (path, status) in expected.sorted(by: { $0.key < $1.key }) {
                let res = try await b.get(path)
                #expect(Int(res.status.code) == status, "\(role) GET \(path)")
            }
            let home = try await b.get("/")
            // Navigation shows only what the role may use.
            #expect(home.body.string.contains("System Users") == (role == "owner"))
            #expect(home.body.string.contains("User Logs") == (role == "owner" || role == "admin"))
        }
    }

    @Test func addUserFormValidatesEveryFieldAndAuditsWithoutThePassword() async throws {
        try await withTVMS { app, _ in
            var b = Browser(app)
            try await b.login("owner@demo.tvms", "demo1234")
            try await b.get("/system-users/new")
            let empty = try await b.post("/system-users", [("role", "support")])
            #expect(empty.status == .unprocessableEntity)
            #expect(empty.body.string.components(separatedBy: "field-error").count - 1 == 4, "name, e-mail, password and deployments")

            let deployment = try #require(try await DeploymentModel.query(on: app.db).first())
            let ok = try await b.post("/system-users", [("name", "Sam Support"), ("email", "sam@demo.tvms"), ("password", "correct horse"),
                                                         ("role", "support"), ("deploymentIds[]", deployment.id!.uuidString)])
            #expect(ok.status == .seeOther)
            let list = try await b.get("/system-users")
            #expect(list.body.string.contains("sam@demo.tvms") && list.body.string.contains("flash success"))

            let duplicate = try await b.post("/system-users", [("name", "Again"), ("email", "SAM@demo.tvms"), ("password", "correct horse"),
                                                                ("role", "support"), ("deploymentIds[]", deployment.id!.uuidString)])
            #expect(duplicate.status == .unprocessableEntity && duplicate.body.string.contains("already used"))

            let record = try #require(try await AuditRecordModel.query(on: app.db).filter(\.$entityType == "system_user").filter(\.$action == "create")
                .sort(\.$id, .descending).first())
            #expect(record.actorLabel == "owner@demo.tvms")
            #expect(record.afterJSON?.contains("sam@demo.tvms") == true)
            #expect(record.afterJSON?.contains("correct horse") == false, "no secret in the audit trail")
            let stored = try #require(try await SystemUserModel.query(on: app.db).filter(\.$email == "sam@demo.tvms").first())
            #expect(stored.passwordHash.hasPrefix("$2") && !stored.passwordHash.contains("correct horse"))
        }
    }

    @Test func tableSortsFiltersAndPages() async throws {
        try await withTVMS { app, _ in
            for i in 0..<30 { _ = try await app.makeUser(String(format: "user%02d@example.com", i), role: i % 2 == 0 ? "editor" : "support") }
            var b = Browser(app)
            try await b.login("owner@demo.tvms", "demo1234")
            let first = try await b.get("/system-users?sort=email&dir=asc")
            #expect(first.body.string.contains("1–25 of 31 users"))
            #expect(first.body.string.contains("page=2"))
            let desc = try await b.get("/system-users?sort=email&dir=desc")
            let body = desc.body.string
            let i29 = try #require(body.range(of: "user29@example.com")), i28 = try #require(body.range(of: "user28@example.com"))
            #expect(i29.lowerBound < i28.lowerBound)
            let editors = try await b.get("/system-users?role=editor")
            #expect(editors.body.string.contains("of 15 users"))
            let search = try await b.get("/system-users?q=USER07")
            #expect(search.body.string.contains("of 1 users") && search.body.string.contains("user07@example.com"))
        }
    }

    @Test func lastOwnerCannotBeDeletedOrDemotedAndNobodyDeletesThemselves() async throws {
        try await withTVMS { app, _ in
            var b = Browser(app)
            try await b.login("owner@demo.tvms", "demo1234")
            let me = try #require(try await SystemUserModel.query(on: app.db).filter(\.$email == "owner@demo.tvms").first())
            try await b.post("/system-users/\(me.id!)/delete")
            #expect(try await SystemUserModel.find(me.id, on: app.db) != nil)
            let other = try await app.makeUser("second@demo.tvms", role: "owner")
            try await b.get("/system-users/\(other.id!)/delete")
            #expect(try await b.post("/system-users/\(other.id!)/delete").status == .seeOther)
            #expect(try await SystemUserModel.find(other.id, on: app.db) == nil)
            let env = app.serviceEnvironment
            await #expect(throws: DomainError.self) {
                _ = try await SystemUserService.update(env, actor: .system(), id: me.id!, input: .init(
                    name: "x", email: me.email, password: "", role: "admin", deploymentIDs: [], active: true))
            }
        }
    }

    @Test func timeZoneAndCompanyInfoAreSavedValidatedAndAudited() async throws {
        try await withTVMS { app, _ in
            var b = Browser(app)
            try await b.login("owner@demo.tvms", "demo1234")
            let bad = try await b.post("/settings/time-zone", [("timeZone", "Mars/Olympus"), ("defaultCurrency", "EUR")])
            #expect(bad.status == .unprocessableEntity && bad.body.string.contains("IANA"))
            #expect(try await b.post("/settings/time-zone", [("timeZone", "America/New_York"), ("defaultCurrency", "usd")]).status == .seeOther)
            #expect(try await b.post("/settings/company", [("name", "Demo TV"), ("companyName", "Acme Ltd"), ("companyEmail", "ops@acme.test")]).status == .seeOther)
            let d = try #require(try await DeploymentModel.query(on: app.db).first())
            #expect(d.timeZone == "America/New_York" && d.defaultCurrency == "USD" && d.companyName == "Acme Ltd")
            let logs = try await b.get("/user-logs?entity=deployment")
            #expect(logs.body.string.contains("America/New_York"))
            let csv = try await b.get("/user-logs.csv?entity=deployment")
            #expect(csv.headers.contentType?.subType == "csv")
            #expect(csv.body.string.split(separator: "\n").first == "id,at_utc,actor_kind,actor,deployment_id,entity_type,entity_id,action,before,after,ip")
            #expect(csv.body.string.contains("Acme Ltd"))
        }
    }

    @Test func apiTokenRotationShowsTheTokenOnceAndTheOldOneStopsWorking() async throws {
        try await withTVMS { app, _ in
            var b = Browser(app)
            try await b.login("owner@demo.tvms", "demo1234")
            let page = try await b.get("/settings/api")
            #expect(page.body.string.contains("democrm") && !page.body.string.contains("demo-auth-token"))
            let env = app.serviceEnvironment
            #expect(try await DeploymentService.authenticateBusinessAPI(env, crmService: "democrm", cmsService: nil, authToken: "demo-auth-token") != nil)
            let rotated = try await b.post("/settings/api/rotate")
            let token = try #require(rotated.body.string.firstMatch(of: /(tvms_api_[A-Za-z0-9_-]+)/)?.1)
            #expect(try await DeploymentService.authenticateBusinessAPI(env, crmService: "democrm", cmsService: nil, authToken: "demo-auth-token") == nil)
            #expect(try await DeploymentService.authenticateBusinessAPI(env, crmService: "democrm", cmsService: "democms", authToken: String(token)) != nil)
            #expect(try await DeploymentService.authenticateBusinessAPI(env, crmService: "othercrm", cmsService: nil, authToken: String(token)) == nil)
            let again = try await b.get("/settings/api")
            #expect(!again.body.string.contains(String(token)), "never shown twice")
            let stored = try #require(try await DeploymentModel.query(on: app.db).first())
            #expect(stored.authTokenHash == Secrets.digest(String(token)))
        }
    }

    @Test func passwordChangeEndsOtherSessions() async throws {
        try await withTVMS { app, _ in
            var laptop = Browser(app), phone = Browser(app)
            try await laptop.login("owner@demo.tvms", "demo1234")
            try await phone.login("owner@demo.tvms", "demo1234")
            let res = try await laptop.post("/account/password", [("currentPassword", "demo1234"), ("newPassword", "a much better one")])
            #expect(res.status == .seeOther)
            #expect(try await laptop.get("/").status == .ok)
            #expect(try await phone.get("/").status == .seeOther)
        }
    }

    @Test func sessionsIdleOut() async throws {
        try await withTVMS { app, clock in
            var b = Browser(app)
            try await b.login("owner@demo.tvms", "demo1234")
            clock.advance(by: 11 * 3600)
            #expect(try await b.get("/").status == .ok)
            clock.advance(by: 12 * 3600 + 1)
            #expect(try await b.get("/").status == .seeOther)
        }
    }

    @Test func adminsSeeOnlyTheirDeployments() async throws {
        try await withTVMS { app, _ in
            let env = app.serviceEnvironment
            let other = try await DeploymentService.create(env, actor: .system(), input: .init(
                name: "Other TV", cmsService: "othercms", crmService: "othercrm", timeZone: "UTC", defaultCurrency: "USD"))
            let demo = try #require(try await DeploymentModel.query(on: app.db).filter(\.$cmsService == "democms").first())
            _ = try await app.makeUser("admin@demo.tvms", role: "admin", deployments: [demo.id!])
            var b = Browser(app)
            try await b.login("admin@demo.tvms", "password123")
            let home = try await b.get("/")
            #expect(home.body.string.contains("democms") && !home.body.string.contains("othercms"))
            #expect(try await b.get("/deployments/\(other.deployment.id!)/select").status == .notFound)
            let logs = try await b.get("/user-logs")
            #expect(!logs.body.string.contains(other.deployment.id!.uuidString))
        }
    }
}
