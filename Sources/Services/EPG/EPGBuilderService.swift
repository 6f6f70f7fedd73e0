import Domain
import FluentKit
import Foundation
import SQLKit
import Storage

/// CMS › Channels › EPG Builder: programmes made by hand for channels without a feed, single or
/// as weekly slots, stored like imported ones — in the deployment's "EPG Builder" source, whose
/// guide channel for a TVMS channel is `builder-{number}` — so outputs, matching and retention
/// treat them the same.
public enum EPGBuilderService {
    public static let sourceName = "EPG Builder"

    /// The builder source of a deployment (made on first use) with its one, permanent import.
    static func source(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID) async throws -> (EPGSourceModel, Int) {
        if let s = try await EPGSourceModel.query(on: env.db).filter(\.$deploymentID == deploymentID).filter(\.$name == sourceName).first(), let active = s.activeImportID {
            return (s, active)
        }
        var input = EPGSourceService.Input(name: sourceName)
        input.refreshHour = nil
        input.retentionDays = 30
        let s = try await EPGSourceService.save(env, actor: actor, deploymentID: deploymentID, id: nil, input: input)
        let run = EPGImportModel()
        run.sourceID = s.id!
        run.status = "ok"
        run.message = "Programmes made by hand"
        run.warnings = ""
        run.startedAt = env.now
        run.finishedAt = env.now
        run.bytes = 0; run.channels = 0; run.programmes = 0; run.skipped = 0
        try await env.write { db in
            try await run.create(on: db)
            try await EPGSourceModel.query(on: db).filter(\.$id == s.id!).set(\.$activeImportID, to: run.id!).update()
        }
        return (s, run.id!)
    }

    /// The builder's guide channel for a TVMS channel, linked to it if the channel has no guide.
    static func guideChannel(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, channel: ChannelModel) async throws -> (EPGChannelModel, Int) {
        let (source, importID) = try await source(env, actor: actor, deploymentID: deploymentID)
        let external = "builder-\(channel.number)"
        let g: EPGChannelModel
        if let found = try await EPGChannelModel.query(on: env.db).filter(\.$sourceID == source.id!).filter(\.$externalID == external).first() {
            g = found
        } else {
            g = EPGChannelModel()
            g.sourceID = source.id!
            g.externalID = external
            g.displayName = channel.name
            g.icon = ""
            g.programmeCount = 0
            try await env.write { db in try await g.create(on: db) }
        }
        if channel.epgSourceID == nil {
            try await EPGMatching.link(env, actor: actor, deploymentID: deploymentID, channelID: channel.id!, epgChannelID: g.id!, shiftMinutes: 0, method: "builder")
        }
        return (g, importID)
    }

    public struct Slot: Sendable {
        public var title: String
        public var description = ""
        public var category = ""
        /// The first day (in the deployment's zone) and local start time.
        public var day: DateComponents
        public var hour: Int
        public var minute: Int
        public var durationMinutes: Int
        /// 1 = Sunday … 7 = Saturday (Calendar weekdays); empty = only `day`.
        public var weekdays: Set<Int> = []
        public var weeks = 1
        public init(title: String, day: DateComponents, hour: Int, minute: Int, durationMinutes: Int) {
            self.title = title
            self.day = day
            self.hour = hour
            self.minute = minute
            self.durationMinutes = durationMinutes
        }
    }

    /// The UTC start times of a slot: each chosen weekday at the local time, for `weeks` weeks
    /// from `day` (DST-safe: local wall-clock time in the deployment's zone).
    public static func starts(_ slot: Slot, zone: TimeZone) -> [Date] {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = zone
        var first = slot.day
        first.hour = slot.hour
        first.minute = slot.minute
        guard let start = cal.date(from: first) else { return [] }
        if slot.weekdays.isEmpty { return [start] }
        var out: [Date] = []
        for offset in 0..<(slot.weeks * 7) {
            guard let d = cal.date(byAdding: .day, value: offset, to: start), slot.weekdays.contains(cal.component(.weekday, from: d)) else { continue }
            out.append(d)
        }
        return out
    }

