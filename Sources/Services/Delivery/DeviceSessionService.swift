import Domain
import FluentKit
import Foundation
import SQLKit
import Storage

/// Subscriber sign-in on a device: a login id and password give a bearer token bound to that
/// device (stored as a digest; the apps never put passwords in URLs). The subscriber API
/// (issue 9) adds activation codes, MAC logins, device lists and profiles on top.
public enum DeviceSessionService {
    public static let lifetime: TimeInterval = 30 * 86_400
    /// How long a device keeps its place in the product's device limit after its last use.
    public static let deviceSlotHold: TimeInterval = 2 * 86_400
    /// `last_seen_at` is written at most this often, so a busy device does not write on every call.
    static let touchInterval: TimeInterval = 60

    public struct DeviceInfo: Sendable {
        public var uid: String
        public var type: String
        public var model: String
        public var appVersion: String
        public init(uid: String, type: String, model: String = "", appVersion: String = "") {
            self.uid = uid; self.type = type; self.model = model; self.appVersion = appVersion
        }
    }

    /// A signed-in device: who, which device, which family of player.
    public struct Context: Sendable {
        public var sessionID: Int
        public var deploymentID: UUID
        public var customerID: Int
        public var deviceID: Int
        public var deviceType: String
        /// One device standing for several players told apart by address (the Xtream dialect's
        /// shared device): a new playback ends only the previous one from the same address.
        public var playbacksPerAddress = false
        public var family: DeviceFamily { DeviceFamily(deviceType: deviceType) }
    }


    /// Signs a device in with a login id and password. Typed errors: `wrong_credentials`,
    /// `locked`, and those of `openSession`.
    public static func login(_ env: ServiceEnvironment, deploymentID: UUID, login: String, password: String, device: DeviceInfo,
                             ip: String, country: String? = nil) async throws -> (token: String, context: Context) {
        try validate(device)
        guard let c = try await CustomerModel.query(on: env.db).filter(\.$deploymentID == deploymentID).filter(\.$login == login.trimmingCharacters(in: .whitespaces))
            .filter(\.$deletedAt == nil).first() else {
            throw DomainError.refused("wrong_credentials", "The login id or password is wrong.", .unauthorized)
        }
        if let until = c.loginLockedUntil, until > env.now {
            throw DomainError.refused("locked", "Too many wrong passwords. Try again after \(Int(until.timeIntervalSince(env.now) / 60) + 1) minutes.", .locked)
        }
        let good = try CustomerService.verifyPassword(env, customer: c, password: password)
        try await countAttempt(env, customer: c, kind: .login, success: good)
        guard good else { throw DomainError.refused("wrong_credentials", "The login id or password is wrong.", .unauthorized) }
        return try await openSession(env, customer: c, device: device, ip: ip, country: country)
    }

    static func validate(_ device: DeviceInfo) throws {
        let uid = device.uid.trimmingCharacters(in: .whitespaces)
        guard !uid.isEmpty, uid.count <= 200 else { throw DomainError.validation(["device.uid": "is required (the device's stable id)"]) }
        guard !device.type.trimmingCharacters(in: .whitespaces).isEmpty, device.type.count <= 40 else {
            throw DomainError.validation(["device.type": "is required, e.g. android, ios, tizen, webos, mag, chrome"])
        }
    }

