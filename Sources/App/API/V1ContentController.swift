import Domain
import Fluent
import Foundation
import Services
import Storage
import Vapor

/// REST `/api/v1/deployments/{deploymentId}/…` for the CMS: channels, on-demand items of every
/// kind, packages, PPV rules, publishing, and per customer the entitlement answer and PPV
/// purchases. The same services as the console, so the same rules, scoping and audit trail.
enum V1ContentController {
    static func register(_ app: Application) {
        let base = app.grouped("api", "v1").grouped(BearerAuthMiddleware(), IdempotencyMiddleware())
        let api = APIRoutes(builder: base, catalogue: app.apiCatalogue, authenticated: true)
        let d = ["deployments", ":deploymentId"]
        func e(_ m: HTTPMethod, _ path: [String], _ summary: String, _ tag: String, query: [(String, String)] = [], body: String? = nil, status: Int = 200, response: String? = nil) -> APIEndpoint {
            APIEndpoint(method: m, components: d + path, summary: summary, tag: tag, query: query, requestSchema: body, responseStatus: status, responseSchema: response)
        }
        let paging = [("limit", "Page size, 1–500 (default 50)"), ("cursor", "nextCursor of the previous page")]
        api.add(e(.GET, ["channels"], "Channels by number (keyset pages)", "Channels", query: [("q", "Name prefix, number or tag")] + paging, response: "ChannelList"), use: listChannels)
        api.add(e(.POST, ["channels"], "Add a channel", "Channels", body: "ChannelWrite", status: 201, response: "Channel"), use: createChannel)
        api.add(e(.GET, ["channels", ":channelId"], "One channel", "Channels", response: "Channel"), use: getChannel)
        api.add(e(.PATCH, ["channels", ":channelId"], "Change a channel (fields left out keep their value)", "Channels", body: "ChannelWrite", response: "Channel"), use: updateChannel)
        api.add(e(.DELETE, ["channels", ":channelId"], "Delete a channel", "Channels", status: 204), use: deleteChannel)

        let vodQuery = [("kind", "movie, series, album, course or app (required)"), ("q", "Title prefix or IMDb id"), ("genre", "Genre"),
                        ("sold", "subscription or ppv")] + paging
        api.add(e(.GET, ["vod"], "Movies, series, albums, courses or apps by title (keyset pages)", "VoD", query: vodQuery, response: "VoDList"), use: listVoD)
        api.add(e(.POST, ["vod"], "Add an item of any kind (seasons, episodes, songs and lessons name their parent)", "VoD", body: "VoDWrite", status: 201, response: "VoDItem"), use: createVoD)
        api.add(e(.GET, ["vod", ":itemId"], "One item with its children", "VoD", response: "VoDItem"), use: getVoD)
        api.add(e(.PATCH, ["vod", ":itemId"], "Change an item (fields left out keep their value)", "VoD", body: "VoDWrite", response: "VoDItem"), use: updateVoD)
        api.add(e(.DELETE, ["vod", ":itemId"], "Delete an item with its children", "VoD", status: 204), use: deleteVoD)

        api.add(e(.GET, ["packages"], "Content packages", "Packages", query: [("kind", "channel, movie, series, music, app or course")], response: "PackageList"), use: listPackages)
        api.add(e(.POST, ["packages"], "Add a content package", "Packages", body: "PackageWrite", status: 201, response: "Package"), use: createPackage)
        api.add(e(.GET, ["packages", ":packageId"], "One package with its items", "Packages", response: "Package"), use: getPackage)
        api.add(e(.POST, ["packages", ":packageId", "items"], "Add items (a PPV item is refused)", "Packages", body: "PackageItems", response: "Package"), use: addItems)
        api.add(e(.DELETE, ["packages", ":packageId", "items", ":itemId"], "Take an item out", "Packages", status: 204), use: removeItem)
        api.add(e(.DELETE, ["packages", ":packageId"], "Delete a package no product holds", "Packages", status: 204), use: deletePackage)

        api.add(e(.GET, ["ppv-rules"], "PPV rules of a section", "Pay-per-view", query: [("section", "channel, movie, series, music, app or course")], response: "PPVRuleList"), use: listRules)
        api.add(e(.POST, ["ppv-rules"], "Add a PPV rule", "Pay-per-view", body: "PPVRuleWrite", status: 201, response: "PPVRule"), use: createRule)
        api.add(e(.PUT, ["ppv-rules", ":ruleId"], "Change a rule's name and window", "Pay-per-view", body: "PPVRuleWrite", response: "PPVRule"), use: updateRule)
        api.add(e(.DELETE, ["ppv-rules", ":ruleId"], "Delete a rule no item uses", "Pay-per-view", status: 204), use: deleteRule)

        api.add(e(.POST, ["publish"], "Publish every product's catalogue documents now", "Publishing", response: "PublishResultList"), use: publish)
        api.add(e(.GET, ["publications"], "Publish history, newest first", "Publishing", response: "PublicationList"), use: publications)

        api.add(e(.GET, ["customers", ":customerId", "entitlement"], "May this customer play this item now?", "Entitlements",
                  query: [("ref", "channel:{id} or {kind}:{id}, e.g. movie:12, episode:40")], response: "Entitlement"), use: entitlement)
        api.add(e(.GET, ["customers", ":customerId", "ppv"], "The customer's pay-per-view purchases", "Pay-per-view", response: "PPVPurchaseList"), use: purchases)
        api.add(e(.POST, ["customers", ":customerId", "ppv"], "Buy a PPV item from the wallet or through an API provision", "Pay-per-view",
                  body: "PPVBuy", status: 201, response: "PPVPurchase"), use: buy)
    }

