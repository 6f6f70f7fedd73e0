import Foundation

// UIT › User Interfaces: what a TV app looks like. A UI is stored as one `UIConfig` (what the
// operator edits) and published as `UIDocument`s (what the apps read), one per version.

/// A template: the layout family the apps draw (the manual names Akua, Honua, Rhodium, Iridium,
/// Palladium). Kept as a list in code, not a table: each trait is read by drawing code (the
/// console preview, the apps), so adding a template means adding code anyway, and a list in code
/// cannot drift from that code between deployments.
public struct UITemplate: Sendable, Equatable, Identifiable {
    public enum MenuPlacement: String, Sendable, CaseIterable { case left, top, bottom }
    /// Home-rail tiles: portrait posters, 16:9 landscape, squares or round.
    public enum CardShape: String, Sendable, CaseIterable { case poster, landscape, square, round }

    public var id: String
    public var name: String
    public var summary: String
    public var menu: MenuPlacement
    public var card: CardShape
    /// A large featured banner above the rails.
    public var hero: Bool
    public var colours: UIColours

    public static let akua = UITemplate(id: "akua", name: "Akua", summary: "The default: menu on the left, a hero banner, poster rails. The recommended choice for store approval.",
                                        menu: .left, card: .poster, hero: true,
                                        colours: UIColours(primary: "#E50914", secondary: "#FFB400", background: "#101418", surface: "#1E252C", text: "#F4F6F8"))
    public static let honua = UITemplate(id: "honua", name: "Honua", summary: "Menu across the top, a hero banner, wide landscape rails.",
                                         menu: .top, card: .landscape, hero: true,
                                         colours: UIColours(primary: "#2F80ED", secondary: "#56CCF2", background: "#0B1A2B", surface: "#15283F", text: "#FFFFFF"))
    public static let rhodium = UITemplate(id: "rhodium", name: "Rhodium", summary: "Menu as a bottom bar, no hero, square tiles: compact for phones.",
                                           menu: .bottom, card: .square, hero: false,
                                           colours: UIColours(primary: "#8E44AD", secondary: "#F39C12", background: "#17111C", surface: "#261C2E", text: "#F5F0F7"))
    public static let iridium = UITemplate(id: "iridium", name: "Iridium", summary: "A light theme: menu on the left, no hero, landscape rails.",
                                           menu: .left, card: .landscape, hero: false,
                                           colours: UIColours(primary: "#00897B", secondary: "#FF7043", background: "#F3F5F7", surface: "#FFFFFF", text: "#1B2430"))
    public static let palladium = UITemplate(id: "palladium", name: "Palladium", summary: "Menu across the top, a hero banner, round tiles for channels and artists.",
                                             menu: .top, card: .round, hero: true,
                                             colours: UIColours(primary: "#C9A227", secondary: "#E8E1C9", background: "#121212", surface: "#242424", text: "#FAFAFA"))

    public static let all: [UITemplate] = [akua, honua, rhodium, iridium, palladium]
    public static let `default` = akua

    public static func named(_ id: String) -> UITemplate? { all.first { $0.id == id.lowercased() } }
}

/// The five colours of a UI, each `#RRGGBB`.
public struct UIColours: Codable, Sendable, Equatable {
    /// Buttons and highlights.
    public var primary: String
    /// The focus/selection colour.
    public var secondary: String
    public var background: String
    /// Cards, the menu bar, dialogs.
    public var surface: String
    public var text: String

    public init(primary: String, secondary: String, background: String, surface: String, text: String) {
        self.primary = primary
        self.secondary = secondary
        self.background = background
        self.surface = surface
        self.text = text
    }

    public static let names = ["primary", "secondary", "background", "surface", "text"]

    public subscript(name: String) -> String {
        switch name {
        case "primary": primary
        case "secondary": secondary
        case "background": background
        case "surface": surface
        default: text
        }
    }

    /// `#RRGGBB` exactly (the apps parse nothing else); `#rrggbb` is accepted and upper-cased.
    public static func normalise(_ raw: String) -> String? {
        let v = raw.trimmingCharacters(in: .whitespaces).uppercased()
        guard v.count == 7, v.first == "#", v.dropFirst().allSatisfy({ $0.isHexDigit }) else { return nil }
        return v
    }
}

/// The built-in sections of the main menu, in their default order.
public enum MenuSection: String, Sendable, CaseIterable {
    case home, tv, guide, recordings, catchup, movies, series, music, education, apps, search, messages, settings
    /// The translation key of its label.
    public var labelKey: String { "menu." + rawValue }
}

/// The rails of the home screen, in their default order.
public enum HomeRail: String, Sendable, CaseIterable {
    case continue_watching, favourites, new_movies, new_series, channels_now
    public var labelKey: String { "rail." + rawValue }
}

