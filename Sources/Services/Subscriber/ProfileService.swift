import Domain
import FluentKit
import Foundation
import SQLKit
import Storage

/// Profiles of a customer account ("Who is watching") and the account's parental setting, for
/// the subscriber API. Every call is for the signed-in device's customer: a profile of anyone
/// else is "not found", never "forbidden".
///
/// Guarded changes need the account's parental PIN (`parentalPin`, default 0000 until the
/// subscriber sets one, as in playback): loosening a profile's restriction (kids mode off, a
/// higher or no age limit), changing or removing a profile's PIN, and deleting a kids or locked
/// profile. Wrong PINs count towards the account's PIN lock-out (`LockoutPolicy`), the same
/// counter playback uses.
public enum ProfileService {
    public typealias Context = DeviceSessionService.Context

    /// A profile as the apps see it (the PIN digest never leaves the server).
    public struct View: Sendable, Codable, Equatable {
        public var id: Int
        public var name: String
        public var avatar: String
        public var kids: Bool
        public var maxRating: Int?
        /// What the catalogue and playback apply: `maxRating`, or 12 for a kids profile without one.
        public var ratingLimit: Int?
        public var pinSet: Bool
        public var isDefault: Bool
        public var position: Int
        public init(_ p: CustomerProfileModel) {
            id = p.id!; name = p.name; avatar = p.avatar; kids = p.kids; maxRating = p.maxRating
            ratingLimit = ProfileRules.ratingLimit(kids: p.kids, maxRating: p.maxRating)
            pinSet = !p.pinDigest.isEmpty; isDefault = p.defaultFor != nil; position = p.position
        }
    }

    public struct NewProfile: Sendable {
        public var name: String
        public var avatar: String?
        public var kids: Bool
        public var maxRating: Int?
        public var pin: String?
        public init(name: String, avatar: String? = nil, kids: Bool = false, maxRating: Int? = nil, pin: String? = nil) {
            self.name = name; self.avatar = avatar; self.kids = kids; self.maxRating = maxRating; self.pin = pin
        }
    }

    /// A partial change: nil keeps a value; `.some(nil)` clears `maxRating` or removes the PIN.
    public struct Change: Sendable {
        public var name: String?
        public var avatar: String?
        public var kids: Bool?
        public var maxRating: Int??
        public var pin: String??
        /// The account's parental PIN, for guarded changes.
        public var parentalPIN: String?
        public init(name: String? = nil, avatar: String? = nil, kids: Bool? = nil, maxRating: Int?? = nil, pin: String?? = nil, parentalPIN: String? = nil) {
            self.name = name; self.avatar = avatar; self.kids = kids; self.maxRating = maxRating; self.pin = pin; self.parentalPIN = parentalPIN
        }
    }


    static func query(_ db: any Database, _ ctx: Context) -> QueryBuilder<CustomerProfileModel> {
        CustomerProfileModel.query(on: db).filter(\.$customerID == ctx.customerID).filter(\.$deploymentID == ctx.deploymentID)
    }

    /// A profile of the signed-in customer, or "not found".
    public static func find(_ env: ServiceEnvironment, context ctx: Context, id: Int) async throws -> CustomerProfileModel {
        guard let p = try await query(env.db, ctx).filter(\.$id == id).first() else { throw DomainError.notFound("The profile") }
        return p
    }

    static func customer(_ env: ServiceEnvironment, _ ctx: Context) async throws -> CustomerModel {
        guard let c = try await CustomerModel.query(on: env.db).filter(\.$id == ctx.customerID).filter(\.$deploymentID == ctx.deploymentID)
            .filter(\.$deletedAt == nil).first() else { throw DomainError.notFound("The customer") }
        return c
    }

    /// The customer's profiles, default first. The default profile (named after the customer's
    /// first name, else "Main") is made on the first call, so every account has one.
    public static func list(_ env: ServiceEnvironment, context ctx: Context) async throws -> [CustomerProfileModel] {
        let existing = try await query(env.db, ctx).sort(\.$position).sort(\.$id).all()
        if !existing.isEmpty { return existing }
        let c = try await customer(env, ctx)
        let p = CustomerProfileModel()
        p.deploymentID = ctx.deploymentID; p.customerID = ctx.customerID; p.defaultFor = ctx.customerID
        let first = c.firstName.trimmingCharacters(in: .whitespaces)
        p.name = first.isEmpty ? "Main" : String(first.prefix(ProfileRules.nameMax))
        p.avatar = ProfileRules.avatars[0].id; p.kids = false; p.maxRating = nil; p.position = 0
        p.pinDigest = ""; p.pinFailures = 0; p.createdAt = env.now; p.updatedAt = env.now
        do {
            try await env.writeKeepingCache { db in try await p.create(on: db) }
        } catch {
            // Another device made the default at the same moment (unique `default_for`).
            let again = try await query(env.db, ctx).sort(\.$position).sort(\.$id).all()
            if again.isEmpty { throw error }
            return again
        }
        return [p]
    }

