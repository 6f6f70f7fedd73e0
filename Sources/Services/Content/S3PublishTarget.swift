import Domain
import Foundation
import Storage

/// Publishes documents to an S3-compatible bucket (AWS S3, MinIO, R2, Ceph…) with path-style
/// URLs, signed with AWS Signature V4 over the real payload hash, so a body altered on the way is
/// refused. Keys mirror the folder layout: `{prefix}{crmService}/{productId}/{kind}.v{N}.json.gz`
/// (immutable, cached for a year) and `{kind}.json.gz` (the current one, revalidated each time).
public struct S3PublishTarget: PublishTarget, CustomStringConvertible, CustomReflectable {
    /// `scheme://host[:port][/path]`, without a trailing slash.
    public let endpoint: String
    public let bucket: String
    public let region: String
    /// Empty, or a folder ending in `/`.
    public let prefix: String
    public let accessKey: String
    private let secretKey: String
    private let http: any OutboundHTTP
    private let now: @Sendable () -> Date
    /// Per request: documents are small, but a slow link to a far region should not fail them.
    public var timeout: TimeInterval = 60

    public static let immutableCacheControl = "public, max-age=31536000, immutable"
    public static let currentCacheControl = "no-cache"

    public init(endpoint: String, bucket: String, region: String, accessKey: String, secretKey: String, prefix: String,
                http: any OutboundHTTP, now: @escaping @Sendable () -> Date = Date.init) {
        var endpoint = endpoint
        while endpoint.hasSuffix("/") { endpoint.removeLast() }
        self.endpoint = endpoint
        self.bucket = bucket
        self.region = region.isEmpty ? "us-east-1" : region
        self.prefix = Self.folder(prefix)
        self.accessKey = accessKey
        self.secretKey = secretKey
        self.http = http
        self.now = now
    }

    public var label: String { "s3://\(bucket)/\(prefix) at \(endpoint)" }
    public var description: String { label }
    // `dump` and string interpolation must never show the secret.
    public var customMirror: Mirror { Mirror(self, children: ["label": label, "accessKey": accessKey], displayStyle: .struct) }

    /// The key of a publication's object: `current` for the pointer, else the versioned one.
    public func key(_ p: PublicationModel, crmService: String, current: Bool) -> String {
        "\(prefix)\(crmService)/\(p.productID)/\(p.kind)\(current ? "" : ".v\(p.version)").json.gz"
    }

    public func write(_ p: PublicationModel, crmService: String) async throws {
        // Versioned object first: a reader must never find a current document whose version is missing.
        try await put(key(p, crmService: crmService, current: false), p, cacheControl: Self.immutableCacheControl)
        try await put(key(p, crmService: crmService, current: true), p, cacheControl: Self.currentCacheControl)
    }

    func put(_ key: String, _ p: PublicationModel, cacheControl: String) async throws {
        let headers = [("Content-Type", "application/json"), ("Content-Encoding", "gzip"), ("Cache-Control", cacheControl), ("x-amz-meta-sha256", p.sha256)]
        let answer: OutboundResponse
        do {
            answer = try await request("PUT", key: key, headers: headers, body: [UInt8](p.gzipData))
        } catch is OutboundTimeout {
            throw failure("S3 at \(endpoint) did not answer within \(Int(timeout)) s while storing \(key).")
        } catch let error as DomainError {
            throw error
        } catch {
            throw failure("Could not reach S3 at \(endpoint) to store \(key): \(error).")
        }
        guard (200..<300).contains(answer.status) else {
            throw failure("S3 refused to store s3://\(bucket)/\(key): HTTP \(answer.status)\(Self.s3Error(answer.body)).")
        }
    }

    /// A signed request for an object (`key`), or for the bucket itself (`key: nil`). Answers of
    /// any status come back as they are; only transport failures throw.
    public func request(_ method: String, key: String?, headers: [(String, String)] = [], body: [UInt8]? = nil,
                        maxBytes: Int = 64 << 20) async throws -> OutboundResponse {
        let url = "\(endpoint)/\(bucket)" + (key.map { "/" + AWSSigV4.uriEncode($0, encodeSlash: false) } ?? "")
        guard let parsed = URL(string: url) else { throw failure("\(url) is not a valid URL.") }
        let signed = AWSSigV4.sign(method: method, url: parsed, headers: headers,
                                   payloadHash: body.map { AWSSigV4.payloadHash($0) } ?? AWSSigV4.emptyPayloadHash,
                                   region: region, accessKey: accessKey, secretKey: secretKey, date: now())
        return try await http.fetch(method: method, url: url, headers: headers + signed.headers, body: body, maxBytes: maxBytes, timeout: timeout)
    }

