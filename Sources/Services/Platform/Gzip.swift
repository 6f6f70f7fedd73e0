import Domain
import Foundation
import ZIPFoundation

/// gzip (RFC 1952) for catalogue documents (in memory) and guides (files, streamed): header and
/// trailer written and checked here, deflate by ZIPFoundation's zlib binding. On inflating, the
/// trailer's CRC-32 and length are checked, so a truncated download is an error rather than a
/// silently shorter guide.
public enum Gzip {
    public static func isGzip(_ url: URL) throws -> Bool {
        let h = try FileHandle(forReadingFrom: url)
        defer { try? h.close() }
        let head = try h.read(upToCount: 2) ?? Data()
        return head.count == 2 && head[head.startIndex] == 0x1F && head[head.startIndex + 1] == 0x8B
    }

    public static func inflate(_ source: URL, to target: URL) throws {
        let input = try FileHandle(forReadingFrom: source)
        defer { try? input.close() }
        let size = Int64((try FileManager.default.attributesOfItem(atPath: source.path)[.size] as? NSNumber)?.int64Value ?? 0)
        let bad = XMLTVError("The gzip file is truncated or damaged; the previous guide is kept.")
        guard size >= 18, let head = try input.read(upToCount: 10), head.count == 10, head[head.startIndex + 2] == 8 else { throw bad }
        let flags = head[head.startIndex + 3]
        var offset: UInt64 = 10
        func skipZeroTerminated() throws {
            while true {
                try input.seek(toOffset: offset)
                guard let b = try input.read(upToCount: 1), b.count == 1 else { throw bad }
                offset += 1
                if b[b.startIndex] == 0 { return }
            }
        }
        if flags & 0x04 != 0 {
            try input.seek(toOffset: offset)
            guard let x = try input.read(upToCount: 2), x.count == 2 else { throw bad }
            offset += 2 + UInt64(x[x.startIndex]) + UInt64(x[x.startIndex + 1]) << 8
        }
        if flags & 0x08 != 0 { try skipZeroTerminated() }
        if flags & 0x10 != 0 { try skipZeroTerminated() }
        if flags & 0x02 != 0 { offset += 2 }
        try input.seek(toOffset: UInt64(size) - 8)
        guard let trailer = try input.read(upToCount: 8), trailer.count == 8 else { throw bad }
        let t = [UInt8](trailer)
        let expectedCRC = UInt32(t[0]) | UInt32(t[1]) << 8 | UInt32(t[2]) << 16 | UInt32(t[3]) << 24
        let expectedSize = UInt32(t[4]) | UInt32(t[5]) << 8 | UInt32(t[6]) << 16 | UInt32(t[7]) << 24
        let deflated = Int64(size) - Int64(offset) - 8
        guard deflated > 0 else { throw bad }
        FileManager.default.createFile(atPath: target.path, contents: nil)
        let output = try FileHandle(forWritingTo: target)
        defer { try? output.close() }
        var written: UInt64 = 0
        let crc: CRC32
        do {
            crc = try Data.decompress(size: deflated, bufferSize: 1 << 20, skipCRC32: false, provider: { position, length in
                try input.seek(toOffset: offset + UInt64(position))
                return try input.read(upToCount: length) ?? Data()
            }, consumer: { chunk in
                output.write(chunk)
                written += UInt64(chunk.count)
            })
        } catch {
            throw bad
        }
        guard crc == expectedCRC, UInt32(truncatingIfNeeded: written) == expectedSize else { throw bad }
    }

    /// Magic, deflate, no flags, no time, unknown OS.
    static let header = Data([0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xFF])

    /// CRC-32 and length (mod 2³²), little-endian.
    static func trailer(crc: CRC32, size: Int64) -> Data {
        var out = Data()
        for v in [UInt32(crc), UInt32(truncatingIfNeeded: size)] {
            out.append(contentsOf: [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24 & 0xFF)])
        }
        return out
    }

    /// RFC 1952 gzip of `data`: header, raw deflate, CRC-32 and size.
    public static func compress(_ data: Data) throws -> Data {
        var out = header
        var deflated = Data()
        let crc = try Data.compress(size: Int64(data.count), bufferSize: 64 * 1024, provider: { position, size in
            data.subdata(in: Int(position)..<min(data.count, Int(position) + size))
        }, consumer: { deflated.append($0) })
        out.append(deflated)
        out.append(trailer(crc: crc, size: Int64(data.count)))
        return out
    }

    /// Inflates a document written by `compress` (for clients that do not accept gzip).
    public static func decompress(_ data: Data) throws -> Data {
        guard data.count >= 18, data[0] == 0x1F, data[1] == 0x8B else { throw DomainError(.invalid, code: "not_gzip", "Not a gzip document.") }
        let raw = data.subdata(in: 10..<(data.count - 8))
        var out = Data()
        _ = try Data.decompress(size: Int64(raw.count), bufferSize: 64 * 1024, skipCRC32: false, provider: { position, size in
            raw.subdata(in: Int(position)..<min(raw.count, Int(position) + size))
        }, consumer: { out.append($0) })
        return out
    }

    /// RFC 1952 gzip of a file, streamed (constant memory).
    public static func deflate(_ source: URL, to target: URL) throws {
        let input = try FileHandle(forReadingFrom: source)
        defer { try? input.close() }
        let size = Int64((try FileManager.default.attributesOfItem(atPath: source.path)[.size] as? NSNumber)?.int64Value ?? 0)
        FileManager.default.createFile(atPath: target.path, contents: nil)
        let output = try FileHandle(forWritingTo: target)
        defer { try? output.close() }
        try output.write(contentsOf: header)
        let crc = try Data.compress(size: size, bufferSize: 1 << 20, provider: { position, length in
            try input.seek(toOffset: UInt64(position))
            return try input.read(upToCount: length) ?? Data()
        }, consumer: { try output.write(contentsOf: $0) })
        try output.write(contentsOf: trailer(crc: crc, size: size))
    }
}
