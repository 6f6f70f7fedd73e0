import Domain
import Fluent
import Foundation
import Services
import Storage
import Vapor

/// The part of the subscriber API that delivery needs (issue 8): sign a device in, ask to play,
/// keep a playback counted, stop it, and cloud-PVR recordings. Errors are the API's JSON error
/// shape with stable codes (`not_entitled`, `max_streams_reached`, `parental_pin_required`…).
/// Issue 9 grows the rest of the subscriber API around it.
enum ClientPlaybackController {
    static func register(_ app: Application) {
        let client = app.grouped("api", "client", "v1")
        let catalogue = app.clientAPICatalogue
        let open = ClientAPIRoutes(builder: client, catalogue: catalogue)
        let api = ClientAPIRoutes(builder: client.grouped(DeviceSessionMiddleware()), catalogue: catalogue)
        let tag = "Sign-in and playback"
        open.add(.POST, ["auth", "login"], "Sign a device in with the login id and password", tag, body: "LoginRequest", status: 201, response: "Session", use: login)
        api.add(.POST, ["auth", "logout"], "Sign this device out (its playbacks end)", tag, status: 204, use: logout)
        api.add(.POST, ["play"], "Signed addresses, DRM data and ad flags for live, catch-up, a recording or an on-demand item", tag,
                body: "PlayRequest", response: "Grant", use: play)
        api.add(.POST, ["play", ":playbackId", "heartbeat"], "Keep a playback counted for the stream limit", tag, status: 204, use: heartbeat)
        api.add(.POST, ["play", ":playbackId", "stop"], "End a playback", tag, status: 204, use: stop)
        let pvr = "Recordings"
        api.add(.GET, ["recordings"], "Cloud-PVR recordings and the quota", pvr, response: "RecordingList", use: recordings)
        api.add(.POST, ["recordings"], "Schedule a recording by programme times", pvr, body: "RecordingRequest", status: 201, response: "Recording", use: record)
        api.add(.DELETE, ["recordings", ":recordingId"], "Delete a recording", pvr, status: 204, use: deleteRecording)
        ClientAccountController.register(open: open, signedIn: api)
        ClientUIToolkitController.register(open)
        ClientCatalogueController.register(api)
        ClientPersonalAPI.register(app)
    }

    struct LoginBody: Content {
        struct Device: Content { var uid: String; var type: String; var model: String?; var appVersion: String? }
        /// The operator's CRM service name (the apps' Service ID).
        var service: String
        var login: String
        var password: String
        var device: Device
    }

    struct LoginReply: Content { var token: String; var expiresAt: Date; var customerId: Int; var deviceId: Int }

    static func ip(_ req: Request) -> String { req.clientIP ?? "0.0.0.0" }

    static func login(_ req: Request) async throws -> Response {
        let b = try ClientJSON.decode(LoginBody.self, from: req)
        let env = req.serviceEnvironment
        guard let d = try await DeploymentModel.query(on: req.db).filter(\.$crmService == b.service.lowercased()).first() else {
            throw DomainError(.notFound, code: "unknown_service", "No operator has the service id \(b.service).")
        }
        let (token, ctx) = try await DeviceSessionService.login(env, deploymentID: d.id!, login: b.login, password: b.password,
                                                                 device: .init(uid: b.device.uid, type: b.device.type, model: b.device.model ?? "",
                                                                               appVersion: b.device.appVersion ?? ""), ip: ip(req),
                                                                 country: ClientAccountController.country(req))
        return try ClientJSON.response(LoginReply(token: token, expiresAt: env.now.addingTimeInterval(DeviceSessionService.lifetime),
                                                  customerId: ctx.customerID, deviceId: ctx.deviceID), status: .created)
    }

    static func logout(_ req: Request) async throws -> Response {
        try await DeviceSessionService.logout(req.serviceEnvironment, context: req.device)
        return ClientAPI.noContent()
    }

    struct PlayBody: Content {
        var kind: String
        var item: String?
        var recordingId: Int?
        var start: Date?
        var stop: Date?
        var pin: String?
        var profileId: Int?
    }

