import Domain
import Foundation
import Storage
import Testing
import VaporTesting
@testable import App
@testable import Services

/// A publication built in memory, as `PublishService.publish` builds it (no database needed).
private func samplePublication(version: Int = 3) throws -> PublicationModel {
    let json = Data(#"{"channels":[{"id":1,"name":"Één"}],"kind":"channels","productId":7}"#.utf8)
    let p = PublicationModel()
    p.deploymentID = UUID()
    p.productID = 7
    p.kind = "channels"
    p.version = version
    p.sha256 = AWSSigV4.payloadHash(json)
    p.byteSize = json.count
    p.gzipData = try Gzip.compress(json)
    p.gzipSize = p.gzipData.count
    p.itemCount = 1
    p.publishedAt = Date(timeIntervalSince1970: 1_790_000_000)
    p.publishedBy = "test"
    return p
}

/// Records requests and answers each with a fixed status and body.
private actor RecordingS3: OutboundHTTP {
    struct Call: Sendable {
        var method: String
        var url: String
        var headers: [(String, String)]
        var body: [UInt8]?
        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    }
    private(set) var calls: [Call] = []
    let status: Int
    let answer: String
    init(status: Int = 200, answer: String = "") {
        self.status = status
        self.answer = answer
    }

    nonisolated func send(method: String, url: String, headers: [(String, String)], body: [UInt8]?, timeout: TimeInterval) async throws -> (status: Int, body: String) {
        let r = try await fetch(method: method, url: url, headers: headers, body: body, maxBytes: .max, timeout: timeout)
        return (r.status, String(decoding: r.body, as: UTF8.self))
    }

    nonisolated func download(url: String, headers: [(String, String)], to file: URL, maxBytes: Int64, timeout: TimeInterval) async throws -> (status: Int, headers: [(String, String)], bytes: Int64) {
        let r = try await fetch(method: "GET", url: url, headers: headers, body: nil, maxBytes: Int(maxBytes), timeout: timeout)
        try Data(r.body).write(to: file)
        return (r.status, r.headers, Int64(r.body.count))
    }

    func fetch(method: String, url: String, headers: [(String, String)], body: [UInt8]?, maxBytes: Int, timeout: TimeInterval) async throws -> OutboundResponse {
        calls.append(Call(method: method, url: url, headers: headers, body: body))
        return OutboundResponse(status: status, headers: [("Content-Type", "application/xml")], body: Array(answer.utf8))
    }
}

@Suite struct S3PublishTargetTests {
    let secret = "s3cr3t/EXAMPLE+key"

    func target(_ http: any OutboundHTTP, prefix: String = "cdn") -> S3PublishTarget {
        S3PublishTarget(endpoint: "http://127.0.0.1:9000/", bucket: "tvms-catalogue", region: "eu-west-1", accessKey: "AKIDTEST", secretKey: secret,
                        prefix: prefix, http: http, now: { Date(timeIntervalSince1970: 1_369_353_600) })
    }

    @Test func writesTheVersionBeforeTheCurrentDocumentSignedOverTheBody() async throws {
        let http = RecordingS3()
        let p = try samplePublication()
        try await target(http).write(p, crmService: "demo-crm")
        let calls = await http.calls
        #expect(calls.map(\.url) == [
            "http://127.0.0.1:9000/tvms-catalogue/cdn/demo-crm/7/channels.v3.json.gz",
            "http://127.0.0.1:9000/tvms-catalogue/cdn/demo-crm/7/channels.json.gz",
        ])
        #expect(calls.map { $0.header("Cache-Control") } == ["public, max-age=31536000, immutable", "no-cache"])
        for call in calls {
            #expect(call.method == "PUT")
            #expect(call.body == [UInt8](p.gzipData))
            #expect(call.header("Content-Type") == "application/json")
            #expect(call.header("Content-Encoding") == "gzip")
            #expect(call.header("x-amz-meta-sha256") == p.sha256)
            #expect(call.header("x-amz-content-sha256") == AWSSigV4.payloadHash(p.gzipData))
            #expect(call.header("x-amz-date") == "20130524T000000Z")
            let auth = try #require(call.header("Authorization"))
            #expect(auth.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIDTEST/20130524/eu-west-1/s3/aws4_request, "
                + "SignedHeaders=cache-control;content-encoding;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-meta-sha256, Signature="))
            #expect(!call.headers.contains { $0.1.contains(secret) })
        }
    }

    @Test func aRefusalNamesStatusAndS3CodeButNeverTheSecret() async throws {
        let http = RecordingS3(status: 403, answer: """
            <?xml version="1.0" encoding="UTF-8"?>
            <Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided.</Message>\
            <AWSAccessKeyId>AKIDTEST</AWSAccessKeyId><StringToSign>AWS4-HMAC-SHA256 \(secret)</StringToSign></Error>
            """)
        do {
            try await target(http).write(try samplePublication(), crmService: "demo-crm")
            Issue.record("a 403 must throw")
        } catch let error as DomainError {
            #expect(error.code == "publish_target_failed")
            #expect(error.message.contains("HTTP 403"))
            #expect(error.message.contains("SignatureDoesNotMatch"))
            #expect(error.message.contains("s3://tvms-catalogue/cdn/demo-crm/7/channels.v3.json.gz"))
            #expect(!error.message.contains(secret))
        }
        // The current pointer is not written after a failed version.
        #expect(await http.calls.count == 1)
    }

    @Test func environment() throws {
        let http = RecordingS3()
        #expect(try S3PublishTarget.fromEnvironment([:], http: http) == nil)
        #expect(try S3PublishTarget.fromEnvironment(["TVMS_PUBLISH_S3_ENDPOINT": "http://127.0.0.1:5000", "TVMS_PUBLISH_S3_BUCKET": " "], http: http) == nil)

        let fallback = try #require(try S3PublishTarget.fromEnvironment([
            "TVMS_PUBLISH_S3_ENDPOINT": "https://s3.eu-west-1.amazonaws.com/", "TVMS_PUBLISH_S3_BUCKET": "tvms-cdn",
            "AWS_ACCESS_KEY_ID": "AKIDAWS", "AWS_SECRET_ACCESS_KEY": "aws-secret",
        ], http: http))
        #expect(fallback.endpoint == "https://s3.eu-west-1.amazonaws.com")
        #expect(fallback.region == "us-east-1")
        #expect(fallback.prefix == "")
        #expect(fallback.accessKey == "AKIDAWS")
        #expect(fallback.label == "s3://tvms-cdn/ at https://s3.eu-west-1.amazonaws.com")

        let own = try #require(try S3PublishTarget.fromEnvironment([
            "TVMS_PUBLISH_S3_ENDPOINT": "http://127.0.0.1:5000", "TVMS_PUBLISH_S3_BUCKET": "tvms-cdn", "TVMS_PUBLISH_S3_REGION": "eu-central-1",
            "TVMS_PUBLISH_S3_PREFIX": "/published", "TVMS_PUBLISH_S3_ACCESS_KEY_ID": "AKIDOWN", "TVMS_PUBLISH_S3_SECRET_ACCESS_KEY": "own-secret",
            "AWS_ACCESS_KEY_ID": "AKIDAWS", "AWS_SECRET_ACCESS_KEY": "aws-secret",
        ], http: http))
        #expect(own.accessKey == "AKIDOWN")
        #expect(own.region == "eu-central-1")
        #expect(own.prefix == "published/")
        #expect(own.label == "s3://tvms-cdn/published/ at http://127.0.0.1:5000")
        #expect(!"\(own)".contains("own-secret"))
        var dumped = ""
        dump(own, to: &dumped)
        #expect(!dumped.contains("own-secret"))

        // A bucket without the rest names every variable to fix.
        do {
            _ = try S3PublishTarget.fromEnvironment(["TVMS_PUBLISH_S3_BUCKET": "tvms-cdn"], http: http)
            Issue.record("an incomplete configuration must throw")
        } catch let error as DomainError {
            #expect(error.code == "publish_target_invalid")
            #expect(Set(error.fields.keys) == ["TVMS_PUBLISH_S3_ENDPOINT", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"])
            #expect(error.message.contains("TVMS_PUBLISH_S3_ENDPOINT"))
        }
        // Keys are a pair: the TVMS id is never signed with the AWS secret.
        do {
            _ = try S3PublishTarget.fromEnvironment([
                "TVMS_PUBLISH_S3_ENDPOINT": "ftp://example.com", "TVMS_PUBLISH_S3_BUCKET": "Bad_Bucket",
                "TVMS_PUBLISH_S3_ACCESS_KEY_ID": "AKIDOWN", "AWS_SECRET_ACCESS_KEY": "aws-secret",
            ], http: http)
            Issue.record("an invalid configuration must throw")
        } catch let error as DomainError {
            #expect(Set(error.fields.keys) == ["TVMS_PUBLISH_S3_ENDPOINT", "TVMS_PUBLISH_S3_BUCKET", "TVMS_PUBLISH_S3_SECRET_ACCESS_KEY"])
            #expect(!error.message.contains("aws-secret"))
        }
    }
}

