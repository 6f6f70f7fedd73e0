import Foundation
import Testing
import VaporTesting
@testable import App
@testable import Services
import Storage
import Fluent
import Domain

/// A database for one test: a fresh SQLite file, or — when `TVMS_TEST_DATABASE_URL` is set (the
/// test script does that for the PostgreSQL pass) — a fresh PostgreSQL database created through it.
struct TestDatabase {
    let target: AppConfig.DatabaseTarget
    let cleanup: () -> Void

    static func make() throws -> TestDatabase {
        if let admin = ProcessInfo.processInfo.environment["TVMS_TEST_DATABASE_URL"], !admin.isEmpty {
            let name = "tvms_t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
            try psql(admin, "CREATE DATABASE \(name)")
            let url = replaceDatabase(in: admin, with: name)
            return TestDatabase(target: .postgres(url: url), cleanup: { try? psql(admin, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)") })
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tvms-test-\(UUID().uuidString)")
        return TestDatabase(target: .sqlite(path: dir.appendingPathComponent("tvms.sqlite").path),
                            cleanup: { try? FileManager.default.removeItem(at: dir) })
    }

    static func replaceDatabase(in url: String, with name: String) -> String {
        guard var c = URLComponents(string: url) else { return url }
        c.path = "/" + name
        return c.string ?? url
    }

    static func psql(_ url: String, _ sql: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["psql", url, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql]
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw TestFailure("psql failed: \(sql)") }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// The fixed start of every test clock: deterministic times in audit records, lock-outs, jobs.
let testEpoch = Date(timeIntervalSince1970: 1_790_000_000) // 2026-09-21

/// Builds the real app through `configure` on a fresh database, migrates it, loads the demo data
/// set, runs the body and always shuts down.
func withTVMS(clock: ManualClock = ManualClock(testEpoch), database: TestDatabase? = nil, trustProxy: Bool = false,
              overrides: Overrides = .init(), _ body: (Application, ManualClock) async throws -> Void) async throws {
    let db = try database ?? TestDatabase.make()
    defer { if database == nil { db.cleanup() } }
    let app = try await makeApp(db, clock: clock, trustProxy: trustProxy, overrides: overrides)
    do {
        try await body(app, clock)
    } catch {
        try await app.asyncShutdown()
        throw error
    }
    try await app.asyncShutdown()
}

func makeApp(_ db: TestDatabase, clock: ManualClock, trustProxy: Bool = false, overrides: Overrides = .init()) async throws -> Application {
    let app = try await Application.make(.testing)
    app.logger.logLevel = .warning
    var config = AppConfig(database: db.target, inProcessWorkers: 0, schedulerEnabled: false, bcryptCost: 4, nodeName: "test")
    config.trustProxy = trustProxy
    var o = overrides
    o.clock = clock.appClock
    do {
        try await configure(app, config: config, overrides: o)
        try await app.autoMigrate()
        _ = try await DemoData.load(app.serviceEnvironment)
    } catch {
        try await app.asyncShutdown()
        throw error
    }
    return app
}

/// A console user agent: keeps the session cookie and the CSRF token like a browser does.
struct Browser {
    let app: Application
    var cookie: String?
    var csrf: String = ""
    var ip: String?

    init(_ app: Application, ip: String? = nil) {
        self.app = app
        self.ip = ip
    }

    var headers: HTTPHeaders {
        var h = HTTPHeaders()
        if let cookie { h.add(name: .cookie, value: cookie) }
        if let ip { h.add(name: "X-Forwarded-For", value: ip) }
        return h
    }

    mutating func remember(_ res: TestingHTTPResponse) {
        if let set = res.headers.setCookie?["tvms-session"] { cookie = "tvms-session=\(set.string)" }
        if let token = res.body.string.firstMatch(of: /name="_csrf" value="([^"]+)"/)?.1 { csrf = String(token) }
    }

    @discardableResult
    mutating func get(_ path: String) async throws -> TestingHTTPResponse {
        let res = try await app.testing().sendRequest(.GET, path, headers: headers)
        remember(res)
        return res
    }

    /// Posts a form with this session's CSRF token (unless `csrf: false`).
    @discardableResult
    mutating func post(_ path: String, _ fields: [(String, String)] = [], csrf: Bool = true) async throws -> TestingHTTPResponse {
        var h = headers
        h.contentType = .urlEncodedForm
        var all = fields
        if csrf { all.append(("_csrf", self.csrf)) }
        let body = all.map { "\(encode($0.0))=\(encode($0.1))" }.joined(separator: "&")
        let res = try await app.testing().sendRequest(.POST, path, headers: h, body: ByteBuffer(string: body))
        remember(res)
        return res
    }

    /// Posts a multipart form (file uploads) with this session's CSRF token.
    @discardableResult
    mutating func upload(_ path: String, fields: [(String, String)] = [], files: [(field: String, filename: String, data: Data)]) async throws -> TestingHTTPResponse {
        let boundary = "tvms-test-boundary"
        var body = Data()
        for (name, value) in fields + [("_csrf", csrf)] {
            body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8))
        }
        for f in files {
            body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(f.field)\"; filename=\"\(f.filename)\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8))
            body.append(f.data)
            body.append(Data("\r\n".utf8))
        }
        body.append(Data("--\(boundary)--\r\n".utf8))
        var h = headers
        h.replaceOrAdd(name: .contentType, value: "multipart/form-data; boundary=\(boundary)")
        let res = try await app.testing().sendRequest(.POST, path, headers: h, body: ByteBuffer(data: body))
        remember(res)
        return res
    }

    func encode(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "-._~"))) ?? s
    }

    /// Logs in through the real login form.
    @discardableResult
    mutating func login(_ email: String, _ password: String) async throws -> TestingHTTPResponse {
        try await get("/login")
        return try await post("/login", [("email", email), ("password", password)])
    }
}

/// JSON helpers for the REST API.
func api(_ app: Application, _ method: HTTPMethod, _ path: String, token: String? = nil, json: String? = nil) async throws -> TestingHTTPResponse {
    var h = HTTPHeaders()
    if let token { h.bearerAuthorization = .init(token: token) }
    var body: ByteBuffer? = nil
    if let json { h.contentType = .json; body = ByteBuffer(string: json) }
    return try await app.testing().sendRequest(method, path, headers: h, body: body)
}

func jsonObject(_ res: TestingHTTPResponse) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(res.body.string.utf8)) as? [String: Any])
}

/// A bearer token for the demo owner, made through the public login endpoint.
func ownerToken(_ app: Application) async throws -> String {
    let res = try await api(app, .POST, "/api/v1/auth/login", json: #"{"email":"owner@demo.tvms","password":"demo1234","tokenName":"tests"}"#)
    #expect(res.status == .created)
    return try #require(try jsonObject(res)["token"] as? String)
}

extension Application {
    /// Creates a system user directly through the service, as the demo owner would.
    func makeUser(_ email: String, role: String, password: String = "password123", deployments: [UUID]? = nil) async throws -> SystemUserModel {
        let ids: [UUID]
        if let deployments { ids = deployments } else { ids = try await DeploymentModel.query(on: db).all().compactMap(\.id) }
        return try await SystemUserService.create(serviceEnvironment, actor: .system("test"), input: .init(
            name: email, email: email, password: password, role: role, deploymentIDs: role == "owner" ? [] : ids))
    }
}
