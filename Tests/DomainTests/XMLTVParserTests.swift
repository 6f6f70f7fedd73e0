import Foundation
import Testing
@testable import Domain

@Suite struct XMLTVParserTests {
    static let guide = """
    <?xml version="1.0" encoding="UTF-8"?>
    <!DOCTYPE tv SYSTEM "xmltv.dtd">
    <tv generator-info-name="test">
      <!-- a comment with <tags> inside -->
      <channel id="one.example"><display-name lang="en">One &amp; Only</display-name><display-name>1</display-name><icon src="https://img.example/1.png"/></channel>
      <programme start="20260101200000 +0100" stop="20260101210000 +0100" channel="one.example">
        <title lang="de">Nachrichten</title><title lang="en">News</title>
        <sub-title>Evening</sub-title>
        <desc>Line one
           and   line two &lt;b&gt; &#233;&#x20AC; <![CDATA[raw & <kept>]]></desc>
        <category>News</category><category>Current affairs</category>
        <episode-num system="xmltv_ns">1 . 4 . 0/1</episode-num><episode-num system="onscreen">S02E05</episode-num>
        <rating system="FSK"><value>12</value></rating>
        <icon src="https://img.example/p.png" />
        <previously-shown start="20250101"/><new/><premiere>Premiere!</premiere>
      </programme>
      <programme start="20260101210000 -0530" channel="one.example"><title>India time</title></programme>
      <programme start="20260101220000" channel="one.example"><title>No zone</title></programme>
      <programme start="202601012300" stop="20260101235959Z" channel="one.example"><title>Short form</title></programme>
    </tv>
    """

    func events(_ text: String, chunk: Int = 1 << 20, zone: String = "UTC") throws -> [XMLTVParser.Event] {
        var out: [XMLTVParser.Event] = []
        let p = XMLTVParser(defaultZone: TimeZone(identifier: zone)!) { out.append($0) }
        let bytes = Array(text.utf8)
        var i = 0
        while i < bytes.count {
            try p.feed(bytes[i..<min(bytes.count, i + chunk)])
            i += chunk
        }
        try p.finish()
        return out
    }

    func programmes(_ e: [XMLTVParser.Event]) -> [XMLTVProgramme] { e.compactMap { if case .programme(let p) = $0 { p } else { nil } } }

    @Test func readsChannelsProgrammesAndEveryOffset() throws {
        let e = try events(Self.guide, zone: "Europe/Amsterdam")
        guard case .channel(let c) = e.first else { Issue.record("no channel first"); return }
        #expect(c == { var x = XMLTVChannel(id: "one.example"); x.displayNames = ["One & Only", "1"]; x.icon = "https://img.example/1.png"; return x }())
        let p = programmes(e)
        #expect(p.count == 4)
        let utc = { (s: String) in ISO8601DateFormatter().date(from: s)! }
        #expect(p[0].start == utc("2026-01-01T19:00:00Z") && p[0].stop == utc("2026-01-01T20:00:00Z"))
        #expect(p[0].title == "Nachrichten" && p[0].titleLang == "de" && p[0].subTitle == "Evening")
        #expect(p[0].description == "Line one and line two <b> é€ raw & <kept>")
        #expect(p[0].categories == ["News", "Current affairs"] && p[0].episodeNS == "1.4.0/1" && p[0].episodeOnscreen == "S02E05")
        #expect(p[0].rating == "12" && p[0].icon == "https://img.example/p.png" && p[0].previouslyShown && p[0].isNew && p[0].premiere)
        #expect(p[1].start == utc("2026-01-02T02:30:00Z") && p[1].stop == nil)
        #expect(p[2].start == utc("2026-01-01T21:00:00Z"), "no offset: the source's declared zone (Amsterdam, +1 in winter)")
        #expect(p[3].start == utc("2026-01-01T22:00:00Z") && p[3].stop == utc("2026-01-01T23:59:59Z"), "minutes only, declared zone; Z is UTC")
    }

    /// A tag, an entity or a multi-byte character split across chunks changes nothing.
    @Test func anyChunkSizeGivesTheSameResult() throws {
        let whole = programmes(try events(Self.guide))
        for size in [1, 2, 3, 7, 64, 333] {
            #expect(programmes(try events(Self.guide, chunk: size)) == whole, "chunk \(size)")
        }
        let minified = Self.guide.replacingOccurrences(of: "\n", with: "")
        #expect(programmes(try events(minified)).map(\.title) == whole.map(\.title))
    }

