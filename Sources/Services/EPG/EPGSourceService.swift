import Domain
import FluentKit
import Foundation
import Storage

/// CMS › Channels › EPG Urls: the guides a deployment imports.
public enum EPGSourceService {
    /// Largest guide downloaded (uncompressed guides of 14 days × thousands of channels reach 1 GB).
    public static let maxDownload: Int64 = 2 * 1024 * 1024 * 1024
    public static let downloadTimeout: TimeInterval = 30 * 60

    public struct Input: Sendable {
        public var name: String
        public var url = ""
        public var zone = "UTC"
        public var timeShiftMinutes = 0
        public var refreshHour: Int? = 4
        public var retentionDays = 7
        public var enabled = true
        /// 0–100; the higher wins when several sources have a channel of the same name.
        public var priority = 0
        public init(name: String) { self.name = name }
    }

    public static func save(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int?, input i: Input) async throws -> EPGSourceModel {
        try actor.require(.cms, in: deploymentID)
        let existing = id == nil ? nil : try await find(env, actor: actor, deploymentID: deploymentID, id: id!)
        var errors = FieldErrors()
        let name = i.name.trimmingCharacters(in: .whitespaces)
        if name.isEmpty { errors.add("name", "is required") }
        else {
            let q = EPGSourceModel.query(on: env.db).filter(\.$deploymentID == deploymentID).filter(\.$name == name)
            if let id { q.filter(\.$id != id) }
            if try await q.first() != nil { errors.add("name", "\(name) already exists") }
        }
        let url = i.url.trimmingCharacters(in: .whitespaces)
        if !url.isEmpty {
            if let u = URL(string: url), let scheme = u.scheme?.lowercased(), ["http", "https"].contains(scheme), u.host?.isEmpty == false {} else {
                errors.add("url", "must be an http(s) URL of an XMLTV file (.xml or .xml.gz)")
            }
        }
        if TimeZone(identifier: i.zone) == nil { errors.add("zone", "is not a time zone name (e.g. UTC, Europe/Amsterdam)") }
        if !(-1440...1440).contains(i.timeShiftMinutes) { errors.add("timeShiftMinutes", "must be between −1440 and 1440 minutes") }
        if let h = i.refreshHour, !(0...23).contains(h) { errors.add("refreshHour", "must be an hour from 0 to 23") }
        if !(1...90).contains(i.retentionDays) { errors.add("retentionDays", "must be between 1 and 90 days") }
        if !(0...100).contains(i.priority) { errors.add("priority", "must be between 0 and 100") }
        try errors.throwIfAny()
        let s = existing ?? EPGSourceModel()
        let before: [String: String?]? = existing.map { ["name": $0.name, "url": $0.url, "shift": String($0.timeShiftMinutes), "zone": $0.zone, "priority": String($0.priority)] }
        if existing == nil {
            s.deploymentID = deploymentID
            s.etag = ""
            s.lastModified = ""
        } else if s.url != url {
            // Another file: the old validators say nothing about it.
            s.etag = ""
            s.lastModified = ""
        }
        s.name = name
        s.url = url
        s.zone = i.zone
        s.timeShiftMinutes = i.timeShiftMinutes
        s.refreshHour = url.isEmpty ? nil : i.refreshHour
        s.retentionDays = i.retentionDays
        s.enabled = i.enabled
        s.priority = i.priority
        try await env.write { db in
            try await s.save(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "epg_source", entityID: String(s.id!),
                                          action: existing == nil ? "create" : "update", before: before,
                                          after: ["name": name, "url": url, "shift": String(i.timeShiftMinutes), "zone": i.zone, "priority": String(i.priority)])
        }
        return s
    }

    public static func find(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int) async throws -> EPGSourceModel {
        try actor.require(.cms, in: deploymentID)
        guard let s = try await EPGSourceModel.query(on: env.db).filter(\.$id == id).filter(\.$deploymentID == deploymentID).first() else {
            throw DomainError.notFound("The EPG source")
        }
        return s
    }

    public static func list(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID) async throws -> [EPGSourceModel] {
        try actor.require(.cms, in: deploymentID)
        return try await EPGSourceModel.query(on: env.db).filter(\.$deploymentID == deploymentID).sort(\.$name).all()
    }

    /// What deleting a source takes with it: its programmes (every import's) and the TVMS
    /// channels whose guide link points at it.
    public struct Impact: Sendable {
        public var programmes: Int
        public var guideChannels: Int
        public var linkedChannels: [ChannelModel]
    }

