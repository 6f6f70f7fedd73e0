import Foundation
import Testing
@testable import Domain

/// Stream-URL signing against values published by the vendors (nginx, Cesbo/Flussonic, Wowza)
/// or produced by the vendor's own generator (Akamai's `akamai-edgeauth` 0.3.2). The Python
/// cross-checks of every scheme and the real nginx round trip are in
/// tests/e2e/test_stream_tokens.py.
@Suite struct StreamTokenTests {
    func at(_ unix: Int) -> Date { Date(timeIntervalSince1970: TimeInterval(unix)) }

    func setting(_ scheme: StreamTokenScheme, _ secret: String, ttl: Int = 3600, ip: Bool = false, param: String? = nil,
                 _ configure: (inout StreamTokenOptions) -> Void = { _ in }) -> StreamTokenSetting {
        var options = StreamTokenOptions()
        configure(&options)
        return StreamTokenSetting(scheme: scheme, secret: secret, lifetimeSeconds: ttl, bindClientIP: ip, parameterName: param, options: options)
    }

    func validationFields(_ body: () throws -> Void) -> [String: String] {
        do { try body() } catch let e as DomainError { return e.fields } catch { return ["unexpected": "\(error)"] }
        return [:]
    }

    // MARK: nginx secure_link

    /// nginx.org, ngx_http_secure_link_module: `/s/link?md5=_e4Nc3iduzkWRm01TBBNYw&expires=2147483647`
    /// for `$secure_link_expires$uri$remote_addr secret` and client 127.0.0.1.
    @Test func nginxDocumentationExample() throws {
        let s = setting(.nginx, "secret", ttl: 3600, ip: true) { $0.nginx.hashParameter = "md5"; $0.nginx.expiresParameter = "expires" }
        let signed = try StreamSigner.sign(url: "/s/link", setting: s, clientIP: "127.0.0.1", now: at(2_147_483_647 - 3600))
        #expect(signed == "/s/link?md5=_e4Nc3iduzkWRm01TBBNYw&expires=2147483647")
    }

    @Test func nginxAppendsToAnExistingQueryAndKeepsTheFragment() throws {
        let s = setting(.nginx, "secret", ttl: 60, ip: true)
        let signed = try StreamSigner.sign(url: "http://edge:8080/s/link?lang=de#t=5", setting: s, clientIP: "127.0.0.1", now: at(2_147_483_587))
        #expect(signed == "http://edge:8080/s/link?lang=de&st=_e4Nc3iduzkWRm01TBBNYw&e=2147483647#t=5")
        // Re-signing replaces the earlier token instead of adding a second one.
        let again = try StreamSigner.sign(url: signed, setting: s, clientIP: "127.0.0.1", now: at(2_147_483_587))
        #expect(again == signed)
    }

    @Test func nginxDirectoryScopeSignsTheStreamDirectoryForHLS() throws {
        let s = setting(.nginx, "secret", ttl: 60, ip: true) { $0.nginx.scope = .directory }
        let playlist = try StreamSigner.sign(url: "/s/link/index.m3u8", setting: s, clientIP: "127.0.0.1", now: at(2_147_483_587))
        // The same hash as signing "/s/link" itself: segments under /s/link/ validate with it.
        #expect(playlist == "/s/link/index.m3u8?st=_e4Nc3iduzkWRm01TBBNYw&e=2147483647")
    }

    @Test func nginxHashesTheDecodedPathLikeNginxUri() throws {
        let s = setting(.nginx, "secret", ttl: 60, ip: true)
        let encoded = try StreamSigner.sign(url: "/s/%6Cink", setting: s, clientIP: "127.0.0.1", now: at(2_147_483_587))
        #expect(encoded == "/s/%6Cink?st=_e4Nc3iduzkWRm01TBBNYw&e=2147483647")
    }

