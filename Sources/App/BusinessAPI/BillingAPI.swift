import Domain
import Fluent
import Foundation
import Services
import Storage
import Vapor

/// The TVMS-compatible business API at `/api/{Controller}/{action}`: what billing systems,
/// webshops and WHMCS-style modules call. This file is the plumbing every endpoint shares —
/// parameters from anywhere, authentication by `authToken` + `crmService`, idempotent retries and
/// the `{"Message": …}` error shape; the endpoints themselves are in `BillingEndpoints`.
enum BillingAPI {
    /// One endpoint: its controller and the action names (with their V2/Async aliases) it answers.
    struct Endpoint: Sendable {
        var controller: String
        var actions: [String]
        /// Which HTTP methods the manual allows.
        var methods: [HTTPMethod]
        /// Provisioning calls honour idempotency keys; reads never act, so they need none.
        var mutating: Bool
        /// One line for the API Connector page; docs/API.md has the parameters.
        var summary: String
        var handler: @Sendable (Request, BillingParams, BillingCaller) async throws -> BillingReply
    }

    static func register(_ app: Application, _ endpoints: [Endpoint]) {
        for e in endpoints {
            for action in e.actions {
                for method in e.methods {
                    app.on(method, "api", PathComponent(stringLiteral: e.controller), PathComponent(stringLiteral: action)) { req in
                        try await respond(req, e, name: "\(e.controller)/\(action)")
                    }
                }
            }
        }
    }

    static func respond(_ req: Request, _ e: Endpoint, name: String) async throws -> Response {
        guard acceptsJSON(req) else {
            throw DomainError(.invalid, code: "not_acceptable", "This API answers in JSON only; send Accept: application/json.")
        }
        let params = try BillingParams(req)
        let caller = try await BillingCaller.authenticate(req, params)
        let env = req.serviceEnvironment
        let given = req.headers.first(name: "Idempotency-Key") ?? params.text("requestId")
        guard e.mutating, let given else { return try encode(await e.handler(req, params, caller)) }
        try IdempotencyStore.validate(given: given)
        // Keys belong to the caller: a reseller can never replay the operator's answers, nor the reverse.
        let key = (caller.resellerID.map { "reseller:\($0):" } ?? "operator:") + given
        switch try await IdempotencyStore.claim(env, deploymentID: caller.deploymentID, key: key, endpoint: name) {
        case .replay(let status, let body):
            let r = Response(status: HTTPResponseStatus(statusCode: status), body: .init(string: body))
            r.headers.contentType = .json
            r.headers.replaceOrAdd(name: "Idempotent-Replayed", value: "true")
            return r
        case .inProgress:
            throw DomainError(.conflict, code: "request_in_progress", "A request with this idempotency key is still being processed; retry in a moment.")
        case .mismatch(let other):
            throw DomainError(.conflict, code: "idempotency_key_reused", "This idempotency key was used for \(other); use a new key for a different call.")
        case .claimed(let id):
            let response: Response
            do {
                response = try encode(await e.handler(req, params, caller))
            } catch let error as DomainError {
                // A refusal is an answer too: a retry gets the same one.
                response = try errorResponse(error)
            } catch {
                try? await IdempotencyStore.release(env, id: id)
                throw error
            }
            try await IdempotencyStore.complete(env, id: id, status: Int(response.status.code), body: response.body.string ?? "")
            return response
        }
    }

