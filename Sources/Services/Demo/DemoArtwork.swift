import Foundation
import ZIPFoundation

/// Plain demo pictures of the right ratios (a vertical two-colour gradient), made as real PNGs so
/// the demo catalogue shows its artwork slots filled and passes the same checks as uploads.
enum DemoArtwork {
    static func png(width: Int, height: Int, top: (UInt8, UInt8, UInt8), bottom: (UInt8, UInt8, UInt8)) throws -> [UInt8] {
        var raw = Data(capacity: (width * 3 + 1) * height)
        for y in 0..<height {
            raw.append(0) // filter: none
            let t = Double(y) / Double(max(1, height - 1))
            func mix(_ a: UInt8, _ b: UInt8) -> UInt8 { UInt8(Double(a) * (1 - t) + Double(b) * t) }
            let px = [mix(top.0, bottom.0), mix(top.1, bottom.1), mix(top.2, bottom.2)]
            for _ in 0..<width { raw.append(contentsOf: px) }
        }
        var deflated = Data()
        _ = try Data.compress(size: Int64(raw.count), bufferSize: 64 * 1024, provider: { pos, size in
            raw.subdata(in: Int(pos)..<min(raw.count, Int(pos) + size))
        }, consumer: { deflated.append($0) })
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in raw { a = (a + UInt32(byte)) % 65521; b = (b + a) % 65521 }
        var zlib = Data([0x78, 0x01])
        zlib.append(deflated)
        zlib.append(contentsOf: be32((b << 16) | a))
        var out: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        out += chunk("IHDR", be32(UInt32(width)) + be32(UInt32(height)) + [8, 2, 0, 0, 0])
        out += chunk("IDAT", [UInt8](zlib))
        out += chunk("IEND", [])
        return out
    }

    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }

    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        return be32(UInt32(data.count)) + body + be32(Data(body).crc32(checksum: 0))
    }
}
