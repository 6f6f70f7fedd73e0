import Domain
import Foundation

/// Who is doing something: the subject of every permission check and audit record.
public struct Principal: Sendable, Equatable {
    public enum Kind: String, Sendable { case user, api, reseller, system }

    public var kind: Kind
    public var userID: UUID?
    public var label: String
    public var role: Role?
    /// Deployments a non-owner may touch. Ignored for owners and the system.
    public var deploymentIDs: Set<UUID>
    public var ip: String?
    /// Set for reseller accounts: the reseller they act for. Reads are scoped to its customers.
    public var resellerID: Int? = nil

    public init(kind: Kind, userID: UUID?, label: String, role: Role?, deploymentIDs: Set<UUID>, ip: String?) {
        self.kind = kind
        self.userID = userID
        self.label = label
        self.role = role
        self.deploymentIDs = deploymentIDs
        self.ip = ip
    }

    /// Background jobs and CLI commands.
    public static func system(_ label: String = "system") -> Principal {
        Principal(kind: .system, userID: nil, label: label, role: .owner, deploymentIDs: [], ip: nil)
    }

    public var seesAllDeployments: Bool { kind == .system || role?.seesAllDeployments == true }

    public func may(_ permission: Permission) -> Bool {
        kind == .system || role?.allows(permission) == true
    }

    public func require(_ permission: Permission) throws {
        guard may(permission) else {
            throw DomainError(.forbidden, code: "forbidden", "Your role does not allow this.")
        }
    }

    public func canAccess(deployment id: UUID) -> Bool {
        seesAllDeployments || deploymentIDs.contains(id)
    }

    /// Permission plus tenancy in one call, used before any deployment-scoped read or write.
    public func require(_ permission: Permission, in deployment: UUID) throws {
        try require(permission)
        guard canAccess(deployment: deployment) else {
            // Same answer as a missing row: do not reveal that another tenant's id exists.
            throw DomainError.notFound("The deployment")
        }
    }
}
