import Domain
import FluentKit
import Foundation
import SQLKit
import Storage

/// A profile's own lists: favourites, watchlist ("My List") and resume points, kept on the
/// server so every device of the household sees them and the CRM can show them. Items must be
/// in the customer's deployment; profiles must be the signed-in customer's.
public enum PersonalDataService {
    public typealias Context = DeviceSessionService.Context

    public enum List: String, Sendable, CaseIterable { case favorites, watchlist }

    /// Entries per list and profile. A list is for choosing from on a TV screen; beyond this it
    /// is a catalogue of its own.
    public static let maxListItems = 500
    /// How many entries continue-watching returns at most.
    public static let maxContinue = 50

    /// Item types the lists take: channels and every on-demand kind.
    public static let listTypes: [String] = ["channel"] + VoDKind.allCases.map(\.rawValue)

    public struct Entry: Sendable, Codable, Equatable {
        public var item: String
        public var type: String
        public var id: Int
        public var title: String
        public var addedAt: Date
    }

    public struct Progress: Sendable, Codable, Equatable {
        public var item: String
        public var type: String
        public var id: Int
        public var title: String
        public var position: Int
        public var duration: Int
        public var finished: Bool
        /// position ÷ duration, 0…1.
        public var progress: Double
        public var updatedAt: Date
        /// The season, album or course of an episode, song or lesson.
        public var parentId: Int?
    }

    static func ref(type: String, id: Int) throws -> ContentRef {
        guard listTypes.contains(type), id > 0 else {
            throw DomainError.validation(["type": "must be one of \(listTypes.joined(separator: ", ")), with a numeric id"])
        }
        return ContentRef(kind: type, id: id)
    }

    /// Titles of the items that exist in the deployment (others are left out).
    static func titles(_ env: ServiceEnvironment, deploymentID: UUID, refs: [ContentRef]) async throws -> [ContentRef: (title: String, parent: Int?)] {
        var out: [ContentRef: (title: String, parent: Int?)] = [:]
        let channelIDs = refs.filter { $0.kind == "channel" }.map(\.id)
        for chunk in channelIDs.chunked(500) {
            for c in try await ChannelModel.query(on: env.db).filter(\.$deploymentID == deploymentID).filter(\.$id ~~ chunk).all() {
                out[.channel(c.id!)] = (c.name, nil)
            }
        }
        let vodIDs = refs.filter { $0.kind != "channel" }.map(\.id)
        for chunk in vodIDs.chunked(500) {
            for v in try await VoDItemModel.query(on: env.db).filter(\.$deploymentID == deploymentID).filter(\.$id ~~ chunk).all() {
                out[ContentRef(kind: v.kind, id: v.id!)] = (v.title, v.parentID)
            }
        }
        return out
    }

    static func requireItem(_ env: ServiceEnvironment, _ ctx: Context, _ ref: ContentRef) async throws -> (title: String, parent: Int?) {
        guard let found = try await titles(env, deploymentID: ctx.deploymentID, refs: [ref])[ref] else { throw DomainError.notFound("The item \(ref)") }
        return found
    }

    // MARK: Favourites and watchlist

    /// Adds an item to a list; adding it again changes nothing. Returns the entry and whether it is new.
    public static func add(_ env: ServiceEnvironment, context ctx: Context, profileID: Int, list: List, type: String, id: Int) async throws -> (Entry, created: Bool) {
        _ = try await ProfileService.find(env, context: ctx, id: profileID)
        let r = try ref(type: type, id: id)
        let item = try await requireItem(env, ctx, r)
        if let existing = try await ProfileItemModel.query(on: env.db).filter(\.$profileID == profileID).filter(\.$list == list.rawValue)
            .filter(\.$item == r.description).first() {
            return (Entry(item: r.description, type: r.kind, id: r.id, title: item.title, addedAt: existing.addedAt), false)
        }
        let count = try await ProfileItemModel.query(on: env.db).filter(\.$profileID == profileID).filter(\.$list == list.rawValue).count()
        guard count < maxListItems else {
            throw DomainError(.conflict, code: "list_full", "This profile's \(list == .favorites ? "favourites" : "watchlist") already holds \(maxListItems) items; remove some first.")
        }
        let now = env.now
        // ON CONFLICT: a second device adding the same item at the same moment is not an error.
        let inserted = try await env.writeKeepingCache { db in
            try await db.sql.raw("""
                INSERT INTO profile_items (deployment_id, customer_id, profile_id, list, item, added_at)
                VALUES (\(bind: ctx.deploymentID), \(bind: ctx.customerID), \(bind: profileID), \(bind: list.rawValue), \(bind: r.description), \(bind: now))
                ON CONFLICT (profile_id, list, item) DO NOTHING RETURNING id
                """).all()
        }
        return (Entry(item: r.description, type: r.kind, id: r.id, title: item.title, addedAt: now), !inserted.isEmpty)
    }

    /// Takes an item off a list; taking off what is not there is not an error (retries).
    public static func remove(_ env: ServiceEnvironment, context ctx: Context, profileID: Int, list: List, type: String, id: Int) async throws {
        _ = try await ProfileService.find(env, context: ctx, id: profileID)
        let r = try ref(type: type, id: id)
        try await env.writeKeepingCache { db in
            try await ProfileItemModel.query(on: db).filter(\.$profileID == profileID).filter(\.$customerID == ctx.customerID)
                .filter(\.$list == list.rawValue).filter(\.$item == r.description).delete()
        }
    }

