import Domain
import Fluent
import Foundation
import Services
import Storage
import Vapor

/// The subscriber API's way in and account (issue 9): bootstrap by hostname or service id, the
/// sign-in methods besides the password (MAC of a linked box, activation code), the account,
/// and the devices that use it.
enum ClientAccountController {
    static func register(open: ClientAPIRoutes, signedIn: ClientAPIRoutes) {
        let tag = "Way in and account"
        open.add(.GET, ["bootstrap"], "Before sign-in: the operator behind a service id or an app hostname, its branding and sign-in methods", tag,
                 query: [("host", "The app's hostname, or a super hostname"), ("service", "With a super hostname: the service id the subscriber typed; alone: the deployment's CRM service"),
                        ("lang", "The language for the hostname's texts (falls back to the default language, then English)")], response: "Bootstrap", use: bootstrap)
        open.add(.POST, ["auth", "mac"], "Sign in a set-top box the operator linked by its MAC address", tag, body: "MACLogin", status: 201, response: "Session", use: macLogin)
        open.add(.POST, ["auth", "activation-code"], "Start a sign-in by code: the TV shows the code and polls", tag, body: "ActivationStart", status: 201,
                 response: "ActivationStarted", use: startActivation)
        open.add(.POST, ["auth", "activation-code", "poll"], "The TV's poll: 202 pending, then 201 with its session once", tag, body: "ActivationPoll", status: 201,
                 response: "Session", use: pollActivation)
        signedIn.add(.POST, ["auth", "activation-code", "confirm"], "Confirm a TV's code for this customer (from a phone)", tag, body: "ActivationConfirm", status: 204,
                     use: confirmActivation)
        signedIn.add(.GET, ["me"], "The account, its product and live extra packages", tag, response: "Me", use: me)
        signedIn.add(.GET, ["devices"], "The devices that use the account", tag, response: "DeviceList", use: devices)
        signedIn.add(.DELETE, ["devices", ":deviceId"], "Sign a device out for good and free its place", tag, status: 204, use: removeDevice)
        signedIn.add(.POST, ["devices", "heartbeat"], "Keep this device's place and session fresh", tag, response: "DeviceHeartbeat", use: heartbeat)
    }

    /// The operator behind an app hostname (or a super hostname plus its service id), or behind a
    /// CRM service name alone as older apps send it. A super hostname without a service id is
    /// refused here: only bootstrap answers it (with the Service ID screen).
    static func deployment(_ req: Request, service: String?, host: String?) async throws -> (DeploymentModel, HostnameModel?) {
        switch try await HostnameResolver.resolve(on: req.db, host: host, service: service) {
        case .hostname(let h, let d): return (d, h)
        case .service(let d): return (d, nil)
        case .serviceRequired(let superHostname):
            throw DomainError(.invalid, code: "service_required", "\(superHostname) serves several operators: give the service id.", fields: ["service": "is required"])
        }
    }

    /// The country a request comes from, when the proxy in front of TVMS says so (e.g.
    /// Cloudflare's CF-IPCountry); TVMS has no geolocation database of its own.
    static func country(_ req: Request) -> String? {
        guard req.application.tvms.config.trustProxy, let c = req.headers.first(name: "CF-IPCountry") ?? req.headers.first(name: "X-Country-Code"),
              c.count == 2, c != "XX" else { return nil }
        return c.uppercased()
    }

    /// Everything an app needs before sign-in (BootstrapDocument), public and cacheable for five
    /// minutes, revalidated by ETag.
    static func bootstrap(_ req: Request) async throws -> Response {
        let resolution = try await HostnameResolver.resolve(on: req.db, host: req.query[String.self, at: "host"], service: req.query[String.self, at: "service"])
        let cache = "public, max-age=300"
        switch resolution {
        case .serviceRequired(let superHostname):
            return try ClientCatalogueController.json(req, ["serviceRequired": true, "hostname": superHostname], cacheControl: cache)
        case .hostname(let h, let d):
            return try ClientCatalogueController.json(req, try await document(req, d, h), cacheControl: cache)
        case .service(let d):
            return try ClientCatalogueController.json(req, try await document(req, d, nil), cacheControl: cache)
        }
    }

    static func document(_ req: Request, _ d: DeploymentModel, _ h: HostnameModel?) async throws -> [String: Any] {
        try await BootstrapDocument.make(req.serviceEnvironment, deployment: d, hostname: h, language: req.query[String.self, at: "lang"],
                                         baseURL: SettingsController.baseURL(req), activationLifetime: Int(ActivationCodeService.lifetime))
    }

    struct DeviceBody: Content { var uid: String; var type: String; var model: String?; var appVersion: String? }
    struct MACBody: Content { var service: String; var mac: String; var device: DeviceBody }

    static func info(_ d: DeviceBody) -> DeviceSessionService.DeviceInfo {
        .init(uid: d.uid, type: d.type, model: d.model ?? "", appVersion: d.appVersion ?? "")
    }

    static func signedIn(_ env: ServiceEnvironment, token: String, ctx: DeviceSessionService.Context) throws -> Response {
        try ClientJSON.response(ClientPlaybackController.LoginReply(token: token, expiresAt: env.now.addingTimeInterval(DeviceSessionService.lifetime),
                                                                    customerId: ctx.customerID, deviceId: ctx.deviceID), status: .created)
    }

