import Domain
import FluentKit
import Foundation
import Storage

/// Sign-in by activation code (the manual's Connect Code): a TV without a comfortable keyboard
/// asks for a code, shows it with the address where to confirm it, and polls; the subscriber
/// confirms the code on a phone app that is already signed in, or on the web page `/activate`
/// with their login id and password. The TV then receives its own device session, checked by
/// the same rules as a password sign-in.
public enum ActivationCodeService {
    public static let lifetime: TimeInterval = 10 * 60
    /// How often a TV should poll.
    public static let pollInterval = 5
    /// No 0/O, 1/I/L, 2/Z, 5/S: a code is read from a TV across a room.
    static let alphabet = Array("346789ABCDEFGHJKMNPQRTUVWXY")

    public struct Started: Sendable, Codable {
        /// As shown on the TV: `ABCD-EFGH`.
        public var code: String
        /// Secret to the TV: the only way to collect the session.
        public var pollToken: String
        public var expiresAt: Date
        public var interval: Int
    }

    /// Upper-case without separators, or nil when it cannot be a code.
    public static func normalised(_ raw: String) -> String? {
        let s = raw.uppercased().filter { $0 != "-" && $0 != " " }
        guard s.count == 8, s.allSatisfy({ alphabet.contains($0) }) else { return nil }
        return s
    }

    static func codeDigest(_ code: String) -> String { Secrets.digest("activation:" + code) }

    public static func start(_ env: ServiceEnvironment, deploymentID: UUID, device: DeviceSessionService.DeviceInfo, ip: String) async throws -> Started {
        try DeviceSessionService.validate(device)
        var generator = SystemRandomNumberGenerator()
        let now = env.now
        let poll = Secrets.generate(prefix: "tvms_act_")
        // 27^8 ≈ 2.8e11 codes: a clash with a live code is unlikely; retry on the unique index.
        for _ in 0..<5 {
            let code = String((0..<8).map { _ in alphabet.randomElement(using: &generator)! })
            let row = ActivationCodeModel()
            row.deploymentID = deploymentID; row.codeDigest = codeDigest(code); row.pollDigest = Secrets.digest(poll)
            row.deviceUID = device.uid.trimmingCharacters(in: .whitespaces); row.deviceType = String(device.type.prefix(40))
            row.deviceModel = String(device.model.prefix(100)); row.appVersion = String(device.appVersion.prefix(40)); row.ip = ip
            row.createdAt = now; row.expiresAt = now.addingTimeInterval(lifetime)
            do {
                try await env.write { db in
                    // Expired codes are cleared as new ones are made, so their digests can be reused.
                    try await ActivationCodeModel.query(on: db).filter(\.$expiresAt < now.addingTimeInterval(-3600)).delete()
                    try await row.create(on: db)
                }
            } catch where (error as? any DatabaseError)?.isConstraintFailure == true {
                continue
            }
            return Started(code: String(code.prefix(4)) + "-" + String(code.suffix(4)), pollToken: poll, expiresAt: row.expiresAt, interval: pollInterval)
        }
        throw DomainError(.conflict, code: "activation_busy", "No free activation code right now; try again.")
    }

    static func pending(_ env: ServiceEnvironment, deploymentID: UUID, code raw: String) async throws -> ActivationCodeModel {
        guard let code = normalised(raw),
              let row = try await ActivationCodeModel.query(on: env.db).filter(\.$codeDigest == codeDigest(code)).filter(\.$deploymentID == deploymentID).first() else {
            throw DomainError(.notFound, code: "activation_code_unknown", "This code is not known. Check it on the TV screen.")
        }
        guard row.expiresAt > env.now, row.consumedAt == nil else {
            throw DomainError(.conflict, code: "activation_expired", "This code has expired. Ask the TV for a new one.")
        }
        guard row.confirmedAt == nil else { throw DomainError(.conflict, code: "activation_confirmed", "This code has already been confirmed.") }
        return row
    }

    /// Confirms a code for the customer of a signed-in device (the phone app).
    public static func confirm(_ env: ServiceEnvironment, context: DeviceSessionService.Context, code: String) async throws {
        let row = try await pending(env, deploymentID: context.deploymentID, code: code)
        try await markConfirmed(env, row: row, customerID: context.customerID)
    }

