import Foundation
import Testing
import Vapor
import VaporTesting
@testable import App
@testable import Services
import Storage
import Fluent
import Domain

/// WebTV's serving (issue 11): the app shell for every path under /tv/ with a CSP that lets media
/// come only from the operator's stream hosts, the per-operator manifest, module and worker
/// headers; the profile check on an item's detail; and every WebTV string key the modules use
/// present in Resources/UIT/base/webtv.json. The browser side is tests/e2e/test_webtv_browser.py.
@Suite(.serialized) struct WebTVTests {
    let p = PlaybackTests()

    func get(_ app: Application, _ path: String, headers: HTTPHeaders = [:]) async throws -> TestingHTTPResponse {
        try await app.testing().sendRequest(.GET, path, headers: headers)
    }

    func csp(_ res: TestingHTTPResponse) -> String { res.headers.first(name: "Content-Security-Policy") ?? "" }

    @Test func shellDeepLinksAndMediaPolicyFollowTheOperator() async throws {
        try await withTVMS { app, _ in
            let f = try await p.setUp(app)
            defer { Task { try? await f.origin.stop() } }
            // Opened for the demo operator: media from its streaming server and the hosts of its
            // absolute channel and movie addresses only (relative paths add nothing).
            let shell = try await get(app, "/tv/?service=democrm")
            #expect(shell.status == .ok)
            #expect(shell.headers.contentType?.description.hasPrefix("text/html") == true)
            #expect(shell.body.string.contains(#"<script type="module" src="/tv/js/app.js"></script>"#))
            #expect(shell.body.string.contains(#"href="/tv/manifest.webmanifest?service=democrm""#), "the manifest link names the same operator")
            let policy = csp(shell)
            #expect(policy.contains("media-src 'self' \(f.origin.base) https://backup.example https://late.example https://vod.example https://x.example;"), "\(policy)")
            #expect(policy.contains("script-src 'self';") && policy.contains("connect-src 'self';") && !policy.contains("unsafe"))

            // Deep links and reloads of any app path get the same shell.
            for path in ["/tv/guide?service=democrm", "/tv/item/12?service=democrm", "/tv/index.html?service=democrm"] {
                let deep = try await get(app, path)
                #expect(deep.status == .ok && deep.body.string == shell.body.string, "\(path)")
                #expect(csp(deep) == policy, "\(path)")
            }
            // A page that names no operator (an unmapped hostname) plays nothing until one is chosen.
            let bare = try await get(app, "/tv/", headers: ["Host": "nobody.example"])
            #expect(csp(bare).contains("media-src 'self';"), "\(csp(bare))")
            #expect(bare.body.string.contains(#"href="/tv/manifest.webmanifest""#))
            // A query cannot break out of the attribute.
            let hostile = try await get(app, "/tv/?service=%22%3E%3Cscript%3E")
            #expect(!hostile.body.string.contains("\"><script>") && hostile.status == .ok)

            let redirect = try await get(app, "/tv?service=democrm")
            #expect(redirect.status == .movedPermanently && redirect.headers.first(name: .location) == "/tv/?service=democrm")

            // The console keeps its own strict policy.
            let login = try await get(app, "/login")
            #expect(csp(login).hasPrefix("default-src 'self'; img-src 'self' data:;") && !csp(login).contains("media-src"))
        }
    }

