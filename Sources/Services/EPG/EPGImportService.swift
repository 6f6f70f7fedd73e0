import Domain
import FluentKit
import Foundation
import SQLKit
import Storage

/// Imports XMLTV guides: streamed from a file (plain or gzip) in constant memory, written in
/// batches under an import id nobody reads yet, then made visible in one short transaction that
/// keeps the past programmes the new file does not cover (catch-up) and drops the rest. A failed
/// import leaves the previous guide untouched.
public enum EPGImportService {
    public static let jobKind = "epg.import"
    public static let batchSize = 2000
    static let chunkSize = 1 << 20

    public struct Progress: Sendable {
        public var bytes: Int64
        public var totalBytes: Int64
        public var programmes: Int
    }

    public struct Summary: Sendable {
        public var importID: Int
        public var status: String
        public var channels: Int
        public var programmes: Int
        public var skipped: Int
        public var bytes: Int64
        public var warnings: [String]
        public var message: String
    }

    public static func source(_ env: ServiceEnvironment, actor: Principal, id: Int) async throws -> EPGSourceModel {
        guard let s = try await EPGSourceModel.find(id, on: env.db) else { throw DomainError.notFound("The EPG source") }
        try actor.require(.cms, in: s.deploymentID)
        return s
    }

    /// Imports a local file into a source and records the run; throws only for a missing source
    /// or permission, otherwise the summary says whether it worked.
    public static func importFile(_ env: ServiceEnvironment, actor: Principal, sourceID: Int, path: String,
                                  progress: (@Sendable (Progress) -> Void)? = nil) async throws -> Summary {
        let source = try await source(env, actor: actor, id: sourceID)
        let run = EPGImportModel()
        run.sourceID = sourceID
        run.status = "running"
        run.message = ""
        run.warnings = ""
        run.startedAt = env.now
        run.bytes = 0
        run.channels = 0
        run.programmes = 0
        run.skipped = 0
        try await env.write { db in try await run.create(on: db) }
        let importID = run.id!
        var inflated: URL? = nil
        defer { if let inflated { try? FileManager.default.removeItem(at: inflated) } }
        do {
            var plain = URL(fileURLWithPath: path)
            if try Gzip.isGzip(plain) {
                let out = FileManager.default.temporaryDirectory.appendingPathComponent("tvms-epg-\(UUID().uuidString).xml")
                inflated = out
                try Gzip.inflate(plain, to: out)
                plain = out
            }
            let stats = try await parseAndStore(env, source: source, importID: importID, file: plain, progress: progress)
            try await activate(env, actor: actor, source: source, importID: importID)
            run.status = "ok"
            run.bytes = stats.bytes
            run.channels = stats.channels
            run.programmes = stats.programmes
            run.skipped = stats.skipped
            run.warnings = stats.warnings.joined(separator: "\n")
            run.message = "\(stats.programmes) programmes on \(stats.channels) channels"
        } catch {
            // Nothing of this run stays; the previous guide was never touched.
            try? await env.write { db in try await EPGProgrammeModel.query(on: db).filter(\.$importID == importID).delete() }
            run.status = "failed"
            run.message = (error as? XMLTVError)?.message ?? (error as? DomainError)?.message ?? "The import failed: \(error)"
        }
        run.finishedAt = env.now
        try await env.write { db in try await run.save(on: db) }
        return Summary(importID: importID, status: run.status, channels: run.channels, programmes: run.programmes, skipped: run.skipped, bytes: run.bytes,
                       warnings: run.warnings.isEmpty ? [] : run.warnings.components(separatedBy: "\n"), message: run.message)
    }

    struct Stats { var bytes: Int64 = 0; var channels = 0; var programmes = 0; var skipped = 0; var warnings: [String] = [] }