    static func play(_ req: Request) async throws -> Response {
        let b = try ClientJSON.decode(PlayBody.self, from: req)
        guard let kind = PlaybackService.Kind(rawValue: b.kind) else {
            throw DomainError.validation(["kind": "must be one of \(PlaybackService.Kind.allCases.map(\.rawValue).joined(separator: ", "))"])
        }
        var ref: ContentRef? = nil
        if let item = b.item {
            guard let r = ContentRef(item) else { throw DomainError.validation(["item": "must look like channel:3 or movie:12"]) }
            ref = r
        }
        let grant = try await PlaybackService.authorise(req.serviceEnvironment, context: req.device,
                                                        request: .init(kind: kind, item: ref, recordingID: b.recordingId, start: b.start, stop: b.stop, pin: b.pin, profileID: b.profileId),
                                                        ip: ip(req))
        return try ClientJSON.response(grant)
    }

    static func playbackID(_ req: Request) throws -> Int {
        guard let id = req.parameters.get("playbackId", as: Int.self) else { throw DomainError.notFound("The playback") }
        return id
    }

    static func heartbeat(_ req: Request) async throws -> Response {
        try await PlaybackService.heartbeat(req.serviceEnvironment, context: req.device, playbackID: try playbackID(req))
        return ClientAPI.noContent()
    }

    static func stop(_ req: Request) async throws -> Response {
        try await PlaybackService.stop(req.serviceEnvironment, context: req.device, playbackID: try playbackID(req))
        return ClientAPI.noContent()
    }

    struct RecordingOut: Content {
        var id: Int; var channelId: Int; var title: String; var start: Date; var stop: Date; var state: String; var failure: String?
        init(_ r: RecordingModel) {
            id = r.id!; channelId = r.channelID; title = r.title; start = r.start; stop = r.stop; state = r.state; failure = r.failure.isEmpty ? nil : r.failure
        }
    }

    struct RecordingList: Content { var recordings: [RecordingOut]; var quota: RecordingService.Quota }

    static func recordings(_ req: Request) async throws -> Response {
        let env = req.serviceEnvironment
        return try ClientJSON.response(RecordingList(recordings: try await RecordingService.list(env, customerID: req.device.customerID).map(RecordingOut.init),
                                                       quota: try await RecordingService.quota(env, customerID: req.device.customerID)))
    }

    struct RecordBody: Content { var channelId: Int; var start: Date; var stop: Date; var title: String? }

    static func record(_ req: Request) async throws -> Response {
        let b = try ClientJSON.decode(RecordBody.self, from: req)
        let r = try await RecordingService.schedule(req.serviceEnvironment, context: req.device, channelID: b.channelId, start: b.start, stop: b.stop, title: b.title ?? "")
        return try ClientJSON.response(RecordingOut(r), status: .created)
    }

    static func deleteRecording(_ req: Request) async throws -> Response {
        guard let id = req.parameters.get("recordingId", as: Int.self) else { throw DomainError.notFound("The recording") }
        try await RecordingService.delete(req.serviceEnvironment, context: req.device, id: id)
        return ClientAPI.noContent()
    }
}

/// Resolves the device bearer token of the subscriber API (`Authorization: Bearer tvms_dev_…`).
struct DeviceSessionMiddleware: AsyncMiddleware {
    struct Key: StorageKey { typealias Value = DeviceSessionService.Context }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard let token = request.headers.bearerAuthorization?.token,
              let ctx = try await DeviceSessionService.resolve(request.serviceEnvironment, token: token) else {
            throw DomainError(.unauthorized, code: "session_invalid", "Sign in again: the device session is missing, expired or ended.")
        }
        request.storage[Key.self] = ctx
        return try await next.respond(to: request)
    }
}

extension Request {
    /// The signed-in device (set by DeviceSessionMiddleware).
    var device: DeviceSessionService.Context { storage[DeviceSessionMiddleware.Key.self]! }
}
