import Domain
import Foundation
import Fluent
import Services
import Storage
import Vapor

/// The catalogue as the signed-in customer sees it (issue 9): channels with groups, the guide
/// and now/next, on-demand sections and items, search and the home rails.
enum ClientCatalogueController {
    static func register(_ api: ClientAPIRoutes) {
        let tag = "Catalogue"
        let channels = ("channels", "Channel ids separated by commas; default all")
        let profile = ("profileId", "Show only what this profile may watch (its age limit; kids profiles see nothing marked parental)")
        api.add(.GET, ["channels"], "The customer's channels by number, with UI groups", tag, query: [profile], response: "ChannelList", use: self.channels)
        api.add(.GET, ["epg"], "The guide of the customer's channels", tag,
                query: [("date", "A day in the operator's time zone, YYYY-MM-DD"), ("from", "ISO 8601 instant"), ("to", "ISO 8601 instant; at most 15 days after from"), channels, profile],
                response: "Guide", use: guide)
        api.add(.GET, ["epg", "now-next"], "What is on now and next", tag, query: [channels, profile], response: "NowNext", use: nowNext)
        api.add(.GET, ["vod", ":section"], "One page of movies, series, music, courses or apps", tag,
                query: [("genre", "Only this genre"), ("after", "The previous page's next"), ("limit", "1 to 200, default 60"), profile], response: "VoDPage", use: section)
        api.add(.GET, ["vod", "items", ":itemId"], "One item with its children, access and pay-per-view offer", tag, query: [profile], response: "VoDItem", use: item)
        api.add(.GET, ["search"], "Channels and on-demand items by title, actor or director", tag, query: [("q", "2 to 100 characters"), profile], response: "SearchResult", use: search)
        api.add(.GET, ["home"], "The home screen's rails", tag, query: [profile], response: "Home", use: home)
    }

    /// JSON values written canonically; private to the device (it says what this customer may
    /// watch), revalidated by ETag.
    static func json(_ req: Request, _ value: [String: Any], cacheControl: String = "private, no-cache") throws -> Response {
        let bytes = try CanonicalJSON.encode(value)
        let etag = "\"" + Hex.encode(Insecure.SHA1.hash(data: bytes)) + "\""
        var headers = HTTPHeaders()
        headers.add(name: .contentType, value: "application/json; charset=utf-8")
        headers.add(name: .cacheControl, value: cacheControl)
        headers.add(name: .eTag, value: etag)
        if ClientJSON.holds(req, etag: etag) { return Response(status: .notModified, headers: headers) }
        return Response(status: .ok, headers: headers, body: .init(data: Data(bytes)))
    }

    static func viewer(_ req: Request) async throws -> SubscriberCatalogue.Viewer {
        try await SubscriberCatalogue.viewer(req.serviceEnvironment, context: req.device, profileID: req.query[Int.self, at: "profileId"])
    }

    static func channels(_ req: Request) async throws -> Response {
        try json(req, try await SubscriberCatalogue.channelsJSON(req.serviceEnvironment, context: req.device, viewer: try await viewer(req)))
    }

    static func guide(_ req: Request) async throws -> Response {
        let env = req.serviceEnvironment
        let from: Date
        let to: Date
        if let day = req.query[String.self, at: "date"] {
            // A calendar day in the operator's time zone, as the guide screen pages by day.
            guard let start = try await dayStart(req, day) else { throw DomainError.validation(["date": "must be a day like 2026-11-25"]) }
            (from, to) = (start, start.addingTimeInterval(86_400))
        } else {
            from = try EPGGuideController.date(req, "from", default: env.now.addingTimeInterval(-3600))
            to = try EPGGuideController.date(req, "to", default: from.addingTimeInterval(86_400))
        }
        return try json(req, try await SubscriberCatalogue.guide(env, context: req.device, ids: try EPGGuideController.ids(req), from: from, to: to,
                                                                 viewer: try await viewer(req)))
    }

    static func dayStart(_ req: Request, _ day: String) async throws -> Date? {
        let parts = day.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3, let d = try await DeploymentModel.find(req.device.deploymentID, on: req.db),
              let zone = TimeZone(identifier: d.timeZone) else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        return calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2]))
    }

    static func nowNext(_ req: Request) async throws -> Response {
        try json(req, try await SubscriberCatalogue.nowNext(req.serviceEnvironment, context: req.device, ids: try EPGGuideController.ids(req),
                                                            viewer: try await viewer(req)))
    }

    static func section(_ req: Request) async throws -> Response {
        let name = try req.parameters.require("section")
        return try json(req, try await SubscriberCatalogue.section(req.serviceEnvironment, context: req.device, name: name, genre: req.query[String.self, at: "genre"],
                                                                   after: req.query[Int.self, at: "after"],
                                                                   limit: req.query[Int.self, at: "limit"] ?? SubscriberCatalogue.pageSize,
                                                                   viewer: try await viewer(req)))
    }

    static func item(_ req: Request) async throws -> Response {
        guard let id = req.parameters.get("itemId", as: Int.self) else { throw DomainError.notFound("The item") }
        return try json(req, try await SubscriberCatalogue.item(req.serviceEnvironment, context: req.device, id: id, viewer: try await viewer(req)))
    }

    static func search(_ req: Request) async throws -> Response {
        try json(req, try await SubscriberCatalogue.search(req.serviceEnvironment, context: req.device, query: req.query[String.self, at: "q"] ?? "",
                                                           viewer: try await viewer(req)))
    }

    static func home(_ req: Request) async throws -> Response {
        try json(req, try await SubscriberCatalogue.home(req.serviceEnvironment, context: req.device, viewer: try await viewer(req)))
    }
}
