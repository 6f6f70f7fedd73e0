import Foundation

/// JSON with sorted object keys and no insignificant whitespace, written straight into bytes:
/// the same content always gives the same bytes (so a digest tells "unchanged"), and it is many
/// times faster than `JSONSerialization` on Linux, which bridges every value through
/// Foundation objects. Accepts what catalogue builders produce: dictionaries with String keys,
/// arrays, String, Bool, integers, Double, Date (as an ISO 8601 UTC instant), NSNull and nil
/// optionals.
public enum CanonicalJSON {
    public struct Unsupported: Error, CustomStringConvertible {
        public let description: String
    }

    public static func encode(_ value: Any) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(4096)
        try write(value, into: &out)
        return out
    }

    static func write(_ value: Any, into out: inout [UInt8]) throws {
        switch value {
        case let s as String: writeString(s, into: &out)
        case let b as Bool: out.append(contentsOf: b ? Array("true".utf8) : Array("false".utf8))
        case let i as Int: out.append(contentsOf: String(i).utf8)
        case let i as Int64: out.append(contentsOf: String(i).utf8)
        case let i as Int32: out.append(contentsOf: String(i).utf8)
        case let d as Double:
            guard d.isFinite else { throw Unsupported(description: "a non-finite number") }
            if d == d.rounded(), abs(d) < 1e15 { out.append(contentsOf: String(Int64(d)).utf8) } else { out.append(contentsOf: "\(d)".utf8) }
        case is NSNull: out.append(contentsOf: "null".utf8)
        case let d as Date: writeString(UTCTime(d).iso8601, into: &out)
        case let dict as [String: Any]:
            out.append(UInt8(ascii: "{"))
            var first = true
            // Keys compare by their UTF-8 bytes: a stable order whatever the locale.
            for key in dict.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                try write(dict[key]!, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        case let array as [Any]:
            out.append(UInt8(ascii: "["))
            for (i, element) in array.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                try write(element, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        default:
            // An optional inside `Any` (e.g. a String? put into a dictionary): its value or null.
            let mirror = Mirror(reflecting: value)
            guard mirror.displayStyle == .optional else { throw Unsupported(description: "a value of type \(type(of: value))") }
            if let wrapped = mirror.children.first?.value { try write(wrapped, into: &out) } else { out.append(contentsOf: "null".utf8) }
        }
    }

    static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