    // MARK: Context

    static func ctx(_ req: Request) throws -> V1CRMController.Ctx {
        let actor = try req.actor
        let id = try req.parameters.require("deploymentId", as: UUID.self)
        try actor.require(.cms, in: id)
        return V1CRMController.Ctx(env: req.serviceEnvironment, actor: actor, deploymentID: id)
    }

    static func int(_ req: Request, _ name: String) throws -> Int {
        guard let v = req.parameters.get(name, as: Int.self) else { throw DomainError.notFound("The \(name.replacingOccurrences(of: "Id", with: ""))") }
        return v
    }

    static func media(_ id: UUID?) -> String? { id.map { "/media/\($0.uuidString.lowercased())" } }

    /// Decimal prices by currency ("3.99") into minor units; a bad one is a field error.
    static func prices(_ raw: [String: String]?) throws -> [String: Int64]? {
        guard let raw else { return nil }
        var out: [String: Int64] = [:]
        for (code, text) in raw {
            guard let c = CurrencyCode(code), let m = Money.parse(text, currency: c) else { throw DomainError.validation(["prices": "\(code) \(text) is not an amount"]) }
            out[c.code] = m.minorUnits
        }
        return out
    }

    static func priceTexts(_ p: [String: Int64]) -> [String: String] {
        p.reduce(into: [String: String]()) { out, price in out[price.key] = CurrencyCode(price.key).map { Money(minorUnits: price.value, currency: $0).amountString } }
    }

    // MARK: Channels

    struct ChannelDTO: Content {
        var id: Int; var number: Int; var name: String; var logo: String?; var hlsUrl: String; var dashUrl: String; var fallbackUrl: String
        var tokenType: String; var drm: String; var ageRating: Int; var parental: Bool; var tags: [String]; var genres: [String]; var catchupDays: Int
        var recordingAllowed: Bool; var vastUrl: String; var preroll: Bool; var overlay: Bool; var ticker: Bool; var pinned: Bool; var enabled: Bool
        var provider: String; var notes: String; var ppvRuleId: Int?; var prices: [String: String]
        init(_ c: ChannelModel, prices: [String: Int64]) {
            id = c.id!; number = c.number; name = c.name; logo = V1ContentController.media(c.logoID); hlsUrl = c.hlsURL; dashUrl = c.dashURL; fallbackUrl = c.fallbackURL
            tokenType = c.tokenType; drm = c.drm; ageRating = c.ageRating; parental = c.parental; tags = PublishService.list(c.tags); genres = PublishService.list(c.genres)
            catchupDays = c.catchupDays; recordingAllowed = c.recordingAllowed; vastUrl = c.vastURL; preroll = c.preroll; overlay = c.overlay; ticker = c.ticker
            pinned = c.pinned; enabled = c.enabled; provider = c.provider; notes = c.notes; ppvRuleId = c.ppvRuleID; self.prices = V1ContentController.priceTexts(prices)
        }
    }

