import Foundation

/// Any JSON value, for the free-form parts of what the apps send (event fields, diagnostics).
public indirect enum AnyJSON: Codable, Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([AnyJSON])
    case object([String: AnyJSON])

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int64.self) { self = .int(i) }
        else if let d = try? c.decode(Double.self) { self = .double(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([AnyJSON].self) { self = .array(a) }
        else { self = .object(try c.decode([String: AnyJSON].self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .int(let i): try c.encode(i)
        case .double(let d): try c.encode(d)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    public var string: String? { if case .string(let s) = self { return s } else { return nil } }
    public var object: [String: AnyJSON]? { if case .object(let o) = self { return o } else { return nil } }

    /// A whole number of seconds (a JSON integer, or a number with a fraction, rounded down).
    public var wholeNumber: Int64? {
        switch self {
        case .int(let i): return i
        case .double(let d) where d.isFinite && abs(d) < 1e15: return Int64(d.rounded(.down))
        default: return nil
        }
    }

    /// The value without keys that name secrets, at any depth (analytics never keep credentials).
    public var withoutSecrets: AnyJSON {
        switch self {
        case .object(let o):
            return .object(o.filter { !ClientEventCatalogue.isSecretKey($0.key) }.mapValues(\.withoutSecrets))
        case .array(let a): return .array(a.map(\.withoutSecrets))
        default: return self
        }
    }

    /// Compact JSON with sorted keys.
    public var compactText: String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? String(decoding: e.encode(self), as: UTF8.self)) ?? "null"
    }
}

extension ClientEventCatalogue {
    /// One event as it will be stored.
    public struct Event: Sendable, Equatable {
        public var type: String
        public var at: Date
        public var item: String
        public var position: Int?
        public var duration: Int?
        /// The event's other fields, compact JSON.
        public var extra: String
    }

    /// Why one event of a batch was not kept; `index` is its place in the batch (from 0).
    public struct Refusal: Error, Codable, Sendable, Equatable {
        public var index: Int
        public var code: String
        public var message: String
        public init(index: Int, code: String, message: String) { self.index = index; self.code = code; self.message = message }
    }

    static let envelopeKeys: Set<String> = ["type", "at", "item", "position", "duration", "end"]
    static let maxSeconds: Int64 = 10_000_000

    /// ISO 8601 instants with or without fractional seconds.
    public static func instant(_ text: String) -> Date? {
        if let d = try? Date(text, strategy: .iso8601) { return d }
        return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// Checks one event of a batch against the catalogue: a known type, an ISO `at` within the
    /// accepted window, an item for content events (`channel:3`, `movie:12`…), whole non-negative
    /// seconds, the field a usage event is grouped by, and a bounded size. `end` (ISO) stands in
    /// for `duration` when that is missing.
    public static func validate(_ raw: AnyJSON, index: Int, now: Date) -> Result<Event, Refusal> {
        func refuse(_ code: String, _ message: String) -> Result<Event, Refusal> { .failure(Refusal(index: index, code: code, message: message)) }
        guard let o = raw.object else { return refuse("not_an_object", "An event is a JSON object.") }
        guard let typeText = o["type"]?.string else { return refuse("missing_type", "The event has no type.") }
        guard let type = canonical(typeText) else {
            return refuse("unknown_type", "\(typeText.prefix(40)) is not an event type; use one of \(allTypes.joined(separator: ", ")).")
        }
        guard let atText = o["at"]?.string, let at = instant(atText) else { return refuse("invalid_at", "at must be an ISO 8601 time, e.g. 2026-09-21T18:30:00Z.") }
        if at > now.addingTimeInterval(maxSkew) { return refuse("invalid_at", "at is more than a day in the future; check the device clock.") }
        if at < now.addingTimeInterval(-maxAge) { return refuse("too_old", "at is more than 30 days ago; such events are not kept.") }
        var item = ""
        if let value = o["item"], value != .null {
            guard let text = value.string, let ref = ContentRef(text) else { return refuse("invalid_item", "item must look like channel:3 or movie:12.") }
            item = ref.description
        } else if isContent(type) {
            return refuse("missing_item", "A \(type) event needs the item it is about, e.g. channel:3.")
        }
        func seconds(_ key: String) -> Result<Int?, Refusal> {
            guard let v = o[key], v != .null else { return .success(nil) }
            guard let n = v.wholeNumber, n >= 0, n <= maxSeconds else {
                return .failure(Refusal(index: index, code: "invalid_number", message: "\(key) must be a whole number of seconds, 0 or more."))
            }
            return .success(Int(n))
        }
        let position: Int?, duration: Int?
        switch seconds("position") { case .success(let v): position = v; case .failure(let r): return .failure(r) }
        switch seconds("duration") { case .success(let v): duration = v; case .failure(let r): return .failure(r) }
        var length = duration
        if length == nil, let endValue = o["end"], endValue != .null {
            guard let endText = endValue.string, let end = instant(endText), end >= at else { return refuse("invalid_end", "end must be an ISO 8601 time not before at.") }
            length = Int(min(end.timeIntervalSince(at), Double(maxSeconds)))
        }
        let extra = o.filter { !envelopeKeys.contains($0.key) && !isSecretKey($0.key) }.mapValues(\.withoutSecrets)
        if let required = requiredExtra(type), (extra[required] ?? .null) == .null || extra[required] == .string("") {
            return refuse("missing_field", "A \(type) event needs \(required).")
        }
        let text = AnyJSON.object(extra).compactText
        if text.utf8.count > maxExtraBytes { return refuse("too_large", "The event's fields take more than \(maxExtraBytes) bytes.") }
        return .success(Event(type: type, at: at, item: item, position: position, duration: length, extra: text))
    }
}