/// What the operator edits: everything but the name, the artwork (media rows) and the version.
public struct UIConfig: Codable, Sendable, Equatable {
    public struct MenuEntry: Codable, Sendable, Equatable {
        /// A section key (`home`…) or `app:<slug>` for a native app.
        public var key: String
        public var enabled: Bool
        /// Per-language labels the operator typed; a missing language uses the translation
        /// bundle's `menu.<key>` (sections) or the app's name.
        public var labels: [String: String]
        /// Native apps only.
        public var name: String?
        public var packageName: String?
        public var url: String?

        public init(key: String, enabled: Bool = true, labels: [String: String] = [:], name: String? = nil, packageName: String? = nil, url: String? = nil) {
            self.key = key
            self.enabled = enabled
            self.labels = labels
            self.name = name
            self.packageName = packageName
            self.url = url
        }

        public var isApp: Bool { key.hasPrefix("app:") }
        public var section: MenuSection? { MenuSection(rawValue: key) }
    }

    public struct RailEntry: Codable, Sendable, Equatable {
        public var key: String
        public var enabled: Bool
        public var labels: [String: String]
        public init(key: String, enabled: Bool = true, labels: [String: String] = [:]) {
            self.key = key
            self.enabled = enabled
            self.labels = labels
        }
    }

    public struct Behaviour: Codable, Sendable, Equatable {
        public enum ClockFormat: String, Codable, Sendable, CaseIterable { case h24 = "24h", h12 = "12h" }
        /// The channel number the player opens on; nil = the last one watched.
        public var startChannel: Int?
        public var zapBannerSeconds: Int
        public var clockFormat: ClockFormat
        public var startDirectToTV: Bool
        /// Items rated above this ask for the PIN; nil = no limit by default.
        public var parentalMaxRating: Int?
        public var pinForLocked: Bool
        /// 0 = no sleep timer.
        public var sleepMinutes: Int

        public init(startChannel: Int? = nil, zapBannerSeconds: Int = 5, clockFormat: ClockFormat = .h24, startDirectToTV: Bool = false,
                    parentalMaxRating: Int? = 18, pinForLocked: Bool = true, sleepMinutes: Int = 0) {
            self.startChannel = startChannel
            self.zapBannerSeconds = zapBannerSeconds
            self.clockFormat = clockFormat
            self.startDirectToTV = startDirectToTV
            self.parentalMaxRating = parentalMaxRating
            self.pinForLocked = pinForLocked
            self.sleepMinutes = sleepMinutes
        }
    }

    public var template: String
    public var colours: UIColours
    public var rtl: Bool
    public var defaultLanguage: String
    public var languages: [String]
    public var menu: [MenuEntry]
    public var rails: [RailEntry]
    public var behaviour: Behaviour

    public init(template: String, colours: UIColours, rtl: Bool, defaultLanguage: String, languages: [String], menu: [MenuEntry], rails: [RailEntry], behaviour: Behaviour) {
        self.template = template
        self.colours = colours
        self.rtl = rtl
        self.defaultLanguage = defaultLanguage
        self.languages = languages
        self.menu = menu
        self.rails = rails
        self.behaviour = behaviour
    }

    /// A new UI: the template's colours, every section and rail on, in their default order.
    public static func fresh(template: UITemplate = .default, language: String = "en") -> UIConfig {
        UIConfig(template: template.id, colours: template.colours, rtl: false, defaultLanguage: language, languages: [language],
                 menu: MenuSection.allCases.map { MenuEntry(key: $0.rawValue) }, rails: HomeRail.allCases.map { RailEntry(key: $0.rawValue) },
                 behaviour: Behaviour())
    }

    public static let maxZapBannerSeconds = 30
    public static let maxSleepMinutes = 24 * 60

