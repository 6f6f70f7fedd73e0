import Crypto
import Domain
import FluentKit
import Foundation
import Storage

/// Stores uploaded images after checking what they really are (by their bytes) and how big they are.
public enum MediaService {
    public struct Limits: Sendable {
        public var maxBytes: Int
        public var maxSide: Int
        public init(maxBytes: Int, maxSide: Int) {
            self.maxBytes = maxBytes
            self.maxSide = maxSide
        }
    }

    /// Validates `bytes` as a PNG, JPEG or WebP image within `limits`; `field` names the form field
    /// in the error. Returns the row to save (not yet saved).
    public static func image(_ bytes: [UInt8], deploymentID: UUID, limits: Limits, field: String) throws -> MediaAssetModel {
        let sniffed = try checkedImage(bytes, limits: limits, field: field)
        let m = MediaAssetModel()
        m.id = UUID()
        m.deploymentID = deploymentID
        m.contentType = sniffed.contentType
        m.byteSize = bytes.count
        m.width = sniffed.width
        m.height = sniffed.height
        m.sha256 = Hex.encode(SHA256.hash(data: bytes))
        m.data = Data(bytes)
        return m
    }

    /// The checks of `image` alone, for images stored outside `media_assets` (the console's
    /// white-label logos, which belong to no deployment).
    public static func checkedImage(_ bytes: [UInt8], limits: Limits, field: String) throws -> (contentType: String, width: Int, height: Int) {
        guard !bytes.isEmpty else { throw DomainError.validation([field: "choose an image file"]) }
        guard bytes.count <= limits.maxBytes else {
            throw DomainError.validation([field: "is \(bytes.count / 1024) KiB; at most \(limits.maxBytes / 1024) KiB"])
        }
        guard let sniffed = ImageSniffer.sniff(bytes) else {
            throw DomainError.validation([field: "must be a PNG, JPEG or WebP image"])
        }
        guard sniffed.width <= limits.maxSide, sniffed.height <= limits.maxSide else {
            throw DomainError.validation([field: "is \(sniffed.width)×\(sniffed.height) pixels; at most \(limits.maxSide) on each side"])
        }
        return (sniffed.contentType, sniffed.width, sniffed.height)
    }

    public static func find(_ env: ServiceEnvironment, id: UUID) async throws -> MediaAssetModel? {
        try await MediaAssetModel.find(id, on: env.db)
    }
}