    @Test func manifestModulesAndWorkerHeaders() async throws {
        try await withTVMS { app, _ in
            let manifest = try await get(app, "/tv/manifest.webmanifest?service=democrm")
            #expect(manifest.status == .ok && manifest.headers.first(name: .contentType) == "application/manifest+json")
            let m = try jsonObject(manifest)
            #expect(m["name"] as? String == "Demo TV B.V." && m["start_url"] as? String == "/tv/?service=democrm" && m["scope"] as? String == "/tv/")
            #expect(m["display"] as? String == "standalone")
            let icons = (m["icons"] as? [[String: Any]]) ?? []
            #expect(icons.map { $0["sizes"] as? String } == ["192x192", "512x512"])
            #expect(icons.allSatisfy { ($0["purpose"] as? String)?.contains("maskable") == true })
            for icon in icons {
                let png = try await get(app, icon["src"] as! String)
                let bytes = Array(png.body.readableBytesView)
                #expect(png.status == .ok && bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]))
                // IHDR width and height, big-endian at bytes 16…23.
                let width = bytes[16..<20].reduce(0) { $0 << 8 | Int($1) }, height = bytes[20..<24].reduce(0) { $0 << 8 | Int($1) }
                #expect("\(width)x\(height)" == icon["sizes"] as? String)
            }
            let unnamed = try jsonObject(try await get(app, "/tv/manifest.webmanifest"))
            #expect(unnamed["start_url"] as? String == "/tv/")

            // Before the operator is known, the app speaks the built-in English texts.
            let strings = try jsonObject(try await get(app, "/tv/strings.json"))
            let texts = try #require(strings["strings"] as? [String: String])
            #expect(strings["language"] as? String == "en" && texts["webtv.login.forgot"] != nil && texts["login.service_id"] != nil)

            let module = try await get(app, "/tv/js/app.js")
            #expect(module.status == .ok && module.headers.first(name: .contentType) == "text/javascript; charset=utf-8")
            let worker = try await get(app, "/tv/sw.js")
            #expect(worker.headers.first(name: "Service-Worker-Allowed") == "/tv/" && worker.headers.first(name: .cacheControl) == "no-cache")
            #expect(try await get(app, "/tv/js/nothing.js").status == .notFound)
            let css = try await get(app, "/tv/css/webtv.css")
            #expect(css.status == .ok && css.headers.contentType?.subType == "css")
        }
    }

    @Test func kidsProfileCannotOpenAnAdultItem() async throws {
        try await withTVMS { app, _ in
            let f = try await p.setUp(app)
            defer { Task { try? await f.origin.stop() } }
            let env = app.serviceEnvironment
            func movie(_ title: String, age: Int) async throws -> Int {
                var m = VoDService.Input(kind: .movie, title: title)
                m.ageRating = age; m.streamURL = "https://vod.example/\(age)/index.m3u8"
                return try await VoDService.save(env, actor: .system("test"), deploymentID: f.deploymentID, id: nil, input: m).id!
            }
            let adult = try await movie("Cold Iron", age: 16), family = try await movie("Paper Lanterns", age: 0)
            let token = try p.token(try await p.login(app, device: "webtv-test", type: "web"))
            let kids = try jsonObject(try await p.request(app, .POST, "/api/client/v1/profiles", token: token, json: #"{"name":"Kids","kids":true}"#))
            let kidsID = try #require(kids["id"] as? Int)
            let main = try #require(((try jsonObject(try await p.request(app, .GET, "/api/client/v1/profiles", token: token)))["profiles"] as? [[String: Any]])?
                .first { $0["isDefault"] as? Bool == true }?["id"] as? Int)

            let refused = try await p.request(app, .GET, "/api/client/v1/vod/items/\(adult)?profileId=\(kidsID)", token: token)
            let refusedCode = try p.code(refused)
            #expect(refused.status == .forbidden && refusedCode == "profile_restricted")
            #expect(try await p.request(app, .GET, "/api/client/v1/vod/items/\(family)?profileId=\(kidsID)", token: token).status == .ok)
            #expect(try await p.request(app, .GET, "/api/client/v1/vod/items/\(adult)?profileId=\(main)", token: token).status == .ok)
            #expect(try await p.request(app, .GET, "/api/client/v1/vod/items/\(adult)", token: token).status == .ok)
            // Another account's profile id is not confirmed.
            let foreign = try await p.request(app, .GET, "/api/client/v1/vod/items/\(family)?profileId=999999", token: token)
            #expect(foreign.status == .notFound)
        }
    }

    /// Every `t("webtv.…")` in the modules has its English text; WebTV-only keys live in webtv.json.
    @Test func everyWebTVStringKeyHasItsEnglishText() throws {
        let root = URL(fileURLWithPath: resourceRoot())
        let data = try Data(contentsOf: root.appendingPathComponent("Resources/UIT/base/webtv.json"))
        let strings = try #require(try JSONSerialization.jsonObject(with: data) as? [String: String])
        #expect(strings.keys.allSatisfy { $0.hasPrefix("webtv.") })
        let js = root.appendingPathComponent("Public/tv/js")
        let files = try #require(FileManager.default.enumerator(at: js, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL }.filter { $0.pathExtension == "js" })
        #expect(files.count > 10)
        let pattern = try NSRegularExpression(pattern: #"t\("(webtv\.[a-z0-9_.]*[a-z0-9_])""#)
        var used = Set<String>()
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            for m in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                used.insert(String(text[Range(m.range(at: 1), in: text)!]))
            }
        }
        #expect(used.count > 30)
        #expect(used.subtracting(strings.keys).sorted() == [])
    }
}