    /// Checks everything a save must satisfy; `offered` are the deployment's language codes.
    /// Field names match the console form's.
    public func problems(offered: Set<String>) -> [String: String] {
        var errors: [String: String] = [:]
        func add(_ f: String, _ m: String) { if errors[f] == nil { errors[f] = m } }
        if UITemplate.named(template) == nil { add("template", "must be one of \(UITemplate.all.map(\.name).joined(separator: ", "))") }
        for name in UIColours.names where UIColours.normalise(colours[name]) == nil { add("colour_\(name)", "must be a colour like #1A2B3C") }
        if languages.isEmpty { add("languages", "must include at least one language") }
        if let bad = languages.first(where: { !offered.contains($0) }) { add("languages", "contains \(bad), which this deployment does not offer (UIT › Languages)") }
        if !languages.contains(defaultLanguage) { add("defaultLanguage", "must be one of the UI's languages") }
        var seen = Set<String>()
        for m in menu {
            if !seen.insert(m.key).inserted { add("menu", "lists \(m.key) twice") }
            if m.isApp {
                let slug = m.key.dropFirst(4)
                if slug.isEmpty || !slug.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) {
                    add("menu", "app key \(m.key) must be app: followed by letters, digits, - or _")
                }
                if (m.name ?? "").trimmingCharacters(in: .whitespaces).isEmpty { add("menu", "native app \(m.key) needs a name") }
                if (m.packageName ?? "").isEmpty && (m.url ?? "").isEmpty { add("menu", "native app \(m.key) needs a package name or a URL") }
                if let p = m.packageName, !p.isEmpty, !UIConfig.isPackageName(p) { add("menu", "\(p) is not a package name like com.example.app") }
                if let u = m.url, !u.isEmpty, !(u.hasPrefix("https://") || u.hasPrefix("http://")) || URL(string: u) == nil { add("menu", "\(u) is not an http(s) address") }
            } else if m.section == nil {
                add("menu", "\(m.key) is not a menu section")
            }
            for (lang, text) in m.labels where text.count > 40 || lang.isEmpty { add("menu", "label \(lang) of \(m.key) is longer than 40 characters") }
        }
        if let missing = MenuSection.allCases.first(where: { s in !menu.contains { $0.key == s.rawValue } }) { add("menu", "is missing the \(missing.rawValue) section") }
        if !menu.contains(where: \.enabled) { add("menu", "must show at least one entry") }
        var railSeen = Set<String>()
        for r in rails {
            if HomeRail(rawValue: r.key) == nil { add("rails", "\(r.key) is not a home rail") }
            if !railSeen.insert(r.key).inserted { add("rails", "lists \(r.key) twice") }
        }
        if let s = behaviour.startChannel, !(1...99_999).contains(s) { add("startChannel", "must be a channel number between 1 and 99999, or empty") }
        if !(1...UIConfig.maxZapBannerSeconds).contains(behaviour.zapBannerSeconds) { add("zapBannerSeconds", "must be between 1 and \(UIConfig.maxZapBannerSeconds) seconds") }
        if let r = behaviour.parentalMaxRating, !(0...18).contains(r) { add("parentalMaxRating", "must be an age between 0 and 18, or empty") }
        if !(0...UIConfig.maxSleepMinutes).contains(behaviour.sleepMinutes) { add("sleepMinutes", "must be between 0 and \(UIConfig.maxSleepMinutes) minutes") }
        return errors
    }

    /// Reverse-DNS Android/iOS identifiers: at least two dot-separated parts of letters, digits, _.
    public static func isPackageName(_ s: String) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count >= 2 && parts.allSatisfy { p in
            !p.isEmpty && p.first!.isLetter && p.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
        }
    }

    /// Upper-cases colours and drops duplicate languages; call before `problems`.
    public mutating func normalise() {
        for name in UIColours.names {
            guard let v = UIColours.normalise(colours[name]) else { continue }
            switch name {
            case "primary": colours.primary = v
            case "secondary": colours.secondary = v
            case "background": colours.background = v
            case "surface": colours.surface = v
            default: colours.text = v
            }
        }
        var seen = Set<String>()
        languages = languages.map { $0.lowercased() }.filter { seen.insert($0).inserted }
        defaultLanguage = defaultLanguage.lowercased()
        for i in menu.indices {
            menu[i].labels = menu[i].labels.mapValues { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.value.isEmpty }
        }
        for i in rails.indices {
            rails[i].labels = rails[i].labels.mapValues { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.value.isEmpty }
        }
    }
}

/// What the apps read: `GET /api/client/v1/ui/{id}` and the bootstrap's `ui`. The shape is the
/// contract shared with the apps; fields may be added, never renamed.
public struct UIDocument: Codable, Sendable, Equatable {
    public struct MenuItem: Codable, Sendable, Equatable {
        public var key: String
        /// "section" or "app"
        public var type: String
        public var label: [String: String]
        public var packageName: String?
        public var url: String?
        public init(key: String, type: String, label: [String: String], packageName: String? = nil, url: String? = nil) {
            self.key = key
            self.type = type
            self.label = label
            self.packageName = packageName
            self.url = url
        }
    }

    public struct Rail: Codable, Sendable, Equatable {
        public var key: String
        public var label: [String: String]
        public init(key: String, label: [String: String]) {
            self.key = key
            self.label = label
        }
    }

