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
            let began = Date()
            let stats = try await parseAndStore(env, source: source, importID: importID, file: plain, progress: progress)
            let stored = Date()
            try await activate(env, actor: actor, source: source, importID: importID)
            env.logger.info("EPG import \(importID): \(stats.programmes) programmes read and stored in \(String(format: "%.1f", stored.timeIntervalSince(began))) s, activated in \(String(format: "%.1f", Date().timeIntervalSince(stored))) s")
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

    /// Parses the file on a thread of its own and writes what it yields as it comes: the parser
    /// runs at most a few batches ahead of the database (memory holds those batches and one
    /// chunk whatever the guide's size), and parsing and writing each keep a core busy.
    static func parseAndStore(_ env: ServiceEnvironment, source: EPGSourceModel, importID: Int, file: URL,
                              progress: (@Sendable (Progress) -> Void)?) async throws -> Stats {
        let sourceID = try source.requireID()
        var known: [String: Int] = [:]
        for c in try await EPGChannelModel.query(on: env.db).filter(\.$sourceID == sourceID).all() { known[c.externalID] = c.id! }
        let sink: any ProgrammeSink = try await SQLiteBulkConnection.file(of: env.db).map { try SQLiteProgrammeSink(env, path: $0, importID: importID) }
            ?? SQLProgrammeSink(env: env, importID: importID)
        let total = Int64((try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? NSNumber)?.int64Value ?? 0)
        let reader = GuideReader(file: file, zone: TimeZone(identifier: source.zone) ?? TimeZone(identifier: "UTC")!,
                                 shift: TimeInterval(source.timeShiftMinutes * 60))
        reader.start()
        defer { reader.stop() }
        var stats = Stats()
        do {
            try await store(env, reader: reader, sink: sink, sourceID: sourceID, known: &known, total: total, stats: &stats, progress: progress)
            // A cancelled import (shutdown) ends its batch stream early: nothing of it is committed.
            try Task.checkCancellation()
            try await sink.finish()
        } catch {
            await sink.abandon()
            throw error
        }
        let summary = reader.summary
        stats.bytes = summary.bytes
        stats.channels = summary.channels
        stats.skipped = summary.skipped
        stats.warnings = summary.warnings
        if stats.programmes == 0 { throw XMLTVError("The guide has no programmes; the previous guide is kept.") }
        return stats
    }

    static func store(_ env: ServiceEnvironment, reader: GuideReader, sink: any ProgrammeSink, sourceID: Int, known: inout [String: Int], total: Int64,
                      stats: inout Stats, progress: (@Sendable (Progress) -> Void)?) async throws {
        for try await batch in reader.batches {
            if !batch.channels.isEmpty || batch.programmes.contains(where: { known[$0.channel] == nil }) {
                // Programmes may name channels the guide never described: they get a row too.
                var missing = batch.channels
                for p in batch.programmes where known[p.channel] == nil && !missing.contains(where: { $0.id == p.channel }) { missing.append(XMLTVChannel(id: p.channel)) }
                    // New channels are written through the server's connection, which needs the
                // write turn the bulk transaction holds: commit what is pending first.
                try await sink.finish()
                try await upsertChannels(env, sourceID: sourceID, channels: missing, known: &known)
            }
            try await sink.write(batch.programmes, channelIDs: known)
            reader.consumed()
            stats.programmes += batch.programmes.count
            progress?(Progress(bytes: batch.bytes, totalBytes: total, programmes: stats.programmes))
        }
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