    struct ChannelBody: Content {
        var number: Int?; var name: String?; var hlsUrl: String?; var dashUrl: String?; var fallbackUrl: String?; var tokenType: String?; var drm: String?
        var ageRating: Int?; var parental: Bool?; var tags: [String]?; var genres: [String]?; var catchupDays: Int?; var recordingAllowed: Bool?
        var vastUrl: String?; var preroll: Bool?; var overlay: Bool?; var ticker: Bool?; var pinned: Bool?; var enabled: Bool?; var provider: String?
        var notes: String?; var ppvRuleId: Int?; var prices: [String: String]?; var logoUrl: String?
    }

    static func channelInput(_ req: Request, _ b: ChannelBody, over c: ChannelModel?, prices current: [String: Int64]) async throws -> ChannelService.Input {
        guard let number = b.number ?? c?.number else { throw DomainError.validation(["number": "is required"]) }
        var i = ChannelService.Input(number: number, name: b.name ?? c?.name ?? "")
        i.hlsURL = b.hlsUrl ?? c?.hlsURL ?? ""; i.dashURL = b.dashUrl ?? c?.dashURL ?? ""; i.fallbackURL = b.fallbackUrl ?? c?.fallbackURL ?? ""
        i.tokenType = b.tokenType ?? c?.tokenType ?? "none"; i.drm = b.drm ?? c?.drm ?? "none"; i.ageRating = b.ageRating ?? c?.ageRating ?? 0
        i.parental = b.parental ?? c?.parental ?? false; i.tags = b.tags?.joined(separator: ",") ?? c?.tags ?? ""; i.genres = b.genres?.joined(separator: ",") ?? c?.genres ?? ""
        i.catchupDays = b.catchupDays ?? c?.catchupDays ?? 0; i.recordingAllowed = b.recordingAllowed ?? c?.recordingAllowed ?? false
        i.vastURL = b.vastUrl ?? c?.vastURL ?? ""; i.preroll = b.preroll ?? c?.preroll ?? false; i.overlay = b.overlay ?? c?.overlay ?? false
        i.ticker = b.ticker ?? c?.ticker ?? false; i.pinned = b.pinned ?? c?.pinned ?? false; i.enabled = b.enabled ?? c?.enabled ?? true
        i.provider = b.provider ?? c?.provider ?? ""; i.notes = b.notes ?? c?.notes ?? ""
        i.ppvRuleID = b.ppvRuleId ?? c?.ppvRuleID
        i.prices = try prices(b.prices) ?? current
        if let url = b.logoUrl, !url.isEmpty { i.logo = try await ImageFetcher.fetch(req.outboundHTTP, url: url, maxBytes: ChannelService.logoLimits.maxBytes, field: "logoUrl") }
        return i
    }

    static func channelDTO(_ req: Request, _ x: V1CRMController.Ctx, _ c: ChannelModel) async throws -> ChannelDTO {
        ChannelDTO(c, prices: try await PPVService.prices(x.env, deploymentID: x.deploymentID, ref: .channel(c.id!)))
    }

    static func listChannels(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        var q = ChannelService.Query()
        q.search = req.query[String.self, at: "q"] ?? ""
        q.limit = PageSize.clamp(req.query[Int.self, at: "limit"])
        if let c = try V1Controller.cursor(req) {
            guard let after = Int(c.id) else { throw DomainError(.invalid, code: "bad_cursor", "The cursor is not valid.") }
            q.afterNumber = after
        }
        let (channels, more) = try await ChannelService.list(x.env, actor: x.actor, deploymentID: x.deploymentID, query: q)
        let prices = try await PPVService.prices(x.env, deploymentID: x.deploymentID, refs: channels.filter { $0.ppvRuleID != nil }.map { .channel($0.id!) })
        let next = more ? channels.last.map { PageCursor(sortValue: "", id: String($0.number)).encoded } : nil
        return try await V1CRMController.json(req, V1Controller.ListResponse(data: channels.map { ChannelDTO($0, prices: prices[.channel($0.id!)] ?? [:]) }, nextCursor: next))
    }

