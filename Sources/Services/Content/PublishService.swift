import Crypto
import Domain
import FluentKit
import Foundation
import Storage

/// Publishing ("Cloud Sync"): freezes what each product's apps see into immutable, versioned,
/// gzip-compressed JSON documents, so devices fetch the catalogue with one cheap conditional
/// request and the server answers only auth, entitlements and play tokens. A product whose content
/// did not change keeps its version.
public enum PublishService {
    public static let jobKind = "cms.publish"

    /// The documents of each product: one per kind of content, so a change to movies does not
    /// make apps download the channel list again.
    public static let kinds = ["channels", "movies", "series", "music", "courses", "apps"]

    public struct Result: Sendable, Equatable {
        public var productID: Int
        public var kind: String
        public var version: Int
        public var changed: Bool
        public var items: Int
        public var bytes: Int
        public var gzipBytes: Int
    }

    /// The packages of one kind a product grants (itself or through its extra packages), with
    /// each granted item marked by what grants it ("product", "extra:{id}").
    static func granted(_ env: ServiceEnvironment, product: ProductModel, kind: ContentKind) async throws -> [Int: Set<String>] {
        let productID = try product.requireID()
        let extras = try await ExtraPackageModel.query(on: env.db).filter(\.$productID == productID).all()
        let grants = try await PackageGrantModel.query(on: env.db).group(.or) {
            $0.filter(\.$productID == productID)
            if !extras.isEmpty { $0.filter(\.$extraPackageID ~~ extras.compactMap(\.id)) }
        }.all()
        let packages = try await ContentPackageModel.query(on: env.db).filter(\.$id ~~ grants.map(\.packageID)).filter(\.$kind == kind.rawValue).all()
        let items = try await PackageItemModel.query(on: env.db).filter(\.$packageID ~~ packages.compactMap(\.id)).all()
        var grantedBy: [Int: Set<String>] = [:]
        for i in items {
            for g in grants where g.packageID == i.packageID {
                grantedBy[i.itemID, default: []].insert(g.productID != nil ? "product" : "extra:\(g.extraPackageID!)")
            }
        }
        return grantedBy
    }

    /// The channels document of one product: its channels (packages of the product and of its
    /// extra packages, each channel marked with what grants it), the channels sold by
    /// pay-per-view, and the UI groups, in order. Stream URLs are not in it: apps ask for a
    /// signed URL when they play.
    static func channelsDocument(_ env: ServiceEnvironment, product: ProductModel) async throws -> (json: [String: Any], items: Int) {
        let productID = try product.requireID()
        let grantedBy = try await granted(env, product: product, kind: .channel)
        // Enabled channels that are granted or sold by PPV; the others are not in the document.
        let channels = try await ChannelModel.query(on: env.db).filter(\.$deploymentID == product.deploymentID).filter(\.$enabled == true).sort(\.$number).all()
            .filter { grantedBy[$0.id!] != nil || $0.ppvRuleID != nil }
        let ppv = try await PPVOffers.load(env, deploymentID: product.deploymentID, refs: channels.filter { $0.ppvRuleID != nil }.map { .channel($0.id!) },
                                           rules: channels.compactMap(\.ppvRuleID))
        let ids = Set(channels.compactMap(\.id))
        let groups = try await UIGroupModel.query(on: env.db).filter(\.$deploymentID == product.deploymentID).filter(\.$visible == true).sort(\.$position).all()
        let members = try await UIGroupChannelModel.query(on: env.db).filter(\.$groupID ~~ groups.compactMap(\.id)).sort(\.$position).all()
        let json: [String: Any] = [
            "productId": productID,
            "kind": "channels",
            "channels": channels.map { c -> [String: Any] in
                var out: [String: Any] = [
                    "id": c.id!, "number": c.number, "name": c.name, "logo": c.logoID.map { "/media/\($0.uuidString.lowercased())" } ?? NSNull(),
                    "streams": ["hls": !c.hlsURL.isEmpty, "dash": !c.dashURL.isEmpty, "fallback": !c.fallbackURL.isEmpty],
                    "ageRating": c.ageRating, "parental": c.parental, "tags": c.tags.split(separator: ",").map(String.init),
                    "genres": c.genres.split(separator: ",").map(String.init), "catchupDays": c.catchupDays, "recording": c.recordingAllowed, "pinned": c.pinned,
                    "ads": ["preroll": c.preroll, "overlay": c.overlay, "ticker": c.ticker, "vast": !c.vastURL.isEmpty],
                    "grantedBy": (grantedBy[c.id!] ?? []).sorted(),
                    "access": grantedBy[c.id!] != nil ? "subscription" : "ppv",
                ]
                if let rule = c.ppvRuleID { out["ppv"] = ppv.json(ref: .channel(c.id!), rule: rule) }
                return out
            },
            "groups": groups.map { g -> [String: Any] in
                ["id": g.id!, "name": g.name, "channels": members.filter { $0.groupID == g.id && ids.contains($0.channelID) }.map(\.channelID)]
            },
        ]
        return (json, channels.count)
    }

    /// Publishes every product of the deployment (or one); returns what changed.
    public static func publish(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, productID: Int? = nil, targets: [any PublishTarget] = []) async throws -> [Result] {
        try actor.require(.cms, in: deploymentID)
        let crmService = try await DeploymentModel.find(deploymentID, on: env.db)?.crmService ?? deploymentID.uuidString
        let q = ProductModel.query(on: env.db).filter(\.$deploymentID == deploymentID)
        if let productID { q.filter(\.$id == productID) }
        var out: [Result] = []
        for product in try await q.sort(\.$id).all() {
            for kind in kinds {
                out.append(try await publish(env, actor: actor, product: product, kind: kind, crmService: crmService, targets: targets))
            }
        }
        return out
    }

