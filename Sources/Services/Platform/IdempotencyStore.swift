import Domain
import FluentKit
import Foundation
import Storage

/// Idempotency keys of provisioning calls. The first call claims its key (a unique row) before it
/// acts, so a concurrent or later retry can never act a second time: it gets the stored answer,
/// or "still in progress" while the first call runs.
public enum IdempotencyStore {
    public static let lifetime: TimeInterval = 86_400

    public enum Claim: Sendable, Equatable {
        /// The key is ours: act, then `complete` (or `release` on a failure worth retrying).
        case claimed(UUID)
        /// A previous call with this key finished with this answer.
        case replay(status: Int, body: String)
        /// A previous call with this key has not finished (or died mid-way).
        case inProgress
        /// The key was used for another endpoint.
        case mismatch(endpoint: String)
    }

    public static func claim(_ env: ServiceEnvironment, deploymentID: UUID, key: String, endpoint: String) async throws -> Claim {
        // The caller's scope is prefixed to the key it sent; 200 characters of its own are allowed.
        guard !key.isEmpty, key.count <= 300 else {
            throw DomainError.validation(["Idempotency-Key": "must be 1 to 200 characters"])
        }
        if let existing = try await find(env, deploymentID: deploymentID, key: key) { return answer(existing, endpoint: endpoint) }
        let row = APIIdempotencyModel()
        row.id = UUID()
        row.deploymentID = deploymentID
        row.key = key
        row.endpoint = endpoint
        row.completed = false
        row.status = 0
        row.body = ""
        row.createdAt = env.now
        do {
            let cutoff = env.now.addingTimeInterval(-lifetime)
            try await env.write { db in
                // A key past its lifetime (not purged yet) may be used afresh.
                try await APIIdempotencyModel.query(on: db).filter(\.$deploymentID == deploymentID).filter(\.$key == key).filter(\.$createdAt <= cutoff).delete()
                try await row.create(on: db)
            }
            return .claimed(row.id!)
        } catch {
            // Lost the race for the unique key: the other call owns it.
            if let existing = try await find(env, deploymentID: deploymentID, key: key) { return answer(existing, endpoint: endpoint) }
            throw error
        }
    }

    static func find(_ env: ServiceEnvironment, deploymentID: UUID, key: String) async throws -> APIIdempotencyModel? {
        try await APIIdempotencyModel.query(on: env.db).filter(\.$deploymentID == deploymentID).filter(\.$key == key)
            .filter(\.$createdAt > env.now.addingTimeInterval(-lifetime)).first()
    }

    static func answer(_ row: APIIdempotencyModel, endpoint: String) -> Claim {
        if row.endpoint != endpoint { return .mismatch(endpoint: row.endpoint) }
        return row.completed ? .replay(status: row.status, body: row.body) : .inProgress
    }

    /// Checks a key as the caller sent it, before its scope is prefixed.
    public static func validate(given key: String) throws {
        guard !key.isEmpty, key.count <= 200 else { throw DomainError.validation(["Idempotency-Key": "must be 1 to 200 characters"]) }
    }

    public static func complete(_ env: ServiceEnvironment, id: UUID, status: Int, body: String) async throws {
        try await env.write { db in
            try await APIIdempotencyModel.query(on: db).filter(\.$id == id).set(\.$completed, to: true).set(\.$status, to: status).set(\.$body, to: body).update()
        }
    }

    /// Gives the key back after a failure that did nothing (a server error), so a retry may act.
    public static func release(_ env: ServiceEnvironment, id: UUID) async throws {
        try await env.write { db in try await APIIdempotencyModel.query(on: db).filter(\.$id == id).delete() }
    }
}
