import Foundation

/// The kinds of on-demand content. They share one table and one set of rules because a movie, a
/// season, an album and a course differ in a handful of fields only; the tree (`parent`) carries
/// series → season → episode, album → song and course → lesson.
public enum VoDKind: String, Sendable, CaseIterable, Codable {
    case movie, series, season, episode, album, song, course, lesson, app

    public var label: String {
        switch self {
        case .movie: "Movie"
        case .series: "Series"
        case .season: "Season"
        case .episode: "Episode"
        case .album: "Album"
        case .song: "Song"
        case .course: "Course"
        case .lesson: "Lesson"
        case .app: "App"
        }
    }

    /// The kind this one hangs under (a season's series, an episode's season…).
    public var parent: VoDKind? {
        switch self {
        case .season: .series
        case .episode: .season
        case .song: .album
        case .lesson: .course
        default: nil
        }
    }

    public var child: VoDKind? { VoDKind.allCases.first { $0.parent == self } }

    /// The top-level kinds: the ones packages hold and the console lists.
    public var isRoot: Bool { parent == nil }

    /// The package kind that grants this root kind.
    public var packageKind: ContentKind? {
        switch self {
        case .movie: .movie
        case .series: .series
        case .album: .music
        case .course: .course
        case .app: .app
        default: nil
        }
    }

    /// Where pay-per-view is sold: on the sold unit. Series are sold by the season (as the 2.0
    /// season page has Enable PayPerView and prices), songs with their album, lessons with their
    /// course.
    public var sellsPPV: Bool { [.movie, .season, .album, .course, .app].contains(self) }

    /// The PPV rules section an item's rule comes from (CMS › Series › PPV Rules for seasons).
    public var ppvSection: ContentKind? { self == .season ? .series : packageKind }

    /// Whether the item itself is played (and so needs a stream URL).
    public var playable: Bool { [.movie, .episode, .song, .lesson].contains(self) }

    /// The artwork ratio of the cover slot, nil when the kind has no cover (the manual: cover 2:3,
    /// album 1:1).
    public var coverRatio: (w: Int, h: Int)? {
        switch self {
        case .movie, .series, .season, .course: (2, 3)
        case .album: (1, 1)
        default: nil
        }
    }

    /// Every kind but songs has a 16:9 picture: the background of movies, series, seasons and
    /// courses, the still of episodes and lessons, the app image.
    public var hasWideImage: Bool { self != .song && self != .album }

    /// The name of the child's number ("Season", "Episode", "Track", "Lesson").
    public var numberLabel: String {
        switch self {
        case .season: "Season number"
        case .episode: "Episode number"
        case .song: "Track"
        case .lesson: "Lesson number"
        default: "Number"
        }
    }
}

/// A reference to one sellable or playable thing, as stored on PPV purchases and prices:
/// "channel:12", "movie:40", "season:41".
public struct ContentRef: Hashable, Sendable, CustomStringConvertible {
    public var kind: String
    public var id: Int
    public init(kind: String, id: Int) {
        self.kind = kind
        self.id = id
    }

    public static func channel(_ id: Int) -> ContentRef { ContentRef(kind: "channel", id: id) }
    public static func vod(_ kind: VoDKind, _ id: Int) -> ContentRef { ContentRef(kind: kind.rawValue, id: id) }

    public init?(_ text: String) {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let id = Int(parts[1]), id > 0, parts[0] == "channel" || VoDKind(rawValue: String(parts[0])) != nil else { return nil }
        self.init(kind: String(parts[0]), id: id)
    }

    public var description: String { "\(kind):\(id)" }
}

/// Field rules of VoD items, shared by the console, imports, the lookup and the API.
public enum VoDRules {
    public static let titleMax = 200
    public static let yearRange = 1888...2100
    /// Ten hours: no single title plays longer.
    public static let maxDurationSeconds = 36_000

    /// An IMDb title id: "tt" and 7 or more digits.
    public static func isIMDbID(_ s: String) -> Bool {
        s.isEmpty || (s.hasPrefix("tt") && s.count >= 9 && s.count <= 12 && s.dropFirst(2).allSatisfy(\.isASCII) && s.dropFirst(2).allSatisfy(\.isNumber))
    }

    /// An Android package id ("com.example.app") or an http(s) URL / app scheme for the others.
    public static func isLaunchTarget(_ s: String, platform: String) -> Bool {
        if s.isEmpty { return true }
        if platform == "android" {
            let parts = s.split(separator: ".", omittingEmptySubsequences: false)
            if parts.count >= 2, parts.allSatisfy({ p in !p.isEmpty && p.first!.isLetter && p.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") } }) { return true }
        }
        guard let u = URL(string: s), let scheme = u.scheme?.lowercased(), !scheme.isEmpty else { return false }
        if scheme == "http" || scheme == "https" { return u.host?.isEmpty == false }
        // An app scheme (e.g. "netflix://") launches an installed app on Apple and smart TVs.
        return platform != "web" && scheme.allSatisfy { $0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == "." }
    }

    /// "01:32:05" / "92" (minutes) / "5525s" → seconds; nil when unreadable.
    public static func parseDuration(_ text: String, defaultUnitSeconds: Int) -> Int? {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        if t.isEmpty { return 0 }
        if t.hasSuffix("s"), let n = Int(t.dropLast()) { return n >= 0 ? n : nil }
        if t.hasSuffix("min"), let n = Int(t.dropLast(3).trimmingCharacters(in: .whitespaces)) { return n >= 0 ? n * 60 : nil }
        let parts = t.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count > 1 {
            guard parts.count <= 3, let nums = Optional(parts.compactMap { Int($0) }), nums.count == parts.count, nums.allSatisfy({ $0 >= 0 }) else { return nil }
            return nums.reduce(0) { $0 * 60 + $1 }
        }
        guard let n = Int(t), n >= 0 else { return nil }
        return n * defaultUnitSeconds
    }

    public static func formatDuration(_ seconds: Int) -> String {
        let h = seconds / 3600, m = seconds % 3600 / 60, s = seconds % 60
        return h > 0 ? String(format: "%d:%02d:%02d", h, m, s) : String(format: "%d:%02d", m, s)
    }
}

/// Pay-per-view prices: one amount per currency, entered explicitly (no conversion), as the
/// manual's season page does.
public enum PPVPricing {
    /// The price a customer pays: in its own currency if the item has one, else in the product's
    /// default currency; nil when neither is priced.
    public static func price(_ prices: [String: Int64], customerCurrency: String?, productCurrency: String) -> (currency: String, amount: Int64)? {
        if let c = customerCurrency, let a = prices[c] { return (c, a) }
        if let a = prices[productCurrency] { return (productCurrency, a) }
        return nil
    }
}
