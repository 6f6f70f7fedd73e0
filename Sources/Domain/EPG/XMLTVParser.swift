import Foundation

/// A channel as an XMLTV guide describes it.
public struct XMLTVChannel: Sendable, Equatable {
    public var id: String
    public var displayNames: [String] = []
    public var icon: String = ""
    public init(id: String) { self.id = id }
}

/// A programme as an XMLTV guide describes it, times already in UTC.
public struct XMLTVProgramme: Sendable, Equatable {
    public var channel: String
    public var start: Date
    public var stop: Date?
    public var title = ""
    public var titleLang = ""
    public var subTitle = ""
    public var description = ""
    public var categories: [String] = []
    /// `xmltv_ns` ("1.0.0/1": zero-based season.episode.part).
    public var episodeNS = ""
    /// `onscreen` ("S02E01").
    public var episodeOnscreen = ""
    public var rating = ""
    public var icon = ""
    public var previouslyShown = false
    public var isNew = false
    public var premiere = false
    public init(channel: String, start: Date) {
        self.channel = channel
        self.start = start
    }
}

/// Why a guide was refused; the message says where.
public struct XMLTVError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A streaming XMLTV reader: bytes go in by chunks of any size (a tag may be split across
/// chunks), channels and programmes come out as they complete. It holds only the unfinished
/// tail of the input and the programme being read, so memory stays flat however large the
/// guide. It reads the XML that guides use — elements, attributes, character and predefined
/// entity references, CDATA, comments, processing instructions — and refuses what makes XML
/// dangerous: a DOCTYPE that declares entities (XXE and "billion laughs" both need one) and
/// undefined entity references. Text fields are cut at a limit (with a warning) instead of
/// growing without bound.
public final class XMLTVParser {
    public enum Event {
        case channel(XMLTVChannel)
        case programme(XMLTVProgramme)
        case warning(String)
    }

    /// Longest kept text per field (characters are cut beyond it, with one warning per field kind).
    public static let fieldLimit = 8 * 1024
    /// Longest single tag, comment or CDATA section; beyond it the document is refused.
    public static let tokenLimit = 1024 * 1024

    let defaultZone: TimeZone
    let emit: (Event) throws -> Void
    var buffer: [UInt8] = []
    var position = 0
    /// Bytes consumed before `buffer[0]`, for error positions.
    var consumed = 0
    var stack: [String] = []
    var sawRoot = false
    var latin1 = false
    var declarationChecked = false
    var channel: XMLTVChannel?
    var programme: XMLTVProgramme?
    /// The element whose text is being collected, its text, and the attribute that qualifies it.
    var capture: String?
    var text: [UInt8] = []
    var captureAttribute = ""
    var warned = Set<String>()
    public private(set) var skippedProgrammes = 0
    /// Whether the last decoded text was cut at its limit.
    var lastCut = false

    /// `defaultZone`: the zone of times written without an offset (the source's declared zone;
    /// XMLTV itself says UTC).
    public init(defaultZone: TimeZone = TimeZone(identifier: "UTC")!, emit: @escaping (Event) throws -> Void) {
        self.defaultZone = defaultZone
        self.emit = emit
    }

    func fail(_ message: String) -> XMLTVError {
        XMLTVError("\(message) (at byte \(consumed + position))")
    }

    public func feed(_ chunk: some Collection<UInt8>) throws {
        if position > 0 {
            buffer.removeFirst(position)
            consumed += position
            position = 0
        }
        buffer.append(contentsOf: chunk)
        if !declarationChecked { try checkDeclaration() }
        try run(final: false)
    }

    public func finish() throws {
        try run(final: true)
        if !sawRoot { throw XMLTVError("The file is empty or is not XML: no <tv> element.") }
        if let open = stack.last { throw XMLTVError("The document ends inside <\(open)>: the file is truncated.") }
    }

    /// A UTF-8 byte-order mark is skipped; the encoding named in the XML declaration decides how
    /// text bytes are read (UTF-8, or ISO-8859-1 and its Windows variant).
    func checkDeclaration() throws {
        if buffer.count < 3 && buffer.allSatisfy({ [0xEF, 0xBB, 0xBF].contains($0) }) { return }
        if buffer.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
        if buffer.starts(with: [0xFF, 0xFE]) || buffer.starts(with: [0xFE, 0xFF]) {
            throw XMLTVError("The guide is UTF-16; only UTF-8 and ISO-8859-1 guides are read. Convert it to UTF-8.")
        }
        let head = buffer[position..<min(buffer.count, position + 200)]
        if head.starts(with: Array("<?xml".utf8)) {
            guard let end = head.firstIndex(of: UInt8(ascii: ">")) else { if buffer.count < 200 { return }; throw fail("The XML declaration is not closed") }
            let decl = String(decoding: buffer[position..<end], as: UTF8.self).lowercased()
            if let r = decl.range(of: #"encoding\s*=\s*["']([^"']+)["']"#, options: .regularExpression) {
                let enc = decl[r].split(whereSeparator: { $0 == "\"" || $0 == "'" }).dropFirst().first.map(String.init) ?? ""
                switch enc {
                case "utf-8", "utf8", "us-ascii", "ascii": break
                case "iso-8859-1", "iso8859-1", "latin1", "latin-1", "windows-1252", "cp1252", "iso-8859-15": latin1 = true
                default: throw XMLTVError("The guide's encoding \(enc) is not supported; use UTF-8 or ISO-8859-1.")
                }
            }
        }
        declarationChecked = true
    }

    @inline(__always) func byte(_ c: Character) -> UInt8 { c.asciiValue! }

    func run(final: Bool) throws {
        let lt = UInt8(ascii: "<")
        while position < buffer.count {
            // Scans go through a raw pointer: per-byte access to a class's array would pay an
            // exclusivity check and a bounds check on every byte of a gigabyte guide.
            let start = position
            let textEnd = buffer.withUnsafeBufferPointer { p -> Int in
                var end = start
                while end < p.count && p[end] != lt { end += 1 }
                return end
            }
            if textEnd > start {
                if capture != nil { try appendText(buffer[start..<textEnd]) }
                else if stack.isEmpty && buffer[start..<textEnd].contains(where: { $0 > 0x20 }) {
                    throw fail(sawRoot ? "Text after the end of the document" : "Text before the document starts: this is not an XML guide")
                }
                position = textEnd
                continue
            }
            // A markup token: find where it ends, or wait for more input.
            guard let end = tokenEnd(from: position) else {
                if buffer.count - position > Self.tokenLimit { throw fail("A tag longer than 1 MiB") }
                if final { throw XMLTVError("The document ends inside a tag: the file is truncated.") }
                return
            }
            try handleMarkup(buffer[position..<end])
            position = end
        }
    }

    /// The index just past the markup starting at `start` ("<…>", "<!--…-->", "<![CDATA[…]]>"),
    /// or nil when the buffer does not hold all of it yet.
    func tokenEnd(from start: Int) -> Int? {
        buffer.withUnsafeBufferPointer { p -> Int? in
            let n = p.count
            func has(_ s: StaticString, at i: Int) -> Bool {
                let len = s.utf8CodeUnitCount
                guard i + len <= n else { return false }
                return s.withUTF8Buffer { u in (0..<len).allSatisfy { p[i + $0] == u[$0] } }
            }
            func find(_ s: StaticString, from i: Int) -> Int? {
                s.withUTF8Buffer { u in
                    var j = i
                    while j + u.count <= n {
                        if p[j] == u[0] && (1..<u.count).allSatisfy({ p[j + $0] == u[$0] }) { return j + u.count }
                        j += 1
                    }
                    return nil
                }
            }
            guard start + 1 < n else { return nil }
            if p[start + 1] == UInt8(ascii: "!") {
                if start + 9 > n { return nil }
                if has("<!--", at: start) { return find("-->", from: start + 4) }
                if has("<![CDATA[", at: start) { return find("]]>", from: start + 9) }
                // A DOCTYPE: an internal subset ends at "]" followed by ">".
                var i = start + 2, depth = 0
                while i < n {
                    switch p[i] {
                    case UInt8(ascii: "["): depth += 1
                    case UInt8(ascii: "]"): depth -= 1
                    case UInt8(ascii: ">") where depth <= 0: return i + 1
                    default: break
                    }
                    i += 1
                }
                return nil
            }
            var i = start + 1
            var quote: UInt8 = 0
            while i < n {
                let c = p[i]
                if quote != 0 { if c == quote { quote = 0 } }
                else if c == UInt8(ascii: ">") { return i + 1 }
                else if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") { quote = c }
                i += 1
            }
            return nil
        }
    }

    func handleMarkup(_ token: ArraySlice<UInt8>) throws {
        let b = token.startIndex
        let second = token[b + 1]
        if second == UInt8(ascii: "!") {
            if token.count >= 12 && token[b + 2] == UInt8(ascii: "[") {
                if capture != nil { try appendRaw(token[(b + 9)..<(token.endIndex - 3)]) }
                return
            }
            if token[b + 2] == UInt8(ascii: "-") { return }
            let doctype = String(decoding: token, as: UTF8.self)
            if doctype.range(of: "<!ENTITY", options: .caseInsensitive) != nil {
                throw fail("The document declares entities in its DOCTYPE; guides must not (entity expansion and external entities are refused)")
            }
            return
        }
        if second == UInt8(ascii: "?") { return }
        if second == UInt8(ascii: "/") {
            let name = String(decoding: token[(b + 2)..<(token.endIndex - 1)], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard let open = stack.popLast() else { throw fail("</\(name)> closes nothing") }
            guard open == name else { throw fail("</\(name)> closes <\(open)>: the document is not well-formed") }
            try close(name)
            return
        }
        // A start tag, maybe self-closing.
        let selfClosing = token[token.endIndex - 2] == UInt8(ascii: "/")
        let inner = token[(b + 1)..<(token.endIndex - (selfClosing ? 2 : 1))]
        var nameEnd = inner.startIndex
        while nameEnd < inner.endIndex && !isSpace(inner[nameEnd]) { nameEnd += 1 }
        let name = String(decoding: inner[inner.startIndex..<nameEnd], as: UTF8.self)
        guard !name.isEmpty else { throw fail("An empty tag name") }
        // Only the elements whose attributes matter have them read.
        let attributes = Self.withAttributes.contains(name) ? try parseAttributes(inner[nameEnd..<inner.endIndex]) : [:]
        if stack.isEmpty {
            guard !sawRoot else { throw fail("A second root element <\(name)>") }
            guard name == "tv" else { throw fail("The root element is <\(name)>, not <tv>: this is not an XMLTV guide") }
            sawRoot = true
        }
        try open(name, attributes: attributes, parent: stack.last)
        if selfClosing { try close(name) } else { stack.append(name) }
    }

    @inline(__always) func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }

    func parseAttributes(_ s: ArraySlice<UInt8>) throws -> [String: String] {
        var out: [String: String] = [:]
        var i = s.startIndex
        while i < s.endIndex {
            while i < s.endIndex && isSpace(s[i]) { i += 1 }
            guard i < s.endIndex else { break }
            let nameStart = i
            while i < s.endIndex && s[i] != UInt8(ascii: "=") && !isSpace(s[i]) { i += 1 }
            let name = String(decoding: s[nameStart..<i], as: UTF8.self)
            while i < s.endIndex && isSpace(s[i]) { i += 1 }
            guard i < s.endIndex, s[i] == UInt8(ascii: "=") else { throw fail("Attribute \(name) has no value") }
            i += 1
            while i < s.endIndex && isSpace(s[i]) { i += 1 }
            guard i < s.endIndex, s[i] == UInt8(ascii: "\"") || s[i] == UInt8(ascii: "'") else { throw fail("Attribute \(name) is not quoted") }
            let quote = s[i]
            i += 1
            let valueStart = i
            while i < s.endIndex && s[i] != quote { i += 1 }
            guard i < s.endIndex else { throw fail("Attribute \(name) is not closed") }
            out[name] = try decodeText(s[valueStart..<i], limit: Self.fieldLimit)
            i += 1
        }
        return out
    }

    // MARK: Text

    func appendText(_ bytes: ArraySlice<UInt8>) throws {
        guard text.count < Self.fieldLimit * 4 else { return }
        text.append(contentsOf: bytes.prefix(Self.fieldLimit * 4 - text.count))
    }

    func appendRaw(_ bytes: ArraySlice<UInt8>) throws {
        // CDATA is literal: escape the ampersands so the later entity pass keeps them.
        for c in bytes.prefix(max(0, Self.fieldLimit * 4 - text.count)) {
            if c == UInt8(ascii: "&") { text.append(contentsOf: Array("&amp;".utf8)) } else { text.append(c) }
        }
    }

    /// Entity references resolved, bytes read in the document's encoding, whitespace runs
    /// collapsed, cut at `limit` characters.
    func decodeText(_ raw: some Collection<UInt8>, limit: Int) throws -> String {
        // Most text has no reference, no run of whitespace and no Latin-1 byte: take it as is.
        if !latin1, raw.count <= limit, let plain = plainText(raw) { lastCut = false; return plain }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(raw.count)
        var it = raw.makeIterator()
        var pendingSpace = false
        func put(_ c: UInt8) {
            if isSpace(c) { pendingSpace = !bytes.isEmpty; return }
            if pendingSpace { bytes.append(0x20); pendingSpace = false }
            bytes.append(c)
        }
        while let c = it.next() {
            guard c == UInt8(ascii: "&") else {
                if latin1 && c >= 0x80 {
                    let u = Array(String(UnicodeScalar(c)).utf8)
                    if pendingSpace { bytes.append(0x20); pendingSpace = false }
                    bytes.append(contentsOf: u)
                } else { put(c) }
                continue
            }
            var ref: [UInt8] = []
            while let d = it.next(), d != UInt8(ascii: ";") {
                ref.append(d)
                if ref.count > 12 { throw fail("An unterminated entity reference") }
            }
            let name = String(decoding: ref, as: UTF8.self)
            let scalar: UnicodeScalar?
            switch name {
            case "lt": scalar = "<"
            case "gt": scalar = ">"
            case "amp": scalar = "&"
            case "quot": scalar = "\""
            case "apos": scalar = "'"
            default:
                if name.hasPrefix("#x") || name.hasPrefix("#X") { scalar = UInt32(name.dropFirst(2), radix: 16).flatMap(UnicodeScalar.init) }
                else if name.hasPrefix("#") { scalar = UInt32(name.dropFirst()).flatMap(UnicodeScalar.init) }
                else { throw fail("The entity &\(name); is not defined in XML") }
            }
            guard let scalar else { throw fail("The character reference &\(name); is not a character") }
            if pendingSpace { bytes.append(0x20); pendingSpace = false }
            bytes.append(contentsOf: Array(String(scalar).utf8))
        }
        guard let s = String(validating: bytes, as: UTF8.self) else {
            throw fail("Text that is not valid UTF-8; if the guide is ISO-8859-1, its XML declaration must say so")
        }
        lastCut = s.count > limit || raw.count >= Self.fieldLimit * 4
        return s.count > limit ? String(s.prefix(limit)) : s
    }

    func plainText(_ raw: some Collection<UInt8>) -> String? {
        var previousSpace = true
        for c in raw {
            if c == UInt8(ascii: "&") { return nil }
            let space = isSpace(c)
            if space && (previousSpace || c != 0x20) { return nil }
            previousSpace = space
        }
        if previousSpace && !raw.isEmpty { return nil }
        return String(validating: raw, as: UTF8.self)
    }

    // MARK: Elements

    static let captured: Set<String> = ["display-name", "title", "sub-title", "desc", "category", "episode-num", "value"]
    static let withAttributes: Set<String> = ["channel", "programme", "icon", "title", "episode-num"]

    func open(_ name: String, attributes: [String: String], parent: String?) throws {
        switch name {
        case "channel" where parent == "tv":
            guard let id = attributes["id"], !id.isEmpty else { throw fail("A <channel> without an id") }
            channel = XMLTVChannel(id: id)
        case "programme" where parent == "tv":
            guard let ch = attributes["channel"], !ch.isEmpty, let startText = attributes["start"] else {
                skippedProgrammes += 1
                warn("programme", "programmes without a channel or start were skipped")
                programme = nil
                return
            }
            guard let start = XMLTVTime.parse(startText, defaultZone: defaultZone) else {
                skippedProgrammes += 1
                warn("start", "programmes with an unreadable start time (e.g. \(startText)) were skipped")
                programme = nil
                return
            }
            var p = XMLTVProgramme(channel: ch, start: start)
            if let stopText = attributes["stop"] {
                p.stop = XMLTVTime.parse(stopText, defaultZone: defaultZone)
                if p.stop == nil { warn("stop", "unreadable stop times (e.g. \(stopText)) were ignored") }
            }
            programme = p
        case "icon":
            if parent == "channel", channel != nil, channel!.icon.isEmpty { channel!.icon = String((attributes["src"] ?? "").prefix(1000)) }
            if parent == "programme", programme != nil, programme!.icon.isEmpty { programme!.icon = String((attributes["src"] ?? "").prefix(1000)) }
        case "previously-shown" where parent == "programme": programme?.previouslyShown = true
        case "new" where parent == "programme": programme?.isNew = true
        case "premiere" where parent == "programme": programme?.premiere = true
        default:
            if Self.captured.contains(name) && (parent == "channel" || parent == "programme" || (name == "value" && parent == "rating")) {
                capture = name
                text.removeAll(keepingCapacity: true)
                captureAttribute = name == "episode-num" ? (attributes["system"] ?? "onscreen") : name == "title" ? (attributes["lang"] ?? "") : ""
            }
        }
    }

    func close(_ name: String) throws {
        if let field = capture, field == name {
            capture = nil
            let limit = field == "desc" ? Self.fieldLimit : 1024
            let value = try decodeText(text, limit: limit)
            if lastCut { warn("long-\(field)", "some <\(field)> texts were longer than \(limit) characters and were cut") }
            if var c = channel, field == "display-name" {
                if !value.isEmpty { c.displayNames.append(value) }
                channel = c
            } else if programme != nil {
                switch field {
                case "title":
                    if programme!.title.isEmpty { programme!.title = value; programme!.titleLang = captureAttribute }
                case "sub-title": if programme!.subTitle.isEmpty { programme!.subTitle = value }
                case "desc": if programme!.description.isEmpty { programme!.description = value }
                case "category": if !value.isEmpty && programme!.categories.count < 10 { programme!.categories.append(value) }
                case "episode-num":
                    if captureAttribute == "xmltv_ns" { programme!.episodeNS = value.replacingOccurrences(of: " ", with: "") }
                    else if captureAttribute == "onscreen" { programme!.episodeOnscreen = value }
                case "value": if programme!.rating.isEmpty { programme!.rating = value }
                default: break
                }
            }
            return
        }
        switch name {
        case "channel":
            if let c = channel { try emit(.channel(c)) }
            channel = nil
        case "programme":
            if let p = programme {
                if p.title.isEmpty {
                    skippedProgrammes += 1
                    warn("title", "programmes without a title were skipped")
                } else {
                    try emit(.programme(p))
                }
            }
            programme = nil
        default: break
        }
    }

    func warn(_ key: String, _ message: String) {
        guard warned.insert(key).inserted else { return }
        try? emit(.warning(message))
    }
}

/// XMLTV times: `YYYYMMDDhhmmss` (or a leading part of it, seconds and minutes optional)
/// followed by an optional zone `+HHMM`, `-HHMM`, `Z`, `UTC`/`GMT` or a zone abbreviation.
public enum XMLTVTime {
    /// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's civil-to-days), so a time
    /// is parsed with arithmetic, not a Calendar (a guide has millions of them).
    static func days(_ y: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y - 1 : y
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public static func parse(_ text: String, defaultZone: TimeZone) -> Date? {
        var utf8 = Array(text.utf8)
        while let f = utf8.first, f == 0x20 { utf8.removeFirst() }
        var n = 0
        while n < utf8.count, (48...57).contains(utf8[n]) { n += 1 }
        guard n >= 8 else { return nil }
        func num(_ from: Int, _ len: Int) -> Int? {
            guard from + len <= n else { return nil }
            var v = 0
            for k in from..<from + len { v = v * 10 + Int(utf8[k] - 48) }
            return v
        }
        guard let year = num(0, 4), let month = num(4, 2), let day = num(6, 2), (1...12).contains(month), (1...31).contains(day) else { return nil }
        let hour = num(8, 2) ?? 0, minute = num(10, 2) ?? 0, second = num(12, 2) ?? 0
        guard hour < 24, minute < 60, second < 61 else { return nil }
        let local = TimeInterval(days(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
        let rest = String(decoding: utf8[n...], as: UTF8.self).trimmingCharacters(in: .whitespaces)
        if rest.isEmpty {
            if defaultZone.identifier == "UTC" || defaultZone.identifier == "GMT" { return Date(timeIntervalSince1970: local) }
            // Wall-clock time in a zone with DST: the offset at that instant (asked twice, so a
            // time just after a change gets the offset in force then).
            let guess = local - TimeInterval(defaultZone.secondsFromGMT(for: Date(timeIntervalSince1970: local)))
            return Date(timeIntervalSince1970: local - TimeInterval(defaultZone.secondsFromGMT(for: Date(timeIntervalSince1970: guess))))
        }
        if rest == "Z" || rest.uppercased() == "UTC" || rest.uppercased() == "GMT" { return Date(timeIntervalSince1970: local) }
        if let sign = rest.first, sign == "+" || sign == "-" {
            let hm = rest.dropFirst().filter { $0 != ":" }
            guard hm.count == 4, let v = Int(hm) else { return nil }
            let seconds = (v / 100 * 3600 + v % 100 * 60) * (sign == "-" ? -1 : 1)
            guard abs(seconds) <= 14 * 3600 else { return nil }
            return Date(timeIntervalSince1970: local - TimeInterval(seconds))
        }
        guard let z = TimeZone(abbreviation: rest.uppercased()) else { return nil }
        return Date(timeIntervalSince1970: local - TimeInterval(z.secondsFromGMT(for: Date(timeIntervalSince1970: local))))
    }

    /// "20260101200000 +0000"
    public static func format(_ date: Date) -> String {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        let c = cal.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(format: "%04d%02d%02d%02d%02d%02d +0000", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!)
    }
}
