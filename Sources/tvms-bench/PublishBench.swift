import App
import Domain
import Fluent
import Foundation
import Services
import SQLKit
import Storage
import Vapor

// Publishing one product's catalogue at 1k / 10k / 20k channels with five movies per channel (so
// 100,000 VoD items at the top size) (issue: content). Loads the channels and movies straight
// into their tables, puts them in packages the product holds and the channels in ten UI groups,
// then times the first publish of all six documents (building, compressing and storing them)
// and a second one that finds nothing changed; then the movie list's first and a deep keyset
// page.
//
//   tvms-bench publish [--sizes 1000,10000,20000] [--vod-per-channel 5] [--postgres postgres://…/tvms_bench_publish_{size}]

func publishBench(_ arguments: [String]) async throws {
    var sizes = [1000, 10_000, 20_000]
    var vodPerChannel = 5
    var postgres: String? = nil
    var args = arguments
    while !args.isEmpty {
        let a = args.removeFirst(), v = args.isEmpty ? "" : args.removeFirst()
        switch a {
        case "--sizes": sizes = v.split(separator: ",").compactMap { Int($0) }
        case "--vod-per-channel": vodPerChannel = Int(v) ?? 5
        case "--postgres": postgres = v
        default: print("unknown option \(a)"); exit(2)
        }
    }
    print("| database | channels | movies | first publish (6 documents) | unchanged publish | channels JSON / gzip | movies JSON / gzip | movie list page 1 / deep page |")
    print("|---|---|---|---|---|---|---|---|")
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tvms-bench-\(UUID().uuidString)")
    var targets: [(String, (Int) -> AppConfig.DatabaseTarget)] = [("SQLite", { size in .sqlite(path: dir.appendingPathComponent("publish-\(size).sqlite").path) })]
    if let pg = postgres, !pg.isEmpty { targets.append(("PostgreSQL", { size in .postgres(url: pg.replacingOccurrences(of: "{size}", with: String(size))) })) }
    for (label, target) in targets {
        for size in sizes {
            var env = Environment.production
            env.arguments = ["tvms-bench"]
            let app = try await Application.make(env)
            app.logger.logLevel = .error
            do {
                try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
                try await configure(app, config: AppConfig(database: target(size), inProcessWorkers: 0, schedulerEnabled: false, bcryptCost: 4, nodeName: "bench"))
                try await app.autoMigrate()
                _ = try await DemoData.load(app.serviceEnvironment)
                let svc = app.serviceEnvironment
                let actor = Principal.system("bench")
                let d = try await DeploymentModel.query(on: app.db).filter(\.$cmsService == DemoData.cmsService).first()!
                let product = try await ProductModel.query(on: app.db).filter(\.$name == "Basic Monthly").first()!
                try await loadChannels(app, deploymentID: d.id!, count: size)
                let ids = try await ChannelModel.query(on: app.db).all().compactMap(\.id)
                let package = try await PackageService.create(svc, actor: actor, deploymentID: d.id!, kind: .channel, name: "All", description: "")
                _ = try await PackageService.add(svc, actor: actor, deploymentID: d.id!, packageID: package.id!, items: ids)
                try await loadMovies(app, deploymentID: d.id!, count: size * vodPerChannel)
                let movieIDs = try await app.db.sql.raw("SELECT id FROM vod_items WHERE kind = 'movie'").all().map { try $0.decode(column: "id", as: Int.self) }
                let movies = try await PackageService.create(svc, actor: actor, deploymentID: d.id!, kind: .movie, name: "All movies", description: "")
                _ = try await PackageService.add(svc, actor: actor, deploymentID: d.id!, packageID: movies.id!, items: movieIDs)
                try await PackageService.setGrants(svc, actor: actor, deploymentID: d.id!, productID: product.id!, extraPackageID: nil, packages: [package.id!, movies.id!])
                for g in 0..<10 {
                    let group = try await UIGroupService.create(svc, actor: actor, deploymentID: d.id!, name: "Group \(g)")
                    try await UIGroupService.setChannels(svc, actor: actor, deploymentID: d.id!, id: group.id!, channels: ids.enumerated().filter { $0.offset % 10 == g }.map(\.element))
                }
                let clock = ContinuousClock()
                var results: [PublishService.Result] = []
                let first = try await clock.measure {
                    results = try await PublishService.publish(svc, actor: actor, deploymentID: d.id!, productID: product.id!)
                }
                let again = try await clock.measure {
                    _ = try await PublishService.publish(svc, actor: actor, deploymentID: d.id!, productID: product.id!)
                }
                func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
                // The movie list: median of 15 first pages and of 15 pages starting 90 % of the way in.
                let sortedTitles = try await app.db.sql.raw("SELECT search_title, id FROM vod_items WHERE kind = 'movie' ORDER BY search_title, id").all()
                let deep = sortedTitles[sortedTitles.count * 9 / 10]
                var deepQuery = VoDService.Query(kind: .movie)
                deepQuery.after = (try deep.decode(column: "search_title", as: String.self), try deep.decode(column: "id", as: Int.self))
                func median(_ q: VoDService.Query) async throws -> Double {
                    var runs: [Double] = []
                    for _ in 0..<15 { runs.append(seconds(try await clock.measure { _ = try await VoDService.list(svc, actor: actor, deploymentID: d.id!, query: q) })) }
                    return runs.sorted()[runs.count / 2]
                }
                let page1 = try await median(VoDService.Query(kind: .movie)), pageDeep = try await median(deepQuery)
                let channelsDoc = results.first { $0.kind == "channels" }!, moviesDoc = results.first { $0.kind == "movies" }!
                print(String(format: "| %@ | %d | %d | %.2f s | %.2f s | %d / %d KiB | %d / %d KiB | %.1f / %.1f ms |", label, size, movieIDs.count, seconds(first), seconds(again),
                             channelsDoc.bytes / 1024, channelsDoc.gzipBytes / 1024, moviesDoc.bytes / 1024, moviesDoc.gzipBytes / 1024, page1 * 1000, pageDeep * 1000))
                try await app.asyncShutdown()
            } catch {
                try? await app.asyncShutdown()
                throw error
            }
        }
    }
    try? FileManager.default.removeItem(at: dir)
}

