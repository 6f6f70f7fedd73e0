import Foundation

/// A small streaming JSON writer for outputs whose exact shape is a contract with clients that
/// check types (Xtream: `stream_id` an int, `category_id` a string, `epg_channel_id` an explicit
/// `null`, keys in the order XC servers send them). Bytes are appended to a buffer the caller
/// may drain at any time (`take()`), so a long list is written in chunks, never built whole.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []
    /// One flag per open container: whether the next value needs a comma first.
    private var needsComma: [Bool] = []
    private var afterKey = false

    public init(capacity: Int = 4096) { bytes.reserveCapacity(capacity) }

    /// The bytes written so far, removed from the writer (for chunked output).
    public mutating func take() -> [UInt8] {
        let out = bytes
        bytes.removeAll(keepingCapacity: true)
        return out
    }

    private mutating func separate() {
        if afterKey { afterKey = false; return }
        if let last = needsComma.last {
            if last { bytes.append(UInt8(ascii: ",")) }
            needsComma[needsComma.count - 1] = true
        }
    }

    public mutating func beginObject() { separate(); bytes.append(UInt8(ascii: "{")); needsComma.append(false) }
    public mutating func endObject() { needsComma.removeLast(); bytes.append(UInt8(ascii: "}")) }
    public mutating func beginArray() { separate(); bytes.append(UInt8(ascii: "[")); needsComma.append(false) }
    public mutating func endArray() { needsComma.removeLast(); bytes.append(UInt8(ascii: "]")) }

    public mutating func key(_ k: String) {
        separate()
        appendString(k)
        bytes.append(UInt8(ascii: ":"))
        afterKey = true
    }

    public mutating func string(_ s: String) { separate(); appendString(s) }
    public mutating func int(_ i: Int) { separate(); bytes.append(contentsOf: String(i).utf8) }
    public mutating func bool(_ b: Bool) { separate(); bytes.append(contentsOf: (b ? "true" : "false").utf8) }
    public mutating func null() { separate(); bytes.append(contentsOf: "null".utf8) }
    /// A number with one decimal (ratings): 7.25 → 7.3, 7 → 7.0. Written without a locale.
    public mutating func decimal1(_ d: Double) {
        separate()
        let tenths = Int((d * 10).rounded())
        let sign = tenths < 0 ? "-" : ""
        bytes.append(contentsOf: "\(sign)\(abs(tenths) / 10).\(abs(tenths) % 10)".utf8)
    }
    /// Bytes that are already one JSON value (a cached fragment).
    public mutating func rawValue(_ json: [UInt8]) { separate(); bytes.append(contentsOf: json) }

    // Convenience for object members.
    public mutating func field(_ k: String, _ v: String) { key(k); string(v) }
    public mutating func field(_ k: String, _ v: Int) { key(k); int(v) }
    public mutating func field(_ k: String, _ v: String?) { key(k); if let v { string(v) } else { null() } }
    public mutating func field(_ k: String, ints: [Int]) { key(k); beginArray(); for i in ints { int(i) }; endArray() }
    public mutating func field(_ k: String, strings: [String]) { key(k); beginArray(); for s in strings { string(s) }; endArray() }

    private static let hex = Array("0123456789abcdef".utf8)

    private mutating func appendString(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\\")); bytes.append(b)
            case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\")); bytes.append(b)
            case 0x0A: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "n"))
            case 0x0D: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "r"))
            case 0x09: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "t"))
            case 0..<0x20:
                bytes.append(contentsOf: "\\u00".utf8)
                bytes.append(Self.hex[Int(b >> 4)]); bytes.append(Self.hex[Int(b & 0xF)])
            default: bytes.append(b)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
