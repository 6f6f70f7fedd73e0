import Crypto
import Foundation
import Testing
@testable import Domain

@Suite struct CatchupURLTests {
    let start = Date(timeIntervalSince1970: 1_790_000_000)

    @Test func archiveAddressesOfEveryServer() {
        let live = "https://edge.example/news/index.m3u8"
        #expect(CatchupURLs.archive(live: live, server: .flussonic, start: start, duration: 3600) == "https://edge.example/news/archive-1790000000-3600.m3u8")
        #expect(CatchupURLs.archive(live: live, server: .flussonic, start: start, duration: 3600, flussonicMode: .index) == "https://edge.example/news/index-1790000000-3600.m3u8")
        #expect(CatchupURLs.archive(live: live, server: .flussonic, start: start, duration: 3600, flussonicMode: .timeshiftAbs) == "https://edge.example/news/timeshift_abs-1790000000.m3u8")
        #expect(CatchupURLs.archive(live: "https://edge.example/news/manifest.mpd", server: .flussonic, start: start, duration: 60) == "https://edge.example/news/archive-1790000000-60.mpd")
        #expect(CatchupURLs.archive(live: "https://edge.example/news", server: .flussonic, start: start, duration: 60) == "https://edge.example/news/archive-1790000000-60.m3u8")
        #expect(CatchupURLs.archive(live: live + "?a=1", server: .nimble, start: start, duration: 1800) == "https://edge.example/news/playlist_dvr_range-1790000000-1800.m3u8?a=1")
        // 1790000000 = 2026-09-21 14:13:20 UTC.
        #expect(CatchupURLs.archive(live: "https://w.example/dvr/news/playlist.m3u8", server: .wowza, start: start, duration: 1800)
                == "https://w.example/dvr/news/playlist.m3u8?DVR&wowzadvrplayliststart=20260921141320&wowzadvrplaylistduration=1800000")
        #expect(CatchupURLs.archive(live: live, server: .query, start: start, duration: 600, queryNames: ("utc", "lutc"))
                == "https://edge.example/news/index.m3u8?utc=1790000000&lutc=1790000600")
    }

    /// Xtream START is the server's wall clock; across both 2026 DST changes in Amsterdam every
    /// quarter hour formats and parses back to the same instant, except the repeated hour in
    /// October, which reads as its first (summer-time) occurrence.
    @Test func xtreamStartAcrossDaylightSavingChanges() throws {
        let ams = TimeZone(identifier: "Europe/Amsterdam")!
        let iso = ISO8601DateFormatter()
        #expect(CatchupURLs.xtreamStart(iso.date(from: "2026-03-29T00:30:00Z")!, zone: ams) == "2026-03-29:01-30")
        #expect(CatchupURLs.xtreamStart(iso.date(from: "2026-03-29T01:30:00Z")!, zone: ams) == "2026-03-29:03-30")
        #expect(CatchupURLs.parseXtreamStart("2026-03-29:03-30", zone: ams) == iso.date(from: "2026-03-29T01:30:00Z"))
        #expect(CatchupURLs.parseXtreamStart("2026-10-25:02-30", zone: ams) == iso.date(from: "2026-10-25T00:30:00Z"), "the fold reads as the first 02:30")
        #expect(CatchupURLs.parseXtreamStart("2026-10-25:03-30", zone: ams) == iso.date(from: "2026-10-25T02:30:00Z"))
        for day in ["2026-03-28T22:00:00Z", "2026-10-24T22:00:00Z"] {
            let from = iso.date(from: day)!
            for q in 0..<(6 * 4) {
                let t = from.addingTimeInterval(Double(q) * 900)
                let back = try #require(CatchupURLs.parseXtreamStart(CatchupURLs.xtreamStart(t, zone: ams), zone: ams))
                let inRepeatedHour = t >= iso.date(from: "2026-10-25T01:00:00Z")! && t < iso.date(from: "2026-10-25T02:00:00Z")!
                #expect(back == (inRepeatedHour ? t.addingTimeInterval(-3600) : t), "\(t)")
            }
        }
        let t = iso.date(from: "2026-07-01T18:05:00Z")!
        for form in ["2026-07-01:20-05", "2026-07-01:20-05-00", "2026-07-01_20-05", "2026-07-01:20:05", "2026-07-01 20:05:00", "2026-07-01T18:05:00Z",
                     "2026-07-01T20:05:00+02:00", "1782929100", "1782929100000", "2026-07-01%2020%3A05"] {
            #expect(CatchupURLs.parseXtreamStart(form, zone: ams) == t, "\(form)")
        }
        #expect(CatchupURLs.parseXtreamStart("20260701-20", zone: ams) == iso.date(from: "2026-07-01T18:00:00Z"))
        for bad in ["", "yesterday", "2026-13-01:10-00", "2026-07-01", "12345"] { #expect(CatchupURLs.parseXtreamStart(bad, zone: ams) == nil, "\(bad)") }
    }
}

@Suite struct StreamRoutingTests {
    @Test func formatByDeviceFamilyAndFailover() {
        #expect(DeviceFamily(deviceType: "iPhone 15") == .apple && DeviceFamily(deviceType: "tvOS") == .apple && DeviceFamily(deviceType: "androidtv") == .other)
        let h = "https://o/x/index.m3u8", d = "https://o/x/manifest.mpd", f = "https://backup/x.m3u8"
        #expect(StreamRouting.candidates(hls: h, dash: d, fallback: f, family: .apple) == [h, f])
        #expect(StreamRouting.candidates(hls: h, dash: d, fallback: f, family: .other) == [d, f])
        #expect(StreamRouting.candidates(hls: h, dash: "", fallback: "", family: .other) == [h])
        #expect(StreamRouting.candidates(hls: h, dash: d, fallback: f, family: .other, primaryDown: true) == [f, d], "a primary marked down moves behind the fallback")
    }