    /// Builds one document and stores it as a new version unless it equals the current one.
    static func publish(_ env: ServiceEnvironment, actor: Principal, product: ProductModel, kind: String, crmService: String, targets: [any PublishTarget]) async throws -> Result {
        let productID = try product.requireID()
        let (doc, count) = try await document(env, product: product, kind: kind)
        // Sorted keys make the same content the same bytes, so "unchanged" is a digest compare.
        let body = Data(try CanonicalJSON.encode(doc))
        let sha = Hex.encode(SHA256.hash(data: body))
        // The previous document's bytes are not needed to compare, so they are not loaded.
        let last = try await PublicationModel.query(on: env.db).filter(\.$productID == productID).filter(\.$kind == kind).sort(\.$version, .descending)
            .field(\.$id).field(\.$version).field(\.$sha256).field(\.$byteSize).field(\.$gzipSize).field(\.$productID).field(\.$kind).field(\.$deploymentID)
            .field(\.$itemCount).field(\.$publishedAt).field(\.$publishedBy).first()
        if let last, last.sha256 == sha {
            return Result(productID: productID, kind: kind, version: last.version, changed: false, items: count, bytes: last.byteSize, gzipBytes: last.gzipSize)
        }
        let p = PublicationModel()
        p.deploymentID = product.deploymentID
        p.productID = productID
        p.kind = kind
        p.version = (last?.version ?? 0) + 1
        p.sha256 = sha
        p.byteSize = body.count
        p.gzipData = try Gzip.compress(body)
        p.gzipSize = p.gzipData.count
        p.itemCount = count
        p.publishedAt = env.now
        p.publishedBy = actor.label
        // Copies first: if a bucket or folder refuses, the version is not recorded, so the next
        // publish builds and copies it again instead of finding it "unchanged".
        for target in targets { try await target.write(p, crmService: crmService) }
        try await env.write { db in
            try await p.create(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: product.deploymentID, entityType: "publication", entityID: String(p.id!),
                                          action: "publish", after: ["productId": String(productID), "kind": kind, "version": String(p.version)])
        }
        return Result(productID: productID, kind: kind, version: p.version, changed: true, items: count, bytes: p.byteSize, gzipBytes: p.gzipSize)
    }

    /// The current document of a product, for `GET /catalogue/…`.
    public static func current(_ env: ServiceEnvironment, productID: Int, kind: String) async throws -> PublicationModel? {
        try await PublicationModel.query(on: env.db).filter(\.$productID == productID).filter(\.$kind == kind).sort(\.$version, .descending).first()
    }

    public static func history(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, limit: Int = 100) async throws -> [PublicationModel] {
        try actor.require(.cms, in: deploymentID)
        // The documents themselves are not loaded for the history list.
        return try await PublicationModel.query(on: env.db).filter(\.$deploymentID == deploymentID).sort(\.$id, .descending).limit(limit)
            .field(\.$id).field(\.$deploymentID).field(\.$productID).field(\.$kind).field(\.$version).field(\.$sha256).field(\.$byteSize)
            .field(\.$gzipSize).field(\.$itemCount).field(\.$publishedAt).field(\.$publishedBy).all()
    }

    /// The scheduled publish: every deployment, every product; unchanged products are skipped.
    public static func run(_ ctx: JobContext, targets: [any PublishTarget]) async throws -> String? {
        var changed = 0, total = 0
        for d in try await DeploymentModel.query(on: ctx.env.db).all() {
            let results = try await publish(ctx.env, actor: .system("scheduled publish"), deploymentID: d.requireID(), targets: targets)
            total += results.count
            changed += results.filter(\.changed).count
        }
        return "\(changed) of \(total) catalogue document(s) changed"
    }
}

/// Somewhere published documents are copied for a CDN to serve: a folder, an S3 bucket. The
/// versioned document is written before the current one, so a reader following "current" never
/// finds a version that is not there yet.
public protocol PublishTarget: Sendable {
    /// A short description for the console ("folder /srv/cdn", "s3://bucket/prefix").
    var label: String { get }
    func write(_ p: PublicationModel, crmService: String) async throws
}

/// Writes published documents to a folder a CDN serves:
/// `{root}/{crmService}/{productId}/{kind}.v{N}.json.gz` (immutable) and `{kind}.json.gz`
/// (the current one). Each file is written to a temporary name and renamed, so a reader never
/// sees half a document.
public struct PublishMirror: PublishTarget {
    public let root: URL
    public init(root: URL) { self.root = root }
    public var label: String { "folder \(root.path)" }

    public func write(_ p: PublicationModel, crmService: String) async throws {
        let dir = root.appendingPathComponent(crmService).appendingPathComponent(String(p.productID))
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for name in ["\(p.kind).v\(p.version).json.gz", "\(p.kind).json.gz"] {
            let tmp = dir.appendingPathComponent(".\(name).\(UUID().uuidString)")
            try p.gzipData.write(to: tmp)
            let target = dir.appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: target.path) { _ = try FileManager.default.replaceItemAt(target, withItemAt: tmp) }
            else { try FileManager.default.moveItem(at: tmp, to: target) }
        }
    }
}
