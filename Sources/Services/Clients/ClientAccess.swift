import Crypto
import Domain
import FluentKit
import Foundation
import SQLKit
import Storage

/// What the client dialects keep in one process: built catalogues per entitlement set, proven
/// passwords, throttled addresses and built guides. One per app (see the App's
/// `XtreamController`), never global.
public final class ClientDialectState: Sendable {
    public let catalogues = ClientCatalogueCache()
    public let passwords = VerifiedPasswords()
    public let throttle = AddressThrottle()
    public let guides: XMLTVFileCache
    public init(guideDirectory: URL = FileManager.default.temporaryDirectory.appendingPathComponent("tvms-client-guides-\(UUID().uuidString)")) {
        guides = XMLTVFileCache(directory: guideDirectory)
    }
}

/// Passwords already checked with bcrypt, so a player that sends them on every request (the
/// Xtream protocol puts them in every URL) costs one bcrypt per password change, not one per
/// request. Kept as an HMAC under a key made for this process, next to the password hash it
/// was checked against: a changed password (a new hash) is never matched, on any node, as soon
/// as the customer row is read again.
public final class VerifiedPasswords: @unchecked Sendable {
    private let key = SymmetricKey(size: .bits256)
    private let lock = NSLock()
    private var proven: [Int: (hash: String, mac: Data)] = [:]
    static let limit = 200_000

    public init() {}

    func mac(_ password: String) -> Data { Data(HMAC<SHA256>.authenticationCode(for: Data(password.utf8), using: key)) }

    func isProven(customerID: Int, passwordHash: String, password: String) -> Bool {
        guard let p = lock.withLock({ proven[customerID] }), p.hash == passwordHash else { return false }
        let m = mac(password)
        // Constant time: the comparison must not reveal how much of a guess was right.
        return m.count == p.mac.count && zip(m, p.mac).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    func remember(customerID: Int, passwordHash: String, password: String) {
        let m = mac(password)
        lock.withLock {
            if proven.count >= Self.limit { proven.removeAll(keepingCapacity: true) }
            proven[customerID] = (passwordHash, m)
        }
    }
}

/// Addresses that failed too many Xtream sign-ins in the current window. The count is the
/// database's (`RateLimiter`, shared by every node); this remembers the verdict so a blocked
/// address costs no query. A blocked address may still use passwords already proven (players
/// of other customers behind the same NAT keep working); it may not try new ones.
public final class AddressThrottle: @unchecked Sendable {
    private let lock = NSLock()
    private var blocked: [String: Date] = [:]
    public init() {}
    func isBlocked(_ ip: String, now: Date) -> Bool { lock.withLock { (blocked[ip] ?? .distantPast) > now } }
    func block(_ ip: String, until: Date) {
        lock.withLock {
            if blocked.count > 10_000 { blocked = blocked.filter { $0.value > until.addingTimeInterval(-3600) } }
            blocked[ip] = until
        }
    }
}

/// Sign-in of the client dialects. Xtream players send the login id and password with every
/// request (query or URL path), so "signing in" happens on each request: the customer is found
/// by its login (in one deployment, or across deployments when the player uses the root
/// addresses and the login is unique), the password is checked (bcrypt once, then
/// `VerifiedPasswords`), wrong ones count towards the same lock-out as the app sign-in
/// (`LockoutPolicy`: five in a row lock the account's sign-in for 15 minutes), failures per
/// address are throttled like console logins, and the subscription status is read now.
public enum ClientAccess {
    /// A signed-in customer of a client dialect.
    public struct Account: @unchecked Sendable {
        public let customer: CustomerModel
        public let product: ProductModel
        public let deployment: DeploymentModel
        public let status: CustomerStatus
        public let set: EntitlementSet
        public var zone: TimeZone { TimeZone(identifier: deployment.timeZone) ?? TimeZone(identifier: "UTC")! }
    }

    public static let wrongCredentials = DomainError(.unauthorized, code: "wrong_credentials", "Invalid username or password.")

    struct LoginRef: Sendable { var customerID: Int; var deploymentID: UUID }

    /// Remembered for this long: who has a login id (a new customer is found within this time).
    static let loginMemory: TimeInterval = 30

    static let decoyHashes = DecoyHash()