    static func macLogin(_ req: Request) async throws -> Response {
        let b = try ClientJSON.decode(MACBody.self, from: req)
        let (d, _) = try await deployment(req, service: b.service, host: nil)
        let env = req.serviceEnvironment
        let (token, ctx) = try await DeviceSessionService.loginWithMAC(env, deploymentID: d.id!, mac: b.mac, device: info(b.device), ip: ClientPlaybackController.ip(req),
                                                                      country: country(req))
        return try signedIn(env, token: token, ctx: ctx)
    }

    struct StartBody: Content { var service: String; var device: DeviceBody }
    struct StartReply: Content { var code: String; var pollToken: String; var verifyURL: String; var expiresAt: Date; var interval: Int }

    static func startActivation(_ req: Request) async throws -> Response {
        let b = try ClientJSON.decode(StartBody.self, from: req)
        let (d, _) = try await deployment(req, service: b.service, host: nil)
        let s = try await ActivationCodeService.start(req.serviceEnvironment, deploymentID: d.id!, device: info(b.device), ip: ClientPlaybackController.ip(req))
        return try ClientJSON.response(StartReply(code: s.code, pollToken: s.pollToken, verifyURL: SettingsController.baseURL(req) + "/activate?service=" + d.crmService,
                                                  expiresAt: s.expiresAt, interval: s.interval), status: .created)
    }

    struct PollBody: Content { var pollToken: String }
    struct Pending: Content { var status: String; var expiresAt: Date; var interval: Int }

    static func pollActivation(_ req: Request) async throws -> Response {
        let b = try ClientJSON.decode(PollBody.self, from: req)
        let env = req.serviceEnvironment
        switch try await ActivationCodeService.poll(env, pollToken: b.pollToken, ip: ClientPlaybackController.ip(req), country: country(req)) {
        case .pending(let expiresAt, let interval):
            return try ClientJSON.response(Pending(status: "pending", expiresAt: expiresAt, interval: interval), status: .accepted)
        case .signedIn(let token, let ctx):
            return try signedIn(env, token: token, ctx: ctx)
        }
    }

    struct ConfirmBody: Content { var code: String }

    static func confirmActivation(_ req: Request) async throws -> Response {
        let b = try ClientJSON.decode(ConfirmBody.self, from: req)
        try await ActivationCodeService.confirm(req.serviceEnvironment, context: req.device, code: b.code)
        return ClientAPI.noContent()
    }

    static func me(_ req: Request) async throws -> Response {
        try ClientJSON.response(try await SubscriberAccountService.me(req.serviceEnvironment, context: req.device))
    }

    struct DeviceList: Content { var devices: [SubscriberAccountService.Device] }

    static func devices(_ req: Request) async throws -> Response {
        try ClientJSON.response(DeviceList(devices: try await SubscriberAccountService.devices(req.serviceEnvironment, context: req.device)))
    }

    static func removeDevice(_ req: Request) async throws -> Response {
        guard let id = req.parameters.get("deviceId", as: Int.self) else { throw DomainError.notFound("The device") }
        try await SubscriberAccountService.removeDevice(req.serviceEnvironment, context: req.device, deviceID: id)
        return ClientAPI.noContent()
    }

    struct Heartbeat: Content { var holdsPlaceUntil: Date }

    static func heartbeat(_ req: Request) async throws -> Response {
        try ClientJSON.response(Heartbeat(holdsPlaceUntil: try await SubscriberAccountService.heartbeat(req.serviceEnvironment, context: req.device,
                                                                                                       ip: ClientPlaybackController.ip(req))))
    }
}

/// `/activate`: where a subscriber confirms a TV's activation code in any browser, with their
/// login id and password (the phone apps confirm through the API instead).
enum ActivationPage {
    static func register(_ console: any RoutesBuilder) {
        console.get("activate", use: page)
        console.post("activate", use: confirm)
    }

    struct VM: Encodable { var csrf: String; var service: String; var code: String; var login: String; var error: String?; var done: Bool }
    struct Form: Content { var service: String?; var code: String?; var login: String?; var password: String? }

    static func render(_ req: Request, _ vm: VM, status: HTTPStatus) async throws -> Response {
        let response = try await req.view.render("activate", vm).encodeResponse(for: req)
        response.status = status
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    static func page(_ req: Request) async throws -> Response {
        try await render(req, VM(csrf: req.csrfToken, service: req.query[String.self, at: "service"] ?? "", code: req.query[String.self, at: "code"] ?? "",
                                 login: "", error: nil, done: false), status: .ok)
    }

    static func confirm(_ req: Request) async throws -> Response {
        let f = try req.content.decode(Form.self)
        do {
            let (d, _) = try await ClientAccountController.deployment(req, service: f.service, host: nil)
            try await ActivationCodeService.confirm(req.serviceEnvironment, deploymentID: d.id!, code: f.code ?? "", login: f.login ?? "", password: f.password ?? "")
            return try await render(req, VM(csrf: req.csrfToken, service: f.service ?? "", code: "", login: "", error: nil, done: true), status: .ok)
        } catch let e as DomainError {
            return try await render(req, VM(csrf: req.csrfToken, service: f.service ?? "", code: f.code ?? "", login: f.login ?? "", error: e.message, done: false),
                                    status: e.kind.status)
        }
    }
}