    public struct Parental: Codable, Sendable, Equatable {
        public var maxRating: Int?
        public var pinForLocked: Bool
        public init(maxRating: Int?, pinForLocked: Bool) {
            self.maxRating = maxRating
            self.pinForLocked = pinForLocked
        }
        enum CodingKeys: String, CodingKey { case maxRating, pinForLocked }
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(maxRating, forKey: .maxRating)
            try c.encode(pinForLocked, forKey: .pinForLocked)
        }
    }

    public struct Behaviour: Codable, Sendable, Equatable {
        public var startChannel: Int?
        public var zapBannerSeconds: Int
        public var clockFormat: String
        public var startDirectToTV: Bool
        public var parental: Parental
        public var sleepMinutes: Int
        public init(_ b: UIConfig.Behaviour) {
            startChannel = b.startChannel
            zapBannerSeconds = b.zapBannerSeconds
            clockFormat = b.clockFormat.rawValue
            startDirectToTV = b.startDirectToTV
            parental = Parental(maxRating: b.parentalMaxRating, pinForLocked: b.pinForLocked)
            sleepMinutes = b.sleepMinutes
        }
        enum CodingKeys: String, CodingKey { case startChannel, zapBannerSeconds, clockFormat, startDirectToTV, parental, sleepMinutes }
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(startChannel, forKey: .startChannel)
            try c.encode(zapBannerSeconds, forKey: .zapBannerSeconds)
            try c.encode(clockFormat, forKey: .clockFormat)
            try c.encode(startDirectToTV, forKey: .startDirectToTV)
            try c.encode(parental, forKey: .parental)
            try c.encode(sleepMinutes, forKey: .sleepMinutes)
        }
    }

    public var id: String
    public var name: String
    public var version: Int
    public var template: String
    public var rtl: Bool
    public var defaultLanguage: String
    public var languages: [String]
    public var colours: UIColours
    /// `/media/<id>` or null.
    public var logo: String?
    public var background: String?
    public var menu: [MenuItem]
    public var rails: [Rail]
    public var behaviour: Behaviour

    enum CodingKeys: String, CodingKey { case id, name, version, template, rtl, defaultLanguage, languages, colours, logo, background, menu, rails, behaviour }

    // Written by hand so an absent logo is `null`, as the contract shows, rather than left out.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode(version, forKey: .version)
        try c.encode(template, forKey: .template)
        try c.encode(rtl, forKey: .rtl)
        try c.encode(defaultLanguage, forKey: .defaultLanguage)
        try c.encode(languages, forKey: .languages)
        try c.encode(colours, forKey: .colours)
        try c.encode(logo, forKey: .logo)
        try c.encode(background, forKey: .background)
        try c.encode(menu, forKey: .menu)
        try c.encode(rails, forKey: .rails)
        try c.encode(behaviour, forKey: .behaviour)
    }

    /// Builds the document of a UI: only the enabled menu entries and rails, in the UI's order,
    /// each with a label in every language of the UI. `text(lang, key)` is the translation
    /// bundle already merged for this UI (see `TranslationLayers`).
    public static func build(id: UUID, name: String, version: Int, config: UIConfig, logo: UUID?, background: UUID?,
                             text: (String, String) -> String?) -> UIDocument {
        func labels(_ typed: [String: String], key: String, fallback: String) -> [String: String] {
            var out: [String: String] = [:]
            for lang in config.languages { out[lang] = typed[lang] ?? text(lang, key) ?? fallback }
            return out
        }
        let menu = config.menu.filter(\.enabled).map { m -> MenuItem in
            if m.isApp {
                var typed = m.labels
                for lang in config.languages where typed[lang] == nil { typed[lang] = m.labels[config.defaultLanguage] ?? m.name ?? m.key }
                return MenuItem(key: m.key, type: "app", label: typed, packageName: m.packageName.flatMap { $0.isEmpty ? nil : $0 },
                                url: m.url.flatMap { $0.isEmpty ? nil : $0 })
            }
            return MenuItem(key: m.key, type: "section", label: labels(m.labels, key: "menu." + m.key, fallback: m.key))
        }
        let rails = config.rails.filter(\.enabled).map { Rail(key: $0.key, label: labels($0.labels, key: "rail." + $0.key, fallback: $0.key)) }
        return UIDocument(id: id.uuidString.lowercased(), name: name, version: version, template: config.template, rtl: config.rtl,
                          defaultLanguage: config.defaultLanguage, languages: config.languages, colours: config.colours,
                          logo: logo.map { "/media/" + $0.uuidString.lowercased() }, background: background.map { "/media/" + $0.uuidString.lowercased() },
                          menu: menu, rails: rails, behaviour: Behaviour(config.behaviour))
    }

    /// The same document at another version number: "did anything change?" compares these.
    public func withVersion(_ v: Int) -> UIDocument {
        var d = self
        d.version = v
        return d
    }
}
