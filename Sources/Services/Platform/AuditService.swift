import Domain
import FluentKit
import Foundation
import Storage

/// Writes User Logs records. Called inside the same transaction as the change it describes, so a
/// change without its record (or a record of a change that rolled back) cannot exist.
public enum AuditService {
    public static func record(on db: any Database, at: Date, actor: Principal, deploymentID: UUID?,
                              entityType: String, entityID: String, action: String,
                              before: [String: String?]? = nil, after: [String: String?]? = nil) async throws {
        let r = AuditRecordModel()
        r.at = at
        r.actorKind = actor.kind.rawValue
        r.actorID = actor.userID?.uuidString
        r.actorLabel = actor.label
        r.ip = actor.ip
        r.deploymentID = deploymentID
        r.entityType = entityType
        r.entityID = entityID
        r.action = action
        var b = before, a = after
        if let bb = before, let aa = after {
            let diff = AuditMasking.changes(before: bb, after: aa)
            b = diff.before; a = diff.after
        } else {
            b = before.map(AuditMasking.masked)
            a = after.map(AuditMasking.masked)
        }
        r.beforeJSON = try b.map(encode)
        r.afterJSON = try a.map(encode)
        try await r.create(on: db)
    }

    static func encode(_ values: [String: String?]) throws -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        return String(decoding: try enc.encode(values), as: UTF8.self)
    }

    public struct Filter: Sendable {
        public var deploymentID: UUID?
        public var actorID: String?
        public var entityType: String?
        public var entityID: String?
        public var from: Date?
        public var to: Date?
        public init(deploymentID: UUID? = nil, actorID: String? = nil, entityType: String? = nil,
                    entityID: String? = nil, from: Date? = nil, to: Date? = nil) {
            self.deploymentID = deploymentID
            self.actorID = actorID
            self.entityType = entityType
            self.entityID = entityID
            self.from = from
            self.to = to
        }
    }

    /// Newest first, keyset-paged by id (`beforeID`), scoped to what `actor` may see: owners see
    /// everything, admins only their deployments' records.
    public static func list(_ env: ServiceEnvironment, actor: Principal, filter: Filter, beforeID: Int?, limit: Int) async throws -> [AuditRecordModel] {
        try actor.require(.viewAuditLog)
        let q = AuditRecordModel.query(on: env.db)
        if !actor.seesAllDeployments {
            let ids = Array(actor.deploymentIDs)
            if let d = filter.deploymentID, !ids.contains(d) { return [] }
            q.filter(\.$deploymentID ~~ ids)
        }
        if let d = filter.deploymentID { q.filter(\.$deploymentID == d) }
        if let a = filter.actorID, !a.isEmpty { q.filter(\.$actorID == a) }
        if let e = filter.entityType, !e.isEmpty { q.filter(\.$entityType == e) }
        if let e = filter.entityID, !e.isEmpty { q.filter(\.$entityID == e) }
        if let f = filter.from { q.filter(\.$at >= f) }
        if let t = filter.to { q.filter(\.$at < t) }
        if let b = beforeID { q.filter(\.$id < b) }
        return try await q.sort(\.$id, .descending).limit(limit).all()
    }

    public static func entityTypes(on db: any Database) async throws -> [String] {
        try await db.sql.select().distinct().column("entity_type").from(AuditRecordModel.schema)
            .orderBy("entity_type").all().map { try $0.decode(column: "entity_type", as: String.self) }
    }
}