    public static func impact(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int) async throws -> (EPGSourceModel, Impact) {
        let s = try await find(env, actor: actor, deploymentID: deploymentID, id: id)
        let guides = try await EPGChannelModel.query(on: env.db).filter(\.$sourceID == id).all().compactMap(\.id)
        let programmes = guides.isEmpty ? 0 : try await EPGProgrammeModel.query(on: env.db).filter(\.$epgChannelID ~~ guides).count()
        let linked = try await ChannelModel.query(on: env.db).filter(\.$deploymentID == deploymentID).filter(\.$epgSourceID == id).sort(\.$number).all()
        return (s, Impact(programmes: programmes, guideChannels: guides.count, linkedChannels: linked))
    }

    /// Deletes a source with everything it brought: its runs, guide channels, programmes and
    /// the pending or rejected proposals of its channels; TVMS channels linked to it lose their
    /// link (they show no guide until linked again). Confirmed names (aliases) stay: they name
    /// an XMLTV id, which another source may carry too. One transaction, one audit record.
    @discardableResult
    public static func delete(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int) async throws -> Impact {
        let (s, impact) = try await self.impact(env, actor: actor, deploymentID: deploymentID, id: id)
        try await env.write { db in
            let guides = try await EPGChannelModel.query(on: db).filter(\.$sourceID == id).all().compactMap(\.id)
            try await ChannelModel.query(on: db).filter(\.$deploymentID == deploymentID).filter(\.$epgSourceID == id)
                .set(\.$epgSourceID, to: nil).set(\.$epgChannelID, to: "").set(\.$epgShiftMinutes, to: 0).update()
            if !guides.isEmpty {
                try await EPGSuggestionModel.query(on: db).filter(\.$deploymentID == deploymentID).filter(\.$epgChannelID ~~ guides).delete()
                // By guide channel: this also takes the rows of an import still being written.
                for chunk in stride(from: 0, to: guides.count, by: 500).map({ Array(guides[$0..<min($0 + 500, guides.count)]) }) {
                    try await EPGProgrammeModel.query(on: db).filter(\.$epgChannelID ~~ chunk).delete()
                }
            }
            try await EPGChannelModel.query(on: db).filter(\.$sourceID == id).delete()
            try await EPGImportModel.query(on: db).filter(\.$sourceID == id).delete()
            try await EPGSourceModel.query(on: db).filter(\.$id == id).filter(\.$deploymentID == deploymentID).delete()
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "epg_source", entityID: String(id), action: "delete",
                                          before: ["name": s.name, "url": s.url],
                                          after: ["programmes": String(impact.programmes), "guideChannels": String(impact.guideChannels),
                                                  "unlinkedChannels": impact.linkedChannels.map { String($0.number) }.joined(separator: ",")])
        }
        return impact
    }

    public static func runs(_ env: ServiceEnvironment, sourceID: Int, limit: Int = 20) async throws -> [EPGImportModel] {
        try await EPGImportModel.query(on: env.db).filter(\.$sourceID == sourceID).sort(\.$id, .descending).limit(limit).all()
    }

    /// Downloads the source's URL (conditionally: an unchanged guide is not imported again) and
    /// imports it. A refused or failed download is recorded as a failed run.
    public static func refresh(_ env: ServiceEnvironment, http: any OutboundHTTP, actor: Principal, sourceID: Int,
                               progress: (@Sendable (EPGImportService.Progress) -> Void)? = nil) async throws -> EPGImportService.Summary {
        let s = try await EPGImportService.source(env, actor: actor, id: sourceID)
        guard !s.url.isEmpty else { throw DomainError(.conflict, code: "no_url", "\(s.name) has no URL; import a file into it instead.") }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tvms-epg-download-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        var headers: [(String, String)] = [("Accept-Encoding", "identity")]
        if !s.etag.isEmpty { headers.append(("If-None-Match", s.etag)) }
        if !s.lastModified.isEmpty { headers.append(("If-Modified-Since", s.lastModified)) }
        let outcome: (status: Int, headers: [(String, String)], bytes: Int64)
        do {
            outcome = try await http.download(url: s.url, headers: headers, to: file, maxBytes: maxDownload, timeout: downloadTimeout)
        } catch is OutboundTooLarge {
            return try await record(env, source: s, status: "failed", message: "The guide is larger than \(maxDownload / 1_048_576) MB; nothing was imported.")
        } catch is OutboundTimeout {
            return try await record(env, source: s, status: "failed", message: "The download did not finish within \(Int(downloadTimeout / 60)) minutes; nothing was imported.")
        } catch {
            return try await record(env, source: s, status: "failed", message: "The guide could not be downloaded (\(URL(string: s.url)?.host ?? "host") unreachable).")
        }
        if outcome.status == 304 { return try await record(env, source: s, status: "unchanged", message: "Not modified since the last download.") }
        guard (200..<300).contains(outcome.status) else {
            return try await record(env, source: s, status: "failed", message: "The guide's server answered HTTP \(outcome.status); nothing was imported.")
        }
        let summary = try await EPGImportService.importFile(env, actor: actor, sourceID: sourceID, path: file.path, progress: progress)
        if summary.status == "ok" {
            func header(_ n: String) -> String { outcome.headers.first { $0.0.caseInsensitiveCompare(n) == .orderedSame }?.1 ?? "" }
            let (etag, modified) = (header("ETag"), header("Last-Modified"))
            try await env.write { db in
                try await EPGSourceModel.query(on: db).filter(\.$id == sourceID).set(\.$etag, to: etag).set(\.$lastModified, to: modified).update()
            }
        }
        return summary
    }

    /// A run that ended before any import (download refused, not modified).
    static func record(_ env: ServiceEnvironment, source: EPGSourceModel, status: String, message: String) async throws -> EPGImportService.Summary {
        let run = EPGImportModel()
        run.sourceID = try source.requireID()
        run.status = status
        run.message = message
        run.warnings = ""
        run.startedAt = env.now
        run.finishedAt = env.now
        run.bytes = 0
        run.channels = 0
        run.programmes = 0
        run.skipped = 0
        try await env.write { db in try await run.create(on: db) }
        return EPGImportService.Summary(importID: run.id!, status: status, channels: 0, programmes: 0, skipped: 0, bytes: 0, warnings: [], message: message)
    }
}

