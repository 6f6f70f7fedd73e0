import Foundation

/// Recognises an uploaded image by its bytes, never by its file name or the browser's claimed
/// type, and reads its pixel size. Only raster formats every TV app can draw are accepted; SVG is
/// refused because it can carry script.
public struct SniffedImage: Sendable, Equatable {
    public var contentType: String
    public var width: Int
    public var height: Int
}

public enum ImageSniffer {
    public static func sniff(_ bytes: [UInt8]) -> SniffedImage? {
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return png(bytes) }
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return jpeg(bytes) }
        if bytes.count >= 30, bytes.starts(with: Array("RIFF".utf8)), Array(bytes[8..<12]) == Array("WEBP".utf8) { return webp(bytes) }
        return nil
    }

    static func be16(_ b: [UInt8], _ i: Int) -> Int { Int(b[i]) << 8 | Int(b[i + 1]) }
    static func be32(_ b: [UInt8], _ i: Int) -> Int { Int(b[i]) << 24 | Int(b[i + 1]) << 16 | Int(b[i + 2]) << 8 | Int(b[i + 3]) }
    static func le16(_ b: [UInt8], _ i: Int) -> Int { Int(b[i]) | Int(b[i + 1]) << 8 }

    static func png(_ b: [UInt8]) -> SniffedImage? {
        // The IHDR chunk must come first: length 13, type "IHDR", width, height.
        guard b.count >= 33, Array(b[12..<16]) == Array("IHDR".utf8) else { return nil }
        return valid(SniffedImage(contentType: "image/png", width: be32(b, 16), height: be32(b, 20)))
    }

    static func jpeg(_ b: [UInt8]) -> SniffedImage? {
        // Walk the marker segments to the first start-of-frame, which holds the size.
        var i = 2
        while i + 9 < b.count {
            guard b[i] == 0xFF else { return nil }
            let marker = b[i + 1]
            if marker == 0xFF { i += 1; continue }
            if marker == 0xD8 || (0xD0...0xD7).contains(marker) || marker == 0x01 { i += 2; continue }
            let length = be16(b, i + 2)
            guard length >= 2 else { return nil }
            if (0xC0...0xCF).contains(marker) && ![0xC4, 0xC8, 0xCC].contains(marker) {
                return valid(SniffedImage(contentType: "image/jpeg", width: be16(b, i + 7), height: be16(b, i + 5)))
            }
            i += 2 + length
        }
        return nil
    }

    static func webp(_ b: [UInt8]) -> SniffedImage? {
        let chunk = String(decoding: b[12..<16], as: UTF8.self)
        switch chunk {
        case "VP8X":
            let w = (Int(b[24]) | Int(b[25]) << 8 | Int(b[26]) << 16) + 1
            let h = (Int(b[27]) | Int(b[28]) << 8 | Int(b[29]) << 16) + 1
            return valid(SniffedImage(contentType: "image/webp", width: w, height: h))
        case "VP8 ":
            return valid(SniffedImage(contentType: "image/webp", width: le16(b, 26) & 0x3FFF, height: le16(b, 28) & 0x3FFF))
        case "VP8L":
            let bits = Int(b[21]) | Int(b[22]) << 8 | Int(b[23]) << 16 | Int(b[24]) << 24
            return valid(SniffedImage(contentType: "image/webp", width: (bits & 0x3FFF) + 1, height: ((bits >> 14) & 0x3FFF) + 1))
        default:
            return nil
        }
    }

    static func valid(_ i: SniffedImage) -> SniffedImage? {
        (1...16_384).contains(i.width) && (1...16_384).contains(i.height) ? i : nil
    }
}
