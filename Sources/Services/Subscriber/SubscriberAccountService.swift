import Domain
import FluentKit
import Foundation
import Storage

/// What a signed-in device may see and change of its own account: the account summary, the
/// product's rules, and the devices that use it.
public enum SubscriberAccountService {
    public struct Device: Sendable, Codable, Equatable {
        public var id: Int
        public var type: String
        public var model: String
        public var appVersion: String
        public var lastSeenAt: Date?
        /// This device's place in the device limit lasts until then (two days after last use);
        /// nil for a box the provider linked, which always keeps its place.
        public var holdsPlaceUntil: Date?
        /// Linked by the provider (a set-top box by MAC): only the provider can remove it.
        public var linked: Bool
        /// The device making this request.
        public var current: Bool
    }

    public static func devices(_ env: ServiceEnvironment, context ctx: DeviceSessionService.Context) async throws -> [Device] {
        try await CustomerDeviceModel.query(on: env.db).filter(\.$customerID == ctx.customerID).sort(\.$lastSeenAt, .descending).all().map { d in
            Device(id: d.id!, type: d.deviceType, model: d.model, appVersion: d.appVersion, lastSeenAt: d.lastSeenAt,
                   holdsPlaceUntil: d.linked ? nil : d.lastSeenAt.map { $0.addingTimeInterval(DeviceSessionService.deviceSlotHold) }, linked: d.linked,
                   current: d.id == ctx.deviceID)
        }
    }

    /// Signs another device (or this one) out for good and frees its place in the device limit.
    public static func removeDevice(_ env: ServiceEnvironment, context ctx: DeviceSessionService.Context, deviceID: Int) async throws {
        guard let d = try await CustomerDeviceModel.query(on: env.db).filter(\.$id == deviceID).filter(\.$customerID == ctx.customerID).first() else {
            throw DomainError.notFound("The device")
        }
        if d.linked {
            throw DomainError(.conflict, code: "device_linked", "Your provider linked this box to your account; ask them to remove it.")
        }
        // Its sessions and playbacks go with it (the tables cascade on the device).
        try await env.write { db in try await d.delete(on: db) }
    }

    /// "Still here": keeps the device's place and session fresh between other calls.
    public static func heartbeat(_ env: ServiceEnvironment, context ctx: DeviceSessionService.Context, ip: String) async throws -> Date {
        let now = env.now
        try await env.writeKeepingCache { db in
            try await CustomerDeviceModel.query(on: db).filter(\.$id == ctx.deviceID).set(\.$lastSeenAt, to: now).set(\.$ip, to: ip).update()
            try await DeviceSessionModel.query(on: db).filter(\.$id == ctx.sessionID).set(\.$lastSeenAt, to: now).update()
        }
        return now.addingTimeInterval(DeviceSessionService.deviceSlotHold)
    }

    public struct Me: Sendable, Codable {
        public struct Product: Sendable, Codable {
            public var id: Int
            public var name: String
            public var maxDevices: Int
            public var allowedDeviceTypes: [String]
            public var recordingHours: Int
            public var paymentType: String
            public var rightToLeft: Bool
            public var disclaimer: String
            public var support: String
            public var userInterfaceId: String?
        }
        public var id: Int
        public var login: String
        public var firstName: String
        public var lastName: String
        public var city: String
        public var country: String
        public var email: String
        public var status: String
        public var startsAt: Date?
        public var expiresAt: Date?
        /// The wallet in the customer's currency, e.g. "12.50" EUR.
        public var wallet: String
        public var currency: String
        public var resellerId: Int?
        public var parentalPINSet: Bool
        public var product: Product
        /// Extra packages live now (ids).
        public var extraPackages: [Int]
    }

    public static func me(_ env: ServiceEnvironment, context ctx: DeviceSessionService.Context) async throws -> Me {
        guard let c = try await CustomerModel.find(ctx.customerID, on: env.db), c.deletedAt == nil,
              let p = try await ProductModel.find(c.productID, on: env.db) else { throw DomainError.notFound("The account") }
        let wallet = CurrencyCode(c.currency).map { Money(minorUnits: c.walletBalance, currency: $0).amountString } ?? String(c.walletBalance)
        return Me(id: c.id!, login: c.login, firstName: c.firstName, lastName: c.lastName, city: c.city, country: c.country, email: c.email,
                  status: CustomerService.status(c, product: p, now: env.now).rawValue, startsAt: c.startsAt, expiresAt: c.expiresAt,
                  wallet: wallet, currency: c.currency, resellerId: c.resellerID, parentalPINSet: !c.parentalPINDigest.isEmpty,
                  product: .init(id: p.id!, name: p.name, maxDevices: p.maxDevices,
                                 allowedDeviceTypes: p.allowedDeviceTypes.split(separator: ",").map(String.init), recordingHours: p.pvrQuotaHours,
                                 paymentType: p.paymentType, rightToLeft: p.isRTL, disclaimer: p.disclaimer, support: p.supportText,
                                 userInterfaceId: p.userInterfaceID),
                  extraPackages: try await Entitlements.liveExtras(env, customer: c).sorted())
    }
}
