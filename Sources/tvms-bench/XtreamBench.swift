import App
import Domain
import Fluent
import Foundation
import Services
import SQLKit
import Storage
import Vapor

// Data for the Xtream / M3U / XMLTV benchmark (scripts/bench/xtream.sh): the whole demo set
// (demo01 on "Basic Monthly"), plus CHANNELS channels numbered from 1001 in a TV package the
// product holds, in ten UI groups, every third with 7 days of catch-up, and a guide of DAYS days
// (a week back, the rest ahead) of two-hour programmes for each, imported through the real
// importer and linked to the channels; then the product is published. The server the script
// starts afterwards reads this database.
//
//   tvms-bench xtream-data --database PATH.sqlite | --postgres URL [--channels 10000] [--days 14]

func xtreamData(_ arguments: [String]) async throws {
    var channels = 10_000
    var days = 14
    var target: AppConfig.DatabaseTarget? = nil
    var args = arguments
    while !args.isEmpty {
        let a = args.removeFirst(), v = args.isEmpty ? "" : args.removeFirst()
        switch a {
        case "--channels": channels = Int(v) ?? channels
        case "--days": days = Int(v) ?? days
        case "--database": target = .sqlite(path: v)
        case "--postgres": target = .postgres(url: v)
        default: print("unknown option \(a)"); exit(2)
        }
    }
    guard let target else { print("give --database PATH or --postgres URL"); exit(2) }
    var env = Environment.production
    env.arguments = ["tvms-bench"]
    let app = try await Application.make(env)
    app.logger.logLevel = .error
    do {
        try await configure(app, config: AppConfig(database: target, inProcessWorkers: 0, schedulerEnabled: false, bcryptCost: 10, nodeName: "bench"))
        try await app.autoMigrate()
        let svc = app.serviceEnvironment
        if try await DemoData.load(svc) == .loaded {
            try await DemoData.loadResellers(svc); try await DemoData.loadContent(svc); try await DemoData.loadVoD(svc)
            try await DemoData.loadDelivery(svc); try await DemoData.loadClients(svc)
        }
        let actor = Principal.system("bench")
        let d = try await DeploymentModel.query(on: app.db).filter(\.$cmsService == DemoData.cmsService).first()!
        let product = try await ProductModel.query(on: app.db).filter(\.$deploymentID == d.id!).filter(\.$name == "Basic Monthly").first()!
        let started = Date()

        // Channels straight into their table, 500 a statement.
        let columns = ["deployment_id", "number", "name", "search_name", "notes", "provider", "hls_url", "dash_url", "fallback_url", "token_type", "drm", "age_rating",
                       "parental", "tags", "genres", "catchup_days", "recording_allowed", "vast_url", "preroll", "overlay", "ticker", "pinned", "epg_channel_id", "enabled"]
        var done = 0
        while done < channels {
            let n = min(500, channels - done)
            var insert = app.db.sql.insert(into: "channels").columns(columns)
            for k in 0..<n {
                let i = 1000 + done + k + 1
                let values: [any Encodable & Sendable] = [d.id!, i, "Bench Channel \(i)", "bench channel \(i)", "", "Bench", "https://live.demo.tvms/bench-\(i)/index.m3u8",
                                                          "https://live.demo.tvms/bench-\(i)/manifest.mpd", "", "flussonic", "none", 0, false, "bench", "general",
                                                          i % 3 == 0 ? 7 : 0, false, "", false, false, false, false, "", true]
                insert = insert.values(values.map { SQLBind($0) })
            }
            try await insert.run()
            done += n
        }
        let ids = try await app.db.sql.raw("SELECT id FROM channels WHERE number > 1000 ORDER BY number").all().map { try $0.decode(column: "id", as: Int.self) }
        let package = try await PackageService.create(svc, actor: actor, deploymentID: d.id!, kind: .channel, name: "Bench TV", description: "")
        _ = try await PackageService.add(svc, actor: actor, deploymentID: d.id!, packageID: package.id!, items: ids)
        let granted = try await PackageService.grants(svc, productID: product.id!)
        try await PackageService.setGrants(svc, actor: actor, deploymentID: d.id!, productID: product.id!, extraPackageID: nil, packages: granted + [package.id!])
        for g in 0..<10 {
            let group = try await UIGroupService.create(svc, actor: actor, deploymentID: d.id!, name: "Bench group \(g)")
            try await UIGroupService.setChannels(svc, actor: actor, deploymentID: d.id!, id: group.id!, channels: ids.enumerated().filter { $0.offset % 10 == g }.map(\.element))
        }

        // The guide: an XMLTV file written here, imported by the real importer.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tvms-xtream-bench-\(UUID().uuidString).xml")
        defer { try? FileManager.default.removeItem(at: file) }
        FileManager.default.createFile(atPath: file.path, contents: nil)
        let out = try FileHandle(forWritingTo: file)
        var buffer = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<tv generator-info-name=\"tvms-bench\">\n"
        func flush(_ force: Bool = false) throws {
            if force || buffer.utf8.count > 1 << 20 { try out.write(contentsOf: Data(buffer.utf8)); buffer = "" }
        }
        for i in 1001...(1000 + channels) {
            buffer += "  <channel id=\"b\(i).bench.example\"><display-name>Bench Channel \(i)</display-name></channel>\n"
            try flush()
        }
        let first = (Int(Date().timeIntervalSince1970) / 86_400 - 7) * 86_400
        let titles = ["Morning Show", "News Hour", "Documentary", "Matinee", "Quiz Night", "Drama Series", "Late Movie", "Night Shift", "Kids Corner", "Travel Diary", "Sports Desk", "Weather"]
        for i in 1001...(1000 + channels) {
            for slot in 0..<(days * 12) {
                let start = first + slot * 7200
                let title = titles[(slot + i) % titles.count]
                buffer += "  <programme start=\"\(XMLTVTime.format(Date(timeIntervalSince1970: Double(start))))\" stop=\"\(XMLTVTime.format(Date(timeIntervalSince1970: Double(start + 7200))))\" channel=\"b\(i).bench.example\"><title>\(title)</title><desc>\(title) on channel \(i), part \(slot % 12 + 1).</desc></programme>\n"
            }
            try flush()
        }
        buffer += "</tv>\n"
        try flush(true)
        try out.close()
        let source = try await EPGSourceService.save(svc, actor: actor, deploymentID: d.id!, id: nil, input: EPGSourceService.Input(name: "Bench guide"))
        let summary = try await EPGImportService.importFile(svc, actor: actor, sourceID: source.id!, path: file.path)
        guard summary.status != "failed" else { print("import failed: \(summary.message)"); exit(1) }
        try await app.db.sql.raw("UPDATE channels SET epg_source_id = \(bind: source.id!), epg_channel_id = 'b' || CAST(number AS TEXT) || '.bench.example' WHERE number > 1000").run()
        _ = try await PublishService.publish(svc, actor: actor, deploymentID: d.id!, productID: product.id!)
        print("\(channels) channels, \(summary.programmes) programmes, published in \(Int(Date().timeIntervalSince(started))) s")
    } catch {
        try? await app.asyncShutdown()
        throw error
    }
    try await app.asyncShutdown()
}
