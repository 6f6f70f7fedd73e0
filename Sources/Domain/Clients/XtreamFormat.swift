import Foundation

/// The small formats of the Xtream Codes dialect and extended M3U, as real clients read them
/// (spec clients-and-protocols §1.2–1.4). Pure functions, so the compatibility contract is tested
/// without a server.
public enum XtreamFormat {
    /// "Unlimited" subscriptions: XC clients do `int(exp_date)`, so never `null`; 2100-01-01 UTC.
    public static let unlimitedExpiry = 4_102_444_800

    /// `YYYY-MM-DD HH:MM:SS` of `date` on the wall clock of `zone` (EPG `start`/`end`,
    /// `server_info.time_now`). Civil-date arithmetic rather than `DateFormatter`, so a guide of a
    /// thousand rows costs microseconds and the output never depends on the process locale.
    public static func wallClock(_ date: Date, zone: TimeZone) -> String {
        let t = Int(date.timeIntervalSince1970.rounded(.down)) + zone.secondsFromGMT(for: date)
        let (days, secs) = floorDiv(t, 86_400)
        let (y, m, d) = civil(days)
        return pad(y, 4) + "-" + pad(m, 2) + "-" + pad(d, 2) + " " + pad(secs / 3600, 2) + ":" + pad(secs % 3600 / 60, 2) + ":" + pad(secs % 60, 2)
    }

    /// `YYYY-MM-DD` of a UTC instant (release dates).
    public static func utcDate(_ date: Date) -> String {
        let (days, _) = floorDiv(Int(date.timeIntervalSince1970.rounded(.down)), 86_400)
        let (y, m, d) = civil(days)
        return pad(y, 4) + "-" + pad(m, 2) + "-" + pad(d, 2)
    }

    /// `HH:MM:SS` of a duration (`get_vod_info.duration`).
    public static func duration(_ seconds: Int) -> String {
        let s = max(seconds, 0)
        return pad(s / 3600, 2) + ":" + pad(s % 3600 / 60, 2) + ":" + pad(s % 60, 2)
    }

    static func floorDiv(_ a: Int, _ b: Int) -> (Int, Int) {
        let q = a >= 0 ? a / b : -((-a + b - 1) / b)
        return (q, a - q * b)
    }

    /// Days since 1970-01-01 → (year, month, day) in the proleptic Gregorian calendar
    /// (H. Hinnant's `civil_from_days`).
    static func civil(_ days: Int) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    static func pad(_ n: Int, _ width: Int) -> String {
        let s = String(n)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    /// EPG `title`/`description`: base64 of the UTF-8 text (what every XC client decodes).
    public static func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    /// A stable numeric category id for a genre name: the same in every process and node
    /// (FNV-1a, 30 bits, never 0, which stands for "other"), so clients that remember categories
    /// keep them across restarts. XC clients do `int(category_id)`, so ids must be digits.
    public static func genreCategoryID(_ genre: String) -> Int {
        var h: UInt32 = 0x811c9dc5
        for b in genre.lowercased().trimmingCharacters(in: .whitespaces).utf8 {
            h ^= UInt32(b)
            h = h &* 0x01000193
        }
        let id = Int(h & 0x3fff_ffff)
        return id == 0 ? 1 : id
    }

    /// "science fiction" → "Science Fiction": genres are stored normalised to lower case.
    public static func displayName(genre: String) -> String {
        genre.split(separator: " ").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(separator: " ")
    }

    /// The file extension a client should use for an on-demand item (`container_extension`),
    /// from its stream address: `…/film.mkv` → mkv, `…/index.m3u8` → m3u8; mp4 when it has none.
    public static func containerExtension(streamURL: String) -> String {
        var path = Substring(streamURL)
        if let q = path.firstIndex(where: { $0 == "?" || $0 == "#" }) { path = path[..<q] }
        guard let slash = path.lastIndex(of: "/") else { return "mp4" }
        let file = path[path.index(after: slash)...]
        guard let dot = file.lastIndex(of: "."), file.index(after: dot) < file.endIndex else { return "mp4" }
        let ext = file[file.index(after: dot)...].lowercased()
        return ext.count <= 5 && ext.allSatisfy({ $0.isLetter || $0.isNumber }) ? ext : "mp4"
    }

    /// Characters a credential may keep in a URL path segment or query value unescaped.
    static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// A credential as one URL component (path segment or query value), percent-encoded.
    public static func urlComponent(_ s: String) -> String { s.addingPercentEncoding(withAllowedCharacters: unreserved) ?? s }

    /// An extended-M3U attribute value: double quotes and line breaks cannot appear inside one.
    public static func m3uAttribute(_ s: String) -> String {
        String(s.map { $0 == "\"" ? "'" : ($0.isNewline ? " " : $0) })
    }

    /// The display name after `#EXTINF:-1 …,`: one line.
    public static func m3uTitle(_ s: String) -> String { String(s.map { $0.isNewline ? " " : $0 }) }

    /// The `output` parameter of `get.php` (and the extension of live URLs): `ts` (alias
    /// `mpegts`) or `m3u8` (alias `hls`); anything else, `rtmp` included, gets `ts`.
    public static func liveExtension(output: String?) -> String {
        switch output?.lowercased() {
        case "m3u8", "hls": "m3u8"
        default: "ts"
        }
    }

    /// `ID.ext` of a stream path → the numeric id (the extension is the client's choice).
    public static func streamID(file: String) -> Int? {
        let base = file.split(separator: ".", maxSplits: 1).first.map(String.init) ?? file
        guard !base.isEmpty, base.count <= 18, base.allSatisfy(\.isASCII), base.allSatisfy(\.isNumber) else { return nil }
        return Int(base)
    }
}
