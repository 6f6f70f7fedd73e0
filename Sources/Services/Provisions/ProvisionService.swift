import Domain
import FluentKit
import Foundation
import Storage

/// Outgoing HTTP, injected so the services stay free of any HTTP client (the app passes Vapor's).
public protocol OutboundHTTP: Sendable {
    func send(method: String, url: String, headers: [(String, String)], body: [UInt8]?, timeout: TimeInterval) async throws -> (status: Int, body: String)
    /// A request whose answer is bytes (images, documents); an answer longer than `maxBytes`
    /// throws `OutboundTooLarge` instead of being kept.
    func fetch(method: String, url: String, headers: [(String, String)], body: [UInt8]?, maxBytes: Int, timeout: TimeInterval) async throws -> OutboundResponse
    /// A GET whose answer is streamed into a file (large guides), stopped past `maxBytes`
    /// (`OutboundTooLarge`) or `timeout` (`OutboundTimeout`). The body is written only for a 2xx.
    func download(url: String, headers: [(String, String)], to file: URL, maxBytes: Int64, timeout: TimeInterval) async throws -> (status: Int, headers: [(String, String)], bytes: Int64)
}

public struct OutboundResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]
    public init(status: Int, headers: [(String, String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? { headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1 }
}

/// Raised by an `OutboundHTTP` when an answer is longer than the caller allows.
public struct OutboundTooLarge: Error {
    public init() {}
}

/// Raised by an `OutboundHTTP` when no answer came in time.
public struct OutboundTimeout: Error {
    public init() {}
}

/// API Provisions: the operator's billing endpoint TVMS calls when a subscriber buys a
/// pay-per-view title. TVMS calls with a timeout and a bounded number of retries (only when the
/// billing side is down or times out — never after a refusal), records every call, and opens
/// access only on success.
public enum ProvisionService {
    public static let contentTypes = ["movies", "series", "channels", "events", "products"]
    public static let methods = ["GET", "POST", "POST-JSON"]

    public struct Input: Sendable {
        public var name: String
        public var contentType: String
        public var url: String
        public var method: String
        /// "ours=theirs" per line
        public var keyMapping: String
        /// "key=value" per line
        public var extraParams: String
        public var successRule: String
        public var failureRule: String
        public var timeoutMS: Int = 5000
        public var maxAttempts: Int = 3
        public init(name: String, contentType: String, url: String, method: String, keyMapping: String, extraParams: String, successRule: String, failureRule: String) {
            self.name = name; self.contentType = contentType; self.url = url; self.method = method
            self.keyMapping = keyMapping; self.extraParams = extraParams; self.successRule = successRule; self.failureRule = failureRule
        }
    }

    struct Pair: Codable, Equatable { var a: String; var b: String }

    /// "a=b" lines → pairs; reports the first bad line.
    static func pairs(_ text: String, field: String, errors: inout FieldErrors) -> [Pair] {
        var out: [Pair] = []
        for (i, line) in text.split(whereSeparator: \.isNewline).enumerated() {
            let t = line.trimmingCharacters(in: .whitespaces)
            if t.isEmpty { continue }
            guard let eq = t.firstIndex(of: "="), eq != t.startIndex else { errors.add(field, "line \(i + 1) must look like name=value"); continue }
            out.append(Pair(a: String(t[..<eq]).trimmingCharacters(in: .whitespaces), b: String(t[t.index(after: eq)...]).trimmingCharacters(in: .whitespaces)))
        }
        return out
    }

    public static func create(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, input: Input) async throws -> APIProvisionModel {
        try actor.require(.crm, in: deploymentID)
        var errors = FieldErrors()
        if input.name.trimmingCharacters(in: .whitespaces).isEmpty { errors.add("name", "is required") }
        if !contentTypes.contains(input.contentType) { errors.add("contentType", "must be one of \(contentTypes.joined(separator: ", "))") }
        if !methods.contains(input.method) { errors.add("method", "must be GET, POST or POST-JSON") }
        if let u = URL(string: input.url), ["http", "https"].contains(u.scheme ?? ""), u.host != nil {} else { errors.add("url", "must be an http(s) URL") }
        let mapping = pairs(input.keyMapping, field: "keyMapping", errors: &errors)
        for p in mapping where !ProvisionFields.all.contains(p.a) { errors.add("keyMapping", "\(p.a) is not a TVMS value (\(ProvisionFields.all.joined(separator: ", ")))") }
        if mapping.isEmpty { errors.add("keyMapping", "map at least one TVMS value, e.g. userid=customer") }
        let extra = pairs(input.extraParams, field: "extraParams", errors: &errors)
        if !(500...60_000).contains(input.timeoutMS) { errors.add("timeoutMS", "must be between 500 and 60000 ms") }
        if !(1...5).contains(input.maxAttempts) { errors.add("maxAttempts", "must be between 1 and 5") }
        try errors.throwIfAny()
        let p = APIProvisionModel()
        p.deploymentID = deploymentID
        p.name = input.name.trimmingCharacters(in: .whitespaces)
        p.contentType = input.contentType
        p.url = input.url
        p.method = input.method
        p.keyMapping = String(decoding: try JSONEncoder().encode(mapping), as: UTF8.self)
        p.extraParams = String(decoding: try JSONEncoder().encode(extra), as: UTF8.self)
        p.successRule = input.successRule.trimmingCharacters(in: .whitespaces)
        p.failureRule = input.failureRule.trimmingCharacters(in: .whitespaces)
        p.timeoutMS = input.timeoutMS
        p.maxAttempts = input.maxAttempts
        p.enabled = true
        try await env.write { db in
            try await p.create(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "api_provision", entityID: String(p.id!),
                                          action: "create", after: ["name": p.name, "url": p.url, "method": p.method])
        }
        return p
    }

    public static func list(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID) async throws -> [APIProvisionModel] {
        try actor.require(.crm, in: deploymentID)
        return try await APIProvisionModel.query(on: env.db).filter(\.$deploymentID == deploymentID).sort(\.$id).all()
    }

    public static func find(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int) async throws -> APIProvisionModel {
        try actor.require(.crm, in: deploymentID)
        guard let p = try await APIProvisionModel.query(on: env.db).filter(\.$id == id).filter(\.$deploymentID == deploymentID).first() else {
            throw DomainError.notFound("The API provision")
        }
        return p
    }

    /// The mapping and extra parameters as "a=b" lines, for the edit form.
    public static func lines(_ json: String) -> String {
        ((try? JSONDecoder().decode([Pair].self, from: Data(json.utf8))) ?? []).map { "\($0.a)=\($0.b)" }.joined(separator: "\n")
    }

    public struct Purchase: Sendable {
        public var customerID: Int
        public var contentType: String
        public var contentRef: String
        public var title: String
        public var price: Int64
        public var currency: String
        /// How long access lasts after the purchase (the PPV rule's window).
        public var window: PPVWindow
        public init(customerID: Int, contentType: String, contentRef: String, title: String, price: Int64, currency: String, window: PPVWindow) {
            self.customerID = customerID; self.contentType = contentType; self.contentRef = contentRef; self.title = title
            self.price = price; self.currency = currency; self.window = window
        }
    }

    /// Buys a title for a customer through a provision: calls the billing endpoint and, on
    /// success only, records the purchase with access for the rule's window. A refusal, a timeout
    /// or an error throws `payment_refused` / `payment_unavailable` and opens nothing.
    public static func purchase(_ env: ServiceEnvironment, http: any OutboundHTTP, actor: Principal, deploymentID: UUID, provisionID: Int,
                                purchase: Purchase) async throws -> PPVPurchaseModel {
        let p = try await APIProvisionModel.query(on: env.db).filter(\.$id == provisionID).filter(\.$deploymentID == deploymentID).first()
        guard let p, p.enabled else { throw DomainError.notFound("The API provision") }
        let c = try await CustomerService.find(env, actor: actor, deploymentID: deploymentID, id: purchase.customerID, resellerMayAct: true)
        guard try await CustomerService.isServed(env, customer: c) else {
            throw DomainError(.forbidden, code: "customer_not_served", "The customer's subscription is not active, so nothing can be bought.")
        }
        if let open = try await PPVPurchaseModel.query(on: env.db).filter(\.$customerID == purchase.customerID).filter(\.$contentRef == purchase.contentRef)
            .filter(\.$accessUntil > env.now).first() {
            return open // already bought and still open: never charge twice
        }
        let call = try await self.call(env, http: http, provision: p, customer: c, purchase: purchase)
        guard call.outcome == "success" else {
            if call.outcome == "failure" {
                throw DomainError(.conflict, code: "payment_refused", "The billing system refused the purchase; nothing was opened.")
            }
            throw DomainError(.conflict, code: "payment_unavailable", "The billing system did not answer (\(call.outcome)); nothing was charged here. Try again later.")
        }
        guard let d = try await DeploymentModel.find(deploymentID, on: env.db) else { throw DomainError.notFound("The deployment") }
        let m = PPVPurchaseModel()
        m.deploymentID = deploymentID
        m.customerID = purchase.customerID
        m.contentType = purchase.contentType
        m.contentRef = purchase.contentRef
        m.title = purchase.title
        m.price = purchase.price
        m.currency = purchase.currency
        m.callID = call.id
        m.purchasedAt = env.now
        m.accessUntil = purchase.window.end(from: env.now, in: CustomerService.zone(d))
        try await env.write { db in
            try await m.create(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "customer", entityID: String(purchase.customerID),
                                          action: "ppv_purchase", after: ["content": purchase.contentRef, "title": purchase.title, "callId": String(call.id!)])
        }
        return m
    }

    /// Whether the customer may watch a PPV title now.
    public static func hasAccess(_ env: ServiceEnvironment, customerID: Int, contentRef: String) async throws -> Bool {
        try await PPVPurchaseModel.query(on: env.db).filter(\.$customerID == customerID).filter(\.$contentRef == contentRef).filter(\.$accessUntil > env.now).first() != nil
    }

    /// Calls the provision with retries on 5xx, 429, timeouts and connection errors (short
    /// exponential back-off), at most `maxAttempts` times; records and returns the call.
    static func call(_ env: ServiceEnvironment, http: any OutboundHTTP, provision p: APIProvisionModel, customer c: CustomerModel, purchase: Purchase) async throws -> ProvisionCallModel {
        let reference = "tvms-\(UUID().uuidString.lowercased().prefix(12))"
        let values: [String: String] = [
            "userid": c.login, "customer_id": String(c.id!), "customer_mapping_id": c.mappingID ?? "", "content_type": purchase.contentType,
            "content_id": purchase.contentRef, "title": purchase.title, "amount": Money(minorUnits: purchase.price, currency: CurrencyCode(purchase.currency) ?? .credits).amountString,
            "currency": purchase.currency, "reference": reference,
        ]
        let mapping = (try? JSONDecoder().decode([Pair].self, from: Data(p.keyMapping.utf8))) ?? []
        let extra = (try? JSONDecoder().decode([Pair].self, from: Data(p.extraParams.utf8))) ?? []
        let params = mapping.map { ($0.b, values[$0.a] ?? "") } + extra.map { ($0.a, $0.b) }
        func form(_ ps: [(String, String)]) -> String {
            ps.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: "&")
        }
        var url = p.url, body: [UInt8]? = nil, headers: [(String, String)] = [("Accept", "application/json, text/plain, */*")]
        switch p.method {
        case "GET": url += (url.contains("?") ? "&" : "?") + form(params)
        case "POST-JSON":
            body = Array(try JSONSerialization.data(withJSONObject: Dictionary(params, uniquingKeysWith: { a, _ in a }), options: [.sortedKeys]))
            headers.append(("Content-Type", "application/json"))
        default:
            body = Array(form(params).utf8)
            headers.append(("Content-Type", "application/x-www-form-urlencoded"))
        }
        let started = env.now
        let clock = ContinuousClock()
        let t0 = clock.now
        var attempts = 0, outcome = "error", status: Int? = nil, excerpt = ""
        while attempts < p.maxAttempts {
            attempts += 1
            do {
                let answer = try await http.send(method: p.method == "GET" ? "GET" : "POST", url: url, headers: headers, body: body, timeout: Double(p.timeoutMS) / 1000)
                status = answer.status
                excerpt = String(answer.body.prefix(500))
                let verdict = ProvisionVerdict.judge(status: answer.status, body: answer.body, success: AnswerRule(p.successRule), failure: AnswerRule(p.failureRule))
                if verdict != .retry { outcome = verdict.rawValue; break }
                outcome = "error"
            } catch is OutboundTimeout {
                outcome = "timeout"; excerpt = "no answer within \(p.timeoutMS) ms"
            } catch {
                outcome = "error"; excerpt = String("\(error)".prefix(500))
            }
            if attempts < p.maxAttempts { try await Task.sleep(for: .milliseconds(100 << (attempts - 1))) }
        }
        let elapsed = clock.now - t0
        let m = ProvisionCallModel()
        m.provisionID = p.id!
        m.customerID = c.id
        m.reference = reference
        m.contentRef = purchase.contentRef
        m.outcome = outcome
        m.attempts = attempts
        m.httpStatus = status
        m.responseExcerpt = excerpt
        m.durationMS = Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
        m.startedAt = started
        try await env.write { db in try await m.create(on: db) }
        return m
    }

    static func escape(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? s
    }

    public static func calls(_ env: ServiceEnvironment, provisionID: Int, limit: Int = 100) async throws -> [ProvisionCallModel] {
        try await ProvisionCallModel.query(on: env.db).filter(\.$provisionID == provisionID).sort(\.$id, .descending).limit(limit).all()
    }
}
