import Foundation

/// The manual's rules for subscriber logins and passwords, and their generation.
public enum Credentials {
    public static let loginSpecials = Set("!#@=()_.$+-")
    public static let passwordSpecials = Set("!#@=()_$+-")

    /// userid: 6–99 characters, letters, digits and `!#@=()_.$+-`, no spaces.
    public static func loginProblem(_ s: String) -> String? {
        if s.count < 6 || s.count > 99 { return "must be 6–99 characters" }
        if !s.allSatisfy({ ($0.isASCII && ($0.isLetter || $0.isNumber)) || loginSpecials.contains($0) }) {
            return "may contain only letters, digits and ! # @ = ( ) _ . $ + -"
        }
        return nil
    }

    /// password: 4–24 characters, letters, digits and `!#@=()_$+-`, no spaces.
    public static func passwordProblem(_ s: String) -> String? {
        if s.count < 4 || s.count > 24 { return "must be 4–24 characters" }
        if !s.allSatisfy({ ($0.isASCII && ($0.isLetter || $0.isNumber)) || passwordSpecials.contains($0) }) {
            return "may contain only letters, digits and ! # @ = ( ) _ $ + -"
        }
        return nil
    }

    /// A generated userid: 8 digits, easy to type on a TV remote.
    public static func generateLogin<R: RandomNumberGenerator>(using rng: inout R) -> String {
        String(Int.random(in: 10_000_000...99_999_999, using: &rng))
    }

    /// A generated password: 8 characters from an alphabet without look-alikes (no 0/O, 1/l/I).
    public static func generatePassword<R: RandomNumberGenerator>(using rng: inout R) -> String {
        let alphabet = Array("abcdefghjkmnpqrstuvwxyz23456789")
        return String((0..<8).map { _ in alphabet.randomElement(using: &rng)! })
    }

    public static func generateLogin() -> String { var g = SystemRandomNumberGenerator(); return generateLogin(using: &g) }
    public static func generatePassword() -> String { var g = SystemRandomNumberGenerator(); return generatePassword(using: &g) }
}

/// Normalised forms for indexed prefix search (both databases, no ILIKE needed).
public enum SearchKey {
    /// Lower-cased, accents removed, spaces collapsed.
    public static func text(_ s: String) -> String {
        s.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: Locale(identifier: "en_US_POSIX"))
            .lowercased()
            .split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }

    /// Digits only, with a leading + kept: "+31 (6) 123-45" → "+31612345".
    public static func phone(_ s: String) -> String {
        let plus = s.trimmingCharacters(in: .whitespaces).hasPrefix("+") ? "+" : ""
        return plus + s.filter(\.isNumber)
    }

    /// MAC addresses in one form: "00:1A:79:aa:bb:cc" / "001a79aabbcc" → "00:1a:79:aa:bb:cc".
    public static func mac(_ s: String) -> String? {
        let hex = s.lowercased().filter { $0.isHexDigit }
        guard hex.count == 12, s.allSatisfy({ $0.isHexDigit || ":-. ".contains($0) }) else { return nil }
        var out = ""
        for (i, ch) in hex.enumerated() {
            if i > 0 && i % 2 == 0 { out += ":" }
            out.append(ch)
        }
        return out
    }

    /// The upper bound of a prefix range: every string starting with `p` sorts below it.
    public static func prefixEnd(_ p: String) -> String { p + "\u{10FFFF}" }
}

/// Mobile numbers must be in international form so SMS reaches them.
public enum Phone {
    public static func isInternational(_ s: String) -> Bool {
        let n = SearchKey.phone(s)
        return n.hasPrefix("+") && (8...16).contains(n.count)
    }
}

/// ISO 3166-1 alpha-2 codes, for product country rules and customer addresses.
public enum Country {
    /// Region codes the ISO list carries that are not countries (EU, the euro zone, the UN, …).
    static let notCountries: Set<String> = ["EU", "EZ", "UN", "QO", "ZZ"]