    static func acceptsJSON(_ req: Request) -> Bool {
        let accept = req.headers.accept
        guard !accept.isEmpty else { return true }
        return accept.contains { m in
            (m.mediaType.type == "*" || m.mediaType.type == "application") && (m.mediaType.subType == "*" || m.mediaType.subType == "json")
                || (m.mediaType.type == "text" && m.mediaType.subType == "plain")
        }
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    static func encode(_ reply: BillingReply) throws -> Response {
        let r = Response(status: reply.status, body: .init(data: try encoder.encode(reply.body)))
        r.headers.contentType = .json
        return r
    }

    /// `{"Message": …}` — the field WHMCS-style modules read — plus a stable code and field errors.
    static func errorResponse(_ original: DomainError) throws -> Response {
        let e = apiSpelling(original)
        var body: [String: JSONValue] = ["Message": .string(e.flashText),
                                         "Code": .string(e.code)]
        if !e.fields.isEmpty { body["Fields"] = .object(e.fields.mapValues { .string($0) }) }
        return try encode(BillingReply(status: status(of: e), body: .object(body)))
    }

    /// The services name fields as the console does; the API names them as the manual does.
    static let fieldNames = ["login": "userid", "expiresAt": "date", "synced": "syncWithCurrentSubscription", "productId": "productid",
                             "planId": "planid", "firstName": "firstname", "lastName": "lastname", "zip": "zipcode", "resellerId": "reseller_id"]

    static func apiSpelling(_ e: DomainError) -> DomainError {
        guard !e.fields.isEmpty else { return e }
        var out = e
        out.fields = Dictionary(e.fields.map { (fieldNames[$0.key] ?? $0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        out.message = DomainError.validation(out.fields).message
        // A taken userid is a conflict with existing data, not a malformed request.
        if out.fields.values.contains(where: { $0.contains("already used by another customer") }) {
            out.kind = .conflict
            out.code = "duplicate_userid"
        }
        return out
    }

    static func status(of e: DomainError) -> HTTPResponseStatus {
        if let s = DomainError.statusOverrides[e.code] { return s }
        switch e.kind {
        case .invalid: return .badRequest
        default: return e.kind.status
        }
    }

    /// Paths of this API (everything under /api/ except the REST API).
    static func isBillingPath(_ path: String) -> Bool {
        // Routes match in any case, so /API/… must get this API's errors too. The REST API
        // (/api/v1) and the subscriber API (/api/client) have the JSON error shape instead.
        let p = path.lowercased()
        return p.hasPrefix("/api/") && !p.hasPrefix("/api/v1/") && p != "/api/v1" && !p.hasPrefix("/api/client/")
    }
}

extension DomainError {
    /// Codes whose HTTP status differs from their kind's in the business API.
    static let statusOverrides: [String: HTTPResponseStatus] = ["not_acceptable": .notAcceptable]
}

/// What an endpoint answers: a status and a JSON body.
struct BillingReply: Sendable {
    var status: HTTPResponseStatus = .ok
    var body: JSONValue
    init(status: HTTPResponseStatus = .ok, _ body: JSONValue) {
        self.status = status
        self.body = body
    }
    init(status: HTTPResponseStatus = .ok, body: JSONValue) {
        self.status = status
        self.body = body
    }
}

/// A JSON value built by hand, so every answer has exactly the fields (and spellings) integrations
/// expect, e.g. both `loginid` and `loginId`.
enum JSONValue: Encodable, Sendable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
                ExpressibleByDictionaryLiteral, ExpressibleByArrayLiteral {
    case string(String), int(Int64), double(Double), bool(Bool), null, array([JSONValue]), object([String: JSONValue])

    init(stringLiteral value: String) { self = .string(value) }
    init(integerLiteral value: Int) { self = .int(Int64(value)) }
    init(booleanLiteral value: Bool) { self = .bool(value) }
    init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(Dictionary(elements, uniquingKeysWith: { $1 })) }
    init(arrayLiteral elements: JSONValue...) { self = .array(elements) }

    static func from(_ s: String?) -> JSONValue { s.map { .string($0) } ?? .null }
    static func from(_ i: Int?) -> JSONValue { i.map { .int(Int64($0)) } ?? .null }
    /// Dates as Unix seconds, like the API's inputs.
    static func epoch(_ d: Date?) -> JSONValue {
        guard let t = d?.timeIntervalSince1970, t.isFinite, abs(t) < 1e15 else { return .null }
        return .int(Int64(t.rounded(.down)))
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .string(let s): try c.encode(s)
        case .int(let i): try c.encode(i)
        case .double(let d): try c.encode(d)
        case .bool(let b): try c.encode(b)
        case .null: try c.encodeNil()
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }
}

/// The parameters of one call, wherever they came from: the query string, a form body or a JSON
/// body. Names match case-insensitively; when a name is in both, the query string wins.
struct BillingParams: Sendable {
    private var values: [String: String] = [:]

    init(_ req: Request) throws {
        add(Self.formPairs(req.url.query ?? ""))
        guard let body = req.body.data, body.readableBytes > 0 else { return }
        let type = req.headers.contentType
        if type == .json || (type == nil && body.getString(at: body.readerIndex, length: 1) == "{") {
            guard let data = body.getData(at: body.readerIndex, length: body.readableBytes),
                  let object = try? JSONDecoder().decode([String: Scalar].self, from: data) else {
                throw DomainError(.invalid, code: "bad_json", "The JSON body could not be read; send an object of parameters.")
            }
            add(object.compactMap { k, v in v.text.map { (k, $0) } })
        } else if type == .urlEncodedForm || type == nil {
            add(Self.formPairs(body.getString(at: body.readerIndex, length: body.readableBytes) ?? ""))
        }
    }

    init(_ pairs: [(String, String)]) { add(pairs) }

    private mutating func add(_ pairs: [(String, String)]) {
        for (k, v) in pairs where values[k.lowercased()] == nil { values[k.lowercased()] = v }
    }

    static func formPairs(_ s: String) -> [(String, String)] {
        s.split(separator: "&").compactMap { part in
            let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ x: Substring) -> String { String(x).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(x) }
            guard let k = kv.first, !k.isEmpty else { return nil }
            return (decode(k), kv.count > 1 ? decode(kv[1]) : "")
        }
    }

    /// A JSON parameter value: strings, numbers and booleans become text; anything else is ignored.
    struct Scalar: Decodable {
        var text: String?
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let b = try? c.decode(Bool.self) { text = b ? "true" : "false" }
            else if let i = try? c.decode(Int64.self) { text = String(i) }
            else if let d = try? c.decode(Double.self) { text = String(d) }
            else if let s = try? c.decode(String.self) { text = s }
            else { text = nil }
        }
    }

    /// The first of `names` that was given, trimmed; empty and the manual's "0" mean not given.
    func text(_ names: String...) -> String? {
        for n in names {
            if let v = values[n.lowercased()]?.trimmingCharacters(in: .whitespaces), !v.isEmpty, v != "0" { return v }
        }
        return nil
    }

    /// Like `text` but "0" is a value (a length of 0 months, a status code).
    func raw(_ name: String) -> String? {
        guard let v = values[name.lowercased()]?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { return nil }
        return v
    }

    func int(_ names: String...) throws -> Int? {
        for n in names {
            guard let v = raw(n) else { continue }
            guard let i = Int(v) else { throw DomainError.validation([n: "must be a whole number"]) }
            return i == 0 ? nil : i
        }
        return nil
    }

    func bool(_ name: String) throws -> Bool? {
        guard let v = raw(name)?.lowercased() else { return nil }
        switch v {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        default: throw DomainError.validation([name: "must be true or false"])
        }
    }

    /// Unix seconds.
    func date(_ name: String) throws -> Date? {
        guard let v = raw(name), v != "0" else { return nil }
        // Up to 2200-01-01: later "dates" are typos (milliseconds) and would overflow date arithmetic.
        guard let s = Int64(v), s > 0, s < 7_258_118_400 else { throw DomainError.validation([name: "must be a date in Unix seconds before 2200, e.g. 1767225600"]) }
        return Date(timeIntervalSince1970: TimeInterval(s))
    }

    func require(_ name: String) throws -> String {
        guard let v = text(name) else { throw DomainError.validation([name: "is required"]) }
        return v
    }
}

/// Who calls: a deployment (by `crmService`) authenticated by its `authToken`, or a reseller's
/// own REST token, which may act only for that reseller.
struct BillingCaller: Sendable {
    var deployment: DeploymentModel
    var actor: Principal
    var deploymentID: UUID { deployment.id! }
    var resellerID: Int? { actor.resellerID }

