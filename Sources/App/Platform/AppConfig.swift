import Domain
import Foundation
import Services
import Vapor

/// Everything the server reads from its environment, parsed once at start. Documented in
/// docs/OPERATIONS.md; each field names its variable.
public struct AppConfig: Sendable {
    public enum DatabaseTarget: Sendable, Equatable {
        case sqlite(path: String)
        case postgres(url: String)
    }

    /// `DATABASE_URL` (postgres://…) or a SQLite file `tvms.sqlite` under `TVMS_DATA_DIR` (./data).
    public var database: DatabaseTarget
    /// `TVMS_LOG_FORMAT`: `text` (default) or `json`.
    public var logFormat: String
    /// `TVMS_WORKERS`: job workers inside `tvms serve` (default 1; 0 leaves jobs to `tvms worker`).
    public var inProcessWorkers: Int
    /// `TVMS_SCHEDULER`: `on` (default) or `off`; every node may run it, slots make it run once.
    public var schedulerEnabled: Bool
    /// `TVMS_POLL_SECONDS`: how often idle workers look for due jobs (default 2).
    public var pollInterval: Double
    /// `TVMS_BCRYPT_COST`: bcrypt work factor for passwords (default 12).
    public var bcryptCost: Int
    /// `TVMS_SECURE_COOKIES`: `true` behind HTTPS (default false so plain-HTTP demos work).
    public var secureCookies: Bool
    /// `TVMS_NODE_NAME`: this node's name in job history (default host name + pid).
    public var nodeName: String
    /// `TVMS_TRUST_PROXY`: `true` when a reverse proxy sets X-Forwarded-For (default false, so
    /// clients cannot forge their address to dodge login throttling).
    public var trustProxy: Bool = false
    /// `TVMS_SESSION_IDLE_HOURS`: console sessions end after this long without a request (default 12).
    public var sessionIdleHours: Double
    /// `TVMS_PUBLISH_DIR`: published catalogue documents are also written here (for a CDN or a
    /// bucket sync); unset = served from the database only.
    public var publishDirectory: String? = nil
    /// `TVMS_TMDB_API_URL` / `TVMS_TMDB_IMAGE_URL`: where the metadata lookup finds TMDb.
    public var tmdb = MetadataService.Endpoints()
    /// `TVMS_SECRETS_KEY`: base64 of 32 random bytes sealing stored secrets (streaming-server
    /// passwords, token keys, DRM keys). Unset: a key file `secrets.key` in `TVMS_DATA_DIR`, made
    /// on first start. Every node of one installation needs the same key.
    public var secretsKey: String? = nil
    /// `TVMS_DATA_DIR`: the folder of the secrets key file; unset = the SQLite file's folder, or ./data.
    public var dataDirectory: String? = nil

    public init(database: DatabaseTarget, logFormat: String = "text", inProcessWorkers: Int = 1,
                schedulerEnabled: Bool = true, pollInterval: Double = 2, bcryptCost: Int = 12,
                secureCookies: Bool = false, nodeName: String? = nil, sessionIdleHours: Double = 12) {
        self.database = database
        self.logFormat = logFormat
        self.inProcessWorkers = inProcessWorkers
        self.schedulerEnabled = schedulerEnabled
        self.pollInterval = pollInterval
        self.bcryptCost = bcryptCost
        self.secureCookies = secureCookies
        self.nodeName = nodeName ?? "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"
        self.sessionIdleHours = sessionIdleHours
    }

    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) -> AppConfig {
        let database: DatabaseTarget
        if let url = env["DATABASE_URL"], !url.isEmpty {
            database = .postgres(url: url)
        } else {
            let dir = env["TVMS_DATA_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "./data"
            database = .sqlite(path: (dir as NSString).appendingPathComponent("tvms.sqlite"))
        }
        func bool(_ key: String, _ def: Bool) -> Bool {
            guard let v = env[key]?.lowercased() else { return def }
            return ["1", "true", "on", "yes"].contains(v)
        }
        var config = AppConfig(
            database: database,
            logFormat: env["TVMS_LOG_FORMAT"]?.lowercased() == "json" ? "json" : "text",
            inProcessWorkers: env["TVMS_WORKERS"].flatMap(Int.init) ?? 1,
            schedulerEnabled: bool("TVMS_SCHEDULER", true),
            pollInterval: env["TVMS_POLL_SECONDS"].flatMap(Double.init) ?? 2,
            bcryptCost: env["TVMS_BCRYPT_COST"].flatMap(Int.init).map { min(max($0, 4), 31) } ?? 12,
            secureCookies: bool("TVMS_SECURE_COOKIES", false),
            nodeName: env["TVMS_NODE_NAME"],
            sessionIdleHours: env["TVMS_SESSION_IDLE_HOURS"].flatMap(Double.init) ?? 12)
        config.trustProxy = bool("TVMS_TRUST_PROXY", false)
        config.publishDirectory = env["TVMS_PUBLISH_DIR"].flatMap { $0.isEmpty ? nil : $0 }
        config.tmdb = .fromEnvironment(env)
        config.secretsKey = env["TVMS_SECRETS_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        config.dataDirectory = env["TVMS_DATA_DIR"].flatMap { $0.isEmpty ? nil : $0 }
        return config
    }

    /// The box sealing stored secrets: from `TVMS_SECRETS_KEY`, else the data folder's key file
    /// (created with mode 0600 when missing).
    public func secretBox() throws -> SecretBox {
        if let secretsKey { return try SecretBox(base64: secretsKey) }
        let folder: String
        switch (dataDirectory, database) {
        case (let dir?, _): folder = dir
        case (nil, .sqlite(let path)): folder = (path as NSString).deletingLastPathComponent
        case (nil, .postgres): folder = "./data"
        }
        let file = (folder as NSString).appendingPathComponent("secrets.key")
        if let text = try? String(contentsOfFile: file, encoding: .utf8) { return try SecretBox(base64: text) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let text = SecretBox.generateKeyText()
        guard FileManager.default.createFile(atPath: file, contents: Data((text + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            throw SecretBox.Failure(description: "Cannot write the secrets key file \(file); set TVMS_SECRETS_KEY instead")
        }
        return try SecretBox(base64: text)
    }

    public var databaseLabel: String {
        switch database {
        case .sqlite: "sqlite"
        case .postgres: "postgres"
        }
    }
}
