import Domain
import FluentKit
import Foundation
import Storage

/// Top panel › Super Hostname: one app build for several operators. The app is configured with
/// the super hostname, asks the subscriber for a service id and then behaves as if it had been
/// configured with the hostname that id maps to. Installation-wide, so only the owner edits it.
public enum SuperHostnameService {
    public struct Entry: Sendable {
        public var serviceID: String
        public var mappingID: Int
        public var hostname: String
        public var deploymentName: String
    }

    static func requireOwner(_ actor: Principal) throws {
        try actor.require(.manageSystemUsers)
    }

    public static func list(_ env: ServiceEnvironment, actor: Principal) async throws -> [SuperHostnameModel] {
        try requireOwner(actor)
        return try await SuperHostnameModel.query(on: env.db).sort(\.$hostname).all()
    }

    public static func find(_ env: ServiceEnvironment, actor: Principal, id: Int) async throws -> SuperHostnameModel {
        try requireOwner(actor)
        guard let s = try await SuperHostnameModel.find(id, on: env.db) else { throw DomainError.notFound("The super hostname") }
        return s
    }

    public static func create(_ env: ServiceEnvironment, actor: Principal, hostname: String) async throws -> SuperHostnameModel {
        try requireOwner(actor)
        guard let host = BrandingRules.hostname(hostname) else {
            throw DomainError.validation(["hostname": "must be a host name such as apps.example.com (no http://, path or port)"])
        }
        try await HostnameService.requireFree(host, on: env.db)
        let s = SuperHostnameModel()
        s.hostname = host
        try await env.write { db in
            try await s.create(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: nil, entityType: "super_hostname", entityID: String(s.id!),
                                          action: "create", after: ["hostname": host])
        }
        return s
    }

    public static func delete(_ env: ServiceEnvironment, actor: Principal, id: Int) async throws {
        let s = try await find(env, actor: actor, id: id)
        try await env.write { db in
            try await SuperHostnameServiceModel.query(on: db).filter(\.$superHostnameID == id).delete()
            try await s.delete(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: nil, entityType: "super_hostname", entityID: String(id),
                                          action: "delete", before: ["hostname": s.hostname])
        }
    }

    /// The service ids of a super hostname, by id, with the hostname and deployment each opens.
    public static func entries(_ env: ServiceEnvironment, actor: Principal, id: Int) async throws -> [Entry] {
        _ = try await find(env, actor: actor, id: id)
        let rows = try await SuperHostnameServiceModel.query(on: env.db).filter(\.$superHostnameID == id).sort(\.$serviceID).all()
        let hosts = Dictionary(uniqueKeysWithValues: try await HostnameModel.query(on: env.db).filter(\.$id ~~ rows.map(\.hostnameID)).all().map { ($0.id!, $0) })
        let deployments = Dictionary(uniqueKeysWithValues: try await DeploymentModel.query(on: env.db).all().map { ($0.id!, $0.name) })
        return rows.compactMap { r in
            guard let h = hosts[r.hostnameID] else { return nil }
            return Entry(serviceID: r.serviceID, mappingID: r.id!, hostname: h.hostname, deploymentName: deployments[h.deploymentID] ?? "")
        }
    }

    /// Every hostname of the installation, for the owner's "maps to" choice.
    public static func hostnameChoices(_ env: ServiceEnvironment, actor: Principal) async throws -> [HostnameModel] {
        try requireOwner(actor)
        return try await HostnameModel.query(on: env.db).sort(\.$hostname).all()
    }

    public static func addService(_ env: ServiceEnvironment, actor: Principal, id: Int, serviceID: String, hostnameID: Int) async throws {
        let s = try await find(env, actor: actor, id: id)
        var errors = FieldErrors()
        let sid = HostnameRules.serviceID(serviceID)
        if sid == nil { errors.add("serviceId", "must be 1 to \(HostnameRules.serviceIDLimit) letters, digits, - or _") }
        let host = try await HostnameModel.find(hostnameID, on: env.db)
        if host == nil { errors.add("hostname", "choose a hostname") }
        try errors.throwIfAny()
        if try await SuperHostnameServiceModel.query(on: env.db).filter(\.$superHostnameID == id).filter(\.$serviceID == sid!).first() != nil {
            throw DomainError(.conflict, code: "service_id_taken", "Service id \(sid!) is already used on \(s.hostname).", fields: ["serviceId": "is already used on this super hostname"])
        }
        let m = SuperHostnameServiceModel()
        m.superHostnameID = id
        m.serviceID = sid!
        m.hostnameID = hostnameID
        try await env.write { db in
            try await m.create(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: host!.deploymentID, entityType: "super_hostname", entityID: String(id),
                                          action: "add_service", after: ["serviceId": sid!, "hostname": host!.hostname])
        }
    }

    public static func removeService(_ env: ServiceEnvironment, actor: Principal, id: Int, mappingID: Int) async throws {
        _ = try await find(env, actor: actor, id: id)
        guard let m = try await SuperHostnameServiceModel.query(on: env.db).filter(\.$id == mappingID).filter(\.$superHostnameID == id).first() else {
            throw DomainError.notFound("The service id")
        }
        try await env.write { db in
            try await m.delete(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: nil, entityType: "super_hostname", entityID: String(id),
                                          action: "remove_service", before: ["serviceId": m.serviceID, "hostnameId": String(m.hostnameID)])
        }
    }
}
