import Domain
import FluentKit
import Foundation
import Storage

/// Cloud PVR: a customer records a programme (or a time range) of a channel that allows it.
/// Recordings are ranges of the streaming server's archive, played with the same archive
/// addresses as catch-up; the product's quota (hours) bounds what a customer keeps. States move
/// scheduled → recording → done with the clock (the `delivery.recordings` job), or to failed
/// when the channel's stream is down while it records or it has no archive to record into.
public enum RecordingService {
    public static let jobKind = "delivery.recordings"
    public static let maxLength: TimeInterval = 8 * 3600

    public struct Quota: Sendable, Codable, Equatable {
        public var totalHours: Int
        public var usedHours: Double
    }


    static func active(_ db: any Database, customerID: Int) -> QueryBuilder<RecordingModel> {
        RecordingModel.query(on: db).filter(\.$customerID == customerID).filter(\.$deletedAt == nil).filter(\.$state != "failed")
    }

    public static func quota(_ env: ServiceEnvironment, customerID: Int) async throws -> Quota {
        guard let c = try await CustomerModel.find(customerID, on: env.db), let p = try await ProductModel.find(c.productID, on: env.db) else { return Quota(totalHours: 0, usedHours: 0) }
        let used = try await active(env.db, customerID: customerID).all().reduce(0.0) { $0 + $1.stop.timeIntervalSince($1.start) }
        return Quota(totalHours: p.pvrQuotaHours, usedHours: (used / 36).rounded() / 100)
    }

    /// Schedules a recording. Typed refusals: `not_allowed` (product without recordings or a
    /// channel that does not allow them), `not_entitled`, `no_archive`, `quota_exceeded`,
    /// `already_recorded`, `too_old` (past the channel's archive).
    public static func schedule(_ env: ServiceEnvironment, context ctx: DeviceSessionService.Context, channelID: Int, start: Date, stop: Date, title: String) async throws -> RecordingModel {
        guard stop > start, stop.timeIntervalSince(start) <= maxLength else {
            throw DomainError.validation(["stop": "must be after the start, at most 8 hours later"])
        }
        guard let customer = try await CustomerModel.find(ctx.customerID, on: env.db), let product = try await ProductModel.find(customer.productID, on: env.db) else {
            throw DomainError.refused("not_allowed", "The account cannot record.", .forbidden)
        }
        guard product.pvrQuotaHours > 0 else { throw DomainError.refused("not_allowed", "Recordings are not part of this subscription.", .forbidden) }
        guard let channel = try await ChannelModel.find(channelID, on: env.db), channel.deploymentID == ctx.deploymentID else { throw DomainError.notFound("The channel") }
        guard channel.recordingAllowed else { throw DomainError.refused("not_allowed", "This channel cannot be recorded.", .forbidden) }
        guard try await Entitlements.decide(env, customer: customer, ref: .channel(channelID)) == .allowed else {
            throw DomainError.refused("not_entitled", "This channel is not in the subscription.", .forbidden)
        }
        guard let mapping = try await StreamMappingModel.query(on: env.db).filter(\.$channelID == channelID).first(),
              let server = try await TranscoderModel.find(mapping.transcoderID, on: env.db) else {
            throw DomainError.refused("no_archive", "This channel is not recorded on a streaming server yet.", .conflict)
        }
        let depth = mapping.dvrDepthDays > 0 ? mapping.dvrDepthDays : server.dvrDepthDays
        guard start > env.now.addingTimeInterval(-Double(depth) * 86_400) else { throw DomainError.refused("too_old", "The programme is older than the channel's archive.", .conflict) }
        let clean = title.trimmingCharacters(in: .whitespacesAndNewlines)
        let name = String((clean.isEmpty ? channel.name : clean).prefix(200))
        let q = try await quota(env, customerID: ctx.customerID)
        let hours = stop.timeIntervalSince(start) / 3600
        if q.usedHours + hours > Double(q.totalHours) + 1e-9 {
            throw DomainError.refused("quota_exceeded", String(format: "This recording needs %.1f h but only %.1f of your %d hours are left. Delete a recording first.",
                                                   hours, max(0, Double(q.totalHours) - q.usedHours), q.totalHours), .conflict)
        }
        let now = env.now
        return try await env.write { db in
            let clash = try await active(db, customerID: ctx.customerID).filter(\.$channelID == channelID).filter(\.$start < stop).filter(\.$stop > start).first()
            if clash != nil { throw DomainError.refused("already_recorded", "This programme is already recorded.", .conflict) }
            let r = RecordingModel()
            r.deploymentID = ctx.deploymentID; r.customerID = ctx.customerID; r.channelID = channelID; r.title = name; r.start = start; r.stop = stop
            r.state = stop <= now ? "done" : start <= now ? "recording" : "scheduled"; r.failure = ""; r.createdAt = now
            try await r.create(on: db)
            return r
        }
    }

    public static func list(_ env: ServiceEnvironment, customerID: Int) async throws -> [RecordingModel] {
        try await RecordingModel.query(on: env.db).filter(\.$customerID == customerID).filter(\.$deletedAt == nil).sort(\.$start, .descending).limit(1000).all()
    }

    public static func delete(_ env: ServiceEnvironment, context ctx: DeviceSessionService.Context, id: Int) async throws {
        guard let r = try await RecordingModel.find(id, on: env.db), r.customerID == ctx.customerID, r.deletedAt == nil else { throw DomainError.notFound("The recording") }
        let now = env.now
        try await env.write { db in try await RecordingModel.query(on: db).filter(\.$id == id).set(\.$deletedAt, to: now).update() }
    }

    /// Moves recordings along with the clock: scheduled → recording at their start, recording →
    /// done at their stop; a recording whose channel's stream is down or unmapped fails.
    @discardableResult
    public static func advance(_ env: ServiceEnvironment) async throws -> Int {
        let now = env.now
        let due = try await RecordingModel.query(on: env.db).filter(\.$deletedAt == nil).group(.or) { g in
            g.group(.and) { $0.filter(\.$state == "scheduled").filter(\.$start <= now) }
            g.group(.and) { $0.filter(\.$state == "recording").filter(\.$stop <= now) }
        }.limit(5000).all()
        guard !due.isEmpty else { return 0 }
        let mappings = Dictionary(try await StreamMappingModel.query(on: env.db).filter(\.$channelID ~~ Set(due.map(\.channelID))).all().map { ($0.channelID, $0) },
                                  uniquingKeysWith: { a, _ in a })
        try await env.write { db in
            for r in due {
                let m = mappings[r.channelID]
                if m == nil { r.state = "failed"; r.failure = "The channel is not mapped to a streaming server." }
                else if m!.status == "down" { r.state = "failed"; r.failure = "The channel's stream was down: \(m!.statusDetail)" }
                else { r.state = r.stop <= now ? "done" : "recording" }
                try await r.save(on: db)
            }
        }
        return due.count
    }
}
