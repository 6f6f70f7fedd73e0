import Fluent
import Foundation
import NIOConcurrencyHelpers
import Testing
import VaporTesting
@testable import App
@testable import Domain
@testable import Services
import Storage

/// A guide of `channels` × `hours` one-hour programmes from `start` (UTC), titled "<tag> n".
func xmltvGuide(channels: Int, hours: Int, start: Date, tag: String, offset: String = "+0000", skipChannel: Int? = nil) -> String {
    var s = #"<?xml version="1.0" encoding="UTF-8"?><tv generator-info-name="tests">"#
    for c in 1...channels where c != skipChannel { s += #"<channel id="ch\#(c).example"><display-name>Channel \#(c)</display-name></channel>"# }
    var cal = Calendar(identifier: .gregorian)
    cal.timeZone = TimeZone(identifier: offset == "+0000" ? "UTC" : "GMT\(offset.prefix(3))")!
    func t(_ d: Date) -> String {
        let c = cal.dateComponents([.year, .month, .day, .hour, .minute, .second], from: d)
        return String(format: "%04d%02d%02d%02d%02d%02d \(offset)", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!)
    }
    for c in 1...channels where c != skipChannel {
        for h in 0..<hours {
            let from = start.addingTimeInterval(Double(h) * 3600)
            s += #"<programme start="\#(t(from))" stop="\#(t(from.addingTimeInterval(3600)))" channel="ch\#(c).example"><title>\#(tag) \#(h)</title><desc>About \#(tag) &amp; more.</desc><category>News</category></programme>"#
        }
    }
    return s + "</tv>"
}

@Suite(.serialized) struct EPGImportTests {
    func write(_ text: String, gzip: Bool = false) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tvms-test-\(UUID().uuidString).xml\(gzip ? ".gz" : "")")
        try (gzip ? try Gzip.compress(Data(text.utf8)) : Data(text.utf8)).write(to: url)
        return url.path
    }

    func visible(_ app: Application, source: Int) async throws -> [EPGProgrammeModel] {
        let s = try #require(try await EPGSourceModel.find(source, on: app.db))
        guard let active = s.activeImportID else { return [] }
        return try await EPGProgrammeModel.query(on: app.db).filter(\.$importID == active).sort(\.$start).all()
    }

    /// Import, re-import (new range replaces, the past stays), and failures that keep the guide.
    @Test func importsReplacesByRangeAndKeepsTheGuideOnFailure() async throws {
        try await withTVMS { app, clock in
            let crm = try await DemoCRM(app)
            var input = EPGSourceService.Input(name: "Test guide")
            input.timeShiftMinutes = 60
            let source = try await EPGSourceService.save(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, id: nil, input: input)
            let day = clock.now
            let first = try await EPGImportService.importFile(crm.env, actor: crm.actor, sourceID: source.id!,
                                                              path: try write(xmltvGuide(channels: 3, hours: 24, start: day, tag: "Old", offset: "+0100"), gzip: true))
            #expect(first.status == "ok" && first.programmes == 72 && first.channels == 3, "\(first)")
            var rows = try await visible(app, source: source.id!)
            #expect(rows.count == 72 && rows.first?.start == day.addingTimeInterval(3600), "+0100 read as such, then the source's +60 minutes")
            #expect(rows.first?.description == "About Old & more." && rows.first?.categories == "News")
            let channels = try await EPGChannelModel.query(on: app.db).filter(\.$sourceID == source.id!).sort(\.$externalID).all()
            #expect(channels.map(\.displayName) == ["Channel 1", "Channel 2", "Channel 3"] && channels[0].programmeCount == 24)

            // A new file covers hours 12…36 (with the shift) of channels 1 and 2 only: the first
            // import's hours 1…11 stay, the rest is replaced.
            let second = try await EPGImportService.importFile(crm.env, actor: crm.actor, sourceID: source.id!,
                                                               path: try write(xmltvGuide(channels: 3, hours: 24, start: day.addingTimeInterval(11 * 3600), tag: "New", skipChannel: 3)))
            #expect(second.status == "ok" && second.programmes == 48)
            rows = try await visible(app, source: source.id!)
            let ch1 = try #require(channels.first { $0.externalID == "ch1.example" }).id!
            let one = rows.filter { $0.epgChannelID == ch1 }
            #expect(one.count == 11 + 24 && one.prefix(11).allSatisfy { $0.title.hasPrefix("Old") } && one.dropFirst(11).allSatisfy { $0.title.hasPrefix("New") })
            #expect(rows.filter { $0.epgChannelID == channels[2].id! }.count == 24, "a channel the new file leaves out keeps its guide")
            #expect(try await EPGProgrammeModel.query(on: app.db).count() == rows.count, "nothing of the old import is left behind")

            // Broken files: the run says why, the guide stays as it was.
            let before = rows.map(\.id)
            let gz = try write(xmltvGuide(channels: 1, hours: 5, start: day, tag: "Cut"), gzip: true)
            let data = try Data(contentsOf: URL(fileURLWithPath: gz))
            try data.prefix(data.count - 20).write(to: URL(fileURLWithPath: gz))
            let truncated = try await EPGImportService.importFile(crm.env, actor: crm.actor, sourceID: source.id!, path: gz)
            #expect(truncated.status == "failed" && truncated.message.contains("truncated or damaged"))
            let xxe = try await EPGImportService.importFile(crm.env, actor: crm.actor, sourceID: source.id!,
                                                            path: try write(#"<!DOCTYPE tv [<!ENTITY x SYSTEM "file:///etc/passwd">]><tv><channel id="a"><display-name>&x;</display-name></channel></tv>"#))
            #expect(xxe.status == "failed" && xxe.message.contains("declares entities"))
            let html = try await EPGImportService.importFile(crm.env, actor: crm.actor, sourceID: source.id!, path: try write("<html><body>502 Bad Gateway</body></html>"))
            #expect(html.status == "failed" && html.message.contains("not an XMLTV guide"))
            // A failure half-way (after batches were written) leaves nothing behind either.
            let big = xmltvGuide(channels: 2, hours: 3000, start: day, tag: "Big")
            let late = try await EPGImportService.importFile(crm.env, actor: crm.actor, sourceID: source.id!, path: try write(String(big.dropLast(200))))
            #expect(late.status == "failed" && late.message.contains("truncated"))
            #expect(try await visible(app, source: source.id!).map(\.id) == before)
            #expect(try await EPGProgrammeModel.query(on: app.db).count() == before.count)
            let runs = try await EPGSourceService.runs(crm.env, sourceID: source.id!)
            #expect(runs.map(\.status) == ["failed", "failed", "failed", "failed", "ok", "ok"])
        }
    }

    /// A URL source downloads, imports, and next time asks with its validators: "not modified"
    /// imports nothing.
    @Test func urlSourcesUseConditionalGets() async throws {
        try await withTVMS { app, clock in
            let crm = try await DemoCRM(app)
            let server = try await Application.make(.testing)
            server.logger.logLevel = .error
            let guide = try Gzip.compress(Data(xmltvGuide(channels: 2, hours: 6, start: clock.now, tag: "Web").utf8))
            let seen = NIOLockedValueBox<[String]>([])
            server.get("guide.xml.gz") { req -> Response in
                seen.withLockedValue { $0.append(req.headers.first(name: .ifNoneMatch) ?? "-") }
                if req.headers.first(name: .ifNoneMatch) == "\"v1\"" { return Response(status: .notModified) }
                var h = HTTPHeaders()
                h.replaceOrAdd(name: .eTag, value: "\"v1\"")
                return Response(status: .ok, headers: h, body: .init(data: guide))
            }
            server.get("missing.xml") { _ in Response(status: .notFound) }
            try await server.server.start(address: .hostname("127.0.0.1", port: 0))
            do {
                let port = try #require(server.http.server.shared.localAddress?.port)
                var input = EPGSourceService.Input(name: "Web guide")
                input.url = "http://127.0.0.1:\(port)/guide.xml.gz"
                let source = try await EPGSourceService.save(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, id: nil, input: input)
                let http = VaporOutboundHTTP(client: app.client)
                let first = try await EPGSourceService.refresh(crm.env, http: http, actor: crm.actor, sourceID: source.id!)
                #expect(first.status == "ok" && first.programmes == 12)
                let again = try await EPGSourceService.refresh(crm.env, http: http, actor: crm.actor, sourceID: source.id!)
                #expect(again.status == "unchanged")
                #expect(seen.withLockedValue { $0 } == ["-", "\"v1\""])
                #expect(try await visible(app, source: source.id!).count == 12)
                input.url = "http://127.0.0.1:\(port)/missing.xml"
                _ = try await EPGSourceService.save(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, id: source.id!, input: input)
                let missing = try await EPGSourceService.refresh(crm.env, http: http, actor: crm.actor, sourceID: source.id!)
                #expect(missing.status == "failed" && missing.message.contains("HTTP 404"))
                #expect(try await visible(app, source: source.id!).count == 12)
            } catch {
                await server.server.shutdown()
                try await server.asyncShutdown()
                throw error
            }
            await server.server.shutdown()
            try await server.asyncShutdown()
        }
    }

    /// The console: add a guide, upload a file (imported now), see runs and channels; "Import
    /// now" queues a job; a bad file is reported and changes nothing.
    @Test func consoleAddsAGuideAndImportsUploads() async throws {
        try await withTVMS { app, clock in
            _ = try await DemoCRM(app)
            var b = Browser(app)
            try await b.login("owner@demo.tvms", "demo1234")
            let bad = try await b.post("/cms/epg", [("name", ""), ("url", "ftp://x"), ("zone", "Mars/Olympus"), ("refreshHour", "25")])
            #expect(bad.status == .unprocessableEntity && bad.body.string.contains("must be an http(s) URL") && bad.body.string.contains("not a time zone name"))
            let made = try await b.post("/cms/epg", [("name", "Uploads"), ("url", ""), ("zone", "UTC"), ("timeShiftMinutes", "0"), ("retentionDays", "7"), ("enabled", "on")])
            let page = try #require(made.headers.first(name: .location))
            let ok = try await b.upload(page + "/upload", files: [("file", "guide.xml.gz", try Gzip.compress(Data(xmltvGuide(channels: 2, hours: 10, start: clock.now, tag: "Up").utf8)))])
            #expect(ok.status == .seeOther)
            let shown = try await b.get(page).body.string
            #expect(shown.contains("Imported guide.xml.gz: 20 programmes on 2 channels.") && shown.contains("ch2.example") && shown.contains("Channel 2"))
            let broken = try await b.upload(page + "/upload", files: [("file", "broken.xml", Data("<tv><programme".utf8))])
            #expect(broken.status == .seeOther)
            #expect(try await b.get(page).body.string.contains("broken.xml was not imported: The document ends inside a tag"))
            #expect(try await EPGProgrammeModel.query(on: app.db).count() == 20)

            let web = try await b.post("/cms/epg", [("name", "Web"), ("url", "https://guides.example/tv.xml.gz"), ("zone", "Europe/Amsterdam"), ("refreshHour", "4"), ("retentionDays", "7")])
            let webPage = try #require(web.headers.first(name: .location))
            #expect(try await b.post(webPage + "/refresh").status == .seeOther)
            let job = try #require(try await JobModel.query(on: app.db).filter(\.$kind == EPGImportService.jobKind).first())
            #expect(job.payload.contains("\"sourceId\""))
        }
    }

    /// The daily refresh hour is in the deployment's zone, across a DST change.
    @Test func dailyRefreshInstantFollowsTheDeploymentZone() {
        let zone = TimeZone(identifier: "Europe/Amsterdam")!
        let f = ISO8601DateFormatter()
        #expect(EPGJobs.lastRefreshInstant(hour: 4, zone: zone, now: f.date(from: "2026-07-01T05:00:00Z")!) == f.date(from: "2026-07-01T02:00:00Z"))
        #expect(EPGJobs.lastRefreshInstant(hour: 4, zone: zone, now: f.date(from: "2026-07-01T01:00:00Z")!) == f.date(from: "2026-06-30T02:00:00Z"))
        #expect(EPGJobs.lastRefreshInstant(hour: 4, zone: zone, now: f.date(from: "2026-12-01T05:00:00Z")!) == f.date(from: "2026-12-01T03:00:00Z"))
    }

    /// Exact id, same name and a remembered alias link by themselves; a close name is only
    /// proposed; a rejection is remembered; a manual link and "Clear Link" always work.
    @Test func matchingLinksTheSureOnesAndQueuesTheRest() async throws {
        try await withTVMS { app, clock in
            let crm = try await DemoCRM(app)
            try await DemoData.loadContent(crm.env)
            let source = try await EPGSourceService.save(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, id: nil, input: .init(name: "Guide"))
            let guide = """
                <tv><channel id="news24.example"><display-name>City News 24 HD</display-name></channel>
                <channel id="kids.example"><display-name>KC</display-name></channel>
                <channel id="tyme.example"><display-name>Cartoon Tyme</display-name></channel>
                <channel id="sport21.example"><display-name>Sports One 21</display-name></channel>
                <programme start="20260101000000" stop="20260101010000" channel="news24.example"><title>x</title></programme></tv>
                """
            _ = try await EPGImportService.importFile(crm.env, actor: crm.actor, sourceID: source.id!, path: try write(guide))
            func channel(_ name: String) async throws -> ChannelModel { try #require(try await ChannelModel.query(on: app.db).filter(\.$name == name).first()) }
            let kids = try await channel("Kids Club")
            kids.epgChannelID = "kids.example"
            try await kids.save(on: app.db)

            let r = try await EPGMatching.run(crm.env, actor: crm.actor, deploymentID: crm.deploymentID)
            #expect(Set(r.linked.map { "\($0.channel)=\($0.method)" }) == ["City News 24=name", "Kids Club=id"], "\(r.linked)")
            #expect(try await channel("City News 24").epgChannelID == "news24.example")
            let pending = try await EPGMatching.pending(crm.env, actor: crm.actor, deploymentID: crm.deploymentID)
            let cartoon = try await channel("Cartoon Time")
            let proposal = try #require(pending.first { $0.channelID == cartoon.id! })
            #expect(proposal.confidence < 1 && cartoon.epgSourceID == nil, "a close name is proposed, never applied")
            let sportsOne = try await channel("Sports One").id!
            #expect(!pending.contains { $0.channelID == sportsOne }, "Sports One never matches Sports One 21")

            try await EPGMatching.accept(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, suggestionID: proposal.id!)
            #expect(try await channel("Cartoon Time").epgChannelID == "tyme.example")
            // Cleared and matched again: the accepted name is an alias now.
            try await EPGMatching.clear(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, channelID: cartoon.id!)
            #expect(try await channel("Cartoon Time").epgSourceID == nil)
            let again = try await EPGMatching.run(crm.env, actor: crm.actor, deploymentID: crm.deploymentID)
            #expect(again.linked.map(\.method) == ["alias"])

            // A rejection is not proposed again; a manual link sets the shift.
            let rest = try await EPGMatching.pending(crm.env, actor: crm.actor, deploymentID: crm.deploymentID)
            if let any = rest.first {
                try await EPGMatching.reject(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, suggestionID: any.id!)
                _ = try await EPGMatching.run(crm.env, actor: crm.actor, deploymentID: crm.deploymentID)
                #expect(try await !EPGMatching.pending(crm.env, actor: crm.actor, deploymentID: crm.deploymentID).contains { $0.channelID == any.channelID && $0.epgChannelID == any.epgChannelID })
            }
            let sports = try await channel("Sports One")
            let g = try #require(try await EPGChannelModel.query(on: app.db).filter(\.$externalID == "sport21.example").first())
            try await EPGMatching.link(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, channelID: sports.id!, epgChannelID: g.id!, shiftMinutes: -30)
            #expect(try await channel("Sports One").epgShiftMinutes == -30)

            var b = Browser(app)
            try await b.login("owner@demo.tvms", "demo1234")
            let page = try await b.get("/cms/epg/matching").body.string
            #expect(page.contains("sport21.example") && page.contains("-30 min") && page.contains("Clear link"))
        }
    }

    /// The guide for apps: a linked channel's programmes with its own shift, now/next, and an
    /// XMLTV export that `tv_validate_file` (Debian's xmltv-util) accepts and our reader reads back.
    @Test func guideOutputsForAProduct() async throws {
        try await withTVMS { app, clock in
            let crm = try await DemoCRM(app)
            try await DemoData.loadContent(crm.env)
            let source = try await EPGSourceService.save(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, id: nil, input: .init(name: "Guide"))
            let start = clock.now.addingTimeInterval(-2 * 3600)
            let text = xmltvGuide(channels: 2, hours: 48, start: start, tag: "Show").replacingOccurrences(of: "<title>Show 3</title>",
                with: "<title>Show 3 &amp; Friends</title><sub-title>Part 1</sub-title><episode-num system=\"xmltv_ns\">0.2.0/1</episode-num><new/>")
            _ = try await EPGImportService.importFile(crm.env, actor: crm.actor, sourceID: source.id!, path: try write(text))
            func channel(_ name: String) async throws -> ChannelModel { try #require(try await ChannelModel.query(on: app.db).filter(\.$name == name).first()) }
            let guides = try await EPGChannelModel.query(on: app.db).sort(\.$externalID).all()
            let one = try await channel("Demo One"), two = try await channel("Demo Two")
            try await EPGMatching.link(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, channelID: one.id!, epgChannelID: guides[0].id!, shiftMinutes: 0)
            try await EPGMatching.link(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, channelID: two.id!, epgChannelID: guides[1].id!, shiftMinutes: 30)
            let d = try #require(try await DeploymentModel.find(crm.deploymentID, on: app.db))
            let base = "/catalogue/\(d.crmService)/\(crm.basic.id!)"

            let nn = try jsonObject(try await app.testing().sendRequest(.GET, base + "/now-next.json?channels=\(one.id!),\(two.id!)"))
            let rows = try #require(nn["channels"] as? [[String: Any]])
            #expect((rows[0]["now"] as? [String: Any])?["title"] as? String == "Show 2" && (rows[0]["next"] as? [String: Any])?["title"] as? String == "Show 3 & Friends")
            #expect((rows[1]["now"] as? [String: Any])?["title"] as? String == "Show 1", "the +30 min link shows the earlier programme now")

            let window = try jsonObject(try await app.testing().sendRequest(.GET, base + "/epg.json?channels=\(one.id!)&from=\(ISO8601DateFormatter().string(from: start))&to=\(ISO8601DateFormatter().string(from: start.addingTimeInterval(4 * 3600)))"))
            let progs = try #require((window["channels"] as? [[String: Any]])?.first?["programmes"] as? [[String: Any]])
            #expect(progs.count == 4 && progs[3]["episode"] as? String == "0.2.0/1" && progs[3]["new"] as? Bool == true && progs[0]["catchup"] as? Bool == false)
            #expect(try await app.testing().sendRequest(.GET, base + "/epg.json?from=yesterday").status == .unprocessableEntity)

            let xml = try await app.testing().sendRequest(.GET, base + "/epg.xml")
            #expect(xml.status == .ok)
            var parsed: [XMLTVProgramme] = []
            var ids: [String] = []
            let reader = XMLTVParser { e in
                if case .programme(let p) = e { parsed.append(p) }
                if case .channel(let c) = e { ids.append(c.id) }
            }
            try reader.feed(Array(xml.body.readableBytesView))
            try reader.finish()
            #expect(ids == ["ch1.democrm.tvms", "ch2.democrm.tvms"], "only channels with a guide")
            #expect(parsed.count == 96 && parsed.contains { $0.title == "Show 3 & Friends" && $0.subTitle == "Part 1" })
            let gz = try await app.testing().sendRequest(.GET, base + "/epg.xml.gz")
            #expect(try Gzip.decompress(Data(buffer: gz.body)) == Data(buffer: xml.body))

            let problem = try xmltvValidationProblem(Data(buffer: xml.body))
            #expect(problem == nil, "\(problem ?? "")")
        }
    }

    /// Hand-made weekly slots are stored like imported programmes (same outputs), keep their
    /// local time across a DST change, refuse overlaps; the overview counts them per day.
    @Test func builderSlotsAndOverview() async throws {
        try await withTVMS { app, clock in
            let crm = try await DemoCRM(app)
            try await DemoData.loadContent(crm.env)
            let local = try #require(try await ChannelModel.query(on: app.db).filter(\.$name == "Local Channel").first())
            // Amsterdam: summer time ends on Sunday 2026-10-25.
            let zone = TimeZone(identifier: "Europe/Amsterdam")!
            var slot = EPGBuilderService.Slot(title: "Town Hall", day: DateComponents(year: 2026, month: 10, day: 20), hour: 20, minute: 0, durationMinutes: 60)
            slot.weekdays = [3, 5] // Tuesday, Thursday
            slot.weeks = 2
            let starts = EPGBuilderService.starts(slot, zone: zone)
            let f = ISO8601DateFormatter()
            #expect(starts == ["2026-10-20T18:00:00Z", "2026-10-22T18:00:00Z", "2026-10-27T19:00:00Z", "2026-10-29T19:00:00Z"].map { f.date(from: $0)! })

            var b = Browser(app)
            try await b.login("owner@demo.tvms", "demo1234")
            let day = ISO8601DateFormatter()
            day.formatOptions = [.withFullDate]
            day.timeZone = zone
            let today = day.string(from: clock.now)
            let added = try await b.post("/cms/epg/builder", [("channel", String(local.id!)), ("title", "Morning Show"), ("date", today), ("time", "07:00"),
                                                              ("duration", "90"), ("weeks", "1"), ("weekdays[]", "1"), ("weekdays[]", "2"), ("weekdays[]", "3"),
                                                              ("weekdays[]", "4"), ("weekdays[]", "5"), ("weekdays[]", "6"), ("weekdays[]", "7")])
            #expect(added.status == .seeOther)
            let clash = try await b.post("/cms/epg/builder", [("channel", String(local.id!)), ("title", "Clash"), ("date", today), ("time", "08:00"), ("duration", "30")])
            #expect(clash.status == .unprocessableEntity && clash.body.string.contains("Morning Show is already on Local Channel then"))
            let linked = try #require(try await ChannelModel.find(local.id, on: app.db))
            #expect(linked.epgChannelID == "builder-\(local.number)", "an unlinked channel takes the builder's guide")
            let page = try await b.get("/cms/epg/builder?channel=\(local.id!)").body.string
            #expect(page.components(separatedBy: "Morning Show").count - 1 >= 6)
            let overview = try await b.get("/cms/epg/overview").body.string
            #expect(overview.contains("EPG Builder · builder-\(local.number)") && overview.contains("N/A"))
            let d = try #require(try await DeploymentModel.find(crm.deploymentID, on: app.db))
            // Local Channel is in Basic's package: the hand-made guide is in its outputs.
            let week = try jsonObject(try await app.testing().sendRequest(.GET, "/catalogue/\(d.crmService)/\(crm.basic.id!)/epg.json?channels=\(local.id!)&from=\(f.string(from: clock.now.addingTimeInterval(-86_400)))&to=\(f.string(from: clock.now.addingTimeInterval(8 * 86_400)))"))
            #expect(((week["channels"] as? [[String: Any]])?.first?["programmes"] as? [[String: Any]])?.count == 7)
        }
    }
}