    /// Streams the file through the parser; programmes go to the database in batches as they
    /// come, so memory holds one batch and one chunk whatever the guide's size.
    static func parseAndStore(_ env: ServiceEnvironment, source: EPGSourceModel, importID: Int, file: URL,
                              progress: (@Sendable (Progress) -> Void)?) async throws -> Stats {
        let sourceID = try source.requireID()
        let shift = TimeInterval(source.timeShiftMinutes * 60)
        var known: [String: Int] = [:]
        for c in try await EPGChannelModel.query(on: env.db).filter(\.$sourceID == sourceID).all() { known[c.externalID] = c.id! }
        var newChannels: [XMLTVChannel] = []
        var batch: [XMLTVProgramme] = []
        /// A programme without a stop ends when the channel's next one starts.
        var open: [String: XMLTVProgramme] = [:]
        var stats = Stats()
        var seenChannels = Set<String>()
        let parser = XMLTVParser(defaultZone: TimeZone(identifier: source.zone) ?? TimeZone(identifier: "UTC")!) { event in
            switch event {
            case .channel(let c):
                seenChannels.insert(c.id)
                newChannels.append(c)
            case .programme(var p):
                seenChannels.insert(p.channel)
                p.start += shift
                p.stop = p.stop.map { $0 + shift }
                if var previous = open.removeValue(forKey: p.channel) {
                    previous.stop = p.start
                    batch.append(previous)
                }
                if p.stop == nil { open[p.channel] = p } else { batch.append(p) }
            case .warning(let w):
                if stats.warnings.count < 50 { stats.warnings.append(w) }
            }
        }
        let handle = try FileHandle(forReadingFrom: file)
        defer { try? handle.close() }
        let total = Int64((try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? NSNumber)?.int64Value ?? 0)
        func flush(final: Bool) async throws {
            if !newChannels.isEmpty || batch.contains(where: { known[$0.channel] == nil }) {
                // Programmes may name channels the guide never described: they get a row too.
                var missing = newChannels
                for p in batch where known[p.channel] == nil && !missing.contains(where: { $0.id == p.channel }) { missing.append(XMLTVChannel(id: p.channel)) }
                try await upsertChannels(env, sourceID: sourceID, channels: missing, known: &known)
                newChannels.removeAll()
            }
            while batch.count >= batchSize || (final && !batch.isEmpty) {
                let rows = Array(batch.prefix(batchSize))
                batch.removeFirst(rows.count)
                try await insert(env, importID: importID, programmes: rows, channelIDs: known)
                stats.programmes += rows.count
            }
        }
        while true {
            let data = try handle.read(upToCount: chunkSize) ?? Data()
            if data.isEmpty { break }
            stats.bytes += Int64(data.count)
            try parser.feed(data)
            try await flush(final: false)
            progress?(Progress(bytes: stats.bytes, totalBytes: total, programmes: stats.programmes))
        }
        try parser.finish()
        // The last programme of each channel without a stop gets an hour.
        for (_, var p) in open { p.stop = p.start + 3600; batch.append(p) }
        open.removeAll()
        try await flush(final: true)
        progress?(Progress(bytes: stats.bytes, totalBytes: total, programmes: stats.programmes))
        stats.channels = seenChannels.count
        stats.skipped = parser.skippedProgrammes
        if stats.programmes == 0 { throw XMLTVError("The guide has no programmes; the previous guide is kept.") }
        return stats
    }

    static func upsertChannels(_ env: ServiceEnvironment, sourceID: Int, channels: [XMLTVChannel], known: inout [String: Int]) async throws {
        var updates: [(Int, XMLTVChannel)] = []
        var inserts: [XMLTVChannel] = []
        for c in channels {
            if let id = known[c.id] { updates.append((id, c)) } else if !inserts.contains(where: { $0.id == c.id }) { inserts.append(c) }
        }
        let (toInsert, toUpdate) = (inserts, updates)
        let inserted = try await env.write { db -> [(String, Int)] in
            var out: [(String, Int)] = []
            for c in toInsert {
                let m = EPGChannelModel()
                m.sourceID = sourceID
                m.externalID = String(c.id.prefix(255))
                m.displayName = String((c.displayNames.first ?? c.id).prefix(255))
                m.icon = c.icon
                m.programmeCount = 0
                try await m.create(on: db)
                out.append((c.id, m.id!))
            }
            for (id, c) in toUpdate where !c.displayNames.isEmpty {
                try await EPGChannelModel.query(on: db).filter(\.$id == id).set(\.$displayName, to: String(c.displayNames[0].prefix(255))).set(\.$icon, to: c.icon).update()
            }
            return out
        }
        for (ext, id) in inserted { known[ext] = id }
    }

