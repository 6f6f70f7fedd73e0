import Domain
import Fluent
import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation
import Leaf
import Services
import Storage
import Vapor

/// Test and embedding hooks: what `configure` should use instead of the live parts.
public struct Overrides: Sendable {
    public var clock: AppClock?
    public var lockout: LockoutPolicy?
    /// Extra job kinds and schedules, registered after the platform's.
    public var registerJobs: (@Sendable (inout JobRegistry) -> Void)?
    public init(clock: AppClock? = nil, lockout: LockoutPolicy? = nil, registerJobs: (@Sendable (inout JobRegistry) -> Void)? = nil) {
        self.clock = clock
        self.lockout = lockout
        self.registerJobs = registerJobs
    }
}

/// The one composition root: the server, every command and every test build the app here.
public func configure(_ app: Application, config: AppConfig, overrides: Overrides = .init()) async throws {
    app.directory = DirectoryConfiguration(workingDirectory: resourceRoot())
    UITResources.use(resourceRoot: URL(fileURLWithPath: app.directory.workingDirectory))

    // Storage
    switch config.database {
    case .sqlite(let path):
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        app.databases.use(.sqlite(.file(path), sqlLogLevel: nil), as: .sqlite)
    case .postgres(let url):
        let pg = try SQLPostgresConfiguration(url: url)
        app.databases.use(.postgres(configuration: pg, maxConnectionsPerEventLoop: 4, sqlLogLevel: .debug), as: .psql)
    }
    app.migrations.add(allMigrations)
    if case .sqlite = config.database { try await prepareSQLite(app) }

    // Composition
    let cost = config.bcryptCost
    let hasher = PasswordHashing(
        hash: { try Bcrypt.hash($0, cost: cost) },
        verify: { password, hash in (try? Bcrypt.verify(password, created: hash)) ?? false })
    let subscriberCost = min(cost, 10)
    let subscriberHasher = PasswordHashing(
        hash: { try Bcrypt.hash($0, cost: subscriberCost) },
        verify: { password, hash in (try? Bcrypt.verify(password, created: hash)) ?? false })
    var jobs = JobRegistry.platform()
    let publishTargets = try publishTargets(config, app: app)
    jobs.register(PublishService.jobKind) { try await PublishService.run($0, targets: publishTargets) }
    let outbound = VaporOutboundHTTP(client: app.client)
    jobs.register(EPGImportService.jobKind) { try await EPGJobs.runImport($0, http: outbound) }
    jobs.register(EPGJobs.refreshDueKind) { try await EPGJobs.refreshDue($0, http: outbound) }
    jobs.schedule(RecurringSchedule(name: "epg-refresh", jobKind: EPGJobs.refreshDueKind, interval: 300))
    jobs.register(StreamHealthService.jobKind) { try await StreamHealthService.runJob($0, http: outbound) }
    jobs.schedule(RecurringSchedule(name: "stream-health", jobKind: StreamHealthService.jobKind, interval: StreamHealthService.interval))
    jobs.register(RecordingService.jobKind) { ctx in "\(try await RecordingService.advance(ctx.env)) recordings moved on" }
    jobs.schedule(RecurringSchedule(name: "recordings", jobKind: RecordingService.jobKind, interval: 60))
    overrides.registerJobs?(&jobs)
    app.tvms = TVMSState(config: config, clock: overrides.clock ?? .live, gate: WriteGate(), hasher: hasher,
                         subscriberHasher: subscriberHasher, jobs: jobs, lockout: overrides.lockout ?? .standard, metrics: Metrics(),
                         publishTargets: publishTargets, secrets: try config.secretBox())

    // HTTP: JSON dates as ISO 8601 instants (UTC), never Vapor's default seconds-since-2001.
    let encoder = JSONEncoder()
    encoder.dateEncodingStrategy = .iso8601
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let decoder = JSONDecoder()
    decoder.dateDecodingStrategy = .iso8601
    ContentConfiguration.global.use(encoder: encoder, for: .json)
    ContentConfiguration.global.use(decoder: decoder, for: .json)
    // Console forms (bulk selections) and JSON bodies can exceed Vapor's 16 KB default; uploads
    // declare their own limit on their route.
    app.routes.defaultMaxBodySize = "4mb"
    // The business API's paths are matched without regard to case, as TVMS does (/api/AddCustomer/addcustomer).
    app.routes.caseInsensitive = true
    app.sessions.use(.fluent)
    app.sessions.configuration.cookieName = "tvms-session"
    let secure = config.secureCookies
    app.sessions.configuration.cookieFactory = { id in
        HTTPCookies.Value(string: id.string, expires: nil, maxAge: nil, domain: nil, path: "/",
                          isSecure: secure, isHTTPOnly: true, sameSite: .lax)
    }
    app.views.use(.leaf)
    app.leaf.cache.isEnabled = app.environment.isRelease
    app.middleware = Middlewares()
    app.middleware.use(MetricsMiddleware(metrics: app.tvms.metrics))
    app.middleware.use(AppErrorMiddleware())
    app.middleware.use(SecurityHeadersMiddleware())
    app.middleware.use(NULGuardMiddleware())
    // WebTV's shell and headers, then Public/ (both skipped under /api/ without starting a Task).
    app.middleware.use(WebTVMiddleware())
    app.middleware.use(StaticFilesMiddleware(files: FileMiddleware(publicDirectory: app.directory.publicDirectory)))
    app.lifecycle.use(BackgroundWorkLifecycle())

    try routes(app)
}

