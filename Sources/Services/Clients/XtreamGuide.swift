import Domain
import FluentKit
import Foundation
import SQLKit
import Storage

/// The guide through the client dialects: one channel's programmes for `get_short_epg` /
/// `get_simple_data_table`, and the customer's whole XMLTV (`xmltv.php`), built once per
/// entitlement set and guide state into a file that every request streams.
public enum XtreamGuide {
    public struct Listing: Sendable {
        public let id: Int
        public let epgID: Int
        public let title: String
        public let lang: String
        public let description: String
        public let start: Date
        public let stop: Date
        public let channelID: String
    }

    /// The window `xmltv.php` and `get_simple_data_table` cover: a week back (catch-up) and two
    /// weeks ahead, as the products' `epg.xml`.
    public static let past: TimeInterval = 7 * 86_400
    public static let ahead: TimeInterval = 14 * 86_400

    /// A channel's programmes overlapping [from, to), its link and shift applied, by start;
    /// at most `limit`.
    public static func listings(_ env: ServiceEnvironment, catalogue: ClientCatalogue, channel: ClientCatalogue.Channel, from: Date, to: Date,
                                limit: Int? = nil) async throws -> [Listing] {
        let playable = try await PlaybackService.cachedChannel(env, ref: .channel(channel.id), deploymentID: catalogue.set.deploymentID)
        guard let model = playable.channel else { return [] }
        let links = try await EPGOutput.Links.load(env, channels: [model])
        guard let link = links.guide[channel.id] else { return [] }
        let shift = TimeInterval(model.epgShiftMinutes * 60)
        let q = EPGProgrammeModel.query(on: env.db).filter(\.$epgChannelID == link.epgChannelID).filter(\.$importID == link.importID)
            .filter(\.$stop > from - shift).filter(\.$start < to - shift).sort(\.$start)
        if let limit { q.limit(limit) }
        let xmltvID = channel.xmltvID
        return try await q.all().map {
            Listing(id: $0.id!, epgID: link.epgChannelID, title: $0.title, lang: $0.titleLang, description: $0.description,
                    start: $0.start + shift, stop: $0.stop + shift, channelID: xmltvID)
        }
    }

    /// What the guide files depend on besides the channel list: each source's active import
    /// and its programme counts and last stop (imports and EPG Builder edits change them).
    /// Remembered for `HotCache.ttl`.
    public static func revision(_ env: ServiceEnvironment, deploymentID: UUID) async throws -> String {
        try await env.hot.get("client-guide-revision:\(deploymentID)", now: env.now) {
            let rows = try await env.db.sql.raw("""
                SELECT s.id AS id, s.active_import_id AS active, CAST(COALESCE(SUM(c.programme_count), 0) AS BIGINT) AS n, MAX(c.last_stop) AS last
                FROM epg_sources s LEFT JOIN epg_channels c ON c.source_id = s.id
                WHERE s.deployment_id = \(bind: deploymentID)
                GROUP BY s.id, s.active_import_id ORDER BY s.id
                """).all()
            return try rows.map { r in
                let active = try r.decodeNil(column: "active") ? 0 : try r.decode(column: "active", as: Int.self)
                let last = try r.decodeNil(column: "last") ? 0 : Int(try r.decode(column: "last", as: Date.self).timeIntervalSince1970)
                return "\(try r.decode(column: "id", as: Int.self)):\(active):\(try r.decode(column: "n", as: Int.self)):\(last)"
            }.joined(separator: ";")
        }
    }

    /// The customer's XMLTV: the catalogue's channels that have programmes, from `past` back to
    /// `ahead`, with the same writer (and so the same validity) as the products' `epg.xml`;
    /// channel ids are the lists' `epg_channel_id` / the playlist's `tvg-id`.
    public static func guideFile(_ env: ServiceEnvironment, state: ClientDialectState, catalogue: ClientCatalogue, origin: String, gzip: Bool) async throws -> URL {
        let revision = try await revision(env, deploymentID: catalogue.set.deploymentID)
        return try await state.guides.file(env, slot: "\(catalogue.set)|\(origin)", version: "\(catalogue.revision)|\(revision)", gzip: gzip) { file in
            var models: [ChannelModel] = []
            for chunk in catalogue.channels.map(\.id).chunked(500) {
                models += try await ChannelModel.query(on: env.db).filter(\.$id ~~ chunk).all()
            }
            models.sort { $0.number < $1.number }
            try await EPGOutput.writeXMLTV(env, channels: models, service: catalogue.service, baseURL: origin,
                                           from: env.now.addingTimeInterval(-past), to: env.now.addingTimeInterval(ahead), to: file, gzip: false)
        }
    }
}

