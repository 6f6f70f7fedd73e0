import Foundation

/// A language a deployment offers its apps.
public struct UILanguage: Codable, Sendable, Equatable {
    public var code: String
    public var name: String
    public var rtl: Bool
    public init(code: String, name: String, rtl: Bool) {
        self.code = code
        self.name = name
        self.rtl = rtl
    }

    /// English is built in: every key has an English text, and every other language falls back to it.
    public static let english = UILanguage(code: "en", name: "English", rtl: false)

    /// BCP 47-ish codes the apps understand: `ar`, `pt-br`, `zh-hant` (lower case, 2–3 letters,
    /// optional subtags).
    public static func isCode(_ code: String) -> Bool {
        let parts = code.split(separator: "-", omittingEmptySubsequences: false)
        guard let first = parts.first, (2...3).contains(first.count), first.allSatisfy({ $0.isASCII && $0.isLowercase }) else { return false }
        return parts.dropFirst().allSatisfy { (2...8).contains($0.count) && $0.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber) } }
    }
}

/// The layers a text comes from, most specific first: the UI's override, the deployment's
/// translation, then the built-in base. A language without a text for a key falls back to the
/// same layers in English, so a key always has a text.
public struct TranslationLayers: Sendable {
    /// Built-in English (Resources/UIT/base/*.json).
    public var base: [String: String]
    /// The deployment's texts per language (its translations and its English overrides).
    public var deployment: [String: [String: String]]
    /// One UI's overrides per language.
    public var ui: [String: [String: String]]

    public init(base: [String: String], deployment: [String: [String: String]], ui: [String: [String: String]] = [:]) {
        self.base = base
        self.deployment = deployment
        self.ui = ui
    }

    /// The text of `key` in `language` without falling back to English; nil if no layer has it.
    public func own(_ language: String, _ key: String) -> String? {
        if let t = ui[language]?[key] { return t }
        if let t = deployment[language]?[key] { return t }
        return language == UILanguage.english.code ? base[key] : nil
    }

    public func text(_ language: String, _ key: String) -> String? {
        own(language, key) ?? own(UILanguage.english.code, key)
    }

    /// Every key the apps know (the base's and any the layers add), merged for `language`.
    public func strings(_ language: String) -> [String: String] {
        var keys = Set(base.keys)
        for layer in [deployment, ui] {
            keys.formUnion(layer[language]?.keys ?? [:].keys)
            keys.formUnion(layer[UILanguage.english.code]?.keys ?? [:].keys)
        }
        var out: [String: String] = [:]
        for k in keys { if let t = text(language, k) { out[k] = t } }
        return out
    }
}

/// Import and export of one language's texts, as JSON or CSV. Parsing is all or nothing: the
/// first problem (with its line or key) refuses the whole file.
public enum TranslationFile {
    public enum Format: String, Sendable, CaseIterable { case json, csv }

    public struct Problem: Error, Equatable, Sendable, CustomStringConvertible {
        public var message: String
        public init(_ message: String) { self.message = message }
        public var description: String { message }
    }

    /// `{"language":"ar","strings":{"menu.home":"…"}}` — keys sorted so exports diff cleanly.
    public static func json(language: String, strings: [String: String]) -> String {
        var out = "{\n  \"language\": \(quote(language)),\n  \"strings\": {"
        let keys = strings.keys.sorted()
        for (i, k) in keys.enumerated() {
            out += "\n    \(quote(k)): \(quote(strings[k]!))" + (i == keys.count - 1 ? "\n  " : ",")
        }
        return out + "}\n}\n"
    }

