import Domain
import Foundation
import Services
import Storage
import Vapor

/// Profiles ("Who is watching"), their PINs, the built-in avatars and the account's parental
/// setting. See docs/CLIENT-API.md for the guarded changes that need the parental PIN.
enum ClientProfilesController {
    static func register(_ api: ClientAPIRoutes) {
        let tag = "Profiles"
        api.add(.GET, ["avatars"], "The built-in avatars a profile can choose", tag, response: "AvatarList", use: avatars)
        api.add(.GET, ["profiles"], "The account's profiles (the default one is made on the first call)", tag, response: "ProfileList", use: list)
        api.add(.POST, ["profiles"], "Add a profile (at most 6 per account)", tag, body: "ProfileCreate", status: 201, response: "Profile", use: create)
        api.add(.GET, ["profiles", ":profileId"], "One profile", tag, response: "Profile", use: get)
        api.add(.PUT, ["profiles", ":profileId"], "Change a profile (fields left out keep their value; null clears maxRating or the PIN)", tag,
                body: "ProfileChange", response: "Profile", use: update)
        api.add(.DELETE, ["profiles", ":profileId"],
                "Delete a profile with its lists; a kids, limited or locked one needs the parental PIN ({\"parentalPin\"} body or X-Parental-PIN header)", tag,
                status: 204, use: delete)
        api.add(.POST, ["profiles", ":profileId", "verify-pin"], "Check a profile's PIN (entering a locked profile)", tag, body: "PINCheck",
                response: "PINVerified", use: verifyPIN)
        api.add(.GET, ["me", "parental"], "The account's parental setting", tag, response: "Parental", use: parental)
        api.add(.PUT, ["me", "parental"], "Set the account's parental PIN and age limit (currentPin once a PIN is set)", tag, body: "ParentalWrite",
                response: "Parental", use: setParental)
    }

    struct AvatarOut: Codable { var id: String; var name: String; var image: String }

    static func avatarURL(_ req: Request, _ id: String) -> String { SettingsController.baseURL(req) + "/api/client/v1/avatars/\(id).svg" }

    static func avatars(_ req: Request) async throws -> Response {
        try ClientJSON.response(["avatars": ProfileRules.avatars.map { AvatarOut(id: $0.id, name: $0.name, image: avatarURL(req, $0.id)) }], noStore: false)
    }

    /// A plain picture per avatar: its colour and initial. Drawn here so no image files ship.
    static func avatarImage(_ req: Request) async throws -> Response {
        let file = req.parameters.get("file") ?? ""
        guard file.hasSuffix(".svg"), let a = ProfileRules.avatar(String(file.dropLast(4))) else { throw DomainError.notFound("The avatar") }
        let svg = """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 128 128" width="128" height="128"><title>\(a.name)</title>\
            <circle cx="64" cy="64" r="64" fill="\(a.colour)"/><text x="64" y="86" font-family="sans-serif" font-size="64" font-weight="700" \
            text-anchor="middle" fill="#ffffff">\(a.name.prefix(1))</text></svg>
            """
        var headers = HTTPHeaders()
        headers.add(name: .contentType, value: "image/svg+xml")
        headers.add(name: .cacheControl, value: "public, max-age=604800")
        return Response(status: .ok, headers: headers, body: .init(string: svg))
    }

    struct ProfileOut: Codable {
        var id: Int; var name: String; var avatar: String; var avatarImage: String; var kids: Bool; var maxRating: Int?; var ratingLimit: Int?
        var pinSet: Bool; var isDefault: Bool; var position: Int
        init(_ p: CustomerProfileModel, _ req: Request) {
            let v = ProfileService.View(p)
            id = v.id; name = v.name; avatar = v.avatar; avatarImage = ClientProfilesController.avatarURL(req, v.avatar); kids = v.kids
            maxRating = v.maxRating; ratingLimit = v.ratingLimit; pinSet = v.pinSet; isDefault = v.isDefault; position = v.position
        }
    }

    struct ProfileList: Codable { var profiles: [ProfileOut]; var maxProfiles: Int }