    /// Checks that the customer may watch on this device from here, and opens a session for it:
    /// `disabled`, `expired`, `pending`, `not_served`, `device_type_not_allowed`,
    /// `country_not_allowed`, `ip_not_allowed`, `max_devices_reached`. Every way of signing in
    /// (password, MAC of a linked set-top box, activation code) ends here.
    static func openSession(_ env: ServiceEnvironment, customer c: CustomerModel, device: DeviceInfo, ip: String, country: String?,
                            linkedBox: CustomerDeviceModel? = nil) async throws -> (token: String, context: Context) {
        try validate(device)
        let uid = device.uid.trimmingCharacters(in: .whitespaces)
        guard let product = try await ProductModel.find(c.productID, on: env.db) else { throw DomainError.refused("not_served", "The account has no product.") }
        // "Start from first login": the first sign-in that passes every other check starts the
        // subscription's clock.
        let startsNow = CustomerService.status(c, product: product, now: env.now) == .pending && c.startFromFirstLogin && c.firstLoginAt == nil
        if !startsNow { try requireServed(c, product: product, now: env.now) }
        if !DeviceTypes.allows(product.allowedDeviceTypes, type: device.type) {
            throw DomainError.refused("device_type_not_allowed", "This subscription cannot be watched on \(device.type) devices.")
        }
        if let country, !DeviceTypes.countryAllowed(product.allowedCountries, country: country) {
            throw DomainError.refused("country_not_allowed", "This subscription cannot be watched from \(country.uppercased()).")
        }
        if let problem = PlaybackService.ipProblem(product: product, ip: ip) { throw DomainError.refused("ip_not_allowed", problem) }
        let devices = try await CustomerDeviceModel.query(on: env.db).filter(\.$customerID == c.id!).all()
        let existing = linkedBox ?? devices.first { $0.uuid == uid }
        // A device holds its slot for two days after it was last used (the manual's rule), so a
        // replaced set-top box frees its place by itself.
        let inUse = devices.filter { $0.id != existing?.id && ($0.linked || ($0.lastSeenAt ?? .distantPast) > env.now.addingTimeInterval(-deviceSlotHold)) }
        if existing?.linked != true && inUse.count >= product.maxDevices {
            throw DomainError.refused("max_devices_reached", "This account already uses \(inUse.count) devices, the most its product allows. Sign out on one, or wait two days after its last use.", .conflict)
        }
        if startsNow {
            try await CustomerService.recordFirstLogin(env, customer: c)
            try requireServed(c, product: product, now: env.now)
        }
        let token = Secrets.generate(prefix: "tvms_dev_")
        let now = env.now
        let customerID = c.id!
        let deploymentID = c.deploymentID
        let ctx = try await env.write { db -> Context in
            let d = existing ?? CustomerDeviceModel()
            if existing == nil {
                d.customerID = customerID; d.linked = false; d.mac = ""; d.serial = ""; d.uuid = uid
            }
            d.connected = true; d.model = String(device.model.prefix(100)); d.deviceType = String(device.type.prefix(40)); d.ip = ip
            d.appVersion = String(device.appVersion.prefix(40)); d.lastSeenAt = now
            try await d.save(on: db)
            let s = DeviceSessionModel()
            s.deploymentID = deploymentID; s.customerID = customerID; s.deviceID = d.id!; s.tokenDigest = Secrets.digest(token)
            s.createdAt = now; s.lastSeenAt = now; s.expiresAt = now.addingTimeInterval(lifetime)
            try await s.create(on: db)
            return Context(sessionID: s.id!, deploymentID: deploymentID, customerID: customerID, deviceID: d.id!, deviceType: d.deviceType)
        }
        return (token, ctx)
    }

    static func requireServed(_ c: CustomerModel, product: ProductModel, now: Date) throws {
        let status = CustomerService.status(c, product: product, now: now)
        guard !status.isServed else { return }
        switch status {
        case .disabled: throw DomainError.refused("disabled", "The account is disabled. Contact your provider.")
        case .expired: throw DomainError.refused("expired", "The subscription has expired. Renew it to watch again.")
        case .pending: throw DomainError.refused("pending", "The subscription has not started yet.")
        default: throw DomainError.refused("not_served", "The account cannot watch now (\(status.rawValue)).")
        }
    }

    /// Signs in a set-top box the operator linked to a customer by its MAC address (MAG-style
    /// boxes have no keyboard for a password). Only linked boxes: a MAC is easy to copy, so the
    /// operator's link is what makes it a credential. `wrong_credentials` for an unknown MAC.
    public static func loginWithMAC(_ env: ServiceEnvironment, deploymentID: UUID, mac raw: String, device: DeviceInfo, ip: String,
                                    country: String? = nil) async throws -> (token: String, context: Context) {
        guard let mac = SearchKey.mac(raw) else { throw DomainError.validation(["mac": "must be a MAC address like 00:1A:79:12:34:56"]) }
        let rows = try await env.db.sql.raw("""
            SELECT d.id FROM customer_devices d JOIN customers c ON c.id = d.customer_id
            WHERE c.deployment_id = \(bind: deploymentID) AND c.deleted_at IS NULL AND d.linked = \(bind: true) AND d.mac = \(bind: mac)
            """).all()
        guard rows.count == 1, let id = try? rows[0].decode(column: "id", as: Int.self),
              let box = try await CustomerDeviceModel.find(id, on: env.db), let c = try await CustomerModel.find(box.customerID, on: env.db) else {
            throw DomainError.refused("wrong_credentials", "This device is not registered with the provider.", .unauthorized)
        }
        var info = device
        info.uid = box.uuid.isEmpty ? mac : box.uuid
        return try await openSession(env, customer: c, device: info, ip: ip, country: country, linkedBox: box)
    }

    /// A session row as the hot path keeps it.
    struct SessionRow: Sendable {
        var context: Context
        var lastSeen: Date
        var expires: Date
        var revoked: Bool
    }

    /// Session rows are remembered for this long; a sign-out on this node forgets them at once
    /// (every write drops the hot cache), one on another node within this time.
    static let sessionMemory: TimeInterval = 30