    static func authenticate(_ req: Request, _ p: BillingParams) async throws -> BillingCaller {
        let env = req.serviceEnvironment
        guard let crm = p.text("crmService", "crmServices")?.lowercased() else {
            throw DomainError(.unauthorized, code: "missing_crm_service", "Send crmService (shown on the TVMS home page and in API Connector).")
        }
        guard let token = p.text("authToken") ?? req.headers.bearerAuthorization?.token else {
            throw DomainError(.unauthorized, code: "missing_auth_token", "Send authToken (CRM › API Connector).")
        }
        let refused = DomainError(.unauthorized, code: "bad_auth_token", "The authToken is not valid for crmService \(crm).")
        guard let d = try await DeploymentModel.query(on: req.db).filter(\.$crmService == crm).first() else { throw refused }
        if let cms = p.text("cmsService")?.lowercased(), cms != d.cmsService {
            throw DomainError(.unauthorized, code: "bad_cms_service", "cmsService \(cms) does not belong to crmService \(crm).")
        }
        if Secrets.equalDigests(Secrets.digest(token), d.authTokenHash) {
            var actor = Principal(kind: .api, userID: nil, label: "api:\(crm)", role: .admin, deploymentIDs: [d.id!], ip: req.clientIP)
            actor.resellerID = nil
            return BillingCaller(deployment: d, actor: actor)
        }
        // A reseller's personal token (My account › tokens) acts for that reseller only.
        if let (user, _) = try await AuthService.authenticate(env, bearer: token), user.role == Role.reseller.rawValue {
            let actor = try await AuthService.actor(for: user, kind: .api, on: req.db, ip: req.clientIP)
            guard let rid = actor.resellerID, actor.canAccess(deployment: d.id!),
                  let r = try await ResellerModel.find(rid, on: req.db), r.deploymentID == d.id, r.enabled else { throw refused }
            return BillingCaller(deployment: d, actor: actor)
        }
        throw refused
    }

    /// The reseller a call sells for: `reseller_id` from an operator, always itself for a reseller.
    func reseller(_ p: BillingParams) throws -> Int? {
        let asked = try p.int("reseller_id", "resellerid")
        if let own = resellerID {
            if let asked, asked != own { throw DomainError.notFound("The reseller") }
            return own
        }
        return asked
    }
}
