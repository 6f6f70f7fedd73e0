import Domain
import FluentKit
import Foundation
import Storage

/// CMS › Import/Export › Movies and Series: one column layout per sheet, for CSV and Excel, that
/// round-trips (an export imported again changes nothing). Every row is checked first (pictures
/// fetched and checked too); if any row is wrong nothing is applied.
///
/// Movies are matched by `external_id`, else by title and year. The series sheet has one row per
/// series, season and episode: `season` and `episode` empty → a series row; `season` set → that
/// season of the row's series; both set → that episode. Rows are matched by series title,
/// season number and episode number.
public enum VoDImport {
    public enum Sheet: String, Sendable { case movies, series }

    /// One column: how it is written from an item and read into an input.
    struct Column: Sendable {
        let name: String
        /// The input field whose errors belong to this column.
        let field: String
        let kinds: Set<VoDKind>
        let get: @Sendable (VoDItemModel, Context) -> String
        let set: @Sendable (inout VoDService.Input, String, Context) throws -> Void
    }

    /// What reading and writing need besides the row: PPV rules and prices by item.
    struct Context: Sendable {
        var rules: [Int: PPVRuleModel] = [:]
        var ruleByName: [String: PPVRuleModel] = [:]
        var prices: [ContentRef: [String: Int64]] = [:]
    }

    struct Bad: Error { let message: String }