    static func insert(_ env: ServiceEnvironment, importID: Int, programmes: [XMLTVProgramme], channelIDs: [String: Int]) async throws {
        let columns = ["epg_channel_id", "import_id", "start", "stop", "title", "title_lang", "sub_title", "description", "categories", "episode_ns",
                       "episode_onscreen", "rating", "icon", "previously_shown", "is_new", "premiere"]
        try await env.write { db in
            // 16 columns × 250 rows stays under every database's bind limit.
            for chunk in programmes.chunked(250) {
                var q = db.sql.insert(into: EPGProgrammeModel.schema).columns(columns)
                for p in chunk {
                    guard let channel = channelIDs[p.channel] else { continue }
                    let stop = max(p.stop ?? p.start, p.start)
                    q = q.values(SQLBind(channel), SQLBind(importID), SQLBind(p.start), SQLBind(stop), SQLBind(p.title), SQLBind(p.titleLang), SQLBind(p.subTitle),
                                 SQLBind(p.description), SQLBind(p.categories.joined(separator: ",")), SQLBind(p.episodeNS), SQLBind(p.episodeOnscreen),
                                 SQLBind(p.rating), SQLBind(p.icon), SQLBind(p.previouslyShown), SQLBind(p.isNew), SQLBind(p.premiere))
                }
                try await q.run()
            }
        }
    }

    /// Makes an import the source's guide in one transaction: earlier programmes of a channel
    /// outside the new file's range for it (and of channels the file does not mention) move to
    /// the new import, the rest of the old import goes, programmes past the retention window
    /// go, and the channels' counts and coverage are recomputed.
    static func activate(_ env: ServiceEnvironment, actor: Principal, source: EPGSourceModel, importID: Int) async throws {
        let sourceID = try source.requireID()
        let previous = source.activeImportID
        // The longest catch-up of the channels linked to this source decides how much past to keep.
        let catchup = try await ChannelModel.query(on: env.db).filter(\.$epgSourceID == sourceID).max(\.$catchupDays) ?? 0
        let cutoff = env.now.addingTimeInterval(-Double(max(source.retentionDays, catchup, 1)) * 86_400)
        try await env.write { db in
            if let previous {
                try await db.sql.raw("""
                    UPDATE epg_programmes SET import_id = \(bind: importID)
                    WHERE import_id = \(bind: previous) AND NOT EXISTS (
                      SELECT 1 FROM (SELECT epg_channel_id AS cid, MIN(start) AS first_start, MAX(stop) AS last_stop
                                     FROM epg_programmes WHERE import_id = \(bind: importID) GROUP BY epg_channel_id) r
                      WHERE r.cid = epg_programmes.epg_channel_id AND epg_programmes.stop > r.first_start AND epg_programmes.start < r.last_stop)
                    """).run()
                try await EPGProgrammeModel.query(on: db).filter(\.$importID == previous).delete()
            }
            try await EPGProgrammeModel.query(on: db).filter(\.$importID == importID).filter(\.$stop < cutoff).delete()
            try await db.sql.raw("""
                UPDATE epg_channels SET
                  programme_count = (SELECT COUNT(*) FROM epg_programmes p WHERE p.epg_channel_id = epg_channels.id AND p.import_id = \(bind: importID)),
                  first_start = (SELECT MIN(start) FROM epg_programmes p WHERE p.epg_channel_id = epg_channels.id AND p.import_id = \(bind: importID)),
                  last_stop = (SELECT MAX(stop) FROM epg_programmes p WHERE p.epg_channel_id = epg_channels.id AND p.import_id = \(bind: importID))
                WHERE source_id = \(bind: sourceID)
                """).run()
            try await EPGSourceModel.query(on: db).filter(\.$id == sourceID).set(\.$activeImportID, to: importID).update()
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: source.deploymentID, entityType: "epg_source", entityID: String(sourceID),
                                          action: "import", after: ["importId": String(importID)])
        }
    }
}
