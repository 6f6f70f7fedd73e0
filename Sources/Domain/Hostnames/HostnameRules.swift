import Foundation

/// How a subscriber may sign in on a hostname's apps (the login screen offers these).
public enum AuthMethod: String, CaseIterable, Codable, Sendable {
    case password
    case activationCode = "activation_code"
    case mac

    public var label: String {
        switch self {
        case .password: "Username and password"
        case .activationCode: "Activation code (TV shows a code, phone confirms)"
        case .mac: "MAC address of a linked box"
        }
    }
}

/// The device families a hostname's apps may run on.
public enum DevicePlatform: String, CaseIterable, Codable, Sendable {
    case web, android, ios, tv, stb

    public var label: String {
        switch self {
        case .web: "Web (WebTV)"
        case .android: "Android"
        case .ios: "iOS"
        case .tv: "Smart TV"
        case .stb: "Set-top box"
        }
    }
}

/// The rules of hostnames, super hostnames and their texts. Hostname syntax itself is
/// `BrandingRules.hostname` (shared with the reseller domain mapping these rows grew out of).
public enum HostnameRules {
    public static let textLimit = 4_000
    public static let serviceIDLimit = 32

    /// Native names of common languages, and which of them are written right to left. A code
    /// outside this list still works; it is shown by its code.
    static let knownLanguages: [String: (String, Bool)] = [
        "en": ("English", false), "ar": ("العربية", true), "nl": ("Nederlands", false), "de": ("Deutsch", false),
        "fr": ("Français", false), "es": ("Español", false), "it": ("Italiano", false), "pt": ("Português", false),
        "tr": ("Türkçe", false), "ru": ("Русский", false), "pl": ("Polski", false), "fa": ("فارسی", true),
        "he": ("עברית", true), "ur": ("اردو", true), "ku": ("Kurdî", false), "hi": ("हिन्दी", false), "zh": ("中文", false),
    ]

    public static func language(_ code: String) -> UILanguage {
        let base = String(code.split(separator: "-").first ?? Substring(code))
        let known = knownLanguages[code] ?? knownLanguages[base]
        return UILanguage(code: code, name: known?.0 ?? code, rtl: known?.1 ?? false)
    }

    /// "EN", " pt-br " → "en", "pt-br"; nil unless two or three letters with an optional region.
    public static func languageCode(_ text: String) -> String? {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        let parts = t.split(separator: "-", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), (2...3).contains(parts[0].count), parts[0].allSatisfy({ $0.isASCII && $0.isLetter }) else { return nil }
        if parts.count == 2 { guard (2...4).contains(parts[1].count), parts[1].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else { return nil } }
        return t
    }

    /// An app-store or support web address: http(s) with a host, or empty for none.
    public static func url(_ text: String) -> String? {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.isEmpty { return "" }
        guard t.count <= 2_000, let u = URL(string: t), let scheme = u.scheme?.lowercased(), scheme == "https" || scheme == "http",
              let host = u.host, !host.isEmpty, !t.contains(where: \.isWhitespace) else { return nil }
        return t
    }

    /// A plausible e-mail address, or empty for none.
    public static func email(_ text: String) -> String? {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.isEmpty { return "" }
        let parts = t.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), t.count <= 254, !t.contains(where: \.isWhitespace) else { return nil }
        return t
    }

    /// The id a subscriber types on the app's Service ID screen: letters, digits, '-' or '_'
    /// (compared lower-cased, as people type them on a remote).
    public static func serviceID(_ text: String) -> String? {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard (1...serviceIDLimit).contains(t.count), t.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else { return nil }
        return t
    }

    /// A text in the asked language, else the default language's, else English's, else empty:
    /// the order the login screen falls back in.
    public static func text(_ texts: [String: String], language: String?, defaultLanguage: String) -> String {
        for code in [language, language.map { String($0.split(separator: "-").first ?? "") }, defaultLanguage, "en"].compactMap({ $0 }) {
            if let t = texts[code], !t.isEmpty { return t }
        }
        return ""
    }

    /// Parses a stored comma list of enum values in their canonical order, dropping unknown ones.
    public static func list<E: RawRepresentable & CaseIterable>(_ stored: String, of: E.Type) -> [E] where E.RawValue == String {
        let set = Set(stored.split(separator: ",").map { String($0) })
        return E.allCases.filter { set.contains($0.rawValue) }
    }

    public static func stored<E: RawRepresentable & CaseIterable>(_ values: [E]) -> String where E.RawValue == String {
        values.map(\.rawValue).joined(separator: ",")
    }
}