    @Test func refusesDangerousAndBrokenDocuments() throws {
        func refused(_ text: String) -> String? {
            do { _ = try events(text); return nil } catch let e as XMLTVError { return e.message } catch { return "\(error)" }
        }
        #expect(refused(#"<?xml version="1.0"?><!DOCTYPE tv [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><tv><channel id="a"><display-name>&xxe;</display-name></channel></tv>"#)?.contains("declares entities") == true)
        #expect(refused(#"<!DOCTYPE tv [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><tv/>"#)?.contains("declares entities") == true)
        #expect(refused(#"<tv><channel id="a"><display-name>&nbsp;</display-name></channel></tv>"#)?.contains("&nbsp; is not defined") == true)
        #expect(refused(#"<tv><programme start="20260101000000" channel="a"><title>Cut"#)?.contains("truncated") == true)
        #expect(refused("<html><body>Not found</body></html>")?.contains("not an XMLTV guide") == true)
        #expect(refused("")?.contains("no <tv> element") == true)
        #expect(refused(#"<tv><channel id="a"></programme></tv>"#)?.contains("not well-formed") == true)
        #expect(refused("<?xml version=\"1.0\" encoding=\"UTF-8\"?><tv><channel id=\"a\"><display-name>\u{FFFD}</display-name></channel></tv>".replacingOccurrences(of: "\u{FFFD}", with: "")) == nil)
        var bad = Array(#"<tv><channel id="a"><display-name>"#.utf8) + [0xC3, 0x28] + Array("</display-name></channel></tv>".utf8)
        let p = XMLTVParser { _ in }
        #expect(throws: XMLTVError.self) { try p.feed(bad); try p.finish() }
        bad = Array(#"<?xml version="1.0" encoding="ISO-8859-1"?><tv><channel id="a"><display-name>Caf"#.utf8) + [0xE9] + Array("</display-name></channel></tv>".utf8)
        var names: [String] = []
        let latin = XMLTVParser { if case .channel(let c) = $0 { names = c.displayNames } }
        try latin.feed(bad)
        try latin.finish()
        #expect(names == ["Café"])
        #expect(refused(#"<?xml version="1.0" encoding="Shift_JIS"?><tv/>"#)?.contains("not supported") == true)
    }

    /// The byte-level reader still checks the nesting of elements it does not know, reads a ">"
    /// inside a quoted attribute, end tags with spaces and offsets written with a colon.
    @Test func unknownElementsAndOddButValidSyntax() throws {
        let ok = try events(#"<tv><x-vendor><deep a="1>2"/></x-vendor><programme channel='a' start="20260101120000 +01:00"><title >T</title  ><icon src="https://i.example/p?a=1&amp;b=>"/></programme></tv>"#)
        let p = programmes(ok)
        #expect(p.count == 1 && p[0].title == "T" && p[0].icon == "https://i.example/p?a=1&b=>")
        #expect(p[0].start == ISO8601DateFormatter().date(from: "2026-01-01T11:00:00Z"))
        #expect(throws: XMLTVError.self) { try events("<tv><x-vendor><deep></x-vendor></deep></tv>") }
        #expect(throws: XMLTVError.self) { try events("<tv><x-vendor></x-vendorr></tv>") }
    }

    /// An absurdly long field is cut with one warning; a programme without a title or with an
    /// unreadable start is skipped with a warning.
    @Test func longFieldsAreCutAndBadProgrammesSkipped() throws {
        let long = String(repeating: "x", count: 100_000)
        let e = try events(#"<tv><programme start="20260101000000" channel="a"><title>T</title><desc>\#(long)</desc></programme><programme start="yesterday" channel="a"><title>Bad</title></programme><programme start="20260101010000" channel="a"><desc>no title</desc></programme></tv>"#)
        let p = programmes(e)
        #expect(p.count == 1 && p[0].description.count == XMLTVParser.fieldLimit)
        let warnings = e.compactMap { if case .warning(let w) = $0 { w } else { nil } }
        #expect(warnings.count == 3, "\(warnings)")
    }
}

@Suite struct ChannelNameMatchingTests {
    @Test func normalisesAndComparesNames() {
        #expect(ChannelNameMatching.normalised("Das Érste HD") == "das erste")
        #expect(ChannelNameMatching.normalised("Channel4") == ChannelNameMatching.normalised("Channel 4"))
        #expect(ChannelNameMatching.similarity("2 ABC TV", "21 ABC TV") == 0, "numbers never blur")
        #expect(ChannelNameMatching.similarity("BBC One", "BBC One +1") == 0, "a +1 channel is another channel")
        #expect(ChannelNameMatching.similarity("City News 24", "City News 24 HD") == 1)
        #expect(ChannelNameMatching.similarity("Cartoon Time", "Cartoon Tyme") > 0.5)
        #expect(ChannelNameMatching.similarity("Cartoon Time", "Sports One") < 0.2)
    }
}
