import Domain
import FluentKit
import Foundation
import SQLKit
import Storage

/// What a client dialect reads per title on demand (a series' seasons and episodes), after the
/// title was found in the customer's catalogue: small, so read when asked and remembered for a
/// few seconds.
public enum ClientCatalogueDetail {
    public struct Episode: Sendable {
        public let id: Int
        public let number: Int
        public let title: String
        public let description: String
        public let durationSeconds: Int
        public let rating: Double
        public let wideID: UUID?
        public let added: Int
        public let containerExtension: String
    }

    public struct Season: Sendable {
        public let id: Int
        public let number: Int
        public let title: String
        public let description: String
        public let year: Int
        public let coverID: UUID?
        public let episodes: [Episode]
    }

    public struct Series: Sendable { public let seasons: [Season] }

    struct Row: Decodable {
        var id: Int, parentId: Int?, number: Int, position: Int, title: String, description: String, year: Int, durationSeconds: Int, rating: String
        var coverId: UUID?, wideId: UUID?, drm: String, parental: Bool, ageRating: Int, streamUrl: String, createdAt: Date?
    }

    /// The enabled seasons of a series (by number) with their playable episodes (by position,
    /// then number): a stream address, no DRM and no parental PIN, as in the lists.
    public static func series(_ env: ServiceEnvironment, deploymentID: UUID, seriesID: Int) async throws -> Series {
        try await env.hot.get("client-series:\(seriesID)", now: env.now) {
            let decoder = SQLRowDecoder(keyDecodingStrategy: .convertFromSnakeCase)
            func rows(kind: VoDKind, parents: [Int]) async throws -> [Row] {
                guard !parents.isEmpty else { return [] }
                return try await env.db.sql.select()
                    .columns(["id", "parent_id", "number", "position", "title", "description", "year", "duration_seconds", "rating", "cover_id", "wide_id",
                              "drm", "parental", "age_rating", "stream_url", "created_at"].map { SQLColumn($0) })
                    .from(VoDItemModel.schema).where("deployment_id", .equal, deploymentID).where("kind", .equal, kind.rawValue)
                    .where("enabled", .equal, true).where("parent_id", .in, parents)
                    .all(decoding: Row.self, with: decoder)
            }
            let seasons = try await rows(kind: .season, parents: [seriesID]).sorted { ($0.number, $0.id) < ($1.number, $1.id) }
            let episodes = try await rows(kind: .episode, parents: seasons.map(\.id))
                .filter { !$0.streamUrl.isEmpty && $0.drm == "none" && !ClientCatalogue.needsPIN(parental: $0.parental, ageRating: $0.ageRating) }
            let byParent = Dictionary(grouping: episodes) { $0.parentId ?? 0 }
            return Series(seasons: seasons.filter { !ClientCatalogue.needsPIN(parental: $0.parental, ageRating: $0.ageRating) }.map { s in
                Season(id: s.id, number: s.number, title: s.title, description: s.description, year: s.year, coverID: s.coverId,
                       episodes: (byParent[s.id] ?? []).sorted { ($0.position, $0.number, $0.id) < ($1.position, $1.number, $1.id) }.map { e in
                           Episode(id: e.id, number: e.number, title: e.title, description: e.description, durationSeconds: e.durationSeconds,
                                   rating: Double(e.rating) ?? 0, wideID: e.wideId, added: max(0, Int((e.createdAt ?? env.now).timeIntervalSince1970)),
                                   containerExtension: XtreamFormat.containerExtension(streamURL: e.streamUrl))
                       })
            })
        }
    }
}
