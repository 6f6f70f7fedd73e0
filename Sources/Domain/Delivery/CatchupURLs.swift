import Foundation

/// The streaming servers TVMS builds archive (catch-up and recording) addresses for. Every time
/// in these addresses is computed from UTC instants; only the Xtream form is written in a wall
/// clock, because Xtream clients and servers name archive files in the server's local time.
public enum ArchiveServer: String, Sendable, CaseIterable {
    /// `…/STREAM/archive-FROM-DURATION.m3u8`, `index-FROM-DURATION.m3u8`, `timeshift_abs-FROM.m3u8`.
    case flussonic
    /// nDVR with the UTC playlist request delegate: `…/playlist.m3u8?DVR&wowzadvrplayliststart=…&wowzadvrplaylistduration=…`.
    case wowza
    /// `…/playlist_dvr_range-FROM-DURATION.m3u8`.
    case nimble
    /// Any origin that takes the range as query parameters (nginx-based archives, in-house
    /// servers): `…?start=FROM&end=TO` in Unix seconds. Parameter names are set per transcoder.
    case query
}

public enum FlussonicArchiveMode: String, Sendable, CaseIterable {
    /// A finished programme as one VOD-like playlist (seekable, fixed length).
    case archive
    /// The same range as a DVR playlist (players show a live-like seek bar).
    case index
    /// Live from a past instant onwards ("start over" of a running programme).
    case timeshiftAbs = "timeshift_abs"
}

public enum CatchupURLs {
    /// Archive address of `duration` seconds from `start` for the live address `live`
    /// (`https://host/STREAM/index.m3u8`, `…/STREAM/video.m3u8`, `…/STREAM/manifest.mpd` or
    /// `https://host/STREAM`). A query string on the live address is kept.
    public static func archive(live: String, server: ArchiveServer, start: Date, duration: Int, flussonicMode: FlussonicArchiveMode = .archive,
                               queryNames: (start: String, end: String) = ("start", "end")) -> String {
        let (path, query) = split(live)
        let from = Int(start.timeIntervalSince1970.rounded(.down))
        let seconds = max(duration, 1)
        func join(_ base: String, _ extra: String) -> String {
            let q = [query, extra].filter { !$0.isEmpty }.joined(separator: "&")
            return q.isEmpty ? base : base + "?" + q
        }
        switch server {
        case .flussonic:
            let (dir, ext) = streamDirectory(path)
            let file: String
            switch flussonicMode {
            case .archive: file = "archive-\(from)-\(seconds).\(ext)"
            case .index: file = "index-\(from)-\(seconds).\(ext)"
            case .timeshiftAbs: file = "timeshift_abs-\(from).\(ext)"
            }
            return join(dir + "/" + file, "")
        case .nimble:
            let (dir, ext) = streamDirectory(path)
            return join(dir + "/playlist_dvr_range-\(from)-\(seconds).\(ext)", "")
        case .wowza:
            return join(path, "DVR&wowzadvrplayliststart=\(utcStamp(start))&wowzadvrplaylistduration=\(seconds * 1000)")
        case .query:
            return join(path, "\(queryNames.start)=\(from)&\(queryNames.end)=\(from + seconds)")
        }
    }

    /// "yyyyMMddHHmmss" in UTC (Wowza's UTC playlist request).
    public static func utcStamp(_ d: Date) -> String {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        let c = cal.dateComponents([.year, .month, .day, .hour, .minute, .second], from: d)
        return String(format: "%04d%02d%02d%02d%02d%02d", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!)
    }

    static func split(_ url: String) -> (String, String) {
        guard let q = url.firstIndex(of: "?") else { return (url, "") }
        return (String(url[..<q]), String(url[url.index(after: q)...]))
    }

    /// The stream's directory and the playlist extension: `https://h/ch1/index.m3u8` → (`https://h/ch1`, m3u8);
    /// `https://h/ch1` → (`https://h/ch1`, m3u8); a `.mpd` manifest keeps DASH.
    static func streamDirectory(_ path: String) -> (String, String) {
        guard let slash = path.lastIndex(of: "/") else { return (path, "m3u8") }
        let last = path[path.index(after: slash)...]
        if last.hasSuffix(".m3u8") { return (String(path[..<slash]), "m3u8") }
        if last.hasSuffix(".mpd") { return (String(path[..<slash]), "mpd") }
        if last.hasSuffix(".ts") { return (String(path[..<slash]), "ts") }
        return (path, "m3u8")
    }

    // MARK: Xtream `/timeshift/U/P/DURATION/START/ID.ext`

    /// START as Xtream servers write it: the server zone's wall clock, `YYYY-MM-DD:HH-MM`.
    public static func xtreamStart(_ d: Date, zone: TimeZone) -> String {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = zone
        let c = cal.dateComponents([.year, .month, .day, .hour, .minute], from: d)
        return String(format: "%04d-%02d-%02d:%02d-%02d", c.year!, c.month!, c.day!, c.hour!, c.minute!)
    }

    /// Every START shape Xtream clients send (the spec's list): `YYYY-MM-DD:HH-MM[-SS]`,
    /// `YYYY-MM-DD_HH-MM`, `YYYY-MM-DD:HH:MM[:SS]`, `YYYY-MM-DD HH:MM[:SS]`, `YYYYMMDD-HH`,
    /// ISO-8601 with `Z` or an offset, and Unix seconds (10 digits) or milliseconds (13 digits).
    /// Wall-clock forms are read in the server's zone (`zone`), the zone the server announces in
    /// `server_info.timezone`; in a DST fold the earlier instant is taken.
    public static func parseXtreamStart(_ text: String, zone: TimeZone) -> Date? {
        let s = text.trimmingCharacters(in: .whitespaces).removingPercentEncoding ?? text
        if s.allSatisfy(\.isNumber) {
            if s.count == 10, let v = Double(s) { return Date(timeIntervalSince1970: v) }
            if s.count == 13, let v = Double(s) { return Date(timeIntervalSince1970: v / 1000) }
        }
        if s.contains("T") || s.hasSuffix("Z") {
            let iso = ISO8601DateFormatter()
            iso.formatOptions = [.withInternetDateTime]
            if let d = iso.date(from: s) { return d }
            iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            if let d = iso.date(from: s) { return d }
        }
        // Split into numbers; the separators vary but the order is always Y M D H M [S].
        let numbers = s.split(whereSeparator: { !$0.isNumber }).map(String.init)
        var parts: [Int] = []
        if numbers.count == 2, numbers[0].count == 8, let hour = Int(numbers[1]) {
            // YYYYMMDD-HH
            let d = numbers[0]
            parts = [Int(d.prefix(4))!, Int(d.dropFirst(4).prefix(2))!, Int(d.suffix(2))!, hour, 0]
        } else {
            parts = numbers.compactMap(Int.init)
            guard parts.count >= 5, parts.count <= 6, numbers[0].count == 4 else { return nil }
        }
        var c = DateComponents()
        c.year = parts[0]; c.month = parts[1]; c.day = parts[2]; c.hour = parts[3]; c.minute = parts[4]; c.second = parts.count > 5 ? parts[5] : 0
        guard (1...12).contains(c.month!), (1...31).contains(c.day!), (0...23).contains(c.hour!), (0...59).contains(c.minute!), (0...60).contains(c.second!) else { return nil }
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = zone
        return cal.date(from: c)
    }
}