    /// Signs a request in. `service` is the deployment's CRM service name when the player uses
    /// `/xc/{service}/…` addresses; nil at the root, where the login must be unique.
    /// Throws `wrong_credentials` (401), `locked` (423), `rate_limited` (429).
    public static func signIn(_ env: ServiceEnvironment, state: ClientDialectState, service: String?, login rawLogin: String, password: String,
                              ip: String) async throws -> Account {
        let login = rawLogin.trimmingCharacters(in: .whitespaces)
        guard !login.isEmpty, login.count <= 100, password.count <= 200 else { throw wrongCredentials }
        let scope = service?.lowercased()
        let refs: [LoginRef] = try await env.hot.get("client-login:\(scope ?? "*"):\(login)", now: env.now, ttl: loginMemory) {
            let rows = try await (scope == nil
                ? env.db.sql.raw("SELECT c.id AS id, c.deployment_id AS deployment_id FROM customers c WHERE c.login = \(bind: login) AND c.deleted_at IS NULL LIMIT 2")
                : env.db.sql.raw("""
                    SELECT c.id AS id, c.deployment_id AS deployment_id FROM customers c JOIN deployments d ON d.id = c.deployment_id
                    WHERE c.login = \(bind: login) AND c.deleted_at IS NULL AND d.crm_service = \(bind: scope ?? "") LIMIT 2
                    """)).all()
            return try rows.map { LoginRef(customerID: try $0.decode(column: "id", as: Int.self), deploymentID: try $0.decode(column: "deployment_id", as: UUID.self)) }
        }
        // Unknown, or the same login at two operators without a service in the address: the
        // same answer and about the same time as a wrong password.
        var account: PlaybackService.Account? = nil
        if refs.count == 1, let ref = refs.first {
            account = try await env.hot.get("account:\(ref.customerID)", now: env.now) {
                guard let c = try await CustomerModel.find(ref.customerID, on: env.db), c.deletedAt == nil,
                      let p = try await ProductModel.find(c.productID, on: env.db) else { return nil }
                return PlaybackService.Account(customer: c, product: p)
            } as PlaybackService.Account?
        }
        guard let account, let ref = refs.first else {
            try await refuseUnproven(env, state: state, ip: ip)
            _ = try? env.subscriberHasher.verify(password, decoyHashes.value(env.subscriberHasher))
            try await failed(env, state: state, ip: ip)
            throw wrongCredentials
        }
        var customer = account.customer
        if !state.passwords.isProven(customerID: ref.customerID, passwordHash: customer.passwordHash, password: password) {
            try await refuseUnproven(env, state: state, ip: ip)
            if let until = customer.loginLockedUntil, until > env.now {
                throw DomainError(.locked, code: "locked", "Too many wrong passwords. Try again after \(Int(until.timeIntervalSince(env.now) / 60) + 1) minutes.")
            }
            let good = try CustomerService.verifyPassword(env, customer: customer, password: password)
            try await DeviceSessionService.countAttempt(env, customer: customer, kind: .login, success: good)
            guard good else {
                try await failed(env, state: state, ip: ip)
                throw wrongCredentials
            }
            state.passwords.remember(customerID: ref.customerID, passwordHash: customer.passwordHash, password: password)
        }
        let product = account.product
        var status = CustomerService.status(customer, product: product, now: env.now)
        if status == .pending, customer.startFromFirstLogin, customer.firstLoginAt == nil {
            // The first sign-in of a "start from first login" customer starts its subscription.
            if let fresh = try await CustomerModel.find(ref.customerID, on: env.db) {
                try await CustomerService.recordFirstLogin(env, customer: fresh)
                customer = fresh
            }
            status = CustomerService.status(customer, product: product, now: env.now)
        }
        let deployment: DeploymentModel = try await env.hot.get("deployment:\(ref.deploymentID)", now: env.now) {
            guard let d = try await DeploymentModel.find(ref.deploymentID, on: env.db) else { throw DomainError.notFound("The deployment") }
            return d
        }
        let extras: [Int] = try await env.hot.get("client-extras:\(ref.customerID)", now: env.now) {
            try await Entitlements.liveExtras(env, customer: customer)
        }
        return Account(customer: customer, product: product, deployment: deployment, status: status,
                       set: EntitlementSet(deploymentID: ref.deploymentID, productID: product.id!, extras: extras))
    }

