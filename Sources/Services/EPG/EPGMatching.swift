import Domain
import FluentKit
import Foundation
import Storage

/// How TVMS channels get their guide: a manual link always wins; the automatic run links by the
/// channel's EPG id (exact XMLTV id), then an alias the operator confirmed before, then the same
/// normalised name — and only proposes fuzzy matches, with a confidence, for a person to accept
/// or reject. Nothing fuzzy is ever applied on its own.
public enum EPGMatching {
    /// Fuzzy candidates below this are not even proposed.
    public static let suggestThreshold = 0.4

    public struct Result: Sendable {
        public var linked: [(channel: String, guide: String, method: String)] = []
        public var suggested = 0
    }

    public static func guideChannels(_ env: ServiceEnvironment, deploymentID: UUID) async throws -> [EPGChannelModel] {
        let sources = try await EPGSourceModel.query(on: env.db).filter(\.$deploymentID == deploymentID).sort(\.$id).all().compactMap(\.id)
        guard !sources.isEmpty else { return [] }
        return try await EPGChannelModel.query(on: env.db).filter(\.$sourceID ~~ sources).sort(\.$sourceID).sort(\.$id).all()
    }

    /// Links a channel to a guide channel of this deployment, with its own time shift.
    public static func link(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, channelID: Int, epgChannelID: Int, shiftMinutes: Int, method: String = "manual") async throws {
        let channel = try await ChannelService.find(env, actor: actor, deploymentID: deploymentID, id: channelID)
        guard let guide = try await EPGChannelModel.find(epgChannelID, on: env.db),
              try await EPGSourceModel.query(on: env.db).filter(\.$id == guide.sourceID).filter(\.$deploymentID == deploymentID).first() != nil else {
            throw DomainError.notFound("The guide channel")
        }
        guard (-1440...1440).contains(shiftMinutes) else { throw DomainError.validation(["shiftMinutes": "must be between −1440 and 1440 minutes"]) }
        try await env.write { db in
            channel.epgSourceID = guide.sourceID
            channel.epgChannelID = guide.externalID
            channel.epgShiftMinutes = shiftMinutes
            try await channel.save(on: db)
            try await EPGSuggestionModel.query(on: db).filter(\.$channelID == channelID).delete()
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "channel", entityID: String(channelID),
                                          action: "epg_link", after: ["source": String(guide.sourceID), "guideChannel": guide.externalID, "shift": String(shiftMinutes), "method": method])
        }
    }

    /// "Clear Link": the channel shows no guide until linked again.
    public static func clear(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, channelID: Int) async throws {
        let channel = try await ChannelService.find(env, actor: actor, deploymentID: deploymentID, id: channelID)
        let before = channel.epgChannelID
        try await env.write { db in
            channel.epgSourceID = nil
            channel.epgChannelID = ""
            channel.epgShiftMinutes = 0
            try await channel.save(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "channel", entityID: String(channelID),
                                          action: "epg_clear", before: ["guideChannel": before])
        }
    }

    /// The choice among guide channels that match a channel equally well (the same XMLTV id,
    /// alias or normalised name) in one or several sources: the source with the highest
    /// priority, then the guide channel with more programmes. When the best two are still
    /// equal the choice is a person's: `nil`, and the tied candidates go to the review queue.
    public static func choose(_ candidates: [EPGChannelModel], priority: [Int: Int]) -> (chosen: EPGChannelModel?, tied: [EPGChannelModel]) {
        func key(_ g: EPGChannelModel) -> (Int, Int) { (priority[g.sourceID] ?? 0, g.programmeCount) }
        let ranked = candidates.sorted { key($0) > key($1) || (key($0) == key($1) && ($0.sourceID, $0.id ?? 0) < ($1.sourceID, $1.id ?? 0)) }
        guard let best = ranked.first else { return (nil, []) }
        let tied = ranked.filter { key($0) == key(best) }
        return tied.count == 1 ? (best, []) : (nil, tied)
    }

    /// Links what it can be sure of and proposes the rest.
    public static func run(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID) async throws -> Result {
        try actor.require(.cms, in: deploymentID)
        let guides = try await guideChannels(env, deploymentID: deploymentID)
        var result = Result()
        guard !guides.isEmpty else { return result }
        let priority = Dictionary(uniqueKeysWithValues: try await EPGSourceModel.query(on: env.db).filter(\.$deploymentID == deploymentID).all().map { ($0.id!, $0.priority) })
        var byID: [String: [EPGChannelModel]] = [:], byName: [String: [EPGChannelModel]] = [:]
        for g in guides {
            byID[g.externalID.lowercased(), default: []].append(g)
            let n = ChannelNameMatching.normalised(g.displayName)
            if !n.isEmpty { byName[n, default: []].append(g) }
        }
        let aliases = Dictionary(try await EPGAliasModel.query(on: env.db).filter(\.$deploymentID == deploymentID).all().map { ($0.alias, $0.externalID.lowercased()) },
                                 uniquingKeysWith: { a, _ in a })
        let rejected = Set(try await EPGSuggestionModel.query(on: env.db).filter(\.$deploymentID == deploymentID).filter(\.$status == "rejected").all()
            .map { "\($0.channelID):\($0.epgChannelID)" })
        let unlinked = try await ChannelModel.query(on: env.db).filter(\.$deploymentID == deploymentID).filter(\.$epgSourceID == nil).sort(\.$number).all()
        var proposals: [EPGSuggestionModel] = []
        func propose(_ c: ChannelModel, _ g: EPGChannelModel, _ confidence: Double) {
            let s = EPGSuggestionModel()
            s.deploymentID = deploymentID
            s.channelID = c.id!
            s.epgChannelID = g.id!
            s.confidence = confidence
            s.status = "pending"
            proposals.append(s)
        }
        channels: for c in unlinked {
            let name = ChannelNameMatching.normalised(c.name)
            // Sure matches, strongest first; a rejected pair is never taken again.
            let levels: [(String, [EPGChannelModel])] = [
                ("id", c.epgChannelID.isEmpty ? [] : byID[c.epgChannelID.lowercased()] ?? []),
                ("alias", aliases[name].flatMap { byID[$0] } ?? []),
                ("name", name.isEmpty ? [] : byName[name] ?? []),
            ]
            for (method, all) in levels {
                let candidates = all.filter { !rejected.contains("\(c.id!):\($0.id!)") }
                guard !candidates.isEmpty else { continue }
                let (chosen, tied) = choose(candidates, priority: priority)
                if let g = chosen {
                    try await link(env, actor: actor, deploymentID: deploymentID, channelID: c.id!, epgChannelID: g.id!, shiftMinutes: c.epgShiftMinutes, method: method)
                    result.linked.append((c.name, g.displayName, method))
                } else {
                    // Equally good in several places: a person chooses.
                    for g in tied { propose(c, g, 1) }
                }
                continue channels
            }
            let ranked = guides.map { ($0, ChannelNameMatching.similarity(c.name, $0.displayName)) }
                .filter { $0.1 >= suggestThreshold && !rejected.contains("\(c.id!):\($0.0.id!)") }
                .sorted { $0.1 > $1.1 }.prefix(3)
            for (g, score) in ranked { propose(c, g, (score * 100).rounded() / 100) }
        }
        let toStore = proposals
        let linkedCount = result.linked.count
        try await env.write { db in
            // Pending proposals are recomputed; rejections are remembered.
            try await EPGSuggestionModel.query(on: db).filter(\.$deploymentID == deploymentID).filter(\.$status == "pending").delete()
            for s in toStore { try await s.create(on: db) }
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "epg_matching", entityID: deploymentID.uuidString,
                                          action: "run", after: ["linked": String(linkedCount), "suggested": String(toStore.count)])
        }
        result.suggested = Set(toStore.map(\.channelID)).count
        return result
    }

    /// Accepting links the channel and remembers its name as an alias of that guide channel.
    public static func accept(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, suggestionID: Int) async throws {
        guard let s = try await EPGSuggestionModel.query(on: env.db).filter(\.$id == suggestionID).filter(\.$deploymentID == deploymentID).first(),
              let channel = try await ChannelModel.find(s.channelID, on: env.db), let guide = try await EPGChannelModel.find(s.epgChannelID, on: env.db) else {
            throw DomainError.notFound("The suggestion")
        }
        try await link(env, actor: actor, deploymentID: deploymentID, channelID: s.channelID, epgChannelID: s.epgChannelID, shiftMinutes: channel.epgShiftMinutes, method: "accepted")
        let alias = ChannelNameMatching.normalised(channel.name)
        guard !alias.isEmpty else { return }
        try await env.write { db in
            try await EPGAliasModel.query(on: db).filter(\.$deploymentID == deploymentID).filter(\.$alias == alias).delete()
            let a = EPGAliasModel()
            a.deploymentID = deploymentID
            a.alias = alias
            a.externalID = guide.externalID
            try await a.create(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "epg_alias", entityID: String(a.id!),
                                          action: "create", after: ["alias": alias, "guideChannel": guide.externalID])
        }
    }

    /// The names the operator confirmed (normalised name → XMLTV id), by name.
    public static func aliases(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID) async throws -> [EPGAliasModel] {
        try actor.require(.cms, in: deploymentID)
        return try await EPGAliasModel.query(on: env.db).filter(\.$deploymentID == deploymentID).sort(\.$alias).all()
    }

    /// Forgets a confirmed name: the next run no longer links by it (a link it made stays).
    public static func forgetAlias(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, aliasID: Int) async throws -> EPGAliasModel {
        try actor.require(.cms, in: deploymentID)
        guard let a = try await EPGAliasModel.query(on: env.db).filter(\.$id == aliasID).filter(\.$deploymentID == deploymentID).first() else {
            throw DomainError.notFound("The remembered name")
        }
        try await env.write { db in
            try await EPGAliasModel.query(on: db).filter(\.$id == aliasID).filter(\.$deploymentID == deploymentID).delete()
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "epg_alias", entityID: String(aliasID),
                                          action: "delete", before: ["alias": a.alias, "guideChannel": a.externalID])
        }
        return a
    }

    public static func reject(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, suggestionID: Int) async throws {
        try actor.require(.cms, in: deploymentID)
        guard let s = try await EPGSuggestionModel.query(on: env.db).filter(\.$id == suggestionID).filter(\.$deploymentID == deploymentID).first() else {
            throw DomainError.notFound("The suggestion")
        }
        try await env.write { db in
            s.status = "rejected"
            try await s.save(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "channel", entityID: String(s.channelID),
                                          action: "epg_reject", after: ["guideChannel": String(s.epgChannelID)])
        }
    }

    public static func pending(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID) async throws -> [EPGSuggestionModel] {
        try actor.require(.cms, in: deploymentID)
        return try await EPGSuggestionModel.query(on: env.db).filter(\.$deploymentID == deploymentID).filter(\.$status == "pending")
            .sort(\.$channelID).sort(\.$confidence, .descending).all()
    }
}