    /// The device behind a bearer token, or nil when the token is unknown, revoked or expired.
    /// The session as this process remembers it, when nothing is due (no reload, no touch):
    /// the common case on the playback path, answered without suspending. nil means "ask
    /// `resolve`", not "invalid".
    public static func resolveFromMemory(_ env: ServiceEnvironment, token: String) -> Context? {
        guard token.hasPrefix("tvms_dev_"), token.count < 200 else { return nil }
        let now = env.now
        guard let remembered: SessionRow? = env.hot.value("session:\(Secrets.digest(token))", now: now), let row = remembered,
              !row.revoked, row.expires > now, now.timeIntervalSince(row.lastSeen) <= touchInterval else { return nil }
        return row.context
    }

    public static func resolve(_ env: ServiceEnvironment, token: String) async throws -> Context? {
        guard token.hasPrefix("tvms_dev_"), token.count < 200 else { return nil }
        let digest = Secrets.digest(token)
        let key = "session:\(digest)"
        let cached: SessionRow? = try await env.hot.get(key, now: env.now, ttl: sessionMemory) {
            let rows = try await env.db.sql.raw("""
                SELECT s.id, s.deployment_id, s.customer_id, s.device_id, s.last_seen_at, s.expires_at, s.revoked_at, d.device_type
                FROM device_sessions s JOIN customer_devices d ON d.id = s.device_id
                WHERE s.token_digest = \(bind: digest)
                """).all()
            guard let r = rows.first else { return nil }
            let context = Context(sessionID: try r.decode(column: "id", as: Int.self), deploymentID: try r.decode(column: "deployment_id", as: UUID.self),
                                  customerID: try r.decode(column: "customer_id", as: Int.self), deviceID: try r.decode(column: "device_id", as: Int.self),
                                  deviceType: try r.decode(column: "device_type", as: String.self))
            return SessionRow(context: context, lastSeen: try r.decode(column: "last_seen_at", as: Date.self), expires: try r.decode(column: "expires_at", as: Date.self),
                              revoked: !(try r.decodeNil(column: "revoked_at")))
        }
        guard var row = cached, !row.revoked, row.expires > env.now else { return nil }
        if env.now.timeIntervalSince(row.lastSeen) > touchInterval {
            let (now, id) = (env.now, row.context.sessionID)
            // Remembered as touched before the write, so the requests arriving meanwhile do not
            // all write the same time.
            row.lastSeen = now
            env.hot.store(key, row, now: now, ttl: sessionMemory)
            do {
                try await env.writeKeepingCache { db in try await DeviceSessionModel.query(on: db).filter(\.$id == id).set(\.$lastSeenAt, to: now).update() }
            } catch {
                env.hot.remove(key)
                throw error
            }
        }
        return row.context
    }

    enum Secret { case login, pin }

    /// Counts a wrong password or parental PIN of a customer and locks that secret for
    /// `lockout.lockDuration` after `lockout.maxFailures` in a row; a right one clears the count.
    static func countAttempt(_ env: ServiceEnvironment, customer c: CustomerModel, kind: Secret, success: Bool) async throws {
        let failures = kind == .login ? c.loginFailures : c.pinFailures
        if success && failures == 0 { return }
        let next = success ? 0 : failures + 1
        let locked = next >= env.lockout.maxFailures
        let until: Date? = locked ? env.now.addingTimeInterval(env.lockout.lockDuration) : nil
        let id = c.id!
        try await env.write { db in
            let q = CustomerModel.query(on: db).filter(\.$id == id)
            switch kind {
            case .login: try await q.set(\.$loginFailures, to: locked ? 0 : next).set(\.$loginLockedUntil, to: until).update()
            case .pin: try await q.set(\.$pinFailures, to: locked ? 0 : next).set(\.$pinLockedUntil, to: until).update()
            }
        }
    }

    public static func logout(_ env: ServiceEnvironment, context: Context) async throws {
        let now = env.now
        try await env.write { db in
            try await DeviceSessionModel.query(on: db).filter(\.$id == context.sessionID).set(\.$revokedAt, to: now).update()
            try await PlaybackSessionModel.query(on: db).filter(\.$deviceID == context.deviceID).filter(\.$endedAt == nil).set(\.$endedAt, to: now).update()
        }
    }
}

/// The parental PIN: four to eight digits; stored as a digest bound to the customer.
public enum ParentalPIN {
    public static let defaultPIN = "0000"
    public static func digest(customerID: Int, pin: String) -> String { Secrets.digest("parental:\(customerID):\(pin)") }
    public static func matches(customerID: Int, stored: String, pin: String) -> Bool {
        Secrets.equalDigests(stored.isEmpty ? digest(customerID: customerID, pin: defaultPIN) : stored, digest(customerID: customerID, pin: pin))
    }
}
