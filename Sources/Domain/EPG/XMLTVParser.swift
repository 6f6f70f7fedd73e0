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
///
/// It works on raw bytes: element names are recognised by comparing bytes against the few
/// names XMLTV uses, attributes are kept as byte ranges and only the ones read become strings,
/// and times are parsed from bytes. A gigabyte guide has tens of millions of tags; a `String`
/// or a dictionary per tag is what made the first version 7× slower than libxml2.
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

    /// The elements the reader acts on; every other name is `.other` and only checked for nesting.
    enum Tag: UInt8 {
        case tv, channel, displayName, icon, programme, title, subTitle, desc, category, episodeNum, rating, value
        case previouslyShown, new, premiere, other

        static let names: [(Tag, [UInt8])] = ([
            (.tv, "tv"), (.channel, "channel"), (.displayName, "display-name"), (.icon, "icon"), (.programme, "programme"),
            (.title, "title"), (.subTitle, "sub-title"), (.desc, "desc"), (.category, "category"), (.episodeNum, "episode-num"),
            (.rating, "rating"), (.value, "value"), (.previouslyShown, "previously-shown"), (.new, "new"), (.premiere, "premiere"),
        ] as [(Tag, String)]).map { ($0.0, Array($0.1.utf8)) }

        static func of(_ p: UnsafeBufferPointer<UInt8>, _ from: Int, _ count: Int) -> Tag {
            for (tag, name) in names where name.count == count {
                if name.withUnsafeBufferPointer({ memcmp($0.baseAddress!, p.baseAddress! + from, count) == 0 }) { return tag }
            }
            return .other
        }

        var name: String { Tag.names.first { $0.0 == self }.map { String(decoding: $0.1, as: UTF8.self) } ?? "element" }
        /// Elements whose text becomes a field.
        var isCaptured: Bool {
            switch self {
            case .displayName, .title, .subTitle, .desc, .category, .episodeNum, .value: true
            default: false
            }
        }
        /// Elements whose attributes are read.
        var hasAttributes: Bool {
            switch self {
            case .channel, .programme, .icon, .title, .episodeNum: true
            default: false
            }
        }
    }

    /// An open element; an unknown one keeps its name to check the end tag against.
    struct OpenElement { var tag: Tag; var name: [UInt8] }
    /// An attribute of the tag being read, as byte ranges into the buffer.
    struct Attribute { var name: Range<Int>; var value: Range<Int> }

    let defaultZone: TimeZone
    let defaultIsUTC: Bool
    let emit: (Event) throws -> Void
    var buffer: [UInt8] = []
    var position = 0
    /// Bytes consumed before `buffer[0]`, for error positions.
    var consumed = 0
    var stack: [OpenElement] = []
    var attributes: [Attribute] = []
    var sawRoot = false
    var latin1 = false
    var declarationChecked = false
    var channel: XMLTVChannel?
    var programme: XMLTVProgramme?
    /// The element whose text is being collected, its raw text, and the attribute that qualifies it.
    var capture: Tag?
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
        self.defaultIsUTC = defaultZone.secondsFromGMT() == 0 && defaultZone.nextDaylightSavingTimeTransition == nil
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
        if chunk.withContiguousStorageIfAvailable({ buffer.append(contentsOf: $0) }) == nil { buffer.append(contentsOf: chunk) }
        if !declarationChecked { try checkDeclaration() }
        try run(final: false)
    }

    public func finish() throws {
        try run(final: true)
        if !sawRoot { throw XMLTVError("The file is empty or is not XML: no <tv> element.") }
        if let open = stack.last { throw XMLTVError("The document ends inside <\(open.tag == .other ? String(decoding: open.name, as: UTF8.self) : open.tag.name)>: the file is truncated.") }
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

    @inline(__always) static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }

    func run(final: Bool) throws {
        guard position < buffer.count else { return }
        try buffer.withUnsafeBufferPointer { p in
            let n = p.count, base = p.baseAddress!
            while position < n {
                let start = position
                // Text up to the next "<" (memchr: the C library's vectorised byte search).
                let textEnd = memchr(base + start, 0x3C, n - start).map { base.distance(to: $0.assumingMemoryBound(to: UInt8.self)) } ?? n
                if textEnd > start {
                    if capture != nil { appendText(UnsafeBufferPointer(rebasing: p[start..<textEnd])) }
                    else if stack.isEmpty && p[start..<textEnd].contains(where: { $0 > 0x20 }) {
                        throw fail(sawRoot ? "Text after the end of the document" : "Text before the document starts: this is not an XML guide")
                    }
                    position = textEnd
                    continue
                }
                // A markup token: find where it ends, or wait for more input.
                guard let end = Self.tokenEnd(p, from: start) else {
                    if n - start > Self.tokenLimit { throw fail("A tag longer than 1 MiB") }
                    if final { throw XMLTVError("The document ends inside a tag: the file is truncated.") }
                    return
                }
                try handleMarkup(p, start, end)
                position = end
            }
        }
    }

    /// The index just past the markup starting at `start` ("<…>", "<!--…-->", "<![CDATA[…]]>"),
    /// or nil when the buffer does not hold all of it yet.
    static func tokenEnd(_ p: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        let n = p.count
        func has(_ s: StaticString, at i: Int) -> Bool {
            let len = s.utf8CodeUnitCount
            return i + len <= n && memcmp(p.baseAddress! + i, s.utf8Start, len) == 0
        }
        func find(_ s: StaticString, from i: Int) -> Int? {
            let len = s.utf8CodeUnitCount
            var j = i
            while j + len <= n {
                if p[j] == s.utf8Start[0] && memcmp(p.baseAddress! + j, s.utf8Start, len) == 0 { return j + len }
                j += 1
            }
            return nil
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

    func handleMarkup(_ p: UnsafeBufferPointer<UInt8>, _ b: Int, _ e: Int) throws {
        let second = p[b + 1]
        if second == UInt8(ascii: "!") {
            if e - b >= 12 && p[b + 2] == UInt8(ascii: "[") {
                if capture != nil { appendRaw(UnsafeBufferPointer(rebasing: p[(b + 9)..<(e - 3)])) }
                return
            }
            if p[b + 2] == UInt8(ascii: "-") { return }
            let doctype = String(decoding: p[b..<e], as: UTF8.self)
            if doctype.range(of: "<!ENTITY", options: .caseInsensitive) != nil {
                throw fail("The document declares entities in its DOCTYPE; guides must not (entity expansion and external entities are refused)")
            }
            return
        }
        if second == UInt8(ascii: "?") { return }
        if second == UInt8(ascii: "/") {
            var s = b + 2, t = e - 1
            while s < t && Self.isSpace(p[s]) { s += 1 }
            while t > s && Self.isSpace(p[t - 1]) { t -= 1 }
            let tag = Tag.of(p, s, t - s)
            func name() -> String { String(decoding: p[s..<t], as: UTF8.self) }
            guard let open = stack.popLast() else { throw fail("</\(name())> closes nothing") }
            guard open.tag == tag, tag != .other || open.name.elementsEqual(p[s..<t]) else {
                throw fail("</\(name())> closes <\(open.tag == .other ? String(decoding: open.name, as: UTF8.self) : open.tag.name)>: the document is not well-formed")
            }
            try close(tag)
            return
        }
        // A start tag, maybe self-closing.
        let selfClosing = p[e - 2] == UInt8(ascii: "/")
        let innerEnd = e - (selfClosing ? 2 : 1)
        var nameEnd = b + 1
        while nameEnd < innerEnd && !Self.isSpace(p[nameEnd]) { nameEnd += 1 }
        guard nameEnd > b + 1 else { throw fail("An empty tag name") }
        let tag = Tag.of(p, b + 1, nameEnd - b - 1)
        attributes.removeAll(keepingCapacity: true)
        // Only the elements whose attributes matter have them read.
        if tag.hasAttributes { try readAttributes(p, nameEnd, innerEnd) }
        if stack.isEmpty {
            let name = String(decoding: p[(b + 1)..<nameEnd], as: UTF8.self)
            guard !sawRoot else { throw fail("A second root element <\(name)>") }
            guard tag == .tv else { throw fail("The root element is <\(name)>, not <tv>: this is not an XMLTV guide") }
            sawRoot = true
        }
        try open(tag, p, parent: stack.last?.tag)
        if selfClosing { try close(tag) } else { stack.append(OpenElement(tag: tag, name: tag == .other ? Array(p[(b + 1)..<nameEnd]) : [])) }
    }

    func readAttributes(_ p: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) throws {
        var i = from
        while i < to {
            while i < to && Self.isSpace(p[i]) { i += 1 }
            guard i < to else { break }
            let nameStart = i
            while i < to && p[i] != UInt8(ascii: "=") && !Self.isSpace(p[i]) { i += 1 }
            let nameEnd = i
            func name() -> String { String(decoding: p[nameStart..<nameEnd], as: UTF8.self) }
            while i < to && Self.isSpace(p[i]) { i += 1 }
            guard i < to, p[i] == UInt8(ascii: "=") else { throw fail("Attribute \(name()) has no value") }
            i += 1
            while i < to && Self.isSpace(p[i]) { i += 1 }
            guard i < to, p[i] == UInt8(ascii: "\"") || p[i] == UInt8(ascii: "'") else { throw fail("Attribute \(name()) is not quoted") }
            let quote = p[i]
            i += 1
            let valueStart = i
            while i < to && p[i] != quote { i += 1 }
            guard i < to else { throw fail("Attribute \(name()) is not closed") }
            attributes.append(Attribute(name: nameStart..<nameEnd, value: valueStart..<i))
            i += 1
        }
    }

    /// The raw bytes of the current tag's attribute `name`.
    func attributeBytes(_ p: UnsafeBufferPointer<UInt8>, _ name: StaticString) -> UnsafeBufferPointer<UInt8>? {
        for a in attributes where a.name.count == name.utf8CodeUnitCount && memcmp(p.baseAddress! + a.name.lowerBound, name.utf8Start, a.name.count) == 0 {
            return UnsafeBufferPointer(rebasing: p[a.value])
        }
        return nil
    }

    /// The decoded value of the current tag's attribute `name`.
    func attribute(_ p: UnsafeBufferPointer<UInt8>, _ name: StaticString) throws -> String? {
        guard let raw = attributeBytes(p, name) else { return nil }
        return try decodeText(raw, limit: Self.fieldLimit)
    }

    // MARK: Text

    func appendText(_ bytes: UnsafeBufferPointer<UInt8>) {
        let room = Self.fieldLimit * 4 - text.count
        guard room > 0 else { return }
        text.append(contentsOf: UnsafeBufferPointer(rebasing: bytes.prefix(room)))
    }

    func appendRaw(_ bytes: UnsafeBufferPointer<UInt8>) {
        // CDATA is literal: escape the ampersands so the later entity pass keeps them.
        for c in bytes.prefix(max(0, Self.fieldLimit * 4 - text.count)) {
            if c == UInt8(ascii: "&") { text.append(contentsOf: "&amp;".utf8) } else { text.append(c) }
        }
    }

    /// Entity references resolved, bytes read in the document's encoding, whitespace runs
    /// collapsed, cut at `limit` characters.
    func decodeText(_ raw: UnsafeBufferPointer<UInt8>, limit: Int) throws -> String {
        // Most text has no reference, no run of whitespace and no Latin-1 byte: take it as is.
        if !latin1, raw.count <= limit, let plain = Self.plainText(raw) { lastCut = false; return plain }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(raw.count)
        var pendingSpace = false
        var i = 0
        let n = raw.count
        while i < n {
            let c = raw[i]
            i += 1
            if Self.isSpace(c) { pendingSpace = !bytes.isEmpty; continue }
            if pendingSpace { bytes.append(0x20); pendingSpace = false }
            if c != UInt8(ascii: "&") {
                if latin1 && c >= 0x80 { bytes.append(contentsOf: String(UnicodeScalar(c)).utf8) } else { bytes.append(c) }
                continue
            }
            let refStart = i
            while i < n && raw[i] != UInt8(ascii: ";") {
                i += 1
                if i - refStart > 12 { throw fail("An unterminated entity reference") }
            }
            guard i < n else { throw fail("An unterminated entity reference") }
            let name = String(decoding: raw[refStart..<i], as: UTF8.self)
            i += 1
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
            bytes.append(contentsOf: String(scalar).utf8)
        }
        guard let s = String(validating: bytes, as: UTF8.self) else {
            throw fail("Text that is not valid UTF-8; if the guide is ISO-8859-1, its XML declaration must say so")
        }
        let cut = bytes.count > limit && s.count > limit
        lastCut = cut || raw.count >= Self.fieldLimit * 4
        return cut ? String(s.prefix(limit)) : s
    }

    /// The text as it is when it needs no decoding: no reference, no leading, trailing or
    /// repeated whitespace, no tab or newline.
    static func plainText(_ raw: UnsafeBufferPointer<UInt8>) -> String? {
        guard let first = raw.first, let last = raw.last, first != 0x20, last != 0x20 else { return raw.isEmpty ? "" : nil }
        var previousSpace = false
        for c in raw {
            if c == UInt8(ascii: "&") || c == 0x09 || c == 0x0A || c == 0x0D { return nil }
            let space = c == 0x20
            if space && previousSpace { return nil }
            previousSpace = space
        }
        return String(validating: raw, as: UTF8.self)
    }

    // MARK: Elements

    func open(_ tag: Tag, _ p: UnsafeBufferPointer<UInt8>, parent: Tag?) throws {
        switch tag {
        case .channel where parent == .tv:
            guard let id = try attribute(p, "id"), !id.isEmpty else { throw fail("A <channel> without an id") }
            channel = XMLTVChannel(id: id)
        case .programme where parent == .tv:
            programme = nil
            guard let ch = try attribute(p, "channel"), !ch.isEmpty, let startBytes = attributeBytes(p, "start") else {
                skippedProgrammes += 1
                warn("programme", "programmes without a channel or start were skipped")
                return
            }
            guard let start = XMLTVTime.parse(startBytes, defaultZone: defaultZone, defaultIsUTC: defaultIsUTC) else {
                skippedProgrammes += 1
                warn("start", "programmes with an unreadable start time (e.g. \(String(decoding: startBytes, as: UTF8.self))) were skipped")
                return
            }
            var programme = XMLTVProgramme(channel: ch, start: start)
            if let stopBytes = attributeBytes(p, "stop") {
                programme.stop = XMLTVTime.parse(stopBytes, defaultZone: defaultZone, defaultIsUTC: defaultIsUTC)
                if programme.stop == nil { warn("stop", "unreadable stop times (e.g. \(String(decoding: stopBytes, as: UTF8.self))) were ignored") }
            }
            self.programme = programme
        case .icon:
            if parent == .channel, channel != nil, channel!.icon.isEmpty { channel!.icon = String((try attribute(p, "src") ?? "").prefix(1000)) }
            if parent == .programme, programme != nil, programme!.icon.isEmpty { programme!.icon = String((try attribute(p, "src") ?? "").prefix(1000)) }
        case .previouslyShown where parent == .programme: programme?.previouslyShown = true
        case .new where parent == .programme: programme?.isNew = true
        case .premiere where parent == .programme: programme?.premiere = true
        default:
            if tag.isCaptured && (parent == .channel || parent == .programme || (tag == .value && parent == .rating)) {
                capture = tag
                text.removeAll(keepingCapacity: true)
                captureAttribute = tag == .episodeNum ? (try attribute(p, "system") ?? "onscreen") : tag == .title ? (try attribute(p, "lang") ?? "") : ""
            }
        }
    }

    func close(_ tag: Tag) throws {
        if let field = capture, field == tag {
            capture = nil
            let limit = field == .desc ? Self.fieldLimit : 1024
            let value = try text.withUnsafeBufferPointer { try decodeText($0, limit: limit) }
            if lastCut { warn("long-\(field.name)", "some <\(field.name)> texts were longer than \(limit) characters and were cut") }
            if channel != nil, field == .displayName {
                if !value.isEmpty { channel!.displayNames.append(value) }
            } else if programme != nil {
                switch field {
                case .title:
                    if programme!.title.isEmpty { programme!.title = value; programme!.titleLang = captureAttribute }
                case .subTitle: if programme!.subTitle.isEmpty { programme!.subTitle = value }
                case .desc: if programme!.description.isEmpty { programme!.description = value }
                case .category: if !value.isEmpty && programme!.categories.count < 10 { programme!.categories.append(value) }
                case .episodeNum:
                    if captureAttribute == "xmltv_ns" { programme!.episodeNS = value.replacingOccurrences(of: " ", with: "") }
                    else if captureAttribute == "onscreen" { programme!.episodeOnscreen = value }
                case .value: if programme!.rating.isEmpty { programme!.rating = value }
                default: break
                }
            }
            return
        }
        switch tag {
        case .channel:
            if let c = channel { try emit(.channel(c)) }
            channel = nil
        case .programme:
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
        var text = text
        let utc = defaultZone.secondsFromGMT() == 0 && defaultZone.nextDaylightSavingTimeTransition == nil
        return text.withUTF8 { parse($0, defaultZone: defaultZone, defaultIsUTC: utc) }
    }

    /// The same from the attribute's bytes, without making a string (the importer's path).
    static func parse(_ b: UnsafeBufferPointer<UInt8>, defaultZone: TimeZone, defaultIsUTC: Bool) -> Date? {
        var i = 0, end = b.count
        while i < end && b[i] == 0x20 { i += 1 }
        while end > i && b[end - 1] == 0x20 { end -= 1 }
        var n = i
        while n < end && b[n] >= 48 && b[n] <= 57 { n += 1 }
        guard n - i >= 8 else { return nil }
        func num(_ from: Int, _ len: Int) -> Int? {
            guard i + from + len <= n else { return nil }
            var v = 0
            for k in (i + from)..<(i + from + len) { v = v * 10 + Int(b[k] - 48) }
            return v
        }
        guard let year = num(0, 4), let month = num(4, 2), let day = num(6, 2), (1...12).contains(month), (1...31).contains(day) else { return nil }
        let hour = num(8, 2) ?? 0, minute = num(10, 2) ?? 0, second = num(12, 2) ?? 0
        guard hour < 24, minute < 60, second < 61 else { return nil }
        let local = TimeInterval(days(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
        var z = n
        while z < end && b[z] == 0x20 { z += 1 }
        if z == end {
            if defaultIsUTC { return Date(timeIntervalSince1970: local) }
            // Wall-clock time in a zone with DST: the offset at that instant (asked twice, so a
            // time just after a change gets the offset in force then).
            let guess = local - TimeInterval(defaultZone.secondsFromGMT(for: Date(timeIntervalSince1970: local)))
            return Date(timeIntervalSince1970: local - TimeInterval(defaultZone.secondsFromGMT(for: Date(timeIntervalSince1970: guess))))
        }
        let sign = b[z]
        if sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            var digits = 0, v = 0
            for k in (z + 1)..<end where b[k] != UInt8(ascii: ":") {
                guard b[k] >= 48 && b[k] <= 57 else { return nil }
                v = v * 10 + Int(b[k] - 48)
                digits += 1
            }
            guard digits == 4 else { return nil }
            let seconds = (v / 100 * 3600 + v % 100 * 60) * (sign == UInt8(ascii: "-") ? -1 : 1)
            guard abs(seconds) <= 14 * 3600 else { return nil }
            return Date(timeIntervalSince1970: local - TimeInterval(seconds))
        }
        let zone = String(decoding: b[z..<end], as: UTF8.self).uppercased()
        if zone == "Z" || zone == "UTC" || zone == "GMT" { return Date(timeIntervalSince1970: local) }
        guard let tz = TimeZone(abbreviation: zone) else { return nil }
        return Date(timeIntervalSince1970: local - TimeInterval(tz.secondsFromGMT(for: Date(timeIntervalSince1970: local))))
    }

    /// "20260101200000 +0000"
    public static func format(_ date: Date) -> String {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        let c = cal.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(format: "%04d%02d%02d%02d%02d%02d +0000", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!)
    }
}
