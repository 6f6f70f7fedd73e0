import Foundation

/// The parts of an HLS playlist (RFC 8216) a health check reads: is it a master or a media
/// playlist, its variants, its segments with durations, the target duration, whether it has
/// ended, and the wall-clock time of its newest segment (`#EXT-X-PROGRAM-DATE-TIME`).
public struct HLSPlaylist: Sendable, Equatable {
    public var variants: [String] = []
    public var segments: [(uri: String, duration: Double)] = []
    public var targetDuration: Double = 0
    public var ended = false
    /// When the newest segment ends, from the last program-date-time plus the durations after it.
    public var newestSegmentEnd: Date?

    public var isMaster: Bool { !variants.isEmpty }

    public static func == (a: HLSPlaylist, b: HLSPlaylist) -> Bool {
        a.variants == b.variants && a.segments.map(\.uri) == b.segments.map(\.uri) && a.targetDuration == b.targetDuration && a.ended == b.ended
            && a.newestSegmentEnd == b.newestSegmentEnd
    }

    public struct Invalid: Error, CustomStringConvertible { public var description: String }

    public static func parse(_ text: String) throws -> HLSPlaylist {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard lines.first == "#EXTM3U" else { throw Invalid(description: "not an HLS playlist (no #EXTM3U first line)") }
        var p = HLSPlaylist()
        var pendingDuration: Double? = nil
        var expectVariant = false
        var pdt: Date? = nil
        var afterPDT = 0.0
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let isoPlain = ISO8601DateFormatter()
        for line in lines.dropFirst() {
            if line.hasPrefix("#EXT-X-STREAM-INF") { expectVariant = true; continue }
            if line.hasPrefix("#EXTINF:") {
                let value = line.dropFirst(8).split(separator: ",", maxSplits: 1).first.map(String.init) ?? ""
                guard let d = Double(value.trimmingCharacters(in: .whitespaces)), d >= 0 else { throw Invalid(description: "a segment duration is not a number (\(line))") }
                pendingDuration = d
                continue
            }
            if line.hasPrefix("#EXT-X-TARGETDURATION:") { p.targetDuration = Double(line.dropFirst(22)) ?? 0; continue }
            if line == "#EXT-X-ENDLIST" { p.ended = true; continue }
            if line.hasPrefix("#EXT-X-PROGRAM-DATE-TIME:") {
                let v = String(line.dropFirst(25))
                pdt = iso.date(from: v) ?? isoPlain.date(from: v)
                afterPDT = 0
                continue
            }
            if line.hasPrefix("#") { continue }
            if expectVariant { p.variants.append(line); expectVariant = false; continue }
            guard let d = pendingDuration else { throw Invalid(description: "a segment without #EXTINF (\(line))") }
            p.segments.append((line, d))
            if pdt != nil { afterPDT += d }
            pendingDuration = nil
        }
        if let pdt { p.newestSegmentEnd = pdt.addingTimeInterval(afterPDT) }
        if !p.isMaster && p.segments.isEmpty { throw Invalid(description: "the playlist lists no segments") }
        return p
    }

    /// A relative URI resolved against the playlist's address.
    public static func resolve(_ uri: String, against base: String) -> String {
        if uri.contains("://") { return uri }
        guard let b = URL(string: base), let u = URL(string: uri, relativeTo: b) else { return uri }
        return u.absoluteString
    }
}