    static func list(_ req: Request) async throws -> Response {
        let all = try await ProfileService.list(req.serviceEnvironment, context: req.device)
        return try ClientJSON.response(ProfileList(profiles: all.map { ProfileOut($0, req) }, maxProfiles: ProfileRules.maxProfiles))
    }

    static func profileID(_ req: Request) throws -> Int { try ClientAPI.id(req, "profileId", "The profile") }

    static func get(_ req: Request) async throws -> Response {
        try ClientJSON.response(ProfileOut(try await ProfileService.find(req.serviceEnvironment, context: req.device, id: try profileID(req)), req))
    }

    struct CreateBody: Decodable { var name: String; var avatar: String?; var kids: Bool?; var maxRating: Int?; var pin: String? }

    static func create(_ req: Request) async throws -> Response {
        let b = try ClientJSON.decode(CreateBody.self, from: req)
        let p = try await ProfileService.create(req.serviceEnvironment, context: req.device,
                                                input: .init(name: b.name, avatar: b.avatar, kids: b.kids ?? false, maxRating: b.maxRating, pin: b.pin))
        return try ClientJSON.response(ProfileOut(p, req), status: .created)
    }

    /// A change where a field left out keeps its value and `null` clears it (maxRating, pin).
    struct ChangeBody: Decodable {
        var change = ProfileService.Change()
        enum Keys: String, CodingKey { case name, avatar, kids, maxRating, pin, parentalPin }
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: Keys.self)
            change.name = try c.decodeIfPresent(String.self, forKey: .name)
            change.avatar = try c.decodeIfPresent(String.self, forKey: .avatar)
            change.kids = try c.decodeIfPresent(Bool.self, forKey: .kids)
            if c.contains(.maxRating) {
                change.maxRating = .some(try c.decodeNil(forKey: .maxRating) ? nil : try c.decode(Int.self, forKey: .maxRating))
            }
            if c.contains(.pin) {
                change.pin = .some(try c.decodeNil(forKey: .pin) ? nil : try c.decode(String.self, forKey: .pin))
            }
            change.parentalPIN = try c.decodeIfPresent(String.self, forKey: .parentalPin)
        }
    }

    static func update(_ req: Request) async throws -> Response {
        let b = try ClientJSON.decode(ChangeBody.self, from: req)
        let p = try await ProfileService.update(req.serviceEnvironment, context: req.device, id: try profileID(req), change: b.change)
        return try ClientJSON.response(ProfileOut(p, req))
    }

    struct ProofBody: Decodable { var parentalPin: String? }

    static func delete(_ req: Request) async throws -> Response {
        // The PIN comes in the body or, for clients that send no body with DELETE, in a header; never in the URL.
        let pin = try ClientAPI.optionalBody(ProofBody.self, from: req)?.parentalPin ?? req.headers.first(name: "X-Parental-PIN")
        try await ProfileService.delete(req.serviceEnvironment, context: req.device, id: try profileID(req), parentalPIN: pin)
        return ClientAPI.noContent()
    }

    struct PINBody: Decodable { var pin: String }

    static func verifyPIN(_ req: Request) async throws -> Response {
        let b = try ClientJSON.decode(PINBody.self, from: req)
        try await ProfileService.verifyPIN(req.serviceEnvironment, context: req.device, id: try profileID(req), pin: b.pin)
        return try ClientJSON.response(["verified": true])
    }

    static func parental(_ req: Request) async throws -> Response {
        try ClientJSON.response(try await ProfileService.parental(req.serviceEnvironment, context: req.device))
    }

    struct ParentalBody: Decodable { var pin: String?; var currentPin: String?; var maxRating: Int? }

    static func setParental(_ req: Request) async throws -> Response {
        let b = try ClientJSON.decode(ParentalBody.self, from: req)
        return try ClientJSON.response(try await ProfileService.setParental(req.serviceEnvironment, context: req.device, pin: b.pin,
                                                                             currentPIN: b.currentPin, maxRating: b.maxRating))
    }
}