/// Inserts `count` channels in multi-row statements.
func loadChannels(_ app: Application, deploymentID: UUID, count: Int) async throws {
    let columns = ["deployment_id", "number", "name", "search_name", "notes", "provider", "hls_url", "dash_url", "fallback_url", "token_type", "drm", "age_rating",
                   "parental", "tags", "genres", "catchup_days", "recording_allowed", "vast_url", "preroll", "overlay", "ticker", "pinned", "epg_channel_id", "enabled"]
    var done = 0
    while done < count {
        let n = min(500, count - done)
        var insert = app.db.sql.insert(into: "channels").columns(columns)
        for k in 0..<n {
            let i = done + k + 1
            let values: [any Encodable & Sendable] = [deploymentID, i, "Channel \(i)", "channel \(i)", "", "Bench", "https://live.example/\(i)/index.m3u8",
                                                      "https://live.example/\(i)/manifest.mpd", "", "flussonic", "none", i % 7 == 0 ? 16 : 0, i % 7 == 0,
                                                      "news,local", "news", 7, true, "", false, false, false, false, "", true]
            insert = insert.values(values.map { SQLBind($0) })
        }
        try await insert.run()
        done += n
    }
}

/// Inserts `count` movies in multi-row statements (titles spread over the alphabet).
func loadMovies(_ app: Application, deploymentID: UUID, count: Int) async throws {
    let columns = ["deployment_id", "kind", "number", "position", "title", "search_title", "description", "year", "duration_seconds", "genres", "tags", "actors",
                   "director", "producer", "credits", "guest_cast", "language", "rating", "age_rating", "parental", "imdb_id", "external_id", "provider",
                   "stream_url", "trailer_url", "subtitles_url", "token_type", "drm", "offline_viewing", "offline_days", "vast_url", "preroll", "overlay",
                   "ticker", "pinned", "launch_android", "launch_apple", "launch_smarttv", "launch_web", "enabled"]
    let words = ["Night", "Harbour", "Orbit", "Paper", "Cold", "Iron", "Long", "Meadow", "Glass", "Valley", "Silent", "River", "Red", "Sky", "Last", "Train"]
    var done = 0
    while done < count {
        let n = min(200, count - done)
        var insert = app.db.sql.insert(into: "vod_items").columns(columns)
        for k in 0..<n {
            let i = done + k + 1
            let title = "\(words[i % 16]) \(words[(i / 16) % 16]) \(i)"
            let values: [any Encodable & Sendable] = [deploymentID, "movie", 0, 0, title, title.lowercased(), "A benchmark movie about \(words[i % 16].lowercased()).",
                                                      1950 + i % 75, 5400 + i % 3600, "drama,thriller", "bench", "Ada Brennan, Tomas Vey", "Mara Quell", "", "", "", "en",
                                                      "7.1", i % 9 == 0 ? 16 : 0, i % 9 == 0, String(format: "tt%07d", i), "B-\(i)", "Bench",
                                                      "https://vod.example/\(i).mp4", "", "", "flussonic", "none", false, 0, "", false, false, false, false, "", "", "", "", true]
            insert = insert.values(values.map { SQLBind($0) })
        }
        try await insert.run()
        done += n
    }
}
