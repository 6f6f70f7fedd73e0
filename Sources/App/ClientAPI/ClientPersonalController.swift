import Domain
import Foundation
import Services
import Storage
import Vapor

/// A profile's favourites, watchlist ("My List") and resume points.
enum ClientPersonalController {
    static func register(_ api: ClientAPIRoutes) {
        let tag = "Personal data"
        for list in PersonalDataService.List.allCases {
            let name = list == .favorites ? "favourites" : "watchlist"
            api.add(.GET, ["profiles", ":profileId", list.rawValue], "The profile's \(name), newest first", tag, response: "ListEntries") { try await entries($0, list) }
            api.add(.PUT, ["profiles", ":profileId", list.rawValue, ":type", ":itemId"], "Add an item to the \(name) (201 new, 200 already there)", tag,
                    response: "ListEntry") { try await add($0, list) }
            api.add(.DELETE, ["profiles", ":profileId", list.rawValue, ":type", ":itemId"], "Take an item off the \(name) (204 also when it was not there)", tag,
                    status: 204) { try await remove($0, list) }
        }
        api.add(.PUT, ["profiles", ":profileId", "progress"], "Store where the profile stopped in a title (finished from 95 %)", tag,
                body: "ProgressWrite", response: "Progress", use: saveProgress)
        api.add(.GET, ["profiles", ":profileId", "progress", ":type", ":itemId"], "The resume point of one title", tag, response: "Progress", use: progress)
        api.add(.GET, ["profiles", ":profileId", "continue-watching"], "Unfinished titles the customer may still play, most recent first", tag,
                query: [("limit", "1–50, default 20")], response: "ProgressList", use: continueWatching)
    }

    static func profileID(_ req: Request) throws -> Int { try ClientAPI.id(req, "profileId", "The profile") }

    static func item(_ req: Request) throws -> (type: String, id: Int) {
        guard let type = req.parameters.get("type"), let id = req.parameters.get("itemId", as: Int.self) else { throw DomainError.notFound("The item") }
        return (type, id)
    }

    static func entries(_ req: Request, _ list: PersonalDataService.List) async throws -> Response {
        let items = try await PersonalDataService.entries(req.serviceEnvironment, context: req.device, profileID: try profileID(req), list: list)
        return try ClientJSON.response(["items": items])
    }

    static func add(_ req: Request, _ list: PersonalDataService.List) async throws -> Response {
        let i = try item(req)
        let (entry, created) = try await PersonalDataService.add(req.serviceEnvironment, context: req.device, profileID: try profileID(req), list: list, type: i.type, id: i.id)
        return try ClientJSON.response(entry, status: created ? .created : .ok)
    }

    static func remove(_ req: Request, _ list: PersonalDataService.List) async throws -> Response {
        let i = try item(req)
        try await PersonalDataService.remove(req.serviceEnvironment, context: req.device, profileID: try profileID(req), list: list, type: i.type, id: i.id)
        return ClientAPI.noContent()
    }

    struct ProgressBody: Decodable { var item: String; var position: Int; var duration: Int }

    static func saveProgress(_ req: Request) async throws -> Response {
        let b = try ClientJSON.decode(ProgressBody.self, from: req)
        return try ClientJSON.response(try await PersonalDataService.saveProgress(req.serviceEnvironment, context: req.device, profileID: try profileID(req),
                                                                                  item: b.item, position: b.position, duration: b.duration))
    }

    static func progress(_ req: Request) async throws -> Response {
        let i = try item(req)
        guard let p = try await PersonalDataService.progress(req.serviceEnvironment, context: req.device, profileID: try profileID(req), item: "\(i.type):\(i.id)") else {
            throw DomainError.notFound("The resume point")
        }
        return try ClientJSON.response(p)
    }

    static func continueWatching(_ req: Request) async throws -> Response {
        let limit = req.query[Int.self, at: "limit"] ?? 20
        let items = try await PersonalDataService.continueWatching(req.serviceEnvironment, context: req.device, profileID: try profileID(req), limit: limit)
        return try ClientJSON.response(["items": items])
    }
}