    static func createChannel(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        let b = try req.content.decode(ChannelBody.self)
        let c = try await ChannelService.save(x.env, actor: x.actor, deploymentID: x.deploymentID, id: nil, input: try await channelInput(req, b, over: nil, prices: [:]))
        return try await V1CRMController.json(req, try await channelDTO(req, x, c), .created)
    }

    static func getChannel(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        let c = try await ChannelService.find(x.env, actor: x.actor, deploymentID: x.deploymentID, id: try int(req, "channelId"))
        return try await V1CRMController.json(req, try await channelDTO(req, x, c))
    }

    static func updateChannel(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        let current = try await ChannelService.find(x.env, actor: x.actor, deploymentID: x.deploymentID, id: try int(req, "channelId"))
        let b = try req.content.decode(ChannelBody.self)
        let prices = try await PPVService.prices(x.env, deploymentID: x.deploymentID, ref: .channel(current.id!))
        let c = try await ChannelService.save(x.env, actor: x.actor, deploymentID: x.deploymentID, id: current.id!, input: try await channelInput(req, b, over: current, prices: prices))
        return try await V1CRMController.json(req, try await channelDTO(req, x, c))
    }

    static func deleteChannel(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        try await ChannelService.delete(x.env, actor: x.actor, deploymentID: x.deploymentID, id: try int(req, "channelId"))
        return Response(status: .noContent)
    }

    // MARK: VoD

    struct ChildDTO: Content { var id: Int; var kind: String; var number: Int; var title: String; var enabled: Bool }

    struct VoDDTO: Content {
        var id: Int; var kind: String; var parentId: Int?; var number: Int; var title: String; var description: String; var year: Int?
        var durationSeconds: Int; var genres: [String]; var tags: [String]; var actors: String; var director: String; var producer: String
        var credits: String; var guestCast: String; var language: String; var rating: String; var ageRating: Int; var parental: Bool
        var imdbId: String; var tmdbId: Int?; var externalId: String; var provider: String; var streamUrl: String; var trailerUrl: String
        var subtitlesUrl: String; var cover: String?; var image: String?; var tokenType: String; var drm: String; var offlineViewing: Bool
        var offlineDays: Int; var ppvRuleId: Int?; var prices: [String: String]; var vastUrl: String; var preroll: Bool; var overlay: Bool
        var ticker: Bool; var pinned: Bool; var levelId: Int?; var launch: [String: String]; var enabled: Bool; var children: [ChildDTO]
        init(_ m: VoDItemModel, prices: [String: Int64], children: [VoDItemModel]) {
            id = m.id!; kind = m.kind; parentId = m.parentID; number = m.number; title = m.title; description = m.description; year = m.year == 0 ? nil : m.year
            durationSeconds = m.durationSeconds; genres = PublishService.list(m.genres); tags = PublishService.list(m.tags); actors = m.actors; director = m.director
            producer = m.producer; credits = m.credits; guestCast = m.guestCast; language = m.language; rating = m.rating; ageRating = m.ageRating; parental = m.parental
            imdbId = m.imdbID; tmdbId = m.tmdbID; externalId = m.externalID; provider = m.provider; streamUrl = m.streamURL; trailerUrl = m.trailerURL
            subtitlesUrl = m.subtitlesURL; cover = V1ContentController.media(m.coverID); image = V1ContentController.media(m.wideID); tokenType = m.tokenType; drm = m.drm
            offlineViewing = m.offlineViewing; offlineDays = m.offlineDays; ppvRuleId = m.ppvRuleID; self.prices = V1ContentController.priceTexts(prices)
            vastUrl = m.vastURL; preroll = m.preroll; overlay = m.overlay; ticker = m.ticker; pinned = m.pinned; levelId = m.levelID
            launch = [("android", m.launchAndroid), ("apple", m.launchApple), ("smarttv", m.launchSmartTV), ("web", m.launchWeb)].reduce(into: [:]) { if !$1.1.isEmpty { $0[$1.0] = $1.1 } }
            enabled = m.enabled
            self.children = children.map { ChildDTO(id: $0.id!, kind: $0.kind, number: $0.number, title: $0.title, enabled: $0.enabled) }
        }
    }