    public static func isCode(_ s: String) -> Bool {
        s.count == 2 && s.allSatisfy { $0.isASCII && $0.isUppercase } && !notCountries.contains(s) && Locale.Region(s).isISORegion
    }

    /// "Netherlands" / "netherlands" → "NL" (billing modules send English names).
    public static func code(forName name: String) -> String? {
        let n = name.trimmingCharacters(in: .whitespaces)
        if let c = aliases[n.lowercased()] { return c }
        return all.first { $0.name.caseInsensitiveCompare(n) == .orderedSame }?.code
    }

    /// Names billing systems commonly send that the locale data spells differently.
    static let aliases: [String: String] = [
        "turkey": "TR", "czech republic": "CZ", "united states of america": "US", "usa": "US", "united states": "US",
        "uk": "GB", "great britain": "GB", "england": "GB", "russia": "RU", "south korea": "KR", "korea, republic of": "KR",
        "vietnam": "VN", "iran": "IR", "syria": "SY", "moldova": "MD", "macedonia": "MK", "holland": "NL", "the netherlands": "NL",
        "ivory coast": "CI", "swaziland": "SZ", "burma": "MM", "cape verde": "CV", "east timor": "TL", "palestine": "PS",
    ]

    public static var all: [(code: String, name: String)] {
        Locale.Region.isoRegions.filter { $0.identifier.count == 2 && $0.identifier.allSatisfy(\.isLetter) && !notCountries.contains($0.identifier) }
            .map { ($0.identifier, Locale(identifier: "en_GB").localizedString(forRegionCode: $0.identifier) ?? $0.identifier) }
            .sorted { $0.name < $1.name }
    }
}

/// IPv4/IPv6 CIDR blocks for a product's IP access rules.
public struct CIDR: Equatable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]
    public let prefix: Int

    public init?(_ text: String) {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: "/", maxSplits: 1)
        guard let first = parts.first, let addr = CIDR.parse(String(first)) else { return nil }
        let maxPrefix = addr.count * 8
        let prefix = parts.count == 2 ? Int(parts[1]) : maxPrefix
        guard let prefix, (0...maxPrefix).contains(prefix) else { return nil }
        self.bytes = addr
        self.prefix = prefix
    }

    public func contains(_ ip: String) -> Bool {
        guard let other = CIDR.parse(ip), other.count == bytes.count else { return false }
        var bits = prefix
        for i in 0..<bytes.count where bits > 0 {
            let take = min(8, bits)
            let mask: UInt8 = take == 8 ? 0xFF : ~(0xFF >> UInt8(take))
            if bytes[i] & mask != other[i] & mask { return false }
            bits -= take
        }
        return true
    }

    public var description: String {
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") + "/\(prefix)" }
        var groups: [String] = []
        for i in stride(from: 0, to: 16, by: 2) { groups.append(String(UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1]), radix: 16)) }
        return groups.joined(separator: ":") + "/\(prefix)"
    }

    static func parse(_ s: String) -> [UInt8]? {
        if s.contains(":") { return parseV6(s) }
        let p = s.split(separator: ".", omittingEmptySubsequences: false)
        guard p.count == 4 else { return nil }
        var out: [UInt8] = []
        for x in p { guard let v = UInt8(x), String(v) == x else { return nil }; out.append(v) }
        return out
    }

    static func parseV6(_ s: String) -> [UInt8]? {
        let halves = s.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ t: String) -> [UInt16]? {
            if t.isEmpty { return [] }
            var out: [UInt16] = []
            for g in t.split(separator: ":", omittingEmptySubsequences: false) {
                guard (1...4).contains(g.count), let v = UInt16(g, radix: 16) else { return nil }
                out.append(v)
            }
            return out
        }
        guard let head = groups(halves[0]) else { return nil }
        var all = head
        if halves.count == 2 {
            guard let tail = groups(halves[1]), head.count + tail.count < 8 else { return nil }
            all += Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        }
        guard all.count == 8 else { return nil }
        return all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }
}