    /// " SignatureDoesNotMatch (The request signature …)" from S3's XML error body, if it has one.
    static func s3Error(_ body: [UInt8]) -> String {
        let xml = String(decoding: body.prefix(16 << 10), as: UTF8.self)
        func element(_ name: String) -> String? {
            guard let start = xml.range(of: "<\(name)>"), let end = xml.range(of: "</\(name)>", range: start.upperBound..<xml.endIndex) else { return nil }
            let text = xml[start.upperBound..<end.lowerBound].trimmingCharacters(in: .whitespacesAndNewlines)
            return text.isEmpty ? nil : String(text.prefix(200))
        }
        guard let code = element("Code") else { return "" }
        let message = element("Message").map { $0.hasSuffix(".") ? String($0.dropLast()) : $0 }
        return " " + code + (message.map { " (\($0))" } ?? "")
    }

    func failure(_ message: String) -> DomainError {
        // S3 never echoes the secret, but a message that reaches logs and the console must not
        // depend on that.
        let safe = secretKey.isEmpty ? message : message.replacingOccurrences(of: secretKey, with: "[secret]")
        return DomainError(.conflict, code: "publish_target_failed", safe)
    }

    static func folder(_ prefix: String) -> String {
        var p = Substring(prefix)
        while p.hasPrefix("/") { p = p.dropFirst() }
        return p.isEmpty || p.hasSuffix("/") ? String(p) : String(p) + "/"
    }
}

extension S3PublishTarget {
    /// The target configured by `TVMS_PUBLISH_S3_*`, nil when no bucket is set. Keys come from
    /// `TVMS_PUBLISH_S3_ACCESS_KEY_ID`/`…_SECRET_ACCESS_KEY`, else from `AWS_ACCESS_KEY_ID`/
    /// `AWS_SECRET_ACCESS_KEY`, always as a pair so an id is never signed with another's secret.
    /// A bucket with a missing or invalid setting throws, naming every variable to fix.
    public static func fromEnvironment(_ env: [String: String], http: any OutboundHTTP) throws -> S3PublishTarget? {
        func value(_ name: String) -> String? {
            guard let v = env[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !v.isEmpty else { return nil }
            return v
        }
        guard let bucket = value("TVMS_PUBLISH_S3_BUCKET") else { return nil }
        var problems = FieldErrors()
        if !validBucket(bucket) {
            problems.add("TVMS_PUBLISH_S3_BUCKET", "is not an S3 bucket name (3–63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit)")
        }
        let endpoint = value("TVMS_PUBLISH_S3_ENDPOINT")
        if let endpoint {
            if !validEndpoint(endpoint) {
                problems.add("TVMS_PUBLISH_S3_ENDPOINT", "must be an http:// or https:// URL without query or credentials (e.g. https://s3.eu-west-1.amazonaws.com)")
            }
        } else {
            problems.add("TVMS_PUBLISH_S3_ENDPOINT", "is required with TVMS_PUBLISH_S3_BUCKET (e.g. https://s3.eu-west-1.amazonaws.com)")
        }
        let region = value("TVMS_PUBLISH_S3_REGION") ?? "us-east-1"
        if !region.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }) {
            problems.add("TVMS_PUBLISH_S3_REGION", "must be a region name such as eu-west-1")
        }
        let own = value("TVMS_PUBLISH_S3_ACCESS_KEY_ID") != nil || value("TVMS_PUBLISH_S3_SECRET_ACCESS_KEY") != nil
        let (idName, secretName) = own ? ("TVMS_PUBLISH_S3_ACCESS_KEY_ID", "TVMS_PUBLISH_S3_SECRET_ACCESS_KEY") : ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
        let accessKey = value(idName), secretKey = value(secretName)
        if accessKey == nil {
            problems.add(idName, own ? "is required with TVMS_PUBLISH_S3_SECRET_ACCESS_KEY" : "(or TVMS_PUBLISH_S3_ACCESS_KEY_ID) is required with TVMS_PUBLISH_S3_BUCKET")
        }
        if secretKey == nil {
            problems.add(secretName, own ? "is required with TVMS_PUBLISH_S3_ACCESS_KEY_ID" : "(or TVMS_PUBLISH_S3_SECRET_ACCESS_KEY) is required with TVMS_PUBLISH_S3_BUCKET")
        }
        guard problems.isEmpty, let endpoint, let accessKey, let secretKey else {
            let list = problems.all.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: "; ")
            throw DomainError(.invalid, code: "publish_target_invalid", "S3 publishing is not configured correctly: \(list).", fields: problems.all)
        }
        return S3PublishTarget(endpoint: endpoint, bucket: bucket, region: region, accessKey: accessKey, secretKey: secretKey,
                               prefix: value("TVMS_PUBLISH_S3_PREFIX") ?? "", http: http)
    }

    static func validBucket(_ name: String) -> Bool {
        let chars = Array(name.utf8)
        guard (3...63).contains(chars.count), !name.contains(".."),
              let first = name.first, let last = name.last,
              first.isASCII && (first.isLowercase || first.isNumber), last.isASCII && (last.isLowercase || last.isNumber)
        else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "." || $0 == "-") }
    }

    static func validEndpoint(_ s: String) -> Bool {
        guard let c = URLComponents(string: s), let scheme = c.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = c.host, !host.isEmpty, c.query == nil, c.fragment == nil, c.user == nil, c.password == nil
        else { return false }
        return true
    }
}