    static func checkName(_ env: ServiceEnvironment, _ ctx: Context, _ raw: String, except id: Int?, errors: inout FieldErrors) async throws -> String {
        switch ProfileRules.name(raw) {
        case .failure(let p):
            errors.add("name", p.description)
            return ""
        case .success(let n):
            let others = try await query(env.db, ctx).all().filter { $0.id != id }
            if others.contains(where: { $0.name.caseInsensitiveCompare(n) == .orderedSame }) { errors.add("name", "is already the name of another profile") }
            return n
        }
    }

    static func checkRating(_ r: Int?, errors: inout FieldErrors) {
        if let r, !ProfileRules.ratingRange.contains(r) { errors.add("maxRating", "must be an age from 0 to 18, or null for no limit") }
    }

    public static func create(_ env: ServiceEnvironment, context ctx: Context, input: NewProfile) async throws -> CustomerProfileModel {
        let existing = try await list(env, context: ctx)
        guard existing.count < ProfileRules.maxProfiles else {
            throw DomainError.refused("profile_limit_reached", "An account has at most \(ProfileRules.maxProfiles) profiles; delete one first.", .conflict)
        }
        var errors = FieldErrors()
        let name = try await checkName(env, ctx, input.name, except: nil, errors: &errors)
        if let a = input.avatar, ProfileRules.avatar(a) == nil { errors.add("avatar", "is not one of the built-in avatars (GET /avatars)") }
        checkRating(input.maxRating, errors: &errors)
        if let pin = input.pin, let problem = ProfileRules.pinProblem(pin) { errors.add("pin", problem) }
        try errors.throwIfAny()
        let p = CustomerProfileModel()
        p.deploymentID = ctx.deploymentID; p.customerID = ctx.customerID; p.defaultFor = nil
        p.name = name; p.avatar = input.avatar ?? ProfileRules.nextAvatar(used: existing.map(\.avatar))
        p.kids = input.kids; p.maxRating = input.maxRating; p.position = (existing.map(\.position).max() ?? 0) + 1
        p.pinDigest = input.pin.map(ProfilePIN.make) ?? ""; p.pinFailures = 0; p.createdAt = env.now; p.updatedAt = env.now
        try await env.write { db in try await p.create(on: db) }
        return p
    }

    public static func update(_ env: ServiceEnvironment, context ctx: Context, id: Int, change: Change) async throws -> CustomerProfileModel {
        let p = try await find(env, context: ctx, id: id)
        var errors = FieldErrors()
        var name = p.name
        if let n = change.name { name = try await checkName(env, ctx, n, except: id, errors: &errors) }
        if let a = change.avatar, ProfileRules.avatar(a) == nil { errors.add("avatar", "is not one of the built-in avatars (GET /avatars)") }
        if let r = change.maxRating { checkRating(r, errors: &errors) }
        if case .some(.some(let pin)) = change.pin, let problem = ProfileRules.pinProblem(pin) { errors.add("pin", problem) }
        try errors.throwIfAny()
        let kids = change.kids ?? p.kids
        let maxRating = change.maxRating ?? p.maxRating
        let before = ProfileRules.ratingLimit(kids: p.kids, maxRating: p.maxRating)
        let after = ProfileRules.ratingLimit(kids: kids, maxRating: maxRating)
        let loosened = (p.kids && !kids) || (before != nil && (after == nil || after! > before!))
        let pinTouched = !p.pinDigest.isEmpty && change.pin != nil
        if loosened || pinTouched {
            try await requireParentalPIN(env, ctx, change.parentalPIN, doing: loosened ? "lift this profile's restrictions" : "change this profile's PIN")
        }
        p.name = name
        if let a = change.avatar { p.avatar = a }
        p.kids = kids
        p.maxRating = maxRating
        if let pin = change.pin {
            p.pinDigest = pin.map(ProfilePIN.make) ?? ""
            p.pinFailures = 0
            p.pinLockedUntil = nil
        }
        p.updatedAt = env.now
        try await env.write { db in try await p.save(on: db) }
        return p
    }