/// Built guide files on local disk, one per slot (entitlement set and address, plain or
/// gzip-compressed), rebuilt when the version (catalogue and guide revisions) changes and after
/// `maxAge`, so the window follows the clock. One request builds a slot at a time; while it does,
/// the others get the previous file (a guide of 10,000 channels takes a minute and a half to
/// build, and a player should not wait for that when it has a guide a few minutes old); only the
/// very first request of a slot waits. A replaced file is deleted one generation later, so a
/// response still streaming it is never cut.
public final class XMLTVFileCache: @unchecked Sendable {
    public static let maxAge: TimeInterval = 10 * 60
    static let maxEntries = 256
    let directory: URL
    private let lock = NSLock()
    private struct Entry { var url: URL; var builtAt: Date; var version: String }
    private var entries: [String: Entry] = [:]
    private var building: [String: Task<URL, any Error>] = [:]
    private var retired: [String: URL] = [:]
    public private(set) var builds = 0

    init(directory: URL) { self.directory = directory }

    func file(_ env: ServiceEnvironment, slot: String, version: String, gzip: Bool, build: @escaping @Sendable (URL) async throws -> Void) async throws -> URL {
        let key = slot + (gzip ? "|gz" : "")
        let now = env.now
        enum Lookup { case ready(URL), wait(Task<URL, any Error>) }
        let lookup: Lookup = lock.withLock {
            let current = entries[key].flatMap { FileManager.default.fileExists(atPath: $0.url.path) ? $0 : nil }
            if let e = current, e.version == version, now.timeIntervalSince(e.builtAt) < Self.maxAge, e.builtAt <= now { return .ready(e.url) }
            let task = building[key] ?? start(key: key, version: version, gzip: gzip, now: now, build: build)
            if let e = current { return .ready(e.url) }
            return .wait(task)
        }
        switch lookup {
        case .ready(let url): return url
        case .wait(let task): return try await task.value
        }
    }

    /// Starts building a slot (under the lock); the task records its file when it is done.
    private func start(key: String, version: String, gzip: Bool, now: Date, build: @escaping @Sendable (URL) async throws -> Void) -> Task<URL, any Error> {
        builds += 1
        let directory = self.directory
        let task = Task { () throws -> URL in
            do {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                let plain = directory.appendingPathComponent("guide-\(UUID().uuidString).xml")
                try await build(plain)
                var url = plain
                if gzip {
                    url = plain.appendingPathExtension("gz")
                    defer { try? FileManager.default.removeItem(at: plain) }
                    try Gzip.deflate(plain, to: url)
                }
                self.finish(key: key, entry: Entry(url: url, builtAt: now, version: version))
                return url
            } catch {
                self.lock.withLock { self.building[key] = nil }
                throw error
            }
        }
        building[key] = task
        return task
    }

    private func finish(key: String, entry e: Entry) {
        lock.withLock {
            building[key] = nil
            if let old = entries[key], old.url != e.url {
                if let older = retired[key] { try? FileManager.default.removeItem(at: older) }
                retired[key] = old.url
            }
            if entries.count >= Self.maxEntries, entries[key] == nil {
                for (_, v) in entries { try? FileManager.default.removeItem(at: v.url) }
                entries.removeAll()
            }
            entries[key] = e
        }
    }

    /// Waits for the builds under way (tests; shutdown).
    public func settle() async {
        for task in lock.withLock({ Array(building.values) }) { _ = try? await task.value }
    }

    /// Deletes every built file (app shutdown).
    public func removeAll() {
        lock.withLock {
            entries.removeAll()
            retired.removeAll()
        }
        try? FileManager.default.removeItem(at: directory)
    }
}