/// Background EPG work: "Import now" from the console runs as a job (any node may download),
/// and a check every five minutes refreshes the sources whose daily hour (in the deployment's
/// time zone) has come since their last run.
public enum EPGJobs {
    public static let refreshDueKind = "epg.refresh-due"

    struct Payload: Codable { var sourceId: Int }

    public static func payload(sourceID: Int) -> String {
        String(decoding: (try? JSONEncoder().encode(Payload(sourceId: sourceID))) ?? Data(), as: UTF8.self)
    }

    public static func runImport(_ ctx: JobContext, http: any OutboundHTTP) async throws -> String? {
        guard let p = try? JSONDecoder().decode(Payload.self, from: Data(ctx.payload.utf8)) else { return "bad payload" }
        // Deleted after the import was queued: nothing to do.
        guard try await EPGSourceModel.find(p.sourceId, on: ctx.env.db) != nil else { return "the source was deleted" }
        let s = try await EPGSourceService.refresh(ctx.env, http: http, actor: .system("EPG import job"), sourceID: p.sourceId)
        guard s.status != "failed" else { throw DomainError(.conflict, code: "epg_import_failed", s.message) }
        return "\(s.status): \(s.message)"
    }

    /// The last moment at or before `now` when the daily refresh hour struck in `zone`.
    public static func lastRefreshInstant(hour: Int, zone: TimeZone, now: Date) -> Date {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = zone
        var c = cal.dateComponents([.year, .month, .day], from: now)
        c.hour = hour
        let today = cal.date(from: c) ?? now
        return today <= now ? today : cal.date(byAdding: .day, value: -1, to: today) ?? today
    }

    public static func refreshDue(_ ctx: JobContext, http: any OutboundHTTP) async throws -> String? {
        var done: [String] = []
        for s in try await EPGSourceModel.query(on: ctx.env.db).filter(\.$enabled == true).filter(\.$url != "").all() {
            guard let hour = s.refreshHour, let d = try await DeploymentModel.find(s.deploymentID, on: ctx.env.db) else { continue }
            let due = lastRefreshInstant(hour: hour, zone: TimeZone(identifier: d.timeZone) ?? TimeZone(identifier: "UTC")!, now: ctx.env.now)
            let last = try await EPGImportModel.query(on: ctx.env.db).filter(\.$sourceID == s.id!).sort(\.$id, .descending).first()
            guard (last?.startedAt ?? .distantPast) < due else { continue }
            let r = try await EPGSourceService.refresh(ctx.env, http: http, actor: .system("EPG daily refresh"), sourceID: s.id!)
            done.append("\(s.name): \(r.status)")
        }
        return done.isEmpty ? "nothing due" : done.joined(separator: "; ")
    }
}