    struct VoDBody: Content {
        var kind: String?; var parentId: Int?; var number: Int?; var title: String?; var description: String?; var year: Int?; var durationSeconds: Int?
        var genres: [String]?; var tags: [String]?; var actors: String?; var director: String?; var producer: String?; var credits: String?; var guestCast: String?
        var language: String?; var rating: String?; var ageRating: Int?; var parental: Bool?; var imdbId: String?; var externalId: String?; var provider: String?
        var streamUrl: String?; var trailerUrl: String?; var subtitlesUrl: String?; var tokenType: String?; var drm: String?; var offlineViewing: Bool?
        var offlineDays: Int?; var ppvRuleId: Int?; var prices: [String: String]?; var vastUrl: String?; var preroll: Bool?; var overlay: Bool?; var ticker: Bool?
        var pinned: Bool?; var levelId: Int?; var launch: [String: String]?; var enabled: Bool?; var addToTop: Bool?; var coverUrl: String?; var imageUrl: String?
    }

    static func vodInput(_ req: Request, _ b: VoDBody, base: VoDService.Input) async throws -> VoDService.Input {
        var i = base
        i.parentID = b.parentId ?? i.parentID; i.number = b.number ?? i.number; i.title = b.title ?? i.title; i.description = b.description ?? i.description
        i.year = b.year ?? i.year; i.durationSeconds = b.durationSeconds ?? i.durationSeconds; i.genres = b.genres?.joined(separator: ",") ?? i.genres
        i.tags = b.tags?.joined(separator: ",") ?? i.tags; i.actors = b.actors ?? i.actors; i.director = b.director ?? i.director; i.producer = b.producer ?? i.producer
        i.credits = b.credits ?? i.credits; i.guestCast = b.guestCast ?? i.guestCast; i.language = b.language ?? i.language; i.rating = b.rating ?? i.rating
        i.ageRating = b.ageRating ?? i.ageRating; i.parental = b.parental ?? i.parental; i.imdbID = b.imdbId ?? i.imdbID; i.externalID = b.externalId ?? i.externalID
        i.provider = b.provider ?? i.provider; i.streamURL = b.streamUrl ?? i.streamURL; i.trailerURL = b.trailerUrl ?? i.trailerURL
        i.subtitlesURL = b.subtitlesUrl ?? i.subtitlesURL; i.tokenType = b.tokenType ?? i.tokenType; i.drm = b.drm ?? i.drm
        i.offlineViewing = b.offlineViewing ?? i.offlineViewing; i.offlineDays = b.offlineDays ?? i.offlineDays; i.ppvRuleID = b.ppvRuleId ?? i.ppvRuleID
        i.prices = try prices(b.prices) ?? i.prices; i.vastURL = b.vastUrl ?? i.vastURL; i.preroll = b.preroll ?? i.preroll; i.overlay = b.overlay ?? i.overlay
        i.ticker = b.ticker ?? i.ticker; i.pinned = b.pinned ?? i.pinned; i.levelID = b.levelId ?? i.levelID; i.enabled = b.enabled ?? i.enabled
        i.addToTop = b.addToTop ?? false
        if let l = b.launch {
            i.launchAndroid = l["android"] ?? i.launchAndroid; i.launchApple = l["apple"] ?? i.launchApple
            i.launchSmartTV = l["smarttv"] ?? i.launchSmartTV; i.launchWeb = l["web"] ?? i.launchWeb
        }
        if let url = b.coverUrl, !url.isEmpty { i.cover = try await ImageFetcher.fetch(req.outboundHTTP, url: url, maxBytes: VoDService.artworkLimits.maxBytes, field: "coverUrl") }
        if let url = b.imageUrl, !url.isEmpty { i.wide = try await ImageFetcher.fetch(req.outboundHTTP, url: url, maxBytes: VoDService.artworkLimits.maxBytes, field: "imageUrl") }
        return i
    }

    static func vodDTO(_ x: V1CRMController.Ctx, _ m: VoDItemModel) async throws -> VoDDTO {
        VoDDTO(m, prices: try await PPVService.prices(x.env, deploymentID: x.deploymentID, ref: ContentRef(kind: m.kind, id: m.id!)),
               children: try await VoDService.children(x.env, parentID: m.id!))
    }