    /// A list, most recently added first; items deleted from the catalogue since are left out.
    public static func entries(_ env: ServiceEnvironment, context ctx: Context, profileID: Int, list: List) async throws -> [Entry] {
        _ = try await ProfileService.find(env, context: ctx, id: profileID)
        let rows = try await ProfileItemModel.query(on: env.db).filter(\.$profileID == profileID).filter(\.$customerID == ctx.customerID)
            .filter(\.$list == list.rawValue).sort(\.$addedAt, .descending).sort(\.$id, .descending).limit(maxListItems).all()
        let refs = rows.compactMap { ContentRef($0.item) }
        let known = try await titles(env, deploymentID: ctx.deploymentID, refs: refs)
        return rows.compactMap { row in
            guard let r = ContentRef(row.item), let t = known[r] else { return nil }
            return Entry(item: row.item, type: r.kind, id: r.id, title: t.title, addedAt: row.addedAt)
        }
    }

    // MARK: Resume points

    static func playableRef(_ item: String) throws -> ContentRef {
        guard let r = ContentRef(item), let k = VoDKind(rawValue: r.kind), k.playable else {
            throw DomainError.validation(["item": "must be a movie, episode, song or lesson, e.g. movie:12"])
        }
        return r
    }

    /// Stores where a profile stopped in a title: one row per profile and title, overwritten by
    /// each report (a retry stores the same thing again). From 95 % of the length the title is
    /// finished and leaves continue-watching; a later report below that brings it back.
    public static func saveProgress(_ env: ServiceEnvironment, context ctx: Context, profileID: Int, item: String, position: Int, duration: Int) async throws -> Progress {
        _ = try await ProfileService.find(env, context: ctx, id: profileID)
        let r = try playableRef(item)
        var errors = FieldErrors()
        if position < 0 { errors.add("position", "must be 0 or more seconds") }
        if duration <= 0 || duration > ResumeRules.maxDuration { errors.add("duration", "must be 1 to \(ResumeRules.maxDuration) seconds") }
        try errors.throwIfAny()
        let found = try await requireItem(env, ctx, r)
        let at = min(position, duration)
        let finished = ResumeRules.finished(position: at, duration: duration)
        let now = env.now
        try await env.writeKeepingCache { db in
            try await db.sql.raw("""
                INSERT INTO profile_progress (deployment_id, customer_id, profile_id, item, position_seconds, duration_seconds, finished, updated_at)
                VALUES (\(bind: ctx.deploymentID), \(bind: ctx.customerID), \(bind: profileID), \(bind: r.description), \(bind: at), \(bind: duration), \(bind: finished), \(bind: now))
                ON CONFLICT (profile_id, item) DO UPDATE SET position_seconds = excluded.position_seconds,
                    duration_seconds = excluded.duration_seconds, finished = excluded.finished, updated_at = excluded.updated_at
                """).run()
        }
        return Progress(item: r.description, type: r.kind, id: r.id, title: found.title, position: at, duration: duration, finished: finished,
                        progress: Double(at) / Double(duration), updatedAt: now, parentId: found.parent)
    }

    /// The resume point of one title, or nil when the profile has none.
    public static func progress(_ env: ServiceEnvironment, context ctx: Context, profileID: Int, item: String) async throws -> Progress? {
        _ = try await ProfileService.find(env, context: ctx, id: profileID)
        let r = try playableRef(item)
        guard let row = try await ProfileProgressModel.query(on: env.db).filter(\.$profileID == profileID).filter(\.$customerID == ctx.customerID)
            .filter(\.$item == r.description).first(), let found = try await titles(env, deploymentID: ctx.deploymentID, refs: [r])[r] else { return nil }
        return view(row, r, found)
    }

    static func view(_ row: ProfileProgressModel, _ r: ContentRef, _ found: (title: String, parent: Int?)) -> Progress {
        Progress(item: row.item, type: r.kind, id: r.id, title: found.title, position: row.positionSeconds, duration: row.durationSeconds, finished: row.finished,
                 progress: row.durationSeconds > 0 ? Double(row.positionSeconds) / Double(row.durationSeconds) : 0, updatedAt: row.updatedAt, parentId: found.parent)
    }

    /// Titles the profile started and did not finish, most recently watched first — only those
    /// that still exist, are enabled and the customer may still play (`Entitlements.decide`:
    /// an expired rental or a package taken out of the product drops a title).
    public static func continueWatching(_ env: ServiceEnvironment, context ctx: Context, profileID: Int, limit: Int = 20) async throws -> [Progress] {
        _ = try await ProfileService.find(env, context: ctx, id: profileID)
        let wanted = max(1, min(limit, maxContinue))
        let rows = try await ProfileProgressModel.query(on: env.db).filter(\.$profileID == profileID).filter(\.$customerID == ctx.customerID)
            .filter(\.$finished == false).sort(\.$updatedAt, .descending).sort(\.$id, .descending).limit(wanted * 4).all()
        guard !rows.isEmpty else { return [] }
        let customer = try await ProfileService.customer(env, ctx)
        let refs = rows.compactMap { ContentRef($0.item) }
        let known = try await titles(env, deploymentID: ctx.deploymentID, refs: refs)
        var out: [Progress] = []
        for row in rows {
            guard out.count < wanted, let r = ContentRef(row.item), let found = known[r] else { continue }
            guard try await Entitlements.decide(env, customer: customer, ref: r) == .allowed else { continue }
            out.append(view(row, r, found))
        }
        return out
    }
}