    /// `key,english,text`: the English column is context for translators and ignored on import.
    public static func csv(strings: [String: String], english: [String: String]) -> String {
        var lines = [CSV.line(["key", "english", "text"])]
        for k in Set(strings.keys).union(english.keys).sorted() {
            lines.append(CSV.line([k, english[k] ?? "", strings[k] ?? ""]))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// Reads a file into key → text. `known` are the keys the apps use (an unknown key is a typo
    /// and refused); `english` gives the placeholders (`{name}`) a text must keep. Empty texts
    /// are left out (no translation yet). `language`, when the JSON names one, must match.
    public static func parse(_ text: String, format: Format, language: String, known: Set<String>, english: [String: String]) throws -> [String: String] {
        let raw: [(String, String, String)]  // key, text, where (for messages)
        switch format {
        case .json: raw = try parseJSON(text, language: language)
        case .csv: raw = try parseCSV(text)
        }
        var out: [String: String] = [:]
        for (key, value, place) in raw {
            guard known.contains(key) else { throw Problem("\(place): unknown key \(key)") }
            guard out[key] == nil else { throw Problem("\(place): key \(key) appears twice") }
            let v = value.trimmingCharacters(in: .whitespacesAndNewlines)
            if v.isEmpty { continue }
            guard v.count <= 1000 else { throw Problem("\(place): the text of \(key) is longer than 1000 characters") }
            let need = placeholders(english[key] ?? "")
            if let missing = need.subtracting(placeholders(v)).sorted().first {
                throw Problem("\(place): the text of \(key) lacks the placeholder \(missing)")
            }
            out[key] = v
        }
        return out
    }

    /// `{name}` style placeholders in a text.
    public static func placeholders(_ text: String) -> Set<String> {
        var found = Set<String>()
        var current: String? = nil
        for ch in text {
            if ch == "{" { current = "" } else if ch == "}", let c = current {
                if !c.isEmpty { found.insert("{" + c + "}") }
                current = nil
            } else if current != nil {
                if ch.isLetter || ch.isNumber || ch == "_" { current!.append(ch) } else { current = nil }
            }
        }
        return found
    }

    static func parseJSON(_ text: String, language: String) throws -> [(String, String, String)] {
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: Data(text.utf8)) } catch {
            throw Problem("not valid JSON (\(lineOfJSONError(error, in: text)))")
        }
        guard var dict = object as? [String: Any] else { throw Problem("the file must be a JSON object") }
        if let strings = dict["strings"] {
            if let named = dict["language"] as? String, named.lowercased() != language {
                throw Problem("the file is for language \(named), not \(language)")
            }
            guard let inner = strings as? [String: Any] else { throw Problem("\"strings\" must be an object of key → text") }
            dict = inner
        }
        // Key order is not kept by JSONSerialization; sorted so the first problem reported is stable.
        return try dict.keys.sorted().map { k in
            guard let s = dict[k] as? String else { throw Problem("key \(k): the text must be a string") }
            return (k, s, "key \(k)")
        }
    }

    static func lineOfJSONError(_ error: any Error, in text: String) -> String {
        let ns = error as NSError
        if let index = ns.userInfo["NSJSONSerializationErrorIndex"] as? Int {
            let line = text.utf8.prefix(index).filter { $0 == UInt8(ascii: "\n") }.count + 1
            return "near line \(line)"
        }
        return ns.localizedDescription
    }

    static func parseCSV(_ text: String) throws -> [(String, String, String)] {
        let rows = CSV.parse(text)
        guard let header = rows.first else { throw Problem("the file is empty") }
        let names = header.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard let keyCol = names.firstIndex(of: "key"), let textCol = names.firstIndex(of: "text") else {
            throw Problem("line \(header.line): the header must name the columns key and text (and optionally english)")
        }
        return try rows.dropFirst().map { row in
            guard row.fields.count == names.count else {
                throw Problem("line \(row.line): \(row.fields.count) columns, the header has \(names.count)")
            }
            var value = row.fields[textCol]
            // Undo the export's formula guard: a leading apostrophe before = + - @.
            if value.hasPrefix("'"), let second = value.dropFirst().first, "=+-@".contains(second) { value.removeFirst() }
            return (row.fields[keyCol].trimmingCharacters(in: .whitespaces), value, "line \(row.line)")
        }
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }
}
