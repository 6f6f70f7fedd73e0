import Domain
import FluentKit
import Foundation
import SQLKit
import Storage

/// Analytics events from the apps (spec 4.1) and problem reports. Events are checked one by one
/// against `ClientEventCatalogue`: a bad event is refused with a reason and the rest of its batch
/// is kept. A batch is stored once: its id is unique per device, and a retry gets the first
/// answer back without storing anything.
public enum ClientEventService {
    public typealias Context = DeviceSessionService.Context

    public struct Report: Sendable, Codable, Equatable {
        public var batchId: String
        public var accepted: Int
        public var rejected: [ClientEventCatalogue.Refusal]
        /// True when this batch had been received before and nothing was stored now.
        public var duplicate: Bool
    }

    public static let maxContextBytes = 8_000
    public static let maxDescription = 2_000
    public static let maxDiagnosticsBytes = 16_000

    /// The profile id when it is the customer's; a profile deleted while the device was offline
    /// is not a reason to lose the batch, so anything else is stored as no profile.
    static func ownProfile(_ env: ServiceEnvironment, _ ctx: Context, _ id: Int?) async throws -> Int? {
        guard let id else { return nil }
        return try await CustomerProfileModel.query(on: env.db).filter(\.$id == id).filter(\.$customerID == ctx.customerID).first()?.id
    }

    public static func ingest(_ env: ServiceEnvironment, context ctx: Context, batchID: String, profileID: Int?, context extra: AnyJSON?,
                              events: [AnyJSON]) async throws -> Report {
        let key = batchID.trimmingCharacters(in: .whitespaces)
        var errors = FieldErrors()
        if key.isEmpty || key.count > 100 { errors.add("batchId", "is required: 1 to 100 characters, the same on every retry of the batch") }
        if events.isEmpty { errors.add("events", "send at least one event") }
        if events.count > ClientEventCatalogue.maxPerBatch { errors.add("events", "at most \(ClientEventCatalogue.maxPerBatch) events per call") }
        let contextText = (extra ?? .object([:])).withoutSecrets.compactText
        if contextText.utf8.count > maxContextBytes { errors.add("context", "is limited to \(maxContextBytes) bytes") }
        try errors.throwIfAny()
        if let done = try await stored(env, ctx, key) { return done }

        let now = env.now
        var valid: [(index: Int, event: ClientEventCatalogue.Event)] = []
        var rejected: [ClientEventCatalogue.Refusal] = []
        for (i, raw) in events.enumerated() {
            switch ClientEventCatalogue.validate(raw, index: i, now: now) {
            case .success(let e): valid.append((i, e))
            case .failure(let r): rejected.append(r)
            }
        }
        let profile = try await ownProfile(env, ctx, profileID)
        let accepted = valid
        let rejectedText = String(decoding: try JSONEncoder().encode(rejected), as: UTF8.self)
        do {
            // Analytics change nothing playback remembers: the hot cache is kept.
            try await env.writeKeepingCache { db in
                let batch = ClientEventBatchModel()
                batch.deploymentID = ctx.deploymentID; batch.customerID = ctx.customerID; batch.deviceID = ctx.deviceID; batch.profileID = profile
                batch.batchKey = key; batch.context = contextText; batch.accepted = accepted.count; batch.rejected = rejectedText; batch.receivedAt = now
                try await batch.create(on: db)
                let rows = accepted.map { v -> ClientEventModel in
                    let e = ClientEventModel()
                    e.deploymentID = ctx.deploymentID; e.customerID = ctx.customerID; e.deviceID = ctx.deviceID; e.profileID = profile
                    e.batchID = batch.id!; e.type = v.event.type; e.at = v.event.at; e.item = v.event.item
                    e.positionSeconds = v.event.position; e.durationSeconds = v.event.duration; e.extra = v.event.extra; e.receivedAt = now
                    return e
                }
                // 100 rows × 12 columns per INSERT stays far below both databases' bind limits.
                for chunk in rows.chunked(100) { try await chunk.create(on: db) }
            }
        } catch {
            // The same batch arrived twice at once: the other request stored it.
            if let done = try await stored(env, ctx, key) { return done }
            throw error
        }
        return Report(batchId: key, accepted: valid.count, rejected: rejected, duplicate: false)
    }

    static func stored(_ env: ServiceEnvironment, _ ctx: Context, _ key: String) async throws -> Report? {
        guard let b = try await ClientEventBatchModel.query(on: env.db).filter(\.$deviceID == ctx.deviceID).filter(\.$batchKey == key).first() else { return nil }
        let rejected = (try? JSONDecoder().decode([ClientEventCatalogue.Refusal].self, from: Data(b.rejected.utf8))) ?? []
        return Report(batchId: key, accepted: b.accepted, rejected: rejected, duplicate: true)
    }

    // MARK: Problem reports

    /// Stores a subscriber's problem report for the operator (CRM › customer › Profiles & reports).
    public static func reportProblem(_ env: ServiceEnvironment, context ctx: Context, item: String?, description: String, profileID: Int?,
                                     diagnostics: AnyJSON?) async throws -> ProblemReportModel {
        var errors = FieldErrors()
        var ref = ""
        if let item, !item.isEmpty {
            if let r = ContentRef(item) { ref = r.description } else { errors.add("item", "must look like channel:3 or movie:12") }
        }
        let text = description.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty { errors.add("description", "is required: say what went wrong") }
        if text.count > maxDescription { errors.add("description", "is limited to \(maxDescription) characters") }
        let diag = (diagnostics ?? .object([:])).withoutSecrets.compactText
        if diag.utf8.count > maxDiagnosticsBytes { errors.add("diagnostics", "is limited to \(maxDiagnosticsBytes) bytes") }
        try errors.throwIfAny()
        let m = ProblemReportModel()
        m.deploymentID = ctx.deploymentID; m.customerID = ctx.customerID; m.deviceID = ctx.deviceID
        m.profileID = try await ownProfile(env, ctx, profileID)
        m.item = ref; m.description = text; m.diagnostics = diag; m.createdAt = env.now
        try await env.writeKeepingCache { db in try await m.create(on: db) }
        return m
    }

    /// A customer's problem reports for the CRM, newest first.
    public static func problemReports(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, customerID: Int, limit: Int = 100) async throws -> [ProblemReportModel] {
        _ = try await CustomerService.find(env, actor: actor, deploymentID: deploymentID, id: customerID, includeTrashed: true)
        return try await ProblemReportModel.query(on: env.db).filter(\.$deploymentID == deploymentID).filter(\.$customerID == customerID)
            .sort(\.$id, .descending).limit(limit).all()
    }
}