    static func bool(_ s: String) throws -> Bool {
        switch s.lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no", "": return false
        default: throw Bad(message: "must be true or false")
        }
    }

    static func int(_ s: String) throws -> Int {
        if s.isEmpty { return 0 }
        guard let n = Int(s) else { throw Bad(message: "must be a whole number") }
        return n
    }

    static func text(_ name: String, _ field: String, _ kinds: Set<VoDKind>, _ kp: ReferenceWritableKeyPath<VoDItemModel, String>, _ ip: WritableKeyPath<VoDService.Input, String>) -> Column {
        Column(name: name, field: field, kinds: kinds, get: { m, _ in m[keyPath: kp] }, set: { i, v, _ in i[keyPath: ip] = v })
    }

    static func flag(_ name: String, _ kinds: Set<VoDKind>, _ kp: ReferenceWritableKeyPath<VoDItemModel, Bool>, _ ip: WritableKeyPath<VoDService.Input, Bool>) -> Column {
        Column(name: name, field: name, kinds: kinds, get: { m, _ in m[keyPath: kp] ? "true" : "false" }, set: { i, v, _ in i[keyPath: ip] = try bool(v) })
    }

    static let all: Set<VoDKind> = [.movie, .series, .season, .episode]

    /// The columns after the key columns, shared by both sheets; a kind ignores the ones it has no use for.
    static let columns: [Column] = [
        text("description", "description", all, \.description, \.description),
        Column(name: "year", field: "year", kinds: [.movie, .series, .season], get: { m, _ in m.year == 0 ? "" : String(m.year) }, set: { i, v, _ in i.year = try int(v) }),
        Column(name: "duration_s", field: "durationSeconds", kinds: [.movie, .season, .episode], get: { m, _ in m.durationSeconds == 0 ? "" : String(m.durationSeconds) },
               set: { i, v, _ in i.durationSeconds = try int(v) }),
        text("genres", "genres", [.movie, .series, .season], \.genres, \.genres),
        text("tags", "tags", [.movie, .series, .season], \.tags, \.tags),
        text("actors", "actors", [.movie, .series, .season], \.actors, \.actors),
        text("director", "director", [.movie, .series, .season], \.director, \.director),
        text("producer", "producer", [.movie, .series, .season], \.producer, \.producer),
        text("crew", "credits", [.episode], \.credits, \.credits),
        text("guest_cast", "guestCast", [.episode], \.guestCast, \.guestCast),
        text("language", "language", [.movie, .series, .season], \.language, \.language),
        text("rating", "rating", [.movie, .series, .season], \.rating, \.rating),
        Column(name: "age_rating", field: "ageRating", kinds: all, get: { m, _ in String(m.ageRating) }, set: { i, v, _ in i.ageRating = try int(v) }),
        flag("parental", all, \.parental, \.parental),
        text("imdb_id", "imdbID", all, \.imdbID, \.imdbID),
        text("provider", "provider", [.movie, .series, .season], \.provider, \.provider),
        text("stream_url", "streamURL", [.movie, .episode], \.streamURL, \.streamURL),
        text("trailer_url", "trailerURL", [.movie, .series, .season], \.trailerURL, \.trailerURL),
        text("subtitles_url", "subtitlesURL", [.movie, .episode], \.subtitlesURL, \.subtitlesURL),
        Column(name: "token_type", field: "tokenType", kinds: all, get: { m, _ in m.tokenType }, set: { i, v, _ in i.tokenType = v.isEmpty ? "none" : v.lowercased() }),
        Column(name: "drm", field: "drm", kinds: all, get: { m, _ in m.drm }, set: { i, v, _ in i.drm = v.isEmpty ? "none" : v.lowercased() }),
        flag("offline_viewing", [.movie, .season, .episode], \.offlineViewing, \.offlineViewing),
        Column(name: "offline_days", field: "offlineDays", kinds: [.movie, .season, .episode], get: { m, _ in String(m.offlineDays) }, set: { i, v, _ in i.offlineDays = try int(v) }),
        Column(name: "ppv_rule", field: "ppvRuleID", kinds: [.movie, .season], get: { m, c in m.ppvRuleID.flatMap { c.rules[$0]?.name } ?? "" }, set: { i, v, c in
            if v.isEmpty { i.ppvRuleID = nil; return }
            guard let r = c.ruleByName[v.lowercased()] else { throw Bad(message: "\(v) is not a PPV rule of \(i.kind == .season ? "Series" : "Movies")") }
            i.ppvRuleID = r.id
        }),
        Column(name: "prices", field: "prices", kinds: [.movie, .season], get: { m, c in
            (c.prices[ContentRef(kind: m.kind, id: m.id!)] ?? [:]).sorted { $0.key < $1.key }.map { price in
                "\(price.key) " + (CurrencyCode(price.key).map { Money(minorUnits: price.value, currency: $0).amountString } ?? String(price.value))
            }.joined(separator: "; ")
        }, set: { i, v, _ in
            var prices: [String: Int64] = [:]
            for part in v.split(separator: ";") {
                let bits = part.split(separator: " ", omittingEmptySubsequences: true)
                guard bits.count == 2, let code = CurrencyCode(String(bits[0])), let m = Money.parse(String(bits[1]), currency: code) else {
                    throw Bad(message: "write prices as “EUR 3.99; USD 4.49”")
                }
                prices[code.code] = m.minorUnits
            }
            i.prices = prices
        }),
        text("vast_url", "vastURL", [.movie, .series, .season], \.vastURL, \.vastURL),
        flag("preroll", [.movie, .series, .season], \.preroll, \.preroll),
        flag("overlay", [.movie, .series, .season], \.overlay, \.overlay),
        flag("ticker", [.movie, .series, .season], \.ticker, \.ticker),
        flag("pinned", [.movie, .series, .season], \.pinned, \.pinned),
        flag("enabled", all, \.enabled, \.enabled),
    ]

    /// Pictures: exported as the item's own `/media/…` path; imported from an http(s) URL.
    static let pictureColumns = ["cover_url", "image_url"]

    public static func header(_ sheet: Sheet) -> [String] {
        (sheet == .movies ? ["external_id", "title"] : ["series", "season", "episode", "title"]) + columns.map(\.name) + pictureColumns
    }

    static func context(_ env: ServiceEnvironment, deploymentID: UUID, section: ContentKind, items: [VoDItemModel]) async throws -> Context {
        let rules = try await PPVRuleModel.query(on: env.db).filter(\.$deploymentID == deploymentID).filter(\.$section == section.rawValue).all()
        let sold = items.filter { $0.ppvRuleID != nil }.map { ContentRef(kind: $0.kind, id: $0.id!) }
        return Context(rules: Dictionary(uniqueKeysWithValues: rules.map { ($0.id!, $0) }), ruleByName: Dictionary(rules.map { ($0.name.lowercased(), $0) }, uniquingKeysWith: { a, _ in a }),
                       prices: try await PPVService.prices(env, deploymentID: deploymentID, refs: sold))
    }

    static func picture(_ id: UUID?) -> String { id.map { "/media/\($0.uuidString.lowercased())" } ?? "" }

    // MARK: Export

    public static func exportCSV(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, sheet: Sheet) async throws -> String {
        try await exportRows(env, actor: actor, deploymentID: deploymentID, sheet: sheet).map(CSV.line).joined(separator: "\r\n") + "\r\n"
    }

    /// The export: a header row, then movies by title, or each series followed by its seasons
    /// and their episodes.
    public static func exportRows(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, sheet: Sheet) async throws -> [[String]] {
        try actor.require(.cms, in: deploymentID)
        var rows: [[String]] = []
        let base = VoDItemModel.query(on: env.db).filter(\.$deploymentID == deploymentID)
        if sheet == .movies {
            let movies = try await base.filter(\.$kind == VoDKind.movie.rawValue).sort(\.$searchTitle).sort(\.$id).all()
            let c = try await context(env, deploymentID: deploymentID, section: .movie, items: movies)
            for m in movies { rows.append([m.externalID, m.title] + values(m, c)) }
        } else {
            let items = try await base.filter(\.$kind ~~ [VoDKind.series.rawValue, VoDKind.season.rawValue, VoDKind.episode.rawValue]).all()
            let c = try await context(env, deploymentID: deploymentID, section: .series, items: items)
            let children = Dictionary(grouping: items.filter { $0.parentID != nil }, by: { $0.parentID! })
            func ordered(_ id: Int) -> [VoDItemModel] { (children[id] ?? []).sorted { ($0.number, $0.id!) < ($1.number, $1.id!) } }
            for s in items.filter({ $0.kind == VoDKind.series.rawValue }).sorted(by: { ($0.searchTitle, $0.id!) < ($1.searchTitle, $1.id!) }) {
                rows.append([s.title, "", "", s.title] + values(s, c))
                for season in ordered(s.id!) {
                    rows.append([s.title, String(season.number), "", season.title] + values(season, c))
                    for e in ordered(season.id!) { rows.append([s.title, String(season.number), String(e.number), e.title] + values(e, c)) }
                }
            }
        }
        return [header(sheet)] + rows
    }

    static func values(_ m: VoDItemModel, _ c: Context) -> [String] {
        let kind = VoDKind(rawValue: m.kind)!
        return columns.map { $0.kinds.contains(kind) ? $0.get(m, c) : "" } + [picture(m.coverID), picture(m.wideID)]
    }

    // MARK: Import

    public struct Result: Sendable {
        public var created = 0
        public var updated = 0
        public var unchanged = 0
        public var errors: [CustomerBulkService.ImportError] = []
    }

    /// A checked row waiting to be applied.
    struct Pending {
        var line: Int
        var existing: VoDItemModel?
        var input: VoDService.Input
        /// For rows whose parent is created by an earlier row of the same file.
        var parentKey: String?
        var key: String
    }

    public static func importRows(_ env: ServiceEnvironment, http: any OutboundHTTP, actor: Principal, deploymentID: UUID, sheet: Sheet,
                                  rows: [(line: Int, fields: [String])]) async throws -> Result {
        try actor.require(.cms, in: deploymentID)
        var result = Result()
        guard let head = rows.first else { throw DomainError(.invalid, code: "empty_file", "The file is empty.") }
        let names = head.fields.map { $0.lowercased().trimmingCharacters(in: .whitespaces) }
        let known = header(sheet)
        for (i, n) in names.enumerated() where !n.isEmpty && !known.contains(n) {
            result.errors.append(.init(line: head.line, column: head.fields[i], message: "is not a known column (\(known.joined(separator: ", ")))"))
        }
        for required in (sheet == .movies ? ["title"] : ["series", "season", "episode", "title"]) where !names.contains(required) {
            result.errors.append(.init(line: head.line, column: required, message: "column is missing"))
        }
        let body = Array(rows.dropFirst())
        if body.isEmpty { result.errors.append(.init(line: head.line, column: "", message: "no rows under the header")) }
        if body.count > 100_000 { result.errors.append(.init(line: head.line, column: "", message: "at most 100,000 rows per import")) }
        guard result.errors.isEmpty else { return result }

        let kinds = sheet == .movies ? [VoDKind.movie.rawValue] : [VoDKind.series.rawValue, VoDKind.season.rawValue, VoDKind.episode.rawValue]
        let stored = try await VoDItemModel.query(on: env.db).filter(\.$deploymentID == deploymentID).filter(\.$kind ~~ kinds).all()
        let ctx = try await context(env, deploymentID: deploymentID, section: sheet == .movies ? .movie : .series, items: stored)
        let byID = Dictionary(uniqueKeysWithValues: stored.map { ($0.id!, $0) })
        // Keys: "m:ext:{id}", "m:{title}|{year}", "s:{series}", "s:{series}|{season}", "s:{series}|{season}|{episode}".
        var index: [String: VoDItemModel] = [:]
        for m in stored {
            switch VoDKind(rawValue: m.kind)! {
            case .movie:
                if !m.externalID.isEmpty { index["m:ext:\(m.externalID.lowercased())"] = m }
                index["m:\(m.searchTitle)|\(m.year)"] = m
            case .series: index["s:\(m.searchTitle)"] = m
            case .season: if let s = m.parentID.flatMap({ byID[$0] }) { index["s:\(s.searchTitle)|\(m.number)"] = m }
            case .episode:
                if let season = m.parentID.flatMap({ byID[$0] }), let s = season.parentID.flatMap({ byID[$0] }) { index["s:\(s.searchTitle)|\(season.number)|\(m.number)"] = m }
            default: break
            }
        }
        var seen: [String: Int] = [:]
        var pending: [Pending] = []
        var fetched = 0
        for row in body {
            var v: [String: String] = [:]
            for (i, n) in names.enumerated() where i < row.fields.count { v[n] = row.fields[i].trimmingCharacters(in: .whitespaces) }
            func err(_ col: String, _ msg: String) { result.errors.append(.init(line: row.line, column: col, message: msg)) }
            let title = v["title"] ?? ""
            var kind = VoDKind.movie
            var key: String
            var parentKey: String? = nil
            var existing: VoDItemModel?
            if sheet == .movies {
                // By external id; an id not stored yet may name a movie known by title and year.
                let ext = v["external_id"] ?? ""
                let byTitle = "m:\(title.lowercased())|\(Int(v["year"] ?? "") ?? 0)"
                key = ext.isEmpty ? byTitle : "m:ext:\(ext.lowercased())"
                existing = index[key] ?? (ext.isEmpty ? nil : index[byTitle].flatMap { $0.externalID.isEmpty ? $0 : nil })
            } else {
                let series = (v["series"] ?? "").lowercased()
                if series.isEmpty { err("series", "is required: the series this row belongs to"); continue }
                func number(_ col: String) -> Int? { let t = v[col] ?? ""; return t.isEmpty ? 0 : Int(t) }
                guard let season = number("season"), let episode = number("episode"), season >= 0, episode >= 0 else {
                    err("season", "season and episode must be whole numbers"); continue
                }
                if season == 0 && episode != 0 { err("episode", "an episode row needs its season number"); continue }
                kind = season == 0 ? .series : episode == 0 ? .season : .episode
                key = kind == .series ? "s:\(series)" : kind == .season ? "s:\(series)|\(season)" : "s:\(series)|\(season)|\(episode)"
                parentKey = kind == .series ? nil : kind == .season ? "s:\(series)" : "s:\(series)|\(season)"
                existing = index[key]
            }
            // Two rows for one item (by key, or by two keys naming the same stored item).
            if let line = seen[key] ?? existing.flatMap({ seen["id:\($0.id!)"] }) {
                err(sheet == .movies ? "title" : "episode", "the same \(kind.label.lowercased()) appears twice (also line \(line))"); continue
            }
            seen[key] = row.line
            if let e = existing { seen["id:\(e.id!)"] = row.line }
            // A column left out keeps the item's current value; a new item starts from the defaults.
            var input = existing.map { VoDService.input(of: $0, prices: ctx.prices[ContentRef(kind: $0.kind, id: $0.id!)] ?? [:]) } ?? VoDService.Input(kind: kind, title: title)
            input.title = title
            if existing == nil { input.enabled = true }
            if sheet == .series, kind != .series {
                input.number = Int(v[kind == .season ? "season" : "episode"] ?? "") ?? 0
                if let parent = index[parentKey!] { input.parentID = parent.id } else if seen[parentKey!] == nil {
                    err(kind == .season ? "series" : "season", "\(kind == .season ? "the series" : "season \(v["season"] ?? "")") is neither stored nor on an earlier row")
                    continue
                }
            }
            if sheet == .movies { input.externalID = v["external_id"] ?? input.externalID }
            for c in columns where names.contains(c.name) {
                let value = v[c.name] ?? ""
                guard c.kinds.contains(kind) else {
                    if !value.isEmpty { err(c.name, "a \(kind.label.lowercased()) has no \(c.name)") }
                    continue
                }
                do { try c.set(&input, value, ctx) } catch let b as Bad { err(c.name, b.message) }
            }
            // Pictures: an http(s) URL is fetched and checked; the item's own /media path keeps it.
            for (col, slot) in [("cover_url", \VoDService.Input.cover), ("image_url", \VoDService.Input.wide)] {
                guard let value = v[col], !value.isEmpty else { continue }
                let current = col == "cover_url" ? existing?.coverID : existing?.wideID
                if value == picture(current) { continue }
                if value.hasPrefix("/media/") { err(col, "is not this item's picture; give an http(s) URL to import a new one"); continue }
                if col == "cover_url" ? kind.coverRatio == nil : !kind.hasWideImage { err(col, "a \(kind.label.lowercased()) has no such picture"); continue }
                fetched += 1
                if fetched > 2000 { err(col, "at most 2,000 pictures per import; import the rest in another file"); continue }
                do { input[keyPath: slot] = try await ImageFetcher.fetch(http, url: value, maxBytes: VoDService.artworkLimits.maxBytes, field: col) }
                catch let e as DomainError { for (_, m) in e.fields { err(col, m) } }
            }
            pending.append(Pending(line: row.line, existing: existing, input: input, parentKey: parentKey, key: key))
        }
        // Field rules on every row (even after a problem above, so the report lists them all);
        // a row whose parent is an earlier row of the file is checked
        // as the parent row was (the parent is not stored yet).
        for p in pending {
            let (errors, _, _) = try await VoDService.validate(env, deploymentID: deploymentID, existing: p.existing, p.input, parentInFile: p.input.parentID == nil && p.parentKey != nil)
            for (field, message) in errors.all.sorted(by: { $0.key < $1.key }) {
                let column = ["cover": "cover_url", "wide": "image_url"][field] ?? columns.first { $0.field == field }?.name ?? field
                // One message per cell: a value that could not be read is not also "missing".
                if !result.errors.contains(where: { $0.line == p.line && $0.column == column }) {
                    result.errors.append(.init(line: p.line, column: column, message: message))
                }
            }
        }
        result.errors.sort { ($0.line, $0.column) < ($1.line, $1.column) }
        guard result.errors.isEmpty else { return result }
        // Apply in file order, in one transaction: parents before their children.
        let rowsToApply = pending
        let prices = ctx.prices
        let counts = try await env.write { db -> (created: Int, updated: Int, unchanged: Int) in
            var txEnv = env
            txEnv.db = db
            var made: [String: Int] = [:]
            var counts = (created: 0, updated: 0, unchanged: 0)
            for p in rowsToApply {
                var input = p.input
                if input.parentID == nil, let pk = p.parentKey { input.parentID = made[pk] }
                if let e = p.existing, unchanged(e, input, prices: prices[ContentRef(kind: e.kind, id: e.id!)] ?? [:]) {
                    counts.unchanged += 1
                    continue
                }
                let saved = try await VoDService.save(txEnv, actor: actor, deploymentID: deploymentID, id: p.existing?.id, input: input)
                made[p.key] = saved.id
                if p.existing == nil { counts.created += 1 } else { counts.updated += 1 }
            }
            return counts
        }
        result.created = counts.created
        result.updated = counts.updated
        result.unchanged = counts.unchanged
        return result
    }

    /// Whether applying `input` would change nothing.
    static func unchanged(_ m: VoDItemModel, _ input: VoDService.Input, prices: [String: Int64]) -> Bool {
        guard input.cover == nil, input.wide == nil else { return false }
        let probe = VoDItemModel()
        probe.id = m.id
        VoDService.apply(input, to: probe)
        return VoDService.fingerprint(VoDService.input(of: probe, prices: input.kind.sellsPPV && probe.ppvRuleID != nil ? input.prices : [:]))
            == VoDService.fingerprint(VoDService.input(of: m, prices: prices))
    }
}