    public static func delete(_ env: ServiceEnvironment, context ctx: Context, id: Int, parentalPIN: String?) async throws {
        let p = try await find(env, context: ctx, id: id)
        guard p.defaultFor == nil else { throw DomainError.refused("profile_is_default", "The account's main profile cannot be deleted.", .conflict) }
        if p.kids || !p.pinDigest.isEmpty || p.maxRating != nil {
            try await requireParentalPIN(env, ctx, parentalPIN, doing: "delete a restricted or locked profile")
        }
        try await env.write { db in
            try await ProfileItemModel.query(on: db).filter(\.$profileID == id).delete()
            try await ProfileProgressModel.query(on: db).filter(\.$profileID == id).delete()
            try await CustomerProfileModel.query(on: db).filter(\.$id == id).filter(\.$customerID == ctx.customerID).delete()
        }
    }

    /// Checks a profile's PIN (entering a locked profile). Five wrong PINs in a row lock that
    /// profile for 15 minutes (`LockoutPolicy`); a profile without a PIN always opens.
    public static func verifyPIN(_ env: ServiceEnvironment, context ctx: Context, id: Int, pin: String) async throws {
        let p = try await find(env, context: ctx, id: id)
        guard !p.pinDigest.isEmpty else { return }
        let now = env.now
        if let until = p.pinLockedUntil, until > now {
            throw DomainError.refused("profile_pin_locked", "Too many wrong PINs for this profile. Try again after \(Int(until.timeIntervalSince(now) / 60) + 1) minutes.", .locked)
        }
        let right = ProfilePIN.matches(stored: p.pinDigest, pin: pin)
        if !right || p.pinFailures > 0 {
            let next = right ? 0 : p.pinFailures + 1
            let locked = next >= env.lockout.maxFailures
            let until: Date? = locked ? now.addingTimeInterval(env.lockout.lockDuration) : nil
            try await env.writeKeepingCache { db in
                try await CustomerProfileModel.query(on: db).filter(\.$id == id)
                    .set(\.$pinFailures, to: locked ? 0 : next).set(\.$pinLockedUntil, to: until).update()
            }
        }
        guard right else { throw DomainError.refused("profile_pin_wrong", "The profile PIN is wrong.") }
    }

    // MARK: The account's parental setting

    public struct Parental: Sendable, Codable, Equatable {
        public var pinSet: Bool
        /// Items rated above this ask for the PIN; 18 = only the built-in rule (18+ or marked parental).
        public var maxRating: Int
    }

    public static func parental(_ env: ServiceEnvironment, context ctx: Context) async throws -> Parental {
        let c = try await customer(env, ctx)
        return Parental(pinSet: !c.parentalPINDigest.isEmpty, maxRating: c.parentalMaxRating)
    }

    /// Sets the account's parental PIN and/or age limit. Once a PIN has been set, the current
    /// one must be given (`currentPin`); before that the default 0000 is in force and not asked.
    public static func setParental(_ env: ServiceEnvironment, context ctx: Context, pin: String?, currentPIN: String?, maxRating: Int?) async throws -> Parental {
        var errors = FieldErrors()
        if pin == nil && maxRating == nil { errors.add("pin", "give a new PIN, a maxRating, or both") }
        if let pin, let problem = ProfileRules.pinProblem(pin) { errors.add("pin", problem) }
        if let r = maxRating, !ProfileRules.ratingRange.contains(r) { errors.add("maxRating", "must be an age from 0 to 18 (18 = only 18+ items ask for the PIN)") }
        try errors.throwIfAny()
        let c = try await customer(env, ctx)
        if !c.parentalPINDigest.isEmpty {
            try await requireParentalPIN(env, ctx, currentPIN, doing: "change the parental setting", field: "currentPin")
        }
        let digest = pin.map { ParentalPIN.digest(customerID: ctx.customerID, pin: $0) } ?? c.parentalPINDigest
        let rating = maxRating ?? c.parentalMaxRating
        try await env.write { db in
            try await CustomerModel.query(on: db).filter(\.$id == ctx.customerID)
                .set(\.$parentalPINDigest, to: digest).set(\.$parentalMaxRating, to: rating).update()
        }
        return Parental(pinSet: !digest.isEmpty, maxRating: rating)
    }

