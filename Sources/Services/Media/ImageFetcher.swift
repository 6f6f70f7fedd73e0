import Domain
import Foundation

/// Fetches a picture from a URL (imports, metadata lookup) with the limits of uploads: http(s)
/// only, a size cap enforced while reading, a timeout. The bytes are then checked like an upload
/// (type by content, ratio, dimensions) by the caller.
public enum ImageFetcher {
    public static func fetch(_ http: any OutboundHTTP, url: String, maxBytes: Int, field: String) async throws -> [UInt8] {
        guard let u = URL(string: url), let scheme = u.scheme?.lowercased(), ["http", "https"].contains(scheme), u.host?.isEmpty == false else {
            throw DomainError.validation([field: "must be an http(s) URL"])
        }
        let response: OutboundResponse
        do {
            response = try await http.fetch(method: "GET", url: url, headers: [("Accept", "image/png,image/jpeg,image/webp")], body: nil, maxBytes: maxBytes, timeout: 15)
        } catch is OutboundTooLarge {
            throw DomainError.validation([field: "is larger than \(maxBytes / 1024) KiB"])
        } catch is OutboundTimeout {
            throw DomainError.validation([field: "did not answer within 15 seconds"])
        } catch {
            throw DomainError.validation([field: "could not be fetched (\(u.host ?? url) unreachable)"])
        }
        guard response.status == 200 else { throw DomainError.validation([field: "answered HTTP \(response.status)"]) }
        guard !response.body.isEmpty else { throw DomainError.validation([field: "answered an empty body"]) }
        return response.body
    }
}