    /// An address over its failure budget may not check new passwords until its window ends.
    static func refuseUnproven(_ env: ServiceEnvironment, state: ClientDialectState, ip: String) async throws {
        if state.throttle.isBlocked(ip, now: env.now) {
            throw DomainError(.rateLimited, code: "rate_limited", "Too many failed sign-ins from your address. Wait a few minutes and try again.")
        }
    }

    static func failed(_ env: ServiceEnvironment, state: ClientDialectState, ip: String) async throws {
        let window = env.lockout.addressWindow
        let count = try await RateLimiter.hit(env, key: "client-login:\(ip)", window: window)
        if count >= env.lockout.attemptsPerAddressPerWindow {
            let end = Date(timeIntervalSince1970: ((env.now.timeIntervalSince1970 / window).rounded(.down) + 1) * window)
            state.throttle.block(ip, until: end)
        }
    }

    /// The device id every Xtream player of a customer shares: players send no device id, so
    /// all of them together hold one device slot (see docs/CLIENTS.md).
    public static let deviceUID = "xtream"
    public static let deviceType = "xtream"

    struct DeviceSlot: Sendable { var deviceID: Int; var lastSeen: Date }

    /// The customer's Xtream device, registered (or touched) under the product's device limit
    /// exactly as the app sign-in does it: the other devices used in the last two days (or
    /// linked) must leave room. The context is the one playback authorisation takes; its
    /// playbacks are told apart by client address (each address is one connection).
    public static func device(_ env: ServiceEnvironment, account: Account, ip: String) async throws -> DeviceSessionService.Context {
        let customerID = account.customer.id!
        let key = "client-device:\(customerID)"
        let now = env.now
        func context(_ id: Int) -> DeviceSessionService.Context {
            var ctx = DeviceSessionService.Context(sessionID: id, deploymentID: account.set.deploymentID, customerID: customerID, deviceID: id, deviceType: deviceType)
            ctx.playbacksPerAddress = true
            return ctx
        }
        if let slot: DeviceSlot = env.hot.value(key, now: now), now.timeIntervalSince(slot.lastSeen) < DeviceSessionService.touchInterval {
            return context(slot.deviceID)
        }
        let devices = try await CustomerDeviceModel.query(on: env.db).filter(\.$customerID == customerID).all()
        let existing = devices.first { $0.uuid == deviceUID && !$0.linked }
        let inUse = devices.filter { $0.id != existing?.id && ($0.linked || ($0.lastSeenAt ?? .distantPast) > now.addingTimeInterval(-DeviceSessionService.deviceSlotHold)) }
        if inUse.count >= account.product.maxDevices {
            throw DomainError(.conflict, code: "max_devices_reached",
                              "This account already uses \(inUse.count) devices, the most its product allows. Sign out on one, or wait two days after its last use.")
        }
        let id: Int
        if let existing {
            id = existing.id!
            try await env.writeKeepingCache { db in
                try await CustomerDeviceModel.query(on: db).filter(\.$id == id).set(\.$lastSeenAt, to: now).set(\.$ip, to: ip).set(\.$connected, to: true).update()
            }
        } else {
            id = try await env.write { db in
                let d = CustomerDeviceModel()
                d.customerID = customerID; d.linked = false; d.mac = ""; d.serial = ""; d.uuid = deviceUID
                d.connected = true; d.model = "Xtream Codes player"; d.deviceType = deviceType; d.ip = ip; d.appVersion = ""; d.lastSeenAt = now
                try await d.create(on: db)
                try await AuditService.record(on: db, at: now, actor: .system("xtream sign-in"), deploymentID: account.set.deploymentID, entityType: "customer",
                                              entityID: String(customerID), action: "device_added", after: ["uuid": deviceUID, "type": deviceType])
                return d.id!
            }
        }
        env.hot.store(key, DeviceSlot(deviceID: id, lastSeen: now), now: now, ttl: DeviceSessionService.touchInterval)
        return context(id)
    }

    /// Playbacks of the customer counting towards its stream limit now (`active_cons`).
    public static func activeConnections(_ env: ServiceEnvironment, customerID: Int) async throws -> Int {
        try await PlaybackSessionModel.query(on: env.db).filter(\.$customerID == customerID).filter(\.$endedAt == nil)
            .filter(\.$lastSeenAt > env.now.addingTimeInterval(-PlaybackService.liveWindow)).count()
    }
}