    /// Adds a programme or a weekly slot's programmes to a channel; refuses overlaps with what
    /// the builder already has there.
    public static func add(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, channelID: Int, slot: Slot) async throws -> Int {
        let channel = try await ChannelService.find(env, actor: actor, deploymentID: deploymentID, id: channelID)
        var errors = FieldErrors()
        let title = slot.title.trimmingCharacters(in: .whitespaces)
        if title.isEmpty { errors.add("title", "is required") }
        if !(1...1440).contains(slot.durationMinutes) { errors.add("duration", "must be between 1 and 1440 minutes") }
        if !(0...23).contains(slot.hour) || !(0...59).contains(slot.minute) { errors.add("time", "must be a time of day, e.g. 20:15") }
        if !(1...52).contains(slot.weeks) { errors.add("weeks", "must be between 1 and 52") }
        try errors.throwIfAny()
        guard let d = try await DeploymentModel.find(deploymentID, on: env.db) else { throw DomainError.notFound("The deployment") }
        let starts = starts(slot, zone: TimeZone(identifier: d.timeZone) ?? TimeZone(identifier: "UTC")!)
        guard !starts.isEmpty else { throw DomainError.validation(["weekdays": "no day of the chosen weeks is one of the chosen weekdays"]) }
        let (guide, importID) = try await guideChannel(env, actor: actor, deploymentID: deploymentID, channel: channel)
        let length = TimeInterval(slot.durationMinutes * 60)
        for s in starts {
            if let clash = try await EPGProgrammeModel.query(on: env.db).filter(\.$epgChannelID == guide.id!).filter(\.$importID == importID)
                .filter(\.$start < s + length).filter(\.$stop > s).first() {
                throw DomainError(.conflict, code: "epg_overlap", "\(clash.title) is already on \(channel.name) then; delete it first.")
            }
        }
        try await env.write { db in
            for s in starts {
                let p = EPGProgrammeModel()
                p.epgChannelID = guide.id!
                p.importID = importID
                p.start = s
                p.stop = s + length
                p.title = title
                p.titleLang = ""
                p.subTitle = ""
                p.description = slot.description
                p.categories = slot.category.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: ",")
                p.episodeNS = ""; p.episodeOnscreen = ""; p.rating = ""; p.icon = ""
                p.previouslyShown = false; p.isNew = false; p.premiere = false
                try await p.create(on: db)
            }
            try await refreshCounts(db, guideID: guide.id!, importID: importID)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "channel", entityID: String(channelID),
                                          action: "epg_build", after: ["title": title, "programmes": String(starts.count)])
        }
        return starts.count
    }

    public static func delete(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, programmeID: Int) async throws {
        try actor.require(.cms, in: deploymentID)
        let (source, importID) = try await source(env, actor: actor, deploymentID: deploymentID)
        guard let p = try await EPGProgrammeModel.query(on: env.db).filter(\.$id == programmeID).filter(\.$importID == importID).first(),
              let g = try await EPGChannelModel.find(p.epgChannelID, on: env.db), g.sourceID == source.id else { throw DomainError.notFound("The programme") }
        try await env.write { db in
            try await p.delete(on: db)
            try await refreshCounts(db, guideID: g.id!, importID: importID)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "epg_programme", entityID: String(programmeID),
                                          action: "delete", before: ["title": p.title])
        }
    }

    static func refreshCounts(_ db: any Database, guideID: Int, importID: Int) async throws {
        try await db.sql.raw("""
            UPDATE epg_channels SET
              programme_count = (SELECT COUNT(*) FROM epg_programmes p WHERE p.epg_channel_id = epg_channels.id AND p.import_id = \(bind: importID)),
              first_start = (SELECT MIN(start) FROM epg_programmes p WHERE p.epg_channel_id = epg_channels.id AND p.import_id = \(bind: importID)),
              last_stop = (SELECT MAX(stop) FROM epg_programmes p WHERE p.epg_channel_id = epg_channels.id AND p.import_id = \(bind: importID))
            WHERE id = \(bind: guideID)
            """).run()
    }

    /// A channel's hand-made programmes from `from` on.
    public static func programmes(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, channel: ChannelModel, from: Date, limit: Int = 500) async throws -> [EPGProgrammeModel] {
        try actor.require(.cms, in: deploymentID)
        // Looking is not making: no builder source until something is added.
        guard let source = try await EPGSourceModel.query(on: env.db).filter(\.$deploymentID == deploymentID).filter(\.$name == sourceName).first(),
              let importID = source.activeImportID else { return [] }
        guard let g = try await EPGChannelModel.query(on: env.db).filter(\.$sourceID == source.id!).filter(\.$externalID == "builder-\(channel.number)").first() else { return [] }
        return try await EPGProgrammeModel.query(on: env.db).filter(\.$epgChannelID == g.id!).filter(\.$importID == importID).filter(\.$stop > from)
            .sort(\.$start).limit(limit).all()
    }
}
