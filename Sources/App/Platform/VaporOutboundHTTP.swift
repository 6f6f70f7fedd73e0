import AsyncHTTPClient
import Foundation
import NIOCore
import Services
import Vapor

/// The services' outgoing HTTP through Vapor's client, with a per-request timeout.
struct VaporOutboundHTTP: OutboundHTTP {
    let client: any Client

    func send(method: String, url: String, headers: [(String, String)], body: [UInt8]?, timeout: TimeInterval) async throws -> (status: Int, body: String) {
        var request = ClientRequest(method: HTTPMethod(rawValue: method), url: URI(string: url), headers: HTTPHeaders(headers),
                                    body: body.map { ByteBuffer(bytes: $0) }, timeout: .milliseconds(Int64(timeout * 1000)), byteBufferAllocator: ByteBufferAllocator())
        request.headers.replaceOrAdd(name: .userAgent, value: "TVMS")
        do {
            let response = try await client.send(request)
            return (Int(response.status.code), response.body.map { String(buffer: $0) } ?? "")
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            throw OutboundTimeout()
        }
    }

    func fetch(method: String, url: String, headers: [(String, String)], body: [UInt8]?, maxBytes: Int, timeout: TimeInterval) async throws -> OutboundResponse {
        var request = ClientRequest(method: HTTPMethod(rawValue: method), url: URI(string: url), headers: HTTPHeaders(headers),
                                    body: body.map { ByteBuffer(bytes: $0) }, timeout: .milliseconds(Int64(timeout * 1000)), byteBufferAllocator: ByteBufferAllocator())
        request.headers.replaceOrAdd(name: .userAgent, value: "TVMS")
        do {
            let response = try await client.send(request)
            // A declared length over the limit is refused before anything is kept.
            if let declared = response.headers.first(name: .contentLength).flatMap(Int.init), declared > maxBytes { throw OutboundTooLarge() }
            let bytes = response.body.map { Array(buffer: $0) } ?? []
            if bytes.count > maxBytes { throw OutboundTooLarge() }
            return OutboundResponse(status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) }, body: bytes)
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            throw OutboundTimeout()
        }
    }

    func download(url: String, headers: [(String, String)], to file: URL, maxBytes: Int64, timeout: TimeInterval) async throws -> (status: Int, headers: [(String, String)], bytes: Int64) {
        var request = HTTPClientRequest(url: url)
        request.headers = HTTPHeaders(headers)
        request.headers.replaceOrAdd(name: .userAgent, value: "TVMS")
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .milliseconds(Int64(timeout * 1000)))
            let answer = response.headers.map { ($0.name, $0.value) }
            guard (200..<300).contains(Int(response.status.code)) else { return (Int(response.status.code), answer, 0) }
            if let declared = response.headers.first(name: .contentLength).flatMap(Int64.init), declared > maxBytes { throw OutboundTooLarge() }
            FileManager.default.createFile(atPath: file.path, contents: nil)
            let out = try FileHandle(forWritingTo: file)
            defer { try? out.close() }
            var written: Int64 = 0
            for try await var chunk in response.body {
                written += Int64(chunk.readableBytes)
                if written > maxBytes { throw OutboundTooLarge() }
                if let bytes = chunk.readBytes(length: chunk.readableBytes) { try out.write(contentsOf: bytes) }
            }
            return (Int(response.status.code), answer, written)
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            throw OutboundTimeout()
        }
    }
}