    static func listVoD(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        guard let kind = VoDKind(rawValue: req.query[String.self, at: "kind"] ?? ""), kind.isRoot else {
            throw DomainError.validation(["kind": "must be movie, series, album, course or app"])
        }
        var q = VoDService.Query(kind: kind)
        q.search = req.query[String.self, at: "q"] ?? ""
        q.genre = req.query[String.self, at: "genre"] ?? ""
        q.ppv = ["ppv": true, "subscription": false][req.query[String.self, at: "sold"] ?? ""]
        q.limit = PageSize.clamp(req.query[Int.self, at: "limit"])
        if let c = try V1Controller.cursor(req) {
            guard let id = Int(c.id) else { throw DomainError(.invalid, code: "bad_cursor", "The cursor is not valid.") }
            q.after = (c.sortValue, id)
        }
        let (items, more) = try await VoDService.list(x.env, actor: x.actor, deploymentID: x.deploymentID, query: q)
        let prices = try await PPVService.prices(x.env, deploymentID: x.deploymentID, refs: items.filter { $0.ppvRuleID != nil }.map { ContentRef(kind: $0.kind, id: $0.id!) })
        let next = more ? items.last.map { PageCursor(sortValue: $0.searchTitle, id: String($0.id!)).encoded } : nil
        return try await V1CRMController.json(req, V1Controller.ListResponse(data: items.map { VoDDTO($0, prices: prices[ContentRef(kind: $0.kind, id: $0.id!)] ?? [:], children: []) }, nextCursor: next))
    }

    static func createVoD(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        let b = try req.content.decode(VoDBody.self)
        guard let kind = VoDKind(rawValue: b.kind ?? "") else { throw DomainError.validation(["kind": "must be one of \(VoDKind.allCases.map(\.rawValue).joined(separator: ", "))"]) }
        let m = try await VoDService.save(x.env, actor: x.actor, deploymentID: x.deploymentID, id: nil,
                                          input: try await vodInput(req, b, base: VoDService.Input(kind: kind, title: "")))
        return try await V1CRMController.json(req, try await vodDTO(x, m), .created)
    }

    static func getVoD(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        return try await V1CRMController.json(req, try await vodDTO(x, try await VoDService.find(x.env, actor: x.actor, deploymentID: x.deploymentID, id: try int(req, "itemId"))))
    }

    static func updateVoD(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        let m = try await VoDService.find(x.env, actor: x.actor, deploymentID: x.deploymentID, id: try int(req, "itemId"))
        let b = try req.content.decode(VoDBody.self)
        if let k = b.kind, k != m.kind { throw DomainError.validation(["kind": "cannot change (\(m.kind))"]) }
        let current = VoDService.input(of: m, prices: try await PPVService.prices(x.env, deploymentID: x.deploymentID, ref: ContentRef(kind: m.kind, id: m.id!)))
        let saved = try await VoDService.save(x.env, actor: x.actor, deploymentID: x.deploymentID, id: m.id!, input: try await vodInput(req, b, base: current))
        return try await V1CRMController.json(req, try await vodDTO(x, saved))
    }

    static func deleteVoD(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        try await VoDService.delete(x.env, actor: x.actor, deploymentID: x.deploymentID, id: try int(req, "itemId"))
        return Response(status: .noContent)
    }

    // MARK: Packages

    struct PackageDTO: Content { var id: Int; var kind: String; var name: String; var description: String; var items: [Int]; var grantedBy: Int }
    struct PackageBody: Content { var kind: String; var name: String; var description: String? }
    struct ItemsBody: Content { var items: [Int] }

    static func packageDTO(_ req: Request, _ x: V1CRMController.Ctx, _ p: ContentPackageModel) async throws -> PackageDTO {
        PackageDTO(id: p.id!, kind: p.kind, name: p.name, description: p.description, items: try await PackageService.items(x.env, packageID: p.id!),
                   grantedBy: try await PackageGrantModel.query(on: req.db).filter(\.$packageID == p.id!).count())
    }

