import Foundation
import Testing
@testable import Domain

/// The worked examples of the S3 API reference, "Signature Calculations for the Authorization
/// Header: Transferring Payload in a Single Chunk (AWS Signature Version 4)".
@Suite struct AWSSigV4Tests {
    let accessKey = "AKIAIOSFODNN7EXAMPLE"
    let secretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    let date = Date(timeIntervalSince1970: 1_369_353_600) // 2013-05-24T00:00:00Z

    func sign(_ method: String, _ url: String, _ headers: [(String, String)] = [], payloadHash: String = AWSSigV4.emptyPayloadHash) -> AWSSigV4.Signed {
        AWSSigV4.sign(method: method, url: URL(string: url)!, headers: headers, payloadHash: payloadHash, region: "us-east-1",
                      accessKey: accessKey, secretKey: secretKey, date: date)
    }

    func header(_ signed: AWSSigV4.Signed, _ name: String) -> String? {
        signed.headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    @Test func getObjectExample() {
        let s = sign("GET", "https://examplebucket.s3.amazonaws.com/test.txt", [("Range", "bytes=0-9")])
        #expect(s.canonicalRequest == """
            GET
            /test.txt

            host:examplebucket.s3.amazonaws.com
            range:bytes=0-9
            x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            x-amz-date:20130524T000000Z

            host;range;x-amz-content-sha256;x-amz-date
            e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            """)
        #expect(s.stringToSign == """
            AWS4-HMAC-SHA256
            20130524T000000Z
            20130524/us-east-1/s3/aws4_request
            7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972
            """)
        #expect(s.signature == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        #expect(header(s, "Authorization") == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        #expect(header(s, "x-amz-date") == "20130524T000000Z")
        #expect(header(s, "x-amz-content-sha256") == AWSSigV4.emptyPayloadHash)
        #expect(s.headers.count == 3)
    }

    @Test func putObjectExample() {
        let body = Data("Welcome to Amazon S3.".utf8)
        let hash = AWSSigV4.payloadHash(body)
        #expect(hash == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")
        let s = sign("PUT", "https://examplebucket.s3.amazonaws.com/test$file.text",
                     [("Date", "Fri, 24 May 2013 00:00:00 GMT"), ("x-amz-storage-class", "REDUCED_REDUNDANCY")], payloadHash: hash)
        #expect(s.canonicalRequest == """
            PUT
            /test%24file.text

            date:Fri, 24 May 2013 00:00:00 GMT
            host:examplebucket.s3.amazonaws.com
            x-amz-content-sha256:44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072
            x-amz-date:20130524T000000Z
            x-amz-storage-class:REDUCED_REDUNDANCY

            date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class
            44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072
            """)
        #expect(s.stringToSign.hasSuffix("\n9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d"))
        #expect(s.signature == "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
        // The key written already encoded signs the same.
        let encoded = sign("PUT", "https://examplebucket.s3.amazonaws.com/test%24file.text",
                           [("Date", "Fri, 24 May 2013 00:00:00 GMT"), ("x-amz-storage-class", "REDUCED_REDUNDANCY")], payloadHash: hash)
        #expect(encoded.signature == s.signature)
    }

    @Test func getBucketLifecycleExample() {
        let s = sign("GET", "https://examplebucket.s3.amazonaws.com/?lifecycle")
        #expect(s.canonicalRequest.hasPrefix("GET\n/\nlifecycle=\n"))
        #expect(s.signature == "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")
    }

    @Test func listObjectsExampleSortsTheQuery() {
        let s = sign("GET", "https://examplebucket.s3.amazonaws.com/?prefix=J&max-keys=2")
        #expect(s.canonicalRequest.hasPrefix("GET\n/\nmax-keys=2&prefix=J\n"))
        #expect(s.signature == "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")
    }

    @Test func pathStyleKeysQueriesAndHosts() {
        let s = sign("PUT", "http://127.0.0.1:5000/bucket/cdn/a%20b/%D0%BA%D0%BB%D1%8E%D1%87/x+y.json.gz?b=2&a=x%2Fy&a=1&c",
                     [("Content-Type", "  application/json  "), ("Cache-Control", "public,   max-age=1"), ("X-Amz-Date", "ignored")],
                     payloadHash: AWSSigV4.unsignedPayload)
        let lines = s.canonicalRequest.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[1] == "/bucket/cdn/a%20b/%D0%BA%D0%BB%D1%8E%D1%87/x%2By.json.gz")
        #expect(lines[2] == "a=1&a=x%2Fy&b=2&c=")
        #expect(lines[3] == "cache-control:public, max-age=1")
        #expect(lines[4] == "content-type:application/json")
        #expect(lines[5] == "host:127.0.0.1:5000")
        #expect(lines[7] == "x-amz-date:20130524T000000Z")
        #expect(s.signedHeaders == "cache-control;content-type;host;x-amz-content-sha256;x-amz-date")
        #expect(s.canonicalRequest.hasSuffix("\nUNSIGNED-PAYLOAD"))
        // Default ports are not part of the Host header, as HTTP clients send it.
        #expect(sign("GET", "https://s3.eu-west-1.amazonaws.com:443/b/k").canonicalRequest.contains("\nhost:s3.eu-west-1.amazonaws.com\n"))
        #expect(sign("GET", "http://localhost/b/").canonicalRequest.hasPrefix("GET\n/b/\n"))
        #expect(sign("GET", "http://localhost").canonicalRequest.hasPrefix("GET\n/\n"))
    }

    @Test func uriEncoding() {
        #expect(AWSSigV4.uriEncode("a b+c/d~e_f-g.h", encodeSlash: false) == "a%20b%2Bc/d~e_f-g.h")
        #expect(AWSSigV4.uriEncode("a/b=c&d", encodeSlash: true) == "a%2Fb%3Dc%26d")
        #expect(AWSSigV4.uriEncode("é*!'()", encodeSlash: true) == "%C3%A9%2A%21%27%28%29")
    }

    @Test func theSecretAndTheDateChangeTheSignature() {
        let a = sign("GET", "https://examplebucket.s3.amazonaws.com/test.txt")
        let b = AWSSigV4.sign(method: "GET", url: URL(string: "https://examplebucket.s3.amazonaws.com/test.txt")!, headers: [],
                              payloadHash: AWSSigV4.emptyPayloadHash, region: "us-east-1", accessKey: accessKey, secretKey: secretKey + "x", date: date)
        let c = AWSSigV4.sign(method: "GET", url: URL(string: "https://examplebucket.s3.amazonaws.com/test.txt")!, headers: [],
                              payloadHash: AWSSigV4.emptyPayloadHash, region: "us-east-1", accessKey: accessKey, secretKey: secretKey, date: date + 1)
        #expect(a.signature != b.signature)
        #expect(a.signature != c.signature)
        #expect(!a.headers.contains { $0.1.contains(secretKey) })
    }
}
