import Foundation
import Testing
@testable import Domain

@Suite struct XtreamFormatTests {
    let amsterdam = TimeZone(identifier: "Europe/Amsterdam")!

    @Test func wallClockFollowsTheZoneAcrossBothDSTChanges() {
        func at(_ iso: String) -> Date { ISO8601DateFormatter().date(from: iso)! }
        #expect(XtreamFormat.wallClock(at("2026-03-29T00:59:59Z"), zone: amsterdam) == "2026-03-29 01:59:59")
        #expect(XtreamFormat.wallClock(at("2026-03-29T01:00:00Z"), zone: amsterdam) == "2026-03-29 03:00:00")
        #expect(XtreamFormat.wallClock(at("2026-10-25T00:30:00Z"), zone: amsterdam) == "2026-10-25 02:30:00")
        #expect(XtreamFormat.wallClock(at("2026-10-25T01:30:00Z"), zone: amsterdam) == "2026-10-25 02:30:00")
        #expect(XtreamFormat.wallClock(at("2028-02-29T23:00:00Z"), zone: TimeZone(identifier: "UTC")!) == "2028-02-29 23:00:00")
        #expect(XtreamFormat.wallClock(Date(timeIntervalSince1970: 0), zone: TimeZone(identifier: "America/New_York")!) == "1969-12-31 19:00:00")
        // Against Foundation's calendar for a spread of instants.
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = amsterdam
        for t in stride(from: 1_700_000_000, to: 1_900_000_000, by: 7_654_321) {
            let d = Date(timeIntervalSince1970: Double(t))
            let c = cal.dateComponents([.year, .month, .day, .hour, .minute, .second], from: d)
            #expect(XtreamFormat.wallClock(d, zone: amsterdam) == String(format: "%04d-%02d-%02d %02d:%02d:%02d", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!))
        }
        #expect(XtreamFormat.duration(5400) == "01:30:00" && XtreamFormat.duration(59) == "00:00:59")
    }

    @Test func startStringsParseBackToTheirInstant() {
        // What the guide writes, catch-up reads (outside the repeated hour of October).
        for t in stride(from: 1_774_000_000, to: 1_800_000_000, by: 3_600 * 7 + 60) {
            let d = Date(timeIntervalSince1970: Double(t))
            let text = XtreamFormat.wallClock(d, zone: amsterdam)
            let back = CatchupURLs.parseXtreamStart(text, zone: amsterdam)!
            #expect(back == d || back == d.addingTimeInterval(-3600), "\(text)")
        }
    }

    @Test func smallFormats() {
        #expect(XtreamFormat.base64("Nieuws ü") == "TmlldXdzIMO8")
        #expect(XtreamFormat.containerExtension(streamURL: "https://v.example/a/film.MKV?token=1") == "mkv")
        #expect(XtreamFormat.containerExtension(streamURL: "https://v.example/a/index.m3u8") == "m3u8")
        #expect(XtreamFormat.containerExtension(streamURL: "https://v.example/a/stream") == "mp4")
        #expect(XtreamFormat.containerExtension(streamURL: "https://v.example/a.b/stream") == "mp4")
        #expect(XtreamFormat.liveExtension(output: "hls") == "m3u8" && XtreamFormat.liveExtension(output: "mpegts") == "ts" && XtreamFormat.liveExtension(output: "rtmp") == "ts")
        #expect(XtreamFormat.streamID(file: "12.ts") == 12 && XtreamFormat.streamID(file: "12") == 12 && XtreamFormat.streamID(file: "x.ts") == nil && XtreamFormat.streamID(file: "-1.ts") == nil)
        #expect(XtreamFormat.urlComponent("a&b=c d/é") == "a%26b%3Dc%20d%2F%C3%A9")
        #expect(XtreamFormat.m3uAttribute("A \"B\"\nC") == "A 'B' C")
        let id = XtreamFormat.genreCategoryID("Science Fiction")
        #expect(id == XtreamFormat.genreCategoryID(" science fiction") && id > 0 && id < 1 << 30 && id != XtreamFormat.genreCategoryID("drama"))
        #expect(XtreamFormat.displayName(genre: "science fiction") == "Science Fiction")
    }

    @Test func jsonWriterKeepsOrderTypesAndEscapes() throws {
        var w = JSONWriter()
        w.beginObject()
        w.field("b", 1)
        w.field("a", "x\"y\\z\n\u{1}é/")
        w.field("n", nil as String?)
        w.field("ids", ints: [3, 1])
        w.key("r"); w.decimal1(7.25)
        w.key("e"); w.beginArray(); w.endArray()
        w.key("o"); w.beginObject(); w.endObject()
        w.endObject()
        let text = String(decoding: w.bytes, as: UTF8.self)
        #expect(text == #"{"b":1,"a":"x\"y\\z\n\u0001é/","n":null,"ids":[3,1],"r":7.3,"e":[],"o":{}}"#)
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(w.bytes)) as? [String: Any])
        #expect(parsed["a"] as? String == "x\"y\\z\n\u{1}é/")
    }
}
