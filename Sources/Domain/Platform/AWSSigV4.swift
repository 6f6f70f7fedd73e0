import Crypto
import Foundation

/// AWS Signature Version 4 in the `Authorization` header, payload in a single chunk — what S3
/// and S3-compatible stores (MinIO, R2, Ceph, moto) accept. A pure function of the request, the
/// keys and the instant, checked against the worked examples of the S3 API reference.
/// Path-style and virtual-hosted URLs sign alike: the host is one of the signed headers.
public enum AWSSigV4 {
    /// For a body that is not hashed (S3 then trusts TLS for its integrity).
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"
    /// SHA-256 of no bytes: GET, HEAD, DELETE and empty PUTs.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    public struct Signed: Sendable {
        /// To add to the request: `Authorization`, `x-amz-date`, `x-amz-content-sha256`.
        public var headers: [(String, String)]
        public var signedHeaders: String
        public var signature: String
        /// The intermediate texts, for tests and for comparing with a server's error answer.
        public var canonicalRequest: String
        public var stringToSign: String
    }

    public static func payloadHash(_ body: some DataProtocol) -> String {
        Hex.encode(SHA256.hash(data: body))
    }

    /// Signs a request. `headers` are those the request will carry and that should be signed
    /// (`Content-Type`, `x-amz-meta-…`); `Host` is taken from the URL unless given, the way HTTP
    /// clients send it (with the port when it is not the scheme's default). Headers the client
    /// adds later (`User-Agent`, `Content-Length`) stay unsigned, which S3 allows.
    public static func sign(method: String, url: URL, headers: [(String, String)], payloadHash: String, region: String,
                            service: String = "s3", accessKey: String, secretKey: String, date: Date) -> Signed {
        let components = URLComponents(url: url, resolvingAgainstBaseURL: false) ?? URLComponents()
        let amzDate = timestamp(date)
        let day = String(amzDate.prefix(8))

        var values: [String: [String]] = [:]
        for (name, value) in headers {
            let key = name.lowercased()
            // These three are this function's to set; a caller's copy would be sent twice.
            if key == "authorization" || key == "x-amz-date" || key == "x-amz-content-sha256" { continue }
            values[key, default: []].append(trimAll(value))
        }
        if values["host"] == nil { values["host"] = [hostHeader(components)] }
        values["x-amz-date"] = [amzDate]
        values["x-amz-content-sha256"] = [payloadHash]
        let names = values.keys.sorted()
        let canonicalHeaders = names.map { "\($0):\(values[$0]!.joined(separator: ","))\n" }.joined()
        let signedHeaders = names.joined(separator: ";")

        let canonicalRequest = [
            method.uppercased(), canonicalURI(components), canonicalQuery(components), canonicalHeaders, signedHeaders, payloadHash,
        ].joined(separator: "\n")
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, Hex.encode(SHA256.hash(data: Data(canonicalRequest.utf8)))].joined(separator: "\n")

        var key = SymmetricKey(data: Data("AWS4\(secretKey)".utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        let signature = Hex.encode(HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: key))
        let authorization = "AWS4-HMAC-SHA256 Credential=\(accessKey)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"
        return Signed(headers: [("Authorization", authorization), ("x-amz-date", amzDate), ("x-amz-content-sha256", payloadHash)],
                      signedHeaders: signedHeaders, signature: signature, canonicalRequest: canonicalRequest, stringToSign: stringToSign)
    }

    /// S3's URI encoding: every byte but `A–Z a–z 0–9 - _ . ~` as `%XX` (upper-case hex); `/` kept
    /// unless `encodeSlash`. Object keys are encoded with `encodeSlash: false`.
    public static func uriEncode(_ s: String, encodeSlash: Bool) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: "/") where !encodeSlash:
                out.append("/")
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    /// The path as S3 sees it: each segment decoded once, then encoded by `uriEncode`, so a URL
    /// written with `$` and one written with `%24` sign the same. Empty segments (`a//b`) and a
    /// trailing `/` are part of an S3 key and are kept.
    static func canonicalURI(_ c: URLComponents) -> String {
        let path = c.percentEncodedPath
        if path.isEmpty { return "/" }
        return path.split(separator: "/", omittingEmptySubsequences: false).map { segment in
            let raw = String(segment)
            return uriEncode(raw.removingPercentEncoding ?? raw, encodeSlash: true)
        }.joined(separator: "/")
    }

    /// Names and values encoded by `uriEncode` (so `/` becomes `%2F`), sorted by name then value;
    /// a name without `=` (`?lifecycle`) gets an empty value. `+` is a literal plus (RFC 3986).
    static func canonicalQuery(_ c: URLComponents) -> String {
        guard let query = c.percentEncodedQuery, !query.isEmpty else { return "" }
        let pairs = query.split(separator: "&").map { item -> (String, String) in
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func encode(_ s: Substring?) -> String {
                let raw = String(s ?? "")
                return uriEncode(raw.removingPercentEncoding ?? raw, encodeSlash: true)
            }
            return (encode(parts.first), encode(parts.count > 1 ? parts[1] : nil))
        }
        return pairs.sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    static func hostHeader(_ c: URLComponents) -> String {
        var host = c.percentEncodedHost ?? ""
        if host.contains(":"), !host.hasPrefix("[") { host = "[\(host)]" }
        let defaultPort = c.scheme?.lowercased() == "https" ? 443 : 80
        if let port = c.port, port != defaultPort { host += ":\(port)" }
        return host
    }

    /// Leading and trailing blanks removed, inner runs of blanks made one space.
    static func trimAll(_ value: String) -> String {
        value.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
    }

    /// `yyyyMMdd'T'HHmmss'Z'` in UTC.
    static func timestamp(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(format: "%04d%02d%02dT%02d%02d%02dZ", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!)
    }

}
