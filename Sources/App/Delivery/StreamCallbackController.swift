import Domain
import Foundation
import Services
import Vapor

/// The callback endpoints streaming servers call (docs/DELIVERY.md, "Callback adapters"). The
/// secret key in the path names the calling server; an unknown or switched-off key is refused
/// like a denied viewer, and every answer is in the form that server expects:
///
/// - `GET /stream-auth/flussonic/{key}?name=&ip=&token=&request_type=&media_request=…` —
///   Flussonic's auth backend: 200 with `X-AuthDuration`, `X-UserId`, `X-Max-Sessions`
///   (`X-Unique: true` for a one-stream product), or 403.
/// - `POST /stream-auth/nimble/{key}` — Nimble/WMSPanel pay-per-view sync (JSON): 200
///   `{"DenyList":{"ID":[…]}}` (+ `Solution` when a WMSPanel token is stored).
/// - `GET /stream-auth/nginx/{key}` with `X-Original-URI` (and `X-Real-IP`) — nginx
///   `auth_request`: 204, or 401 without a ticket, 403 when refused.
///
/// Refusals carry `X-TVMS-Reason: <code>` and the reason as plain text, for the server's log.
enum StreamCallbackController {
    static func register(_ app: Application) {
        let auth = app.grouped("stream-auth")
        auth.get("flussonic", ":key", use: flussonic)
        auth.on(.POST, "nimble", ":key", body: .collect(maxSize: "8mb"), use: nimble)
        auth.get("nginx", ":key", use: nginx)
    }

    static func caller(_ req: Request) async throws -> StreamCallbackService.Caller? {
        try await StreamCallbackService.caller(req.serviceEnvironment, key: req.parameters.get("key") ?? "")
    }

    static func refusal(_ status: HTTPStatus, _ code: String, _ message: String) -> Response {
        var h = HTTPHeaders()
        h.contentType = .plainText
        h.add(name: "X-TVMS-Reason", value: code)
        h.cacheControl = .init(noStore: true)
        return Response(status: status, headers: h, body: .init(string: "\(code): \(message)\n"))
    }

    static let unknownCaller = ("unknown_caller", "This callback URL is not known or its callback is off. Copy the URL from the server's page in TVMS (CMS › Transcoders).")

    // MARK: Flussonic

    /// Flussonic's authorization backend: `request_type=new_session` opens a session (the
    /// ticket must be current); `update_session` keeps one going and refreshes the playback's
    /// heartbeat.
    static func flussonic(_ req: Request) async throws -> Response {
        guard let caller = try await caller(req) else { return refusal(.forbidden, unknownCaller.0, unknownCaller.1) }
        let q = req.query
        let name = (try? q.get(String.self, at: "name")) ?? ""
        guard !name.isEmpty else { return refusal(.forbidden, "bad_request", "The name parameter (the stream) is missing.") }
        let mode: StreamCallbackService.Mode = ((try? q.get(String.self, at: "request_type")) ?? "new_session") == "update_session" ? .continue : .open
        let question = StreamCallbackService.Question(ticket: (try? q.get(String.self, at: "token")) ?? "", stream: name,
                                                      mediaRequest: try? q.get(String.self, at: "media_request"),
                                                      viewerIP: (try? q.get(String.self, at: "ip")) ?? "", mode: mode)
        switch try await StreamCallbackService.decide(req.serviceEnvironment, caller: caller, question: question) {
        case .success(let a):
            var h = HTTPHeaders()
            h.add(name: "X-AuthDuration", value: String(StreamCallbackService.recheckSeconds))
            h.add(name: "X-UserId", value: String(a.customerID))
            h.add(name: "X-Max-Sessions", value: String(a.maxStreams))
            if a.maxStreams == 1 { h.add(name: "X-Unique", value: "true") }
            h.cacheControl = .init(noStore: true)
            return Response(status: .ok, headers: h)
        case .failure(let d):
            return refusal(.forbidden, d.code, d.message)
        }
    }

    // MARK: nginx auth_request

    /// nginx's `auth_request` subrequest: the original request's URI (with the ticket in its
    /// query) in `X-Original-URI`, the viewer's address in `X-Real-IP`.
    static func nginx(_ req: Request) async throws -> Response {
        guard let caller = try await caller(req) else { return refusal(.forbidden, unknownCaller.0, unknownCaller.1) }
        guard let uri = req.headers.first(name: "X-Original-URI"), uri.hasPrefix("/") else {
            return refusal(.forbidden, "bad_request", "X-Original-URI is missing: add `proxy_set_header X-Original-URI $request_uri;` to the auth location.")
        }
        let env = req.serviceEnvironment
        let parameter = try await StreamCallbackService.ticketSetting(env, deploymentID: caller.deploymentID).parameter
        let ticket = queryValue(uri, parameter) ?? ""
        guard !ticket.isEmpty else { return refusal(.unauthorized, "no_ticket", "The request carries no TVMS ticket (?\(parameter)=…).") }
        let viewer = req.headers.first(name: "X-Real-IP") ?? ""
        let question = StreamCallbackService.Question(ticket: ticket, stream: uri, viewerIP: viewer, mode: .continue)
        switch try await StreamCallbackService.decide(env, caller: caller, question: question) {
        case .success(let a):
            var h = HTTPHeaders()
            h.add(name: "X-TVMS-Customer", value: String(a.customerID))
            h.cacheControl = .init(noStore: true)
            return Response(status: .noContent, headers: h)
        case .failure(let d):
            return refusal(d.code == "no_ticket" ? .unauthorized : .forbidden, d.code, d.message)
        }
    }

    /// The decoded value of one query parameter of a request URI.
    static func queryValue(_ uri: String, _ name: String) -> String? {
        guard let q = uri.firstIndex(of: "?") else { return nil }
        var query = uri[uri.index(after: q)...]
        if let hash = query.firstIndex(of: "#") { query = query[..<hash] }
        for item in query.split(separator: "&") {
            let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.first.map(String.init) == name else { continue }
            let raw = pair.count > 1 ? String(pair[1]) : ""
            return raw.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? raw
        }
        return nil
    }

    // MARK: Nimble pay-per-view

    static func nimble(_ req: Request) async throws -> Response {
        guard let caller = try await caller(req) else { return refusal(.forbidden, unknownCaller.0, unknownCaller.1) }
        let body = req.body.data.map { Array(buffer: $0) } ?? []
        do {
            let outcome = try await StreamCallbackService.nimbleSync(req.serviceEnvironment, caller: caller, body: body)
            let e = JSONEncoder()
            e.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
            var h = HTTPHeaders()
            h.contentType = .json
            h.cacheControl = .init(noStore: true)
            return Response(status: .ok, headers: h, body: .init(data: try e.encode(outcome.answer)))
        } catch let e as DomainError where e.kind == .invalid {
            return refusal(.badRequest, "bad_request", e.fields["body"] ?? e.message)
        } catch let e as DomainError where e.kind == .forbidden {
            return refusal(.forbidden, e.code, e.message)
        }
    }
}