    /// The account's parental PIN as proof for a guarded change: `parental_pin_required`,
    /// `parental_pin_locked` (423) or `parental_pin_wrong`, counted like playback's.
    static func requireParentalPIN(_ env: ServiceEnvironment, _ ctx: Context, _ pin: String?, doing what: String, field: String = "parentalPin") async throws {
        guard let pin else { throw DomainError.refused("parental_pin_required", "Enter the account's parental PIN (\(field)) to \(what).") }
        let c = try await customer(env, ctx)
        if let until = c.pinLockedUntil, until > env.now {
            throw DomainError.refused("parental_pin_locked", "Too many wrong PINs. Try again after \(Int(until.timeIntervalSince(env.now) / 60) + 1) minutes.", .locked)
        }
        let right = ParentalPIN.matches(customerID: c.id!, stored: c.parentalPINDigest, pin: pin)
        try await DeviceSessionService.countAttempt(env, customer: c, kind: .pin, success: right)
        guard right else { throw DomainError.refused("parental_pin_wrong", "The parental PIN is wrong.") }
    }

    // MARK: Playback and catalogue

    /// The highest age rating a profile may see and play, or nil for no limit. The catalogue
    /// hides items above it (and, in kids profiles, items marked parental):
    /// `ProfileRules.allows(kids:maxRating:ageRating:parental:)` answers per item.
    public static func ratingLimit(_ p: CustomerProfileModel) -> Int? { ProfileRules.ratingLimit(kids: p.kids, maxRating: p.maxRating) }

    /// What playback keeps of a profile for a few seconds.
    struct Restriction: Sendable { var name: String; var kids: Bool; var maxRating: Int? }
    /// An item's age rating and parental mark; for an episode, song or lesson the strictest
    /// along its chain (a series rated 16 makes its episodes 16).
    struct Rating: Sendable { var age: Int; var parental: Bool }

    /// For `PlaybackService.authorise`: refuses an item the profile may not play
    /// (`profile_restricted`, 403), and says whether the account's own age limit asks for the
    /// parental PIN. Costs nothing when no profile is given and the account keeps the built-in rule.
    static func playbackCheck(_ env: ServiceEnvironment, context ctx: Context, customer: CustomerModel, profileID: Int?, ref: ContentRef,
                              channel: ChannelModel?) async throws -> Bool {
        if profileID == nil && customer.parentalMaxRating >= 18 { return false }
        let rating: Rating
        if let channel {
            rating = Rating(age: channel.ageRating, parental: channel.parental)
        } else {
            rating = try await env.hot.get("rating:\(ref)", now: env.now) {
                guard let v = try await VoDItemModel.find(ref.id, on: env.db), v.deploymentID == ctx.deploymentID else { return Rating(age: 0, parental: false) }
                let chain = try await VoDService.chain(env, item: v)
                return Rating(age: chain.map(\.ageRating).max() ?? 0, parental: chain.contains { $0.parental })
            }
        }
        if let profileID {
            let r: Restriction? = try await env.hot.get("profile:\(ctx.customerID):\(profileID)", now: env.now) {
                try await query(env.db, ctx).filter(\.$id == profileID).first().map { Restriction(name: $0.name, kids: $0.kids, maxRating: $0.maxRating) }
            }
            guard let r else { throw DomainError.notFound("The profile") }
            if !ProfileRules.allows(kids: r.kids, maxRating: r.maxRating, ageRating: rating.age, parental: rating.parental) {
                let limit = ProfileRules.ratingLimit(kids: r.kids, maxRating: r.maxRating).map { "\($0)+" } ?? "any rating"
                throw DomainError.refused("profile_restricted", rating.parental && r.kids && rating.age <= (ProfileRules.ratingLimit(kids: r.kids, maxRating: r.maxRating) ?? 18)
                              ? "This item is marked for adults; the kids profile \(r.name) does not play it."
                              : "This item is rated \(rating.age)+; the profile \(r.name) plays items up to \(limit).")
            }
        }
        return ProfileRules.needsParentalPIN(accountMaxRating: customer.parentalMaxRating, ageRating: rating.age, parental: rating.parental)
    }
}
