import Crypto
import Foundation
import Testing
@testable import Domain

/// The pure parts of the callback adapters: stream tickets, stream matching with the archive
/// request forms, and Nimble pay-per-view (Softvelum's published formats and a known signature).
@Suite struct StreamCallbackRuleTests {
    let key = SymmetricKey(data: Data(repeating: 7, count: 32))
    let deployment = UUID(uuidString: "11111111-2222-3333-4444-555555555555")!
    let other = UUID(uuidString: "99999999-2222-3333-4444-555555555555")!
    let ticket = StreamTicket(deviceID: 42, item: "channel:3", kind: "live", expires: 1_790_003_600, boundToIP: false)

    @Test func ticketReadsBackAndNamesThePlayback() throws {
        let text = ticket.encoded(deploymentID: deployment, ip: "198.51.100.7", key: key)
        #expect(text.hasPrefix("t1.42.channel.3.live.1790003600.u."))
        #expect(text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }, "URL-safe without escaping: \(text)")
        #expect(try StreamTicket.decode(text, deploymentID: deployment, ip: "203.0.113.9", key: key).get() == ticket, "an unbound ticket ignores the address")
    }

    @Test func forgedForeignAndOtherAddressTicketsFail() {
        let text = ticket.encoded(deploymentID: deployment, ip: "", key: key)
        let later = text.replacingOccurrences(of: ".1790003600.", with: ".1890003600.")
        #expect(StreamTicket.decode(later, deploymentID: deployment, ip: "", key: key) == .failure(.badSignature), "a moved expiry")
        let otherItem = text.replacingOccurrences(of: ".channel.3.", with: ".channel.4.")
        #expect(StreamTicket.decode(otherItem, deploymentID: deployment, ip: "", key: key) == .failure(.badSignature), "another channel")
        #expect(StreamTicket.decode(text, deploymentID: other, ip: "", key: key) == .failure(.badSignature), "another operator's deployment")
        #expect(StreamTicket.decode(text, deploymentID: deployment, ip: "", key: SymmetricKey(data: Data(repeating: 8, count: 32))) == .failure(.badSignature),
                "another installation")
        var bound = ticket
        bound.boundToIP = true
        let boundText = bound.encoded(deploymentID: deployment, ip: "198.51.100.7", key: key)
        #expect(boundText.contains(".b."))
        #expect((try? StreamTicket.decode(boundText, deploymentID: deployment, ip: "198.51.100.7", key: key).get()) == bound)
        #expect(StreamTicket.decode(boundText, deploymentID: deployment, ip: "203.0.113.9", key: key) == .failure(.badSignature))
        #expect(StreamTicket.decode(boundText.replacingOccurrences(of: ".b.", with: ".u."), deploymentID: deployment, ip: "203.0.113.9", key: key) == .failure(.badSignature),
                "the binding cannot be switched off")
        for junk in ["", "abc", "t1.x.channel.3.live.1.u.mac", "t2.42.channel.3.live.1790003600.u.AAAA", "t1.42.radio.3.live.1790003600.u.AAAA",
                     String(repeating: "t", count: 300)] {
            #expect(StreamTicket.decode(junk, deploymentID: deployment, ip: "", key: key) == .failure(.malformed), "\(junk)")
        }
    }

    @Test func ticketGoesIntoTheQueryLikeASignature() throws {
        #expect(try StreamTicket.adding("T", as: "token", to: "https://edge/news/index.m3u8") == "https://edge/news/index.m3u8?token=T")
        #expect(try StreamTicket.adding("T", as: "token", to: "https://edge/news/index.m3u8?lang=de#t=10") == "https://edge/news/index.m3u8?lang=de&token=T#t=10")
        #expect(try StreamTicket.adding("U", as: "token", to: "https://edge/news/index.m3u8?token=T&x=1") == "https://edge/news/index.m3u8?x=1&token=U", "asking again replaces it")
        #expect(throws: DomainError.self) { try StreamTicket.adding("T", as: "to ken", to: "https://edge/a") }
    }

    @Test func streamKeysOfStoredAddresses() {
        #expect(StreamPaths.key(ofAddress: "/live/news/index.m3u8") == "live/news")
        #expect(StreamPaths.key(ofAddress: "https://vod.example/film/manifest.mpd?x=1") == "film")
        #expect(StreamPaths.key(ofAddress: "/vod/film.mp4") == "vod/film.mp4", "a progressive file is its own key")
        #expect(StreamPaths.key(ofAddress: "http://edge:8080/sport/hd/mpegts") == "sport/hd")
        #expect(StreamPaths.key(ofAddress: "/live/My%20Channel/index.m3u8") == "live/My Channel")
        #expect(StreamPaths.key(ofAddress: "https://edge/index.m3u8") == "index.m3u8")
        #expect(StreamPaths.key(ofAddress: "") == nil)
    }

    @Test func requestedStreamsMatchTheirKeyOnly() {
        #expect(StreamPaths.matches("news", key: "news"), "Flussonic's name")
        #expect(StreamPaths.matches("/news/index-1790000000-3600.m3u8?token=x", key: "news"), "a DVR request")
        #expect(StreamPaths.matches("/live/news/seg-17.ts", key: "live/news"), "a segment through nginx")
        #expect(StreamPaths.matches("live/news", key: "live/news"), "Nimble's application/stream")
        #expect(!StreamPaths.matches("/news2/index.m3u8", key: "news"), "another stream with the same start")
        #expect(!StreamPaths.matches("/live/news/../sport/index.m3u8", key: "live/news"), "no climbing out")
        #expect(!StreamPaths.matches("/sport/index.m3u8", key: "news"))
        #expect(!StreamPaths.matches("/anything", key: ""))
    }

    @Test func archiveRequestFormsGiveTheirStart() {
        let now: Int64 = 1_790_100_000
        let cases: [(String, String?, Int64?)] = [
            ("/news/index.m3u8", nil, nil),
            ("/news/seg-1790000000.ts", nil, nil),
            ("/news/index-1790000000-3600.m3u8", nil, 1_790_000_000),
            ("/news/archive-1790000000-3600.ts", nil, 1_790_000_000),
            ("/news/archive-1790000000-now.m3u8", nil, 1_790_000_000),
            ("/news/video-1790000000-60.m3u8", nil, 1_790_000_000),
            ("/news/timeshift_abs-1790000000.m3u8", nil, 1_790_000_000),
            ("/news/timeshift_rel-3600.m3u8", nil, now - 3600),
            ("/live/news/playlist_dvr_range-1790000000-1800.m3u8", nil, 1_790_000_000),
            ("news", "dvr_session-hls_mbr_playlist-1789990000-7200", 1_789_990_000),
            ("news", "dvr_handler-timeshift_rel-600", now - 600),
            ("news", "hls_mbr_playlist", nil),
        ]
        for (path, media, expected) in cases {
            #expect(StreamPaths.archiveStart(path: path, mediaRequest: media, now: now) == expected, "\(path) \(media ?? "")")
        }
    }

    // MARK: Nimble pay-per-view

    /// Softvelum's sample sync (pay-per-view/ppv_sync.json) and the signature of a published
    /// handler library's test (ID, Puzzle and token → Signature).
    static let softvelumSync = #"{"ID":"35465921-42f0-4a98-91b1-74305f329b4f","Signature":"flPsWZPshoBFwy/Ah464OQ==","Puzzle":"e34b51a3-4018-4707-8afe-890409202ec8","PayPerViewInfo":{"VHost":[{"name":"_defaultVHost_","Application":[{"name":"vod","Instance":[{"name":"_definst_","Stream":[{"name":"sample.mp4","Player":[{"id":"1","ip":"192.168.10.10","delta":286786},{"id":"2","ip":"192.168.10.11","delta":263791},{"id":"4","ip":"127.0.0.1","delta":30031},{"id":"5","ip":"127.0.0.1","delta":10563}]}]}]}]}]}}"#

    @Test func syncsReadAsViewers() throws {
        let sync = try JSONDecoder().decode(NimblePPV.Sync.self, from: Data(Self.softvelumSync.utf8))
        let viewers = NimblePPV.viewers(sync)
        #expect(viewers.count == 4)
        #expect(viewers[0] == NimblePPV.Viewer(id: "1", ip: "192.168.10.10", sessionID: "", stream: "vod/sample.mp4", deltaMilliseconds: 286_786))
        // Numbers for ids, sessionid and bytes_sent, user agents, and an empty sync.
        let nimble = #"{"ID":"x","Puzzle":"p","PayPerViewInfo":{"VHost":[{"name":"edge","Application":[{"name":"live","Instance":[{"name":"_definst_","Stream":[{"name":"news","Player":[{"id":500,"ip":"127.0.0.1","sessionid":1001,"delta":7000,"bytes_sent":13981102,"user_agents":["VLC"]}]}]}]}]}]}}"#
        let v = NimblePPV.viewers(try JSONDecoder().decode(NimblePPV.Sync.self, from: Data(nimble.utf8)))
        #expect(v == [NimblePPV.Viewer(id: "500", ip: "127.0.0.1", sessionID: "1001", stream: "live/news", deltaMilliseconds: 7000)])
        #expect(NimblePPV.viewers(try JSONDecoder().decode(NimblePPV.Sync.self, from: Data(#"{"ID":"x","Signature":"s","Puzzle":"p","PayPerViewInfo":{}}"#.utf8))).isEmpty)
    }

    @Test func signatureAndSolutionOfTheKnownSync() {
        let (id, puzzle, token) = ("5f0d5962-33b1-5137-ae6a-32776bcabc69", "8c537e85-9684-a3b5-cbd9-bbebe952b103", "bc91b48588048871f4b898af9371ccc8")
        #expect(NimblePPV.signature(id: id, puzzle: puzzle, token: token) == "7r/RZeJ18rMuRYc8luBdFQ==")
        // base64(MD5(Puzzle + token)), computed independently with Python's hashlib.
        #expect(NimblePPV.solution(puzzle: puzzle, token: token) == "IDI5uYL0dPeoWVv5u2sN5Q==")
    }

    @Test func answerIsTheDenyListNimbleReads() throws {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        #expect(String(decoding: try e.encode(NimblePPV.Answer(deny: ["1", "2"], solution: nil)), as: UTF8.self) == #"{"DenyList":{"ID":["1","2"]}}"#)
        #expect(String(decoding: try e.encode(NimblePPV.Answer(deny: [], solution: "S")), as: UTF8.self) == #"{"DenyList":{"ID":[]},"Solution":"S"}"#)
    }

    /// WMSAuth with a pay-per-view id: the id is hashed after the IP and sent as `id=`, with
    /// `checkip=true` when bound (Softvelum's pay-per-view signature samples).
    @Test func nimbleSignatureCarriesThePayPerViewID() throws {
        var setting = StreamTokenSetting(scheme: .nimble, secret: "defaultpassword", lifetimeSeconds: 240 * 60, bindClientIP: true)
        setting.options.nimble.payPerView = true
        let now = Date(timeIntervalSince1970: 1_336_120_385) // 5/4/2012 8:33:05 AM UTC
        let signed = try StreamSigner.sign(url: "http://nimble.example:8081/live/news/playlist.m3u8", setting: setting, clientIP: "10.0.0.1", now: now, userID: "t1.5")
        let b64 = try #require(URLComponents(string: signed)?.queryItems?.first { $0.name == "wmsAuthSign" }?.value)
        let text = String(decoding: try #require(Data(base64Encoded: b64)), as: UTF8.self)
        let hash = Data(Insecure.MD5.hash(data: Data("10.0.0.1t1.5defaultpassword5/4/2012 8:33:05 AM240".utf8))).base64EncodedString()
        #expect(text == "server_time=5/4/2012 8:33:05 AM&hash_value=\(hash)&validminutes=240&id=t1.5&checkip=true")
        // Without the option the id is neither hashed nor sent (plain hotlink protection).
        setting.options.nimble.payPerView = false
        let plain = try StreamSigner.sign(url: "http://nimble.example:8081/live/news/playlist.m3u8", setting: setting, clientIP: "10.0.0.1", now: now, userID: "t1.5")
        #expect(!String(decoding: Data(base64Encoded: URLComponents(string: plain)!.queryItems!.first!.value!)!, as: UTF8.self).contains("id="))
        #expect(try StreamTokenOptions(scheme: .nimble, pairs: ["ppv=on"]).nimble.payPerView)
    }
}