    static func kind(_ text: String?, field: String) throws -> ContentKind? {
        guard let text, !text.isEmpty else { return nil }
        guard let k = ContentKind(rawValue: text) else { throw DomainError.validation([field: "must be one of \(ContentKind.allCases.map(\.rawValue).joined(separator: ", "))"]) }
        return k
    }

    static func listPackages(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        let all = try await PackageService.list(x.env, actor: x.actor, deploymentID: x.deploymentID, kind: try kind(req.query[String.self, at: "kind"], field: "kind"))
        var out: [PackageDTO] = []
        for p in all { out.append(try await packageDTO(req, x, p)) }
        return try await V1CRMController.json(req, V1CRMController.DataList(data: out))
    }

    static func createPackage(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        let b = try req.content.decode(PackageBody.self)
        guard let k = try kind(b.kind, field: "kind") else { throw DomainError.validation(["kind": "is required"]) }
        let p = try await PackageService.create(x.env, actor: x.actor, deploymentID: x.deploymentID, kind: k, name: b.name, description: b.description ?? "")
        return try await V1CRMController.json(req, try await packageDTO(req, x, p), .created)
    }

    static func getPackage(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        return try await V1CRMController.json(req, try await packageDTO(req, x, try await PackageService.find(x.env, actor: x.actor, deploymentID: x.deploymentID, id: try int(req, "packageId"))))
    }

    static func addItems(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        let id = try int(req, "packageId")
        _ = try await PackageService.add(x.env, actor: x.actor, deploymentID: x.deploymentID, packageID: id, items: try req.content.decode(ItemsBody.self).items)
        return try await V1CRMController.json(req, try await packageDTO(req, x, try await PackageService.find(x.env, actor: x.actor, deploymentID: x.deploymentID, id: id)))
    }

    static func removeItem(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        try await PackageService.remove(x.env, actor: x.actor, deploymentID: x.deploymentID, packageID: try int(req, "packageId"), item: try int(req, "itemId"))
        return Response(status: .noContent)
    }

    static func deletePackage(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        try await PackageService.delete(x.env, actor: x.actor, deploymentID: x.deploymentID, id: try int(req, "packageId"))
        return Response(status: .noContent)
    }

    // MARK: PPV rules

    struct RuleDTO: Content { var id: Int; var section: String; var name: String; var unit: String; var count: Int }
    struct RuleBody: Content { var section: String?; var name: String; var unit: String; var count: Int }

    static func ruleDTO(_ r: PPVRuleModel) -> RuleDTO { RuleDTO(id: r.id!, section: r.section, name: r.name, unit: r.unit, count: r.count) }

    static func listRules(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        guard let section = try kind(req.query[String.self, at: "section"], field: "section") else { throw DomainError.validation(["section": "is required"]) }
        return try await V1CRMController.json(req, V1CRMController.DataList(data: try await PPVService.rules(x.env, actor: x.actor, deploymentID: x.deploymentID, section: section).map(ruleDTO)))
    }

    static func createRule(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        let b = try req.content.decode(RuleBody.self)
        guard let section = try kind(b.section, field: "section") else { throw DomainError.validation(["section": "is required"]) }
        let r = try await PPVService.saveRule(x.env, actor: x.actor, deploymentID: x.deploymentID, section: section, id: nil, name: b.name, unit: b.unit, count: b.count)
        return try await V1CRMController.json(req, ruleDTO(r), .created)
    }

    static func updateRule(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        let id = try int(req, "ruleId")
        guard let current = try await PPVRuleModel.query(on: req.db).filter(\.$id == id).filter(\.$deploymentID == x.deploymentID).first(),
              let section = ContentKind(rawValue: current.section) else { throw DomainError.notFound("The PPV rule") }
        let b = try req.content.decode(RuleBody.self)
        let r = try await PPVService.saveRule(x.env, actor: x.actor, deploymentID: x.deploymentID, section: section, id: id, name: b.name, unit: b.unit, count: b.count)
        return try await V1CRMController.json(req, ruleDTO(r))
    }

    static func deleteRule(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        try await PPVService.deleteRule(x.env, actor: x.actor, deploymentID: x.deploymentID, id: try int(req, "ruleId"))
        return Response(status: .noContent)
    }

    // MARK: Publishing

