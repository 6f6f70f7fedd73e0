import Domain
import FluentKit
import Foundation
import Storage

/// The app's Messages screen: what the operator sent from the CRM (customer › Messages), read
/// marks and deletion. Deleting hides a message from the apps; the CRM keeps it.
public enum SubscriberMessageService {
    public typealias Context = DeviceSessionService.Context

    /// The newest messages the apps get; older ones stay in the CRM.
    public static let maxListed = 100

    public struct Message: Sendable, Codable, Equatable {
        public var id: Int
        public var at: Date
        public var subject: String
        public var body: String
        public var read: Bool
        public var readAt: Date?
    }

    static func visible(_ db: any Database, _ ctx: Context) -> QueryBuilder<CustomerMessageModel> {
        // The customer id comes from the device session, which is bound to its deployment.
        CustomerMessageModel.query(on: db).filter(\.$customerID == ctx.customerID).filter(\.$hiddenAt == nil)
    }

    /// The customer's messages, newest first, and how many of all its visible ones are unread.
    public static func list(_ env: ServiceEnvironment, context ctx: Context) async throws -> (messages: [Message], unread: Int) {
        let rows = try await visible(env.db, ctx).sort(\.$id, .descending).limit(maxListed).all()
        let unread = try await visible(env.db, ctx).filter(\.$readAt == nil).count()
        return (rows.map { Message(id: $0.id!, at: $0.at, subject: $0.subject, body: $0.body, read: $0.readAt != nil, readAt: $0.readAt) }, unread)
    }

    static func find(_ env: ServiceEnvironment, _ ctx: Context, id: Int) async throws -> CustomerMessageModel {
        guard let m = try await visible(env.db, ctx).filter(\.$id == id).first() else { throw DomainError.notFound("The message") }
        return m
    }

    /// Marks a message read (the first reading time is kept, so a retry changes nothing).
    public static func markRead(_ env: ServiceEnvironment, context ctx: Context, id: Int) async throws {
        let m = try await find(env, ctx, id: id)
        guard m.readAt == nil else { return }
        let now = env.now
        try await env.writeKeepingCache { db in
            try await CustomerMessageModel.query(on: db).filter(\.$id == id).filter(\.$customerID == ctx.customerID).filter(\.$readAt == nil)
                .set(\.$readAt, to: now).update()
        }
    }

    /// Hides a message from the customer's apps. Hiding it again is not an error (retries);
    /// another customer's message is "not found".
    public static func hide(_ env: ServiceEnvironment, context ctx: Context, id: Int) async throws {
        guard let m = try await CustomerMessageModel.query(on: env.db).filter(\.$customerID == ctx.customerID).filter(\.$id == id).first() else {
            throw DomainError.notFound("The message")
        }
        guard m.hiddenAt == nil else { return }
        let now = env.now
        try await env.writeKeepingCache { db in
            try await CustomerMessageModel.query(on: db).filter(\.$id == id).filter(\.$customerID == ctx.customerID).set(\.$hiddenAt, to: now).update()
        }
    }
}