    @Test func nginxExpressionMustSignAndMatchTheIPBinding() {
        #expect(validationFields { try setting(.nginx, "k", ip: false).validate() }["options.expression"]?.contains("$remote_addr") == true)
        #expect(validationFields { try setting(.nginx, "k", ip: false) { $0.nginx.expression = "$secure_link_expires$uri" }.validate() }["options.expression"]?.contains("$secret") == true)
        #expect(validationFields { try setting(.nginx, "k", ip: false) { $0.nginx.expression = "$secure_link_expires$uri$host $secret" }.validate() }["options.expression"]?.contains("$host") == true)
        #expect(validationFields { try setting(.nginx, "k", ip: false) { $0.nginx.expression = "${secure_link_expires}${uri} $secret" }.validate() }.isEmpty)
    }

    // MARK: Flussonic securetoken

    /// help.cesbo.com "securetoken": Astra hashes the channel path where Flussonic hashes the
    /// stream name; the page's worked value for /tv/travel-channel/index.m3u8, 192.168.88.98,
    /// secret "secret", salt a5cd6c00, start 1669810000, end 1669890000.
    @Test func cesboWorkedValue() throws {
        let s = setting(.flussonic, "secret", ttl: 80_000, ip: true) {
            $0.flussonic.salt = "a5cd6c00"; $0.flussonic.hashPath = true; $0.flussonic.startLeewaySeconds = 0
        }
        let signed = try StreamSigner.sign(url: "https://example.com:8100/tv/travel-channel/index.m3u8", setting: s,
                                           clientIP: "192.168.88.98", now: at(1_669_810_000))
        #expect(signed == "https://example.com:8100/tv/travel-channel/index.m3u8?token=e8bff06f373694dda657e8417fe76f6b54b69807-a5cd6c00-1669890000-1669810000")
    }

    @Test func flussonicStreamNameComesFromThePath() {
        #expect(StreamSigner.flussonicStreamName("/bbc/index.m3u8") == "bbc")
        #expect(StreamSigner.flussonicStreamName("/sport/hd/video.m3u8") == "sport/hd")
        #expect(StreamSigner.flussonicStreamName("/bbc/mpegts") == "bbc")
        #expect(StreamSigner.flussonicStreamName("/bbc") == "bbc")
    }

    @Test func flussonicDerivedSaltIsStablePerTokenAndCarriesTheUser() throws {
        let s = setting(.flussonic, "SECRETKEY", ttl: 10_800, ip: true)
        let a = try StreamSigner.sign(url: "http://flu/bbc/index.m3u8", setting: s, clientIP: "10.0.0.1", now: at(1_700_000_000), userID: "u 7")
        let b = try StreamSigner.sign(url: "http://flu/bbc/index.m3u8", setting: s, clientIP: "10.0.0.1", now: at(1_700_000_000), userID: "u 7")
        let other = try StreamSigner.sign(url: "http://flu/bbc/index.m3u8", setting: s, clientIP: "10.0.0.2", now: at(1_700_000_000), userID: "u 7")
        #expect(a == b)
        #expect(a != other)
        let token = try #require(a.split(separator: "?").last?.split(separator: "&").first).dropFirst("token=".count)
        let parts = token.split(separator: "-")
        #expect(parts.count == 4 && parts[0].count == 40 && parts[1].count == 8)
        #expect(parts[2] == "1700010800" && parts[3] == "1699999700")   // end = now + ttl, start = now - 300
        #expect(a.hasSuffix("&user_id=u%207"))
    }

    // MARK: Wowza SecureToken v2

