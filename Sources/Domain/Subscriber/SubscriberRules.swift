import Crypto
import Foundation

/// Rules of the subscriber's profiles ("Who is watching"): how many, names, avatars, PINs and
/// what a profile's age limit lets through. Pure, so the catalogue, playback and the tests share
/// one answer.
public enum ProfileRules {
    /// Profiles per customer account. Six is what TV apps' profile pickers show on one screen
    /// (five people plus "Add profile"), and more than that is sharing an account, not a household.
    public static let maxProfiles = 6
    public static let nameMax = 30
    /// A kids profile without its own limit plays items rated up to this.
    public static let kidsDefaultRating = 12
    /// Ratings are ages (0 = unrated / for all). 18 and over, or items marked parental, always
    /// need the account's parental PIN in playback, whatever the limits below say.
    public static let ratingRange = 0...18

    /// A built-in avatar: the apps show `image`; a profile stores `id`.
    public struct Avatar: Sendable, Equatable, Codable {
        public var id: String
        public var name: String
        public var colour: String
    }

    public static let avatars: [Avatar] = [
        ("fox", "Fox", "#E8743B"), ("owl", "Owl", "#8E6C8A"), ("panda", "Panda", "#3B3B3B"), ("cat", "Cat", "#C98A0B"),
        ("dog", "Dog", "#A0522D"), ("bear", "Bear", "#6B4226"), ("rabbit", "Rabbit", "#9B6FB5"), ("penguin", "Penguin", "#2F4858"),
        ("lion", "Lion", "#B8860B"), ("robot", "Robot", "#3F6E96"), ("rocket", "Rocket", "#C0392B"), ("star", "Star", "#2A9D8F"),
    ].map { Avatar(id: $0.0, name: $0.1, colour: $0.2) }

    public static func avatar(_ id: String) -> Avatar? { avatars.first { $0.id == id } }

    /// The avatar a new profile gets when none is chosen: the first one the account does not use yet.
    public static func nextAvatar(used: [String]) -> String {
        (avatars.first { !used.contains($0.id) } ?? avatars[used.count % avatars.count]).id
    }

    /// A profile's name, trimmed, or the problem with it.
    public static func name(_ raw: String) -> Result<String, ProblemText> {
        let n = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        if n.isEmpty { return .failure("is required") }
        if n.count > nameMax { return .failure(ProblemText("is limited to \(nameMax) characters")) }
        if n.unicodeScalars.contains(where: { CharacterSet.controlCharacters.contains($0) }) { return .failure("may not contain control characters") }
        return .success(n)
    }

    /// PINs (profile and parental) are 4 to 8 digits, typed on a remote.
    public static func pinProblem(_ pin: String) -> String? {
        (4...8).contains(pin.count) && pin.allSatisfy({ $0.isASCII && $0.isNumber }) ? nil : "must be 4 to 8 digits"
    }

    /// The highest age rating a profile may play, or nil for no limit of its own.
    public static func ratingLimit(kids: Bool, maxRating: Int?) -> Int? {
        if let maxRating { return maxRating }
        return kids ? kidsDefaultRating : nil
    }

    /// Whether a profile may see or play an item. Kids profiles never get items marked parental
    /// (the CMS "Parental control" switch), whatever their rating; unrated items (0) pass.
    public static func allows(kids: Bool, maxRating: Int?, ageRating: Int, parental: Bool) -> Bool {
        if kids && parental { return false }
        guard let limit = ratingLimit(kids: kids, maxRating: maxRating) else { return true }
        return ageRating <= limit
    }

    /// Whether the account's own parental setting asks for the PIN: the built-in rule (18+ or
    /// marked parental), or anything rated above the account's `maxRating` (18 = the built-in rule only).
    public static func needsParentalPIN(accountMaxRating: Int, ageRating: Int, parental: Bool) -> Bool {
        parental || ageRating >= 18 || ageRating > accountMaxRating
    }
}

/// A short message for a field ("is required"), usable in `Result`.
public struct ProblemText: Error, Equatable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    public let description: String
    public init(stringLiteral value: String) { description = value }
    public init(_ value: String) { description = value }
}

/// Profile PINs: a random salt per PIN and SHA-256 of salt and PIN, compared in constant time.
/// Four digits cannot resist an offline search whatever the hash; what protects them is that the
/// digest never leaves the server and that wrong PINs lock the profile (`LockoutPolicy`).
public enum ProfilePIN {
    public static func make(_ pin: String) -> String {
        var g = SystemRandomNumberGenerator()
        let salt = Hex.encode((0..<16).map { _ in UInt8.random(in: .min ... .max, using: &g) })
        return "v1$\(salt)$\(digest(salt: salt, pin: pin))"
    }

    static func digest(salt: String, pin: String) -> String { Hex.encode(SHA256.hash(data: Data("profile-pin:\(salt):\(pin)".utf8))) }

    public static func matches(stored: String, pin: String) -> Bool {
        let parts = stored.split(separator: "$")
        guard parts.count == 3, parts[0] == "v1" else { return false }
        return Secrets.equalDigests(String(parts[2]), digest(salt: String(parts[1]), pin: pin))
    }
}

/// Resume points of on-demand titles.
public enum ResumeRules {
    /// A title counts as watched from 95 % of its length (credits are not watched).
    public static let finishedShare = 0.95
    /// Longest duration accepted from a player, in seconds (a day; VoD titles are at most ten hours).
    public static let maxDuration = 86_400

    public static func finished(position: Int, duration: Int) -> Bool {
        duration > 0 && Double(position) >= Double(duration) * finishedShare
    }
}

/// The events the apps send for analytics (spec 4.1): content events with a start time and a
/// length, and usage events. Names are the apps' own; matched without regard to case.
public enum ClientEventCatalogue {
    public static let maxPerBatch = 500
    /// Extra fields of one event, as compact JSON.
    public static let maxExtraBytes = 4_000
    /// Events are kept when they happened at most this long ago (apps buffer offline) …
    public static let maxAge: TimeInterval = 30 * 86_400
    /// … and at most this far in the future (device clocks drift).
    public static let maxSkew: TimeInterval = 86_400

    public static let contentTypes = ["Channel", "CatchupTV", "Recordings", "Movies", "Series", "Education", "Music", "Apps"]
    public static let usageTypes = ["Pages", "Actions", "Search", "Error"]
    public static var allTypes: [String] { contentTypes + usageTypes }

    /// The catalogue spelling of a type, or nil when it is not in the catalogue.
    public static func canonical(_ type: String) -> String? { allTypes.first { $0.caseInsensitiveCompare(type) == .orderedSame } }

    public static func isContent(_ type: String) -> Bool { contentTypes.contains(type) }

    /// Fields a usage event must carry among its extra fields (what its report groups by).
    public static func requiredExtra(_ type: String) -> String? {
        switch type {
        case "Pages": "page"
        case "Actions": "action"
        case "Search": "query"
        case "Error": "name"
        default: nil
        }
    }

    /// Keys that must never be stored with analytics (the old apps sent the password).
    public static func isSecretKey(_ key: String) -> Bool {
        let k = key.lowercased()
        return k.contains("password") || k.contains("passwd") || k.contains("secret") || k.contains("token") || k == "pin"
    }
}
