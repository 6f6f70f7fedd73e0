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
}