    /// Wowza "How to protect streaming using SecureToken", Apple HLS example: content path
    /// vod/sample.mp4, prefix myTokenPrefix, custom parameter, client 192.168.1.2, SHA-256.
    @Test func wowzaDocumentationHLSExample() throws {
        let s = setting(.wowza, "mySharedSecret", ttl: 1_500_000_000 - 1_395_230_400, ip: true) {
            $0.wowza.prefix = "myTokenPrefix"; $0.wowza.customParameters = ["CustomParameter": "abcdef"]
        }
        let signed = try StreamSigner.sign(url: "http://192.168.1.1:1935/vod/sample.mp4/playlist.m3u8", setting: s,
                                           clientIP: "192.168.1.2", now: at(1_395_230_400))
        #expect(signed == "http://192.168.1.1:1935/vod/sample.mp4/playlist.m3u8?myTokenPrefixCustomParameter=abcdef"
            + "&myTokenPrefixendtime=1500000000&myTokenPrefixstarttime=1395230400&myTokenPrefixhash=TgJft5hsjKyC5Rem_EoUNP7xZvxbqVPhhd0GxIcA2oo=")
    }

    @Test func wowzaHashesPrefixedParametersAlreadyInTheURL() throws {
        let s = setting(.wowza, "mySharedSecret", ttl: 1_500_000_000 - 1_395_230_400, ip: true) { $0.wowza.prefix = "myTokenPrefix" }
        let signed = try StreamSigner.sign(url: "http://192.168.1.1:1935/vod/sample.mp4/playlist.m3u8?myTokenPrefixCustomParameter=abcdef",
                                           setting: s, clientIP: "192.168.1.2", now: at(1_395_230_400))
        #expect(signed.hasSuffix("myTokenPrefixhash=TgJft5hsjKyC5Rem_EoUNP7xZvxbqVPhhd0GxIcA2oo="))
        #expect(signed.components(separatedBy: "myTokenPrefixCustomParameter").count == 2)
    }

    @Test func wowzaContentPathStopsAtTheStreamName() {
        #expect(StreamSigner.wowzaContentPath("/vod/_definst_/mp4:sample.mp4/playlist.m3u8") == "vod/_definst_/mp4:sample.mp4")
        #expect(StreamSigner.wowzaContentPath("/live/myStream/manifest.mpd") == "live/myStream")
        #expect(StreamSigner.wowzaContentPath("/vod/mp4:sample.mp4") == "vod/mp4:sample.mp4")
    }

    // MARK: Nimble WMSAuth

    @Test func nimbleServerTimeIsPHPsUTCFormat() {
        #expect(StreamSigner.nimbleServerTime(1_336_120_385) == "5/4/2012 8:33:05 AM")
        #expect(StreamSigner.nimbleServerTime(0) == "1/1/1970 12:00:00 AM")
        #expect(StreamSigner.nimbleServerTime(1_709_208_000) == "2/29/2024 12:00:00 PM")
        #expect(StreamSigner.nimbleServerTime(1_704_067_199) == "12/31/2023 11:59:59 PM")
    }

    @Test func nimbleSignatureCarriesTimeHashAndMinutes() throws {
        let s = setting(.nimble, "defaultpassword", ttl: 600, ip: true) { $0.nimble.signedStream = true }
        let signed = try StreamSigner.sign(url: "http://nimble:8081/live/stream/playlist.m3u8", setting: s, clientIP: "127.0.0.1", now: at(1_336_120_385))
        let value = try #require(signed.components(separatedBy: "?wmsAuthSign=").last)
        let decoded = String(decoding: try #require(Data(base64Encoded: value)), as: UTF8.self)
        #expect(decoded.hasPrefix("server_time=5/4/2012 8:33:05 AM&hash_value="))
        #expect(decoded.hasSuffix("&validminutes=10&strm_len=11"))   // "live/stream"
    }

    // MARK: Akamai EdgeAuth 2.0 (references from akamai-edgeauth 0.3.2's EdgeAuth)

    let akamaiKey = "aabbccddeeff00112233445566778899"

    @Test(arguments: [
        (StreamTokenOptions.AkamaiAlgorithm.sha256, "c90a3d2e6c457e07db230a7f873e390455dadd7e200db563a0923ea812fb9d5c"),
        (.sha1, "8ca789407ebdb70cdd123eabe9d71bc58cc072a5"),
        (.md5, "0de72d55eda2dfcd1f480902ed7f8cd5"),
    ])
    func akamaiACLTokenMatchesEdgeAuth(algorithm: StreamTokenOptions.AkamaiAlgorithm, hmac: String) throws {
        let s = setting(.akamai, akamaiKey, ttl: 300) { $0.akamai.algorithm = algorithm }
        let signed = try StreamSigner.sign(url: "https://cdn.example/live/ch1/index.m3u8", setting: s, clientIP: nil, now: at(1_700_000_000))
        // exp is now + lifetime (Ministra puts the bare TTL there, which Akamai reads as 1970).
        #expect(signed == "https://cdn.example/live/ch1/index.m3u8?hdnts=exp=1700000300~acl=/live/ch1/*~hmac=\(hmac)")
    }

    @Test func akamaiURLTokenWithIPSessionAndSaltMatchesEdgeAuth() throws {
        let s = setting(.akamai, akamaiKey, ttl: 300, ip: true) { $0.akamai.tokenType = .url; $0.akamai.salt = "pepper" }
        let signed = try StreamSigner.sign(url: "https://cdn.example/live/ch1/index.m3u8", setting: s, clientIP: "203.0.113.7",
                                           now: at(1_700_000_000), userID: "user42")
        #expect(signed == "https://cdn.example/live/ch1/index.m3u8?hdnts=ip=203.0.113.7~exp=1700000300~id=user42"
            + "~hmac=8c3552c1ba02107c337210fdf944b6601d354d07b0b4e154a1c58de4911cb5cb")
    }

    @Test func akamaiKeyMustBeEvenLengthHex() {
        #expect(validationFields { try setting(.akamai, "abc").validate() }["secret"]?.contains("even-length") == true)
        #expect(validationFields { try setting(.akamai, "zz").validate() }["secret"] != nil)
        #expect(validationFields { try setting(.akamai, "AbCd").validate() }.isEmpty)
    }

    // MARK: Inputs

    @Test func clearErrorsForBadInputs() {
        #expect(validationFields { try setting(.flussonic, "").validate() }["secret"] == "must not be empty")
        #expect(validationFields { try setting(.flussonic, "k", ttl: 0).validate() }["lifetimeSeconds"] != nil)
        #expect(validationFields { _ = try StreamSigner.sign(url: "/a/b", setting: setting(.flussonic, "k", ip: true), clientIP: nil, now: at(0)) }["clientIP"] != nil)
        #expect(validationFields { _ = try StreamSigner.sign(url: "edge/a b", setting: setting(.flussonic, "k"), clientIP: nil, now: at(0)) }["url"] != nil)
        #expect(validationFields { _ = try StreamSigner.sign(url: "live/ch1", setting: setting(.flussonic, "k"), clientIP: nil, now: at(0)) }["url"] != nil)
        #expect(validationFields { _ = try StreamTokenOptions(scheme: .nginx, pairs: ["algorithm=sha1"]) }["algorithm"]?.contains("nginx") == true)
        #expect(validationFields { _ = try StreamTokenOptions(scheme: .wowza, pairs: ["algorithm=md5"]) }["algorithm"] != nil)
        #expect(validationFields { _ = try StreamTokenOptions(scheme: .nimble, pairs: ["valid_minutes"]) }["valid_minutes"] != nil)
    }

    @Test func optionsParseFromKeyValuePairs() throws {
        let o = try StreamTokenOptions(scheme: .akamai, pairs: ["algorithm=SHA1", "type=url", "acl=/live/*!/vod/*", "salt=x=y"])
        #expect(o.akamai.algorithm == .sha1 && o.akamai.tokenType == .url && o.akamai.acl == "/live/*!/vod/*" && o.akamai.salt == "x=y")
        let w = try StreamTokenOptions(scheme: .wowza, pairs: ["prefix=abc", "param.CustomParameter=abcdef", "algorithm=sha512"])
        #expect(w.wowza.prefix == "abc" && w.wowza.customParameters == ["CustomParameter": "abcdef"] && w.wowza.algorithm == .sha512)
    }
}
