import Domain
import Fluent
import Foundation
import Services
import Storage
import Vapor

/// CMS › Publish ("Cloud Sync") in the console, and the published documents for the apps at
/// `GET /catalogue/{crmService}/{productId}/{kind}.json` (current, revalidated by ETag) and
/// `…/{kind}.v{N}.json` (one version, cacheable forever).
enum PublishController {
    static func register(_ app: Application, console: any RoutesBuilder) {
        app.get("catalogue", ":service", ":productID", ":document", use: document)
        let p = console.grouped("cms", "publish").grouped(RequirePermission(permission: .cms))
        p.get(use: page)
        p.post(use: publish)
    }

    static func page(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let history = try await PublishService.history(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID)
        let products = Dictionary(uniqueKeysWithValues: try await ProductModel.query(on: req.db).filter(\.$deploymentID == ctx.deploymentID).all().map { ($0.id!, $0.name) })
        let base = SettingsController.baseURL(req)
        let vm = SectionsVM(heading: "Publish (Cloud Sync)",
                            intro: "Apps read each product's catalogue from published, versioned documents. Publish after changing content or packages; a schedule also publishes every 15 minutes. Unchanged documents keep their version." + (req.application.tvms.publishTargets.isEmpty ? "" : " Copies go to: " + req.application.tvms.publishTargets.map(\.label).joined(separator: ", ") + "."),
                            buttons: [], tabs: [],
                            sections: [Section(title: nil, actions: [RowAction(label: "Publish now", href: nil, postTo: "/cms/publish", danger: false)]),
                                       Section(title: "Current documents", intro: "Each product has one document per kind: \(PublishService.kinds.joined(separator: ", ")).",
                                               table: .simple(["Product", "Address"], products.sorted { $0.key < $1.key }.map { id, name in
                                           Row(cells: [Cell(name), Cell("\(base)/catalogue/\(ctx.deployment.crmService)/\(id)/{kind}.json", mono: true)], actions: [])
                                       }, empty: "No product yet.")),
                                       Section(title: "History", table: .simple(["Published", "Product", "Document", "Version", "Items", "Size", "gzip", "By"], history.map { p in
                                           Row(cells: [Cell(ctx.dates.string(p.publishedAt)), Cell(products[p.productID] ?? "#\(p.productID)"), Cell(p.kind), Cell("v\(p.version)", mono: true),
                                                       Cell(String(p.itemCount)), Cell(size(p.byteSize)), Cell(size(p.gzipSize)), Cell(p.publishedBy)], actions: [])
                                       }, empty: "Nothing published yet."))])
        return try await Layout.render(req, "sections", title: "Publish", vm)
    }

    /// "840 B", "12 KiB", "1.7 MiB"
    static func size(_ bytes: Int) -> String {
        bytes < 1024 ? "\(bytes) B" : bytes < 1024 * 1024 ? "\(bytes / 1024) KiB" : String(format: "%.1f MiB", Double(bytes) / 1_048_576)
    }

    static func publish(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        return try await req.flashing(redirectTo: "/cms/publish") {
            let results = try await PublishService.publish(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, targets: req.application.tvms.publishTargets)
            let changed = results.filter(\.changed)
            guard !changed.isEmpty else { return "Nothing changed since the last publish." }
            return "Published \(changed.count) document(s): " + changed.map { "product \($0.productID) \($0.kind) v\($0.version) (\($0.items) items)" }.joined(separator: ", ") + "."
        }
    }

    /// The document for apps: gzip as stored (or inflated for a client that does not accept it),
    /// with an ETag so an unchanged catalogue costs a 304.
    static func document(_ req: Request) async throws -> Response {
        guard let service = req.parameters.get("service")?.lowercased(), let productID = req.parameters.get("productID", as: Int.self),
              let name = req.parameters.get("document"), name.hasSuffix(".json") else { throw Abort(.notFound) }
        // "movies.json" (current) or "movies.v7.json" (one version).
        let parts = name.dropLast(".json".count).split(separator: ".", maxSplits: 1).map(String.init)
        guard let kind = parts.first, PublishService.kinds.contains(kind) else { throw Abort(.notFound) }
        let pinned = parts.count == 2 && parts[1].hasPrefix("v") ? Int(parts[1].dropFirst()) : nil
        guard parts.count == 1 || pinned != nil else { throw Abort(.notFound) }
        guard let d = try await DeploymentModel.query(on: req.db).filter(\.$crmService == service).first(),
              try await ProductModel.query(on: req.db).filter(\.$id == productID).filter(\.$deploymentID == d.id!).first() != nil else { throw Abort(.notFound) }
        let doc: PublicationModel?
        if let pinned { doc = try await PublicationModel.query(on: req.db).filter(\.$productID == productID).filter(\.$kind == kind).filter(\.$version == pinned).first() }
        else { doc = try await PublishService.current(req.serviceEnvironment, productID: productID, kind: kind) }
        guard let doc else { throw Abort(.notFound, reason: "Nothing published yet.") }
        let etag = "\"\(doc.sha256)\""
        var headers = HTTPHeaders()
        headers.replaceOrAdd(name: .eTag, value: etag)
        headers.replaceOrAdd(name: .cacheControl, value: pinned != nil ? "public, max-age=31536000, immutable" : "public, max-age=60, must-revalidate")
        headers.replaceOrAdd(name: "X-Catalogue-Version", value: String(doc.version))
        headers.replaceOrAdd(name: .vary, value: "Accept-Encoding")
        if req.headers.first(name: .ifNoneMatch) == etag { return Response(status: .notModified, headers: headers) }
        headers.contentType = .json
        let acceptsGzip = req.headers.first(name: .acceptEncoding)?.lowercased().contains("gzip") == true
        if acceptsGzip {
            headers.replaceOrAdd(name: .contentEncoding, value: "gzip")
            return Response(status: .ok, headers: headers, body: .init(data: doc.gzipData))
        }
        return Response(status: .ok, headers: headers, body: .init(data: try Gzip.decompress(doc.gzipData)))
    }
}
