import Fluent
import Foundation
import Testing
import VaporTesting
@testable import App
@testable import Domain
@testable import Services
import Storage

/// A guide with the given channels (XMLTV id, display name) and programmes (channel id, start,
/// stop, title), times in UTC.
func explicitGuide(channels: [(String, String)], programmes: [(String, Date, Date, String)]) -> String {
    let f = DateFormatter()
    f.locale = Locale(identifier: "en_US_POSIX")
    f.timeZone = TimeZone(identifier: "UTC")
    f.dateFormat = "yyyyMMddHHmmss"
    func esc(_ s: String) -> String { s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;") }
    var s = #"<?xml version="1.0" encoding="UTF-8"?><tv generator-info-name="tests">"#
    for (id, name) in channels { s += #"<channel id="\#(id)"><display-name>\#(esc(name))</display-name></channel>"# }
    for (id, start, stop, title) in programmes {
        s += #"<programme start="\#(f.string(from: start)) +0000" stop="\#(f.string(from: stop)) +0000" channel="\#(id)"><title>\#(esc(title))</title></programme>"#
    }
    return s + "</tv>"
}

/// `n` hourly programmes on `channel` from `start`.
func hourly(_ channel: String, _ n: Int, from start: Date, tag: String) -> [(String, Date, Date, String)] {
    (0..<n).map { (channel, start.addingTimeInterval(Double($0) * 3600), start.addingTimeInterval(Double($0 + 1) * 3600), "\(tag) \($0)") }
}

/// Runs Debian's `tv_validate_file` (xmltv-util) on an XMLTV document: nil when it accepts it.
func xmltvValidationProblem(_ data: Data) throws -> String? {
    let validator = "/usr/bin/tv_validate_file"
    guard FileManager.default.isExecutableFile(atPath: validator) else {
        return "tv_validate_file (Debian xmltv-util) is not installed; scripts/test.sh installs it"
    }
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("tvms-validate-\(UUID().uuidString).xml")
    defer { try? FileManager.default.removeItem(at: file) }
    try data.write(to: file)
    let p = Process()
    p.executableURL = URL(fileURLWithPath: validator)
    p.arguments = [file.path]
    var env = ProcessInfo.processInfo.environment
    env["XMLTV_SUPPLEMENT"] = "/usr/share/xmltv"
    p.environment = env
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    try p.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    return p.terminationStatus == 0 ? nil : "tv_validate_file: \(output)"
}

/// The console's EPG pages beyond import and matching: the guide grid, the XMLTV export per
/// package and for all channels, deleting a source, forgetting a remembered name, and the
/// choice between same-name channels of several sources.
@Suite(.serialized) struct EPGConsoleTests {
    func write(_ text: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tvms-test-\(UUID().uuidString).xml")
        try Data(text.utf8).write(to: url)
        return url.path
    }

    func source(_ crm: DemoCRM, _ name: String, guide: String, priority: Int = 0) async throws -> EPGSourceModel {
        var input = EPGSourceService.Input(name: name)
        input.priority = priority
        let s = try await EPGSourceService.save(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, id: nil, input: input)
        let r = try await EPGImportService.importFile(crm.env, actor: crm.actor, sourceID: s.id!, path: try write(guide))
        #expect(r.status == "ok", "\(r)")
        return s
    }

    func channel(_ app: Application, _ name: String) async throws -> ChannelModel {
        try #require(try await ChannelModel.query(on: app.db).filter(\.$name == name).first())
    }

    func guideChannel(_ app: Application, _ external: String) async throws -> EPGChannelModel {
        try #require(try await EPGChannelModel.query(on: app.db).filter(\.$externalID == external).first())
    }

    /// Programme boxes of the grid: tooltip ("16:00–17:00 Title") → (state, x, y, width, shown title).
    func boxes(_ html: String) -> [String: (state: String, x: String, y: Int, width: String, title: String)] {
        var out: [String: (String, String, Int, String, String)] = [:]
        let re = /<g class="programme (\w+)"><title>([^<]*)<\/title><svg x="([\d.]+)" y="(\d+)" width="([\d.]+)" height="\d+"><rect [^>]*\/>(?:<text class="time"[^>]*>[^<]*<\/text>)?<text class="title"[^>]*>([^<]*)<\/text><\/svg><\/g>/
        for m in html.matches(of: re) { out[String(m.2)] = (String(m.1), String(m.3), Int(m.4)!, String(m.5), String(m.6)) }
        return out
    }

    /// The grid: one row per channel, a box per programme placed and sized by its times (the
    /// link's shift applied, a programme begun before the window cut at its edge), titles
    /// escaped, a line at now, gaps left empty; filters, window and channel paging.
    @Test func guideGridPlacesProgrammesByTime() async throws {
        try await withTVMS { app, clock in
            let crm = try await DemoCRM(app)
            try await DemoData.loadContent(crm.env)
            // The clock: 2026-09-21 14:13:20 UTC = 16:13:20 in Amsterdam (the demo zone), so the
            // default window is 15:00–21:00 local = 13:00–19:00 UTC: 800 units for 360 minutes
            // from x = 190.
            let f = ISO8601DateFormatter()
            func utc(_ s: String) -> Date { f.date(from: "2026-09-21T\(s):00Z")! }
            #expect(clock.now == f.date(from: "2026-09-21T14:13:20Z"))
            let guide = explicitGuide(channels: [("one.example", "One"), ("two.example", "Two")], programmes: [
                ("one.example", utc("12:00"), utc("13:30"), "Morning Talk"),
                ("one.example", utc("14:00"), utc("15:30"), "Cats & Dogs <Live>"),
                ("one.example", utc("16:00"), utc("16:30"), "Evening News"),
                ("two.example", utc("14:00"), utc("15:00"), "Shifted Show"),
                ("two.example", utc("23:00"), utc("23:59"), "Late One"),
            ])
            _ = try await source(crm, "Guide", guide: guide)
            let one = try await channel(app, "Demo One"), two = try await channel(app, "Demo Two")
            try await EPGMatching.link(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, channelID: one.id!, epgChannelID: try await guideChannel(app, "one.example").id!, shiftMinutes: 0)
            try await EPGMatching.link(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, channelID: two.id!, epgChannelID: try await guideChannel(app, "two.example").id!, shiftMinutes: 30)

            var b = Browser(app)
            try await b.login("owner@demo.tvms", "demo1234")
            let res = try await b.get("/cms/epg/overview/grid")
            #expect(res.status == .ok)
            let html = res.body.string
            #expect(html.contains("Mon 21 Sep 2026, 15:00–21:00 CEST") && html.contains("channels 1–25"))
            let shown = boxes(html)
            // Row 1 (y 30 + 4): started 14:00 local, cut at the window's edge; 30 minutes shown.
            #expect(shown["14:00–15:30 Morning Talk"].map { [$0.state, $0.x, "\($0.y)", $0.width] } == ["past", "190.0", "34", "66.7"], "\(shown)")
            // 16:00–17:30 local: 60 minutes after the start, 90 minutes long; the title escaped.
            #expect(shown["16:00–17:30 Cats &amp; Dogs &lt;Live&gt;"].map { [$0.state, $0.x, "\($0.y)", $0.width, $0.title] } == ["current", "323.3", "34", "200.0", "Cats &amp; Dogs &lt;Live&gt;"])
            #expect(!html.contains("<Live>"))
            // A gap (17:30–18:00) is empty space; the next box starts at 18:00 (x 190 + 180 × 800/360),
            // its title cut to what fits half an hour (the tooltip has it whole).
            #expect(shown["18:00–18:30 Evening News"].map { [$0.state, $0.x, $0.width, $0.title] } == ["next", "590.0", "66.7", "Eveni…"])
            #expect(!shown.keys.contains { $0.hasPrefix("17:") })
            // Row 2 (y 76 + 4): the link's +30 minutes move the programme to 16:30–17:30.
            #expect(shown["16:30–17:30 Shifted Show"].map { [$0.x, "\($0.y)", $0.width] } == ["390.0", "80", "133.3"])
            #expect(shown.count == 4, "Late One is outside the window")
            // Now: 73⅓ minutes into the window.
            #expect(html.contains(#"<g class="now"><title>Now 16:13</title><line x1="353.0""#))
            #expect(html.contains("No guide linked"), "an unlinked channel says so")
            #expect(html.contains(#"href="/cms/epg/overview/grid?date=2026-09-21&amp;hour=15&amp;after=25">Next channels →"#), "paging keeps the window")
            let laterLink = html.firstMatch(of: /href="([^"]*)">Later →/).map { String($0.1) }
            #expect(laterLink == "/cms/epg/overview/grid?date=2026-09-21&amp;hour=18")

            // Later: 18:00–24:00; the evening news at the left edge; no now line.
            let later = try await b.get("/cms/epg/overview/grid?date=2026-09-21&hour=18").body.string
            #expect(boxes(later)["18:00–18:30 Evening News"]?.x == "190.0" && boxes(later)["01:00–01:59 Late One"] == nil)
            #expect(!later.contains(#"<g class="now">"#))
            // Another day, another hour: 2026-09-22 00:00 local = 21-09 22:00 UTC; Late One (23:00 UTC +30) at 01:30.
            let night = try await b.get("/cms/epg/overview/grid?date=2026-09-22&hour=0").body.string
            #expect(boxes(night)["01:30–02:29 Late One"]?.x == "\(String(format: "%.1f", 190 + 90 * 800.0 / 360))", "\(boxes(night).keys)")

            // Filters: by name, by package; paging by number.
            let filtered = try await b.get("/cms/epg/overview/grid?q=demo%20two").body.string
            #expect(boxes(filtered).keys.sorted() == ["16:30–17:30 Shifted Show"] && filtered.contains(">Demo Two</text>") && !filtered.contains(">Demo One</text>"))
            let sports = try #require(try await ContentPackageModel.query(on: app.db).filter(\.$name == "Sports").first())
            let pkg = try await b.get("/cms/epg/overview/grid?package=\(sports.id!)").body.string
            #expect(pkg.contains(">Sports One</text>") && !pkg.contains(">Demo One</text>") && boxes(pkg).isEmpty)
            let second = try await b.get("/cms/epg/overview/grid?after=25").body.string
            #expect(second.contains("channels 26–30") && second.contains(">Test Card</text>") && !second.contains(">Demo One</text>"))
        }
    }

    /// XMLTV of all channels and of one TV package, from the console: valid against the DTD,
    /// exactly the channels asked for (those with programmes), plain or gzip.
    @Test func xmltvExportPerPackageAndForAll() async throws {
        try await withTVMS { app, clock in
            let crm = try await DemoCRM(app)
            try await DemoData.loadContent(crm.env)
            let start = clock.now.addingTimeInterval(-2 * 3600)
            let guide = explicitGuide(channels: [("a.example", "A"), ("b.example", "B"), ("c.example", "C")],
                                      programmes: hourly("a.example", 6, from: start, tag: "News & Views") + hourly("b.example", 6, from: start, tag: "Match")
                                          + hourly("c.example", 6, from: start, tag: "Town"))
            _ = try await source(crm, "Guide", guide: guide)
            let demo = try await channel(app, "Demo One"), sports = try await channel(app, "Sports One"), local = try await channel(app, "Local Channel")
            for (c, ext) in [(demo, "a.example"), (sports, "b.example"), (local, "c.example")] {
                try await EPGMatching.link(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, channelID: c.id!, epgChannelID: try await guideChannel(app, ext).id!, shiftMinutes: 0)
            }
            let packages = Dictionary(uniqueKeysWithValues: try await ContentPackageModel.query(on: app.db).filter(\.$deploymentID == crm.deploymentID).all().map { ($0.name, $0.id!) })

            #expect(try await app.testing().sendRequest(.GET, "/cms/epg/export.xml").status == .seeOther, "operators only")
            var b = Browser(app)
            try await b.login("owner@demo.tvms", "demo1234")
            let page = try await b.get("/cms/epg/export").body.string
            #expect(page.contains(#"href="/cms/epg/export.xml.gz?package=\#(packages["Sports"]!)""#) && page.contains("All channels"))

            func ids(_ data: Data) throws -> (channels: [String], programmes: [String: Int]) {
                var channels: [String] = [], programmes: [String: Int] = [:]
                let reader = XMLTVParser { e in
                    if case .channel(let c) = e { channels.append(c.id) }
                    if case .programme(let p) = e { programmes[p.channel, default: 0] += 1 }
                }
                try reader.feed(Array(data))
                try reader.finish()
                return (channels, programmes)
            }
            let id = { (c: ChannelModel) in "ch\(c.number).democrm.tvms" }
            let cases: [(String, [String])] = [("", [id(demo), id(sports), id(local)].sorted { $0.count < $1.count || ($0.count == $1.count && $0 < $1) }),
                                               ("?package=\(packages["Sports"]!)", [id(sports)]),
                                               ("?package=\(packages["Basic"]!)", [id(demo), id(local)])]
            for (query, expected) in cases {
                let xml = try await b.get("/cms/epg/export.xml" + query)
                #expect(xml.status == .ok && xml.headers.contentType == .xml)
                #expect(xml.headers.first(name: .contentDisposition)?.hasPrefix("attachment; filename=\"epg-democms-") == true)
                let data = Data(buffer: xml.body)
                let got = try ids(data)
                #expect(got.channels == expected, "\(query): \(got.channels)")
                #expect(Set(got.programmes.keys) == Set(expected) && got.programmes.values.allSatisfy { $0 == 6 })
                if let problem = try xmltvValidationProblem(data) { Issue.record("\(query): \(problem)") }
                let gz = try await b.get("/cms/epg/export.xml.gz" + query)
                #expect(gz.headers.first(name: .contentDisposition)?.contains(".xml.gz\"") == true)
                #expect(try Gzip.decompress(Data(buffer: gz.body)) == data)
                let flag = try await b.get("/cms/epg/export.xml" + (query.isEmpty ? "?gzip=1" : query + "&gzip=1"))
                #expect(try Gzip.decompress(Data(buffer: flag.body)) == data)
            }
            #expect(String(decoding: Data(buffer: try await b.get("/cms/epg/export.xml").body), as: UTF8.self).contains("News &amp; Views 0"))
            #expect(try await b.get("/cms/epg/export.xml?package=999999").status == .notFound)
            #expect(try await b.get("/cms/epg/export.xml?package=abc").status == .unprocessableEntity)
            // A package of another kind is not a TV package.
            let movies = try await PackageService.create(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, kind: .movie, name: "Films", description: "")
            #expect(try await b.get("/cms/epg/export.xml?package=\(movies.id!)").status == .notFound)
        }
    }

    /// Deleting a source: the confirmation counts what goes; afterwards its programmes, guide
    /// channels, runs and proposals are gone, its channels have no link, other sources are
    /// untouched, and the audit trail says so.
    @Test func deletingASourceConfirmsAndClearsItsLinks() async throws {
        try await withTVMS { app, clock in
            let crm = try await DemoCRM(app)
            try await DemoData.loadContent(crm.env)
            let start = clock.now.addingTimeInterval(-2 * 3600)
            let doomed = try await source(crm, "Doomed", guide: explicitGuide(
                channels: [("x1", "Demo One"), ("x2", "Demo Two"), ("x3", "Cartoon Tyme")],
                programmes: hourly("x1", 10, from: start, tag: "X") + hourly("x2", 10, from: start, tag: "Y") + hourly("x3", 10, from: start, tag: "Z")))
            let kept = try await source(crm, "Kept", guide: explicitGuide(channels: [("k1", "World Report")], programmes: hourly("k1", 5, from: start, tag: "K")))
            let r = try await EPGMatching.run(crm.env, actor: crm.actor, deploymentID: crm.deploymentID)
            #expect(Set(r.linked.map(\.channel)) == ["Demo One", "Demo Two", "World Report"], "\(r.linked)")
            #expect(try await EPGSuggestionModel.query(on: app.db).count() > 0, "Cartoon Tyme is proposed for Cartoon Time")

            var b = Browser(app)
            try await b.login("owner@demo.tvms", "demo1234")
            #expect(try await b.get("/cms/epg").body.string.contains(#"href="/cms/epg/\#(doomed.id!)/delete""#))
            let confirm = try await b.get("/cms/epg/\(doomed.id!)/delete")
            #expect(confirm.status == .ok)
            let text = confirm.body.string
            #expect(text.contains("Delete the guide Doomed?"))
            #expect(text.contains("This deletes 30 programme(s) on 3 guide channel(s)"), "\(text)")
            #expect(text.contains("2 linked channel(s) lose their guide and show none until linked again: 1 Demo One, 2 Demo Two."))
            #expect(try await b.get("/cms/epg/999999/delete").status == .notFound)

            let done = try await b.post("/cms/epg/\(doomed.id!)/delete")
            #expect(done.status == .seeOther && done.headers.first(name: .location) == "/cms/epg")
            #expect(try await b.get("/cms/epg").body.string.contains("Doomed deleted with 30 programme(s); 2 channel(s) no longer have a guide."))
            #expect(try await EPGSourceModel.find(doomed.id, on: app.db) == nil)
            #expect(try await EPGChannelModel.query(on: app.db).filter(\.$sourceID == doomed.id!).count() == 0)
            #expect(try await EPGImportModel.query(on: app.db).filter(\.$sourceID == doomed.id!).count() == 0)
            #expect(try await EPGSuggestionModel.query(on: app.db).count() == 0)
            let left = try await EPGProgrammeModel.query(on: app.db).all()
            let k1 = try await guideChannel(app, "k1").id!
            #expect(left.count == 5 && Set(left.map(\.epgChannelID)) == [k1], "only the kept source's programmes remain")
            for name in ["Demo One", "Demo Two"] {
                let c = try await channel(app, name)
                #expect(c.epgSourceID == nil && c.epgChannelID == "" && c.epgShiftMinutes == 0)
            }
            #expect(try await channel(app, "World Report").epgSourceID == kept.id)
            let audit = try #require(try await AuditRecordModel.query(on: app.db).filter(\.$entityType == "epg_source").filter(\.$action == "delete").first())
            #expect(audit.entityID == String(doomed.id!) && audit.deploymentID == crm.deploymentID)
            // The channels show no guide now.
            let overview = try await b.get("/cms/epg/overview").body.string
            #expect(!overview.contains("Doomed ·"))
            // Deleted is deleted: a second attempt finds nothing.
            #expect(try await b.post("/cms/epg/\(doomed.id!)/delete").status == .notFound)
        }
    }

    /// A remembered name (learnt by accepting) links by itself until it is forgotten; then the
    /// channel is only proposed again.
    @Test func forgettingARememberedName() async throws {
        try await withTVMS { app, clock in
            let crm = try await DemoCRM(app)
            try await DemoData.loadContent(crm.env)
            _ = try await source(crm, "Guide", guide: explicitGuide(channels: [("tyme.example", "Cartoon Tyme")],
                                                                   programmes: hourly("tyme.example", 3, from: clock.now, tag: "Toons")))
            _ = try await EPGMatching.run(crm.env, actor: crm.actor, deploymentID: crm.deploymentID)
            let cartoon = try await channel(app, "Cartoon Time")
            let proposal = try #require(try await EPGMatching.pending(crm.env, actor: crm.actor, deploymentID: crm.deploymentID).first { $0.channelID == cartoon.id! })
            try await EPGMatching.accept(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, suggestionID: proposal.id!)
            let alias = try #require(try await EPGAliasModel.query(on: app.db).first())
            #expect(alias.externalID == "tyme.example")
            try await EPGMatching.clear(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, channelID: cartoon.id!)
            #expect(try await EPGMatching.run(crm.env, actor: crm.actor, deploymentID: crm.deploymentID).linked.map(\.method) == ["alias"])
            try await EPGMatching.clear(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, channelID: cartoon.id!)

            var b = Browser(app)
            try await b.login("owner@demo.tvms", "demo1234")
            let page = try await b.get("/cms/epg/matching").body.string
            #expect(page.contains("Remembered names") && page.contains(alias.alias) && page.contains(#"action="/cms/epg/matching/aliases/\#(alias.id!)/forget""#))
            #expect(try await b.post("/cms/epg/matching/aliases/\(alias.id!)/forget", csrf: false).status == .forbidden, "CSRF applies")
            let res = try await b.post("/cms/epg/matching/aliases/\(alias.id!)/forget")
            #expect(res.status == .seeOther)
            let after = try await b.get("/cms/epg/matching").body.string
            #expect(after.contains("“\(alias.alias)” forgotten: matching no longer links that name to tyme.example.") && after.contains("No name remembered yet."))
            #expect(try await EPGAliasModel.query(on: app.db).count() == 0)
            #expect(try await AuditRecordModel.query(on: app.db).filter(\.$entityType == "epg_alias").filter(\.$action == "delete").count() == 1)

            let again = try await EPGMatching.run(crm.env, actor: crm.actor, deploymentID: crm.deploymentID)
            #expect(!again.linked.contains { $0.channel == "Cartoon Time" }, "the forgotten name links nothing")
            #expect(try await channel(app, "Cartoon Time").epgSourceID == nil)
            #expect(try await EPGMatching.pending(crm.env, actor: crm.actor, deploymentID: crm.deploymentID).contains { $0.channelID == cartoon.id! }, "only proposed again")
            #expect(try await b.post("/cms/epg/matching/aliases/\(alias.id!)/forget").status == .notFound, "forgotten is forgotten")
        }
    }

    /// The same name in two sources: the higher priority wins, then more programmes; a full
    /// tie goes to the review queue instead of being decided silently.
    @Test func sourcePriorityDecidesBetweenSameNameChannels() async throws {
        try await withTVMS { app, clock in
            let crm = try await DemoCRM(app)
            try await DemoData.loadContent(crm.env)
            let start = clock.now
            let alpha = try await source(crm, "Alpha", guide: explicitGuide(channels: [("news.alpha", "City News 24 HD"), ("world.alpha", "World Report")],
                                                                         programmes: hourly("news.alpha", 5, from: start, tag: "A") + hourly("world.alpha", 4, from: start, tag: "A")))
            let beta = try await source(crm, "Beta", guide: explicitGuide(channels: [("news.beta", "City News 24"), ("world.beta", "World Report")],
                                                                       programmes: hourly("news.beta", 10, from: start, tag: "B") + hourly("world.beta", 4, from: start, tag: "B")))
            // Equal priorities: the guide with more programmes for that channel; a full tie is asked.
            let first = try await EPGMatching.run(crm.env, actor: crm.actor, deploymentID: crm.deploymentID)
            #expect(first.linked.map { "\($0.channel)=\($0.method)" } == ["City News 24=name"], "\(first.linked)")
            #expect(try await channel(app, "City News 24").epgChannelID == "news.beta")
            let world = try await channel(app, "World Report")
            #expect(world.epgSourceID == nil, "a tie is never decided silently")
            let tied = try await EPGMatching.pending(crm.env, actor: crm.actor, deploymentID: crm.deploymentID).filter { $0.channelID == world.id! }
            let worlds: Set<Int> = [try await guideChannel(app, "world.alpha").id!, try await guideChannel(app, "world.beta").id!]
            #expect(Set(tied.map(\.epgChannelID)) == worlds && tied.allSatisfy { $0.confidence == 1 })

            var b = Browser(app)
            try await b.login("owner@demo.tvms", "demo1234")
            let review = try await b.get("/cms/epg/matching").body.string
            #expect(review.contains("World Report (world.alpha, Alpha)") && review.contains("World Report (world.beta, Beta)") && review.contains("100 %"))

            // The operator raises Alpha's priority on its form: Alpha wins both now.
            let edit = try await b.get("/cms/epg/\(alpha.id!)").body.string
            #expect(edit.contains(#"name="priority""#))
            let bad = try await b.post("/cms/epg/\(alpha.id!)", [("name", "Alpha"), ("url", ""), ("zone", "UTC"), ("timeShiftMinutes", "0"), ("retentionDays", "7"), ("priority", "500"), ("enabled", "on")])
            #expect(bad.status == .unprocessableEntity && bad.body.string.contains("must be between 0 and 100"))
            let saved = try await b.post("/cms/epg/\(alpha.id!)", [("name", "Alpha"), ("url", ""), ("zone", "UTC"), ("timeShiftMinutes", "0"), ("retentionDays", "7"), ("priority", "10"), ("enabled", "on")])
            #expect(saved.status == .seeOther)
            let priorities = try await EPGSourceModel.query(on: app.db).sort(\.$id).all().map(\.priority)
            #expect(priorities == [10, 0])
            let audit = try #require(try await AuditRecordModel.query(on: app.db).filter(\.$entityType == "epg_source").filter(\.$entityID == String(alpha.id!)).filter(\.$action == "update").first())
            #expect(audit.afterJSON?.contains("\"priority\":\"10\"") == true, "\(audit.afterJSON ?? "")")
            try await EPGMatching.clear(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, channelID: try await channel(app, "City News 24").id!)
            let second = try await EPGMatching.run(crm.env, actor: crm.actor, deploymentID: crm.deploymentID)
            #expect(Set(second.linked.map { "\($0.channel)=\($0.method)" }) == ["City News 24=name", "World Report=name"])
            #expect(try await channel(app, "City News 24").epgChannelID == "news.alpha")
            #expect(try await channel(app, "World Report").epgChannelID == "world.alpha")
            #expect(try await EPGMatching.pending(crm.env, actor: crm.actor, deploymentID: crm.deploymentID).filter { $0.channelID == world.id! }.isEmpty)
        }
    }
}