/// SQLite: WAL lets readers work while the single writer writes; a busy timeout makes a second
/// process (`tvms worker` beside `tvms serve`) wait for the lock instead of failing at once.
/// Fluent keeps exactly one SQLite connection per event loop, so the per-connection pragma is set
/// on each loop's connection here.
func prepareSQLite(_ app: Application) async throws {
    try await app.db.sql.raw("PRAGMA journal_mode=WAL").run()
    for loop in app.eventLoopGroup.makeIterator() {
        guard let db = app.databases.database(.sqlite, logger: app.logger, on: loop) else { continue }
        try await db.sql.raw("PRAGMA busy_timeout = 10000").run()
        try await db.sql.raw("PRAGMA synchronous = NORMAL").run()
    }
}

/// Where Resources/ and Public/ are: `TVMS_HOME`, else the working directory if it holds them,
/// else the package root relative to the binary (`.build/debug/tvms` → `../..`).
func resourceRoot() -> String {
    let fm = FileManager.default
    func has(_ dir: String) -> Bool { fm.fileExists(atPath: (dir as NSString).appendingPathComponent("Resources/Views")) }
    if let home = ProcessInfo.processInfo.environment["TVMS_HOME"], has(home) { return home.hasSuffix("/") ? home : home + "/" }
    let cwd = fm.currentDirectoryPath
    if has(cwd) { return cwd + "/" }
    var url = URL(fileURLWithPath: CommandLine.arguments.first ?? cwd).resolvingSymlinksInPath().deletingLastPathComponent()
    for _ in 0..<5 {
        if has(url.path) { return url.path + "/" }
        url.deleteLastPathComponent()
    }
    let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return source.path + "/"
}

/// Every migration of this binary, in order; `/readyz` and `tvms migrate` compare the database
/// with this list.
let allMigrations: [any Migration] = StorageMigrations.all + [SessionRecord.migration]
var knownMigrationNames: [String] { allMigrations.map(\.name) }

/// Where published catalogue documents are copied besides the database: a folder
/// (`TVMS_PUBLISH_DIR`) and/or an S3-compatible bucket (`TVMS_PUBLISH_S3_*`).
func publishTargets(_ config: AppConfig, app: Application) throws -> [any PublishTarget] {
    var targets: [any PublishTarget] = []
    if let dir = config.publishDirectory { targets.append(PublishMirror(root: URL(fileURLWithPath: dir))) }
    if let s3 = try S3PublishTarget.fromEnvironment(ProcessInfo.processInfo.environment, http: VaporOutboundHTTP(client: app.client)) { targets.append(s3) }
    return targets
}