    @Test func hostsByPriorityThenStableWeightedChoice() {
        let a = StreamHost(id: 1, baseURL: "https://a.cdn", priority: 1, weight: 1)
        let b = StreamHost(id: 2, baseURL: "https://b.cdn", priority: 1, weight: 3)
        let c = StreamHost(id: 3, baseURL: "https://c.cdn", priority: 2, weight: 1)
        let down = StreamHost(id: 4, baseURL: "https://down.cdn", priority: 0, weight: 9, available: false)
        var firsts: [Int: Int] = [:]
        for k in 0..<4000 {
            let order = StreamRouting.order([c, down, b, a], key: "session-\(k)")
            #expect(order.count == 4 && order[2] == c && order[3] == down, "priority 2 after priority 1, unavailable last")
            #expect(order == StreamRouting.order([a, b, c, down], key: "session-\(k)"), "same viewer, same edge")
            firsts[order[0].id, default: 0] += 1
        }
        let share = Double(firsts[2] ?? 0) / 4000
        #expect(share > 0.70 && share < 0.80, "weight 3 of 4 takes about three quarters of the viewers (\(share))")
        #expect(StreamRouting.resolve("/live/x/index.m3u8", on: StreamHost(id: 1, baseURL: "https://a.cdn/")) == "https://a.cdn/live/x/index.m3u8")
        #expect(StreamRouting.resolve("https://abs/x.m3u8", on: a) == "https://abs/x.m3u8")
    }
}

@Suite struct HLSPlaylistTests {
    @Test func readsMasterAndMediaPlaylists() throws {
        let master = try HLSPlaylist.parse("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000\nlow/index.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=3000000\nhigh/index.m3u8\n")
        #expect(master.isMaster && master.variants == ["low/index.m3u8", "high/index.m3u8"])
        let media = try HLSPlaylist.parse("""
            #EXTM3U
            #EXT-X-TARGETDURATION:6
            #EXT-X-MEDIA-SEQUENCE:100
            #EXT-X-PROGRAM-DATE-TIME:2026-09-21T14:00:00.000Z
            #EXTINF:6.0,
            seg100.ts
            #EXTINF:6.000,
            seg101.ts
            """)
        #expect(!media.isMaster && media.segments.map(\.uri) == ["seg100.ts", "seg101.ts"] && media.targetDuration == 6 && !media.ended)
        #expect(media.newestSegmentEnd == ISO8601DateFormatter().date(from: "2026-09-21T14:00:12Z"))
        #expect(throws: HLSPlaylist.Invalid.self) { try HLSPlaylist.parse("<html>404</html>") }
        #expect(throws: HLSPlaylist.Invalid.self) { try HLSPlaylist.parse("#EXTM3U\n#EXT-X-TARGETDURATION:6\n") }
        #expect(HLSPlaylist.resolve("seg1.ts", against: "http://h:8080/news/index.m3u8?t=1") == "http://h:8080/news/seg1.ts")
    }
}

@Suite struct SealedSecretAndDRMTokenTests {
    @Test func secretsAreSealedAndTamperingIsDetected() throws {
        let box = try SecretBox(base64: SecretBox.generateKeyText())
        let sealed = try box.seal("api-password")
        #expect(sealed.hasPrefix("v1:") && !sealed.contains("api-password"))
        #expect(try box.open(sealed) == "api-password")
        #expect(try box.seal("api-password") != sealed, "a fresh nonce every time")
        var bytes = Array(Data(base64Encoded: String(sealed.dropFirst(3)))!)
        bytes[bytes.count - 1] ^= 1
        #expect(throws: SecretBox.Failure.self) { try box.open("v1:" + Data(bytes).base64EncodedString()) }
        #expect(throws: SecretBox.Failure.self) { try SecretBox(base64: SecretBox.generateKeyText()).open(sealed) }
        #expect(throws: SecretBox.Failure.self) { try SecretBox.unconfigured.seal("x") }
        #expect(throws: SecretBox.Failure.self) { try SecretBox(base64: "c2hvcnQ=") }
    }

    @Test func drmTokenIsAnHS256JWTWithOurClaims() throws {
        let t = DRMTokens.jwt(vendor: "buydrm", accountID: "acct-1", key: "k3y", customer: "42", content: "movie:7", system: "widevine",
                              issuedAt: Date(timeIntervalSince1970: 1_790_000_000), lifetime: 600, tokenID: "abc")
        let parts = t.split(separator: ".").map(String.init)
        #expect(parts.count == 3)
        func decode(_ s: String) -> Data {
            var b = s.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            while b.count % 4 != 0 { b += "=" }
            return Data(base64Encoded: b)!
        }
        let claims = try #require(try JSONSerialization.jsonObject(with: decode(parts[1])) as? [String: Any])
        #expect(claims["iss"] as? String == "acct-1" && claims["sub"] as? String == "42" && claims["exp"] as? Int == 1_790_000_600)
        #expect((claims["ent"] as? [String: String]) == ["id": "movie:7", "system": "widevine"])
        let mac = HMAC<SHA256>.authenticationCode(for: Data((parts[0] + "." + parts[1]).utf8), using: SymmetricKey(data: Data("k3y".utf8)))
        #expect(Data(mac) == decode(parts[2]))
        #expect(DRMTokens.jwt(vendor: "irdeto", accountID: "a", key: "k", customer: "1", content: "channel:1", system: "playready", issuedAt: .now, lifetime: 60, tokenID: "x").hasPrefix("Bearer "))
        #expect(DRMTokens.system(for: .apple, deviceType: "ios") == "fairplay" && DRMTokens.system(for: .other, deviceType: "windows") == "playready")
    }
}