// MARK: - Against a real S3 implementation (moto)

private let motoEndpoint = ProcessInfo.processInfo.environment["TVMS_TEST_S3_ENDPOINT"].flatMap { $0.isEmpty ? nil : $0 }

/// moto accepts any signature until told to check them (`/moto-api/reset-auth`), and then only for
/// keys of its own IAM users, so the test creates a user with an S3 policy first. Checking is
/// server-wide, hence one serialized test that switches it off again at the end.
@Suite(.serialized, .enabled(if: motoEndpoint != nil, "set TVMS_TEST_S3_ENDPOINT (see scripts/moto.sh)"))
struct S3PublishTargetMotoTests {
    @Test func publishesToMotoAndRefusesAWrongSecret() async throws {
        let endpoint = try #require(motoEndpoint)
        let app = try await Application.make(.testing)
        do {
            try await run(endpoint, http: VaporOutboundHTTP(client: app.client))
        } catch {
            try await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
    }

    func run(_ endpoint: String, http: VaporOutboundHTTP) async throws {
        let (accessKey, secretKey) = try await motoUser(endpoint, http: http)
        do {
            try await publish(endpoint, http: http, accessKey: accessKey, secretKey: secretKey)
        } catch {
            _ = try? await resetAuth(endpoint, "inf", http: http)
            throw error
        }
        try await resetAuth(endpoint, "inf", http: http)
    }

    func publish(_ endpoint: String, http: VaporOutboundHTTP, accessKey: String, secretKey: String) async throws {
        let bucket = "tvms-test-" + UUID().uuidString.prefix(8).lowercased()
        let target = S3PublishTarget(endpoint: endpoint, bucket: bucket, region: "us-east-1", accessKey: accessKey, secretKey: secretKey,
                                     prefix: "catalogue", http: http)
        let created = try await target.request("PUT", key: nil)
        #expect(created.status == 200, "\(String(decoding: created.body, as: UTF8.self))")

        let p = try samplePublication(version: 4)
        try await target.write(p, crmService: "demo-crm")

        for (current, cacheControl) in [(false, "public, max-age=31536000, immutable"), (true, "no-cache")] {
            let key = target.key(p, crmService: "demo-crm", current: current)
            #expect(key == "catalogue/demo-crm/7/" + (current ? "channels.json.gz" : "channels.v4.json.gz"))
            let got = try await target.request("GET", key: key)
            #expect(got.status == 200)
            #expect(got.body == [UInt8](p.gzipData))
            #expect(got.header("Content-Encoding") == "gzip")
            #expect(got.header("Content-Type") == "application/json")
            #expect(got.header("Cache-Control") == cacheControl)
            #expect(got.header("x-amz-meta-sha256") == p.sha256)
            #expect(AWSSigV4.payloadHash(try Gzip.decompress(Data(got.body))) == p.sha256)
        }

        // An unsigned read is refused now that moto checks signatures (the objects are private).
        let anonymous = try await http.fetch(method: "GET", url: "\(target.endpoint)/\(bucket)/catalogue/demo-crm/7/channels.json.gz", headers: [],
                                             body: nil, maxBytes: 1 << 20, timeout: 10)
        #expect(anonymous.status == 403)

        let wrongSecret = "wrong-" + secretKey
        let wrong = S3PublishTarget(endpoint: endpoint, bucket: bucket, region: "us-east-1", accessKey: accessKey, secretKey: wrongSecret,
                                    prefix: "catalogue", http: http)
        do {
            try await wrong.write(try samplePublication(version: 5), crmService: "demo-crm")
            Issue.record("a wrong secret must be refused")
        } catch let error as DomainError {
            #expect(error.code == "publish_target_failed")
            #expect(error.message.contains("HTTP 403"))
            #expect(error.message.contains("SignatureDoesNotMatch"))
            #expect(!error.message.contains(wrongSecret))
            #expect(!error.message.contains(secretKey))
        }
        let stillCurrent = try await target.request("GET", key: target.key(p, crmService: "demo-crm", current: true))
        #expect(stillCurrent.body == [UInt8](p.gzipData))
    }

    /// Turns signature checking on after three more requests — the IAM calls that create a user,
    /// its key and its S3 policy — and returns that key.
    func motoUser(_ endpoint: String, http: VaporOutboundHTTP) async throws -> (String, String) {
        try await resetAuth(endpoint, "3", http: http)
        let user = "tvms-test-" + UUID().uuidString.prefix(8).lowercased()
        let policy = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#
        _ = try await iam(endpoint, http: http, ["Action": "CreateUser", "UserName": user])
        let created = try await iam(endpoint, http: http, ["Action": "CreateAccessKey", "UserName": user])
        _ = try await iam(endpoint, http: http, ["Action": "PutUserPolicy", "UserName": user, "PolicyName": "s3", "PolicyDocument": policy])
        func element(_ name: String) throws -> String {
            guard let start = created.range(of: "<\(name)>"), let end = created.range(of: "</\(name)>", range: start.upperBound..<created.endIndex) else {
                throw TestFailure("no \(name) in moto's CreateAccessKey answer: \(created)")
            }
            return String(created[start.upperBound..<end.lowerBound])
        }
        return (try element("AccessKeyId"), try element("SecretAccessKey"))
    }

    /// An IAM query call; moto routes it by the service in the credential scope, and does not
    /// check these signatures (they are within the unchecked requests).
    func iam(_ endpoint: String, http: VaporOutboundHTTP, _ params: [String: String]) async throws -> String {
        let form = (params.merging(["Version": "2010-05-08"]) { a, _ in a }).sorted { $0.key < $1.key }
            .map { "\($0.key)=\(AWSSigV4.uriEncode($0.value, encodeSlash: true))" }.joined(separator: "&")
        let body = Array(form.utf8)
        let url = endpoint.hasSuffix("/") ? endpoint : endpoint + "/"
        let headers = [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")]
        let signed = AWSSigV4.sign(method: "POST", url: URL(string: url)!, headers: headers, payloadHash: AWSSigV4.payloadHash(body), region: "us-east-1",
                                   service: "iam", accessKey: "AKIDSETUP", secretKey: "setup", date: Date())
        let answer = try await http.fetch(method: "POST", url: url, headers: headers + signed.headers, body: body, maxBytes: 1 << 20, timeout: 10)
        let text = String(decoding: answer.body, as: UTF8.self)
        guard answer.status == 200 else { throw TestFailure("IAM \(params["Action"] ?? "") answered \(answer.status): \(text)") }
        return text
    }

    func resetAuth(_ endpoint: String, _ count: String, http: VaporOutboundHTTP) async throws {
        var base = endpoint
        while base.hasSuffix("/") { base.removeLast() }
        let answer = try await http.fetch(method: "POST", url: base + "/moto-api/reset-auth", headers: [], body: Array(count.utf8), maxBytes: 1 << 16, timeout: 10)
        guard answer.status == 200 else { throw TestFailure("moto reset-auth answered \(answer.status)") }
    }
}