    /// Confirms a code on the web page with the subscriber's login id and password (counted
    /// against the same lockout as app sign-ins).
    public static func confirm(_ env: ServiceEnvironment, deploymentID: UUID, code: String, login: String, password: String) async throws {
        let row = try await pending(env, deploymentID: deploymentID, code: code)
        guard let c = try await CustomerModel.query(on: env.db).filter(\.$deploymentID == deploymentID)
            .filter(\.$login == login.trimmingCharacters(in: .whitespaces)).filter(\.$deletedAt == nil).first() else {
            throw DomainError(.unauthorized, code: "wrong_credentials", "The login id or password is wrong.")
        }
        if let until = c.loginLockedUntil, until > env.now {
            throw DomainError(.locked, code: "locked", "Too many wrong passwords. Try again after \(Int(until.timeIntervalSince(env.now) / 60) + 1) minutes.")
        }
        let good = try CustomerService.verifyPassword(env, customer: c, password: password)
        try await DeviceSessionService.countAttempt(env, customer: c, kind: .login, success: good)
        guard good else { throw DomainError(.unauthorized, code: "wrong_credentials", "The login id or password is wrong.") }
        try await markConfirmed(env, row: row, customerID: c.id!)
    }

    static func markConfirmed(_ env: ServiceEnvironment, row: ActivationCodeModel, customerID: Int) async throws {
        let (id, now) = (row.id!, env.now)
        let changed = try await env.write { db -> Bool in
            // Only a still-open code: two confirmations racing cannot both win.
            guard let fresh = try await ActivationCodeModel.find(id, on: db), fresh.confirmedAt == nil, fresh.consumedAt == nil else { return false }
            fresh.customerID = customerID; fresh.confirmedAt = now
            try await fresh.save(on: db)
            return true
        }
        if !changed { throw DomainError(.conflict, code: "activation_confirmed", "This code has already been confirmed.") }
    }

    public enum Poll: Sendable {
        case pending(expiresAt: Date, interval: Int)
        case signedIn(token: String, context: DeviceSessionService.Context)
    }

    /// The TV's poll: still waiting, or its new session once (and only once) the code was confirmed.
    public static func poll(_ env: ServiceEnvironment, pollToken: String, ip: String, country: String? = nil) async throws -> Poll {
        guard pollToken.hasPrefix("tvms_act_"),
              let row = try await ActivationCodeModel.query(on: env.db).filter(\.$pollDigest == Secrets.digest(pollToken)).first() else {
            throw DomainError(.notFound, code: "activation_unknown", "Unknown activation; ask for a new code.")
        }
        guard row.consumedAt == nil else { throw DomainError(.conflict, code: "activation_used", "This code has already signed a device in.") }
        guard let customerID = row.customerID, row.confirmedAt != nil else {
            guard row.expiresAt > env.now else { throw DomainError(.conflict, code: "activation_expired", "This code has expired. Ask for a new one.") }
            return .pending(expiresAt: row.expiresAt, interval: pollInterval)
        }
        guard let customer = try await CustomerModel.find(customerID, on: env.db), customer.deletedAt == nil else {
            throw DomainError(.conflict, code: "activation_expired", "The account that confirmed this code is gone.")
        }
        let (id, now) = (row.id!, env.now)
        let claimed = try await env.write { db -> Bool in
            guard let fresh = try await ActivationCodeModel.find(id, on: db), fresh.consumedAt == nil else { return false }
            fresh.consumedAt = now
            try await fresh.save(on: db)
            return true
        }
        guard claimed else { throw DomainError(.conflict, code: "activation_used", "This code has already signed a device in.") }
        let device = DeviceSessionService.DeviceInfo(uid: row.deviceUID, type: row.deviceType, model: row.deviceModel, appVersion: row.appVersion)
        do {
            let (token, ctx) = try await DeviceSessionService.openSession(env, customer: customer, device: device, ip: ip, country: country)
            return .signedIn(token: token, context: ctx)
        } catch {
            // Refused (device limit, platform…): the TV shows why and may poll again once fixed.
            try await env.write { db in try await ActivationCodeModel.query(on: db).filter(\.$id == id).set(\.$consumedAt, to: nil).update() }
            throw error
        }
    }
}