    struct PublishResultDTO: Content { var productId: Int; var kind: String; var version: Int; var changed: Bool; var items: Int; var bytes: Int; var gzipBytes: Int }
    struct PublicationDTO: Content {
        var id: Int; var productId: Int; var kind: String; var version: Int; var sha256: String; var items: Int; var bytes: Int; var gzipBytes: Int
        var publishedAt: Date; var publishedBy: String
    }

    static func publish(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        let results = try await PublishService.publish(x.env, actor: x.actor, deploymentID: x.deploymentID, targets: req.application.tvms.publishTargets)
        return try await V1CRMController.json(req, V1CRMController.DataList(data: results.map {
            PublishResultDTO(productId: $0.productID, kind: $0.kind, version: $0.version, changed: $0.changed, items: $0.items, bytes: $0.bytes, gzipBytes: $0.gzipBytes)
        }))
    }

    static func publications(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        let history = try await PublishService.history(x.env, actor: x.actor, deploymentID: x.deploymentID)
        return try await V1CRMController.json(req, V1CRMController.DataList(data: history.map {
            PublicationDTO(id: $0.id!, productId: $0.productID, kind: $0.kind, version: $0.version, sha256: $0.sha256, items: $0.itemCount, bytes: $0.byteSize,
                           gzipBytes: $0.gzipSize, publishedAt: $0.publishedAt, publishedBy: $0.publishedBy)
        }))
    }

    // MARK: Entitlements and purchases

    /// Customer routes go through the CRM permission (a reseller token reaches its own customers).
    static func customer(_ req: Request) async throws -> (V1CRMController.Ctx, CustomerModel) {
        let x = try V1CRMController.ctx(req)
        let c = try await CustomerService.find(x.env, actor: x.actor, deploymentID: x.deploymentID, id: try int(req, "customerId"), resellerMayAct: true)
        return (x, c)
    }

    struct EntitlementDTO: Content { var ref: String; var allowed: Bool; var reason: String }

    static func entitlement(_ req: Request) async throws -> Response {
        let (x, c) = try await customer(req)
        guard let ref = ContentRef(req.query[String.self, at: "ref"] ?? "") else { throw DomainError.validation(["ref": "must be channel:{id} or {kind}:{id}"]) }
        let reason: String
        switch try await Entitlements.decide(x.env, customer: c, ref: ref) {
        case .allowed: reason = "allowed"
        case .notServed(let s): reason = "customer_\(s.rawValue)"
        case .notInPackages: reason = "not_in_packages"
        case .disabledItem: reason = "item_disabled"
        }
        return try await V1CRMController.json(req, EntitlementDTO(ref: ref.description, allowed: reason == "allowed", reason: reason))
    }

    struct PurchaseDTO: Content {
        var id: Int; var content: String; var title: String; var price: Int64; var currency: String; var purchasedAt: Date; var accessUntil: Date
        init(_ p: PPVPurchaseModel) {
            id = p.id!; content = p.contentRef; title = p.title; price = p.price; currency = p.currency; purchasedAt = p.purchasedAt; accessUntil = p.accessUntil
        }
    }

    struct BuyBody: Content { var ref: String; var provisionId: Int? }

    static func purchases(_ req: Request) async throws -> Response {
        let (x, c) = try await customer(req)
        return try await V1CRMController.json(req, V1CRMController.DataList(data: try await PPVService.purchases(x.env, customerID: c.id!).map(PurchaseDTO.init)))
    }

    static func buy(_ req: Request) async throws -> Response {
        let (x, c) = try await customer(req)
        let b = try req.content.decode(BuyBody.self)
        guard let ref = ContentRef(b.ref) else { throw DomainError.validation(["ref": "must be channel:{id} or {kind}:{id}"]) }
        let p: PPVPurchaseModel
        if let provision = b.provisionId {
            p = try await PPVService.buyWithProvision(x.env, http: req.outboundHTTP, actor: x.actor, deploymentID: x.deploymentID, provisionID: provision, customerID: c.id!, ref: ref)
        } else {
            p = try await PPVService.buyWithWallet(x.env, actor: x.actor, deploymentID: x.deploymentID, customerID: c.id!, ref: ref)
        }
        return try await V1CRMController.json(req, PurchaseDTO(p), .created)
    }
}
