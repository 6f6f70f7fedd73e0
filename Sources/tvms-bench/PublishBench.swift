import App
import Domain
import Fluent
import Foundation
import Services
import SQLKit
import Storage
import Vapor

// Publishing one product's channel catalogue at 1k / 10k / 20k channels (issue: content). Loads N
// channels straight into the channels table, puts them all in one package the product holds and
// in ten UI groups, then times the first publish (building, compressing and storing the
// document) and a second one that finds nothing changed.
//
//   tvms-bench publish [--sizes 1000,10000,20000] [--postgres postgres://…/tvms_bench_publish_{size}]

func publishBench(_ arguments: [String]) async throws {
    var sizes = [1000, 10_000, 20_000]
    var postgres: String? = nil
    var args = arguments
    while !args.isEmpty {
        let a = args.removeFirst(), v = args.isEmpty ? "" : args.removeFirst()
        switch a {
        case "--sizes": sizes = v.split(separator: ",").compactMap { Int($0) }
        case "--postgres": postgres = v
        default: print("unknown option \(a)"); exit(2)
        }
    }
    print("| database | channels | first publish | unchanged publish | JSON | gzip |")
    print("|---|---|---|---|---|---|")
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
                try await PackageService.setGrants(svc, actor: actor, deploymentID: d.id!, productID: product.id!, extraPackageID: nil, packages: [package.id!])
                for g in 0..<10 {
                    let group = try await UIGroupService.create(svc, actor: actor, deploymentID: d.id!, name: "Group \(g)")
                    try await UIGroupService.setChannels(svc, actor: actor, deploymentID: d.id!, id: group.id!, channels: ids.enumerated().filter { $0.offset % 10 == g }.map(\.element))
                }
                let clock = ContinuousClock()
                var result: PublishService.Result? = nil
                let first = try await clock.measure {
                    result = try await PublishService.publish(svc, actor: actor, deploymentID: d.id!, productID: product.id!).first
                }
                let again = try await clock.measure {
                    _ = try await PublishService.publish(svc, actor: actor, deploymentID: d.id!, productID: product.id!)
                }
                func seconds(_ d: Duration) -> String { String(format: "%.2f s", Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18) }
                print("| \(label) | \(size) | \(seconds(first)) | \(seconds(again)) | \(result!.bytes / 1024) KiB | \(result!.gzipBytes / 1024) KiB |")
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
