import Fluent
import Foundation
import NIOCore
import NIOConcurrencyHelpers
import Testing
import VaporTesting
@testable import App
@testable import Domain
@testable import Services
import Storage

/// A stand-in for the operator's billing system on loopback: it answers the way real billing
/// endpoints do, and records what TVMS sent it.
final class FakeBilling: @unchecked Sendable {
    let app: Application
    let seen = NIOLockedValueBox<[String]>([])
    let flakyCalls = NIOLockedValueBox(0)
    /// The slow route answers only when the test releases it (after its client timed out).
    let release: EventLoopPromise<Void>
    var port = 0

    init() async throws {
        app = try await Application.make(.testing)
        release = app.eventLoopGroup.next().makePromise()
        app.logger.logLevel = .error
        app.post("ok") { [seen] req -> Response in
            seen.withLockedValue { $0.append(req.body.string ?? "") }
            return Response(status: .ok, body: .init(string: #"{"status":"ok","transaction":"T-1"}"#))
        }
        app.get("ok") { [seen] req -> String in
            seen.withLockedValue { $0.append(req.url.query ?? "") }
            return #"{"status":"ok"}"#
        }
        app.post("declined") { _ in #"{"status":"declined","reason":"card expired"}"# }
        app.post("flaky") { [flakyCalls] _ -> Response in
            let n = flakyCalls.withLockedValue { $0 += 1; return $0 }
            return n == 1 ? Response(status: .serviceUnavailable) : Response(status: .ok, body: .init(string: "PAID"))
        }
        app.post("slow") { [release] _ -> EventLoopFuture<String> in release.futureResult.map { "late" } }
        app.http.server.configuration.port = 0
        try await app.server.start(address: .hostname("127.0.0.1", port: 0))
        port = app.http.server.shared.localAddress?.port ?? 0
    }

    func url(_ path: String) -> String { "http://127.0.0.1:\(port)/\(path)" }

    func stop() async throws {
        release.succeed(())
        await app.server.shutdown()
        try await app.asyncShutdown()
    }
}

@Suite(.serialized) struct ProvisionTests {
    func provision(_ crm: DemoCRM, _ url: String, method: String = "POST", success: String = "status=ok", failure: String = "", attempts: Int = 3,
                   timeout: Int = 5000) async throws -> APIProvisionModel {
        var input = ProvisionService.Input(name: "Rentals", contentType: "movies", url: url, method: method,
                                           keyMapping: "userid=customer\ncontent_id=movie\namount=price\nreference=ref", extraParams: "apikey=k-123",
                                           successRule: success, failureRule: failure)
        input.maxAttempts = attempts
        input.timeoutMS = timeout
        return try await ProvisionService.create(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, input: input)
    }

    func buy(_ app: Application, _ crm: DemoCRM, _ p: APIProvisionModel, customer: Int, content: String = "movie-42") async throws -> PPVPurchaseModel {
        try await ProvisionService.purchase(crm.env, http: VaporOutboundHTTP(client: app.client), actor: crm.actor, deploymentID: crm.deploymentID, provisionID: p.id!,
                                            purchase: .init(customerID: customer, contentType: "movies", contentRef: content, title: "The Movie", price: 399, currency: "EUR",
                                                            window: PPVWindow(count: 48, unit: .hours)))
    }

    @Test func successOpensAccessFailureAndTimeoutDoNot() async throws {
        try await withTVMS { app, clock in
            let billing = try await FakeBilling()
            do {
                let crm = try await DemoCRM(app)
                let customer = try await crm.customer(login: "ppv.viewer").customer
                let ok = try await provision(crm, billing.url("ok"))
                let bought = try await buy(app, crm, ok, customer: customer.id!)
                #expect(bought.accessUntil == clock.now.addingTimeInterval(48 * 3600))
                #expect(try await ProvisionService.hasAccess(crm.env, customerID: customer.id!, contentRef: "movie-42"))
                let sent = try #require(billing.seen.withLockedValue { $0.last })
                #expect(sent.contains("customer=ppv.viewer") && sent.contains("movie=movie-42") && sent.contains("price=3.99") && sent.contains("apikey=k-123") && sent.contains("ref=tvms-"))
                // Buying an open title again does not charge again.
                _ = try await buy(app, crm, ok, customer: customer.id!)
                #expect(billing.seen.withLockedValue { $0.count } == 1)

                let get = try await provision(crm, billing.url("ok"), method: "GET")
                _ = try await buy(app, crm, get, customer: customer.id!, content: "movie-7")
                #expect(billing.seen.withLockedValue { $0.last }?.contains("customer=ppv.viewer") == true)

                let declined = try await provision(crm, billing.url("declined"), failure: "status=declined")
                await #expect(throws: DomainError.self) { try await buy(app, crm, declined, customer: customer.id!, content: "movie-9") }
                #expect(try await !ProvisionService.hasAccess(crm.env, customerID: customer.id!, contentRef: "movie-9"))
                let refusal = try #require(try await ProvisionService.calls(crm.env, provisionID: declined.id!).first)
                #expect(refusal.outcome == "failure" && refusal.attempts == 1, "a refusal is never retried")

                let flaky = try await provision(crm, billing.url("flaky"), success: "PAID")
                _ = try await buy(app, crm, flaky, customer: customer.id!, content: "movie-10")
                let retried = try #require(try await ProvisionService.calls(crm.env, provisionID: flaky.id!).first)
                #expect(retried.outcome == "success" && retried.attempts == 2 && retried.httpStatus == 200, "a 503 is retried")

                let slow = try await provision(crm, billing.url("slow"), attempts: 2, timeout: 500)
                do {
                    _ = try await buy(app, crm, slow, customer: customer.id!, content: "movie-11")
                    Issue.record("a timed-out call must not open access")
                } catch let e as DomainError { #expect(e.code == "payment_unavailable") }
                let timedOut = try #require(try await ProvisionService.calls(crm.env, provisionID: slow.id!).first)
                #expect(timedOut.outcome == "timeout" && timedOut.attempts == 2)
                #expect(try await !ProvisionService.hasAccess(crm.env, customerID: customer.id!, contentRef: "movie-11"))

                let down = try await provision(crm, "http://127.0.0.1:1/nothing", attempts: 1)
                await #expect(throws: DomainError.self) { try await buy(app, crm, down, customer: customer.id!, content: "movie-12") }
                #expect(try await ProvisionService.calls(crm.env, provisionID: down.id!).first?.outcome == "error")

                // Access ends with the window.
                clock.advance(by: 49 * 3600)
                #expect(try await !ProvisionService.hasAccess(crm.env, customerID: customer.id!, contentRef: "movie-42"))
            } catch {
                try await billing.stop()
                throw error
            }
            try await billing.stop()
        }
    }

    @Test func consoleAddsProvisionsAndShowsTheirCalls() async throws {
        try await withTVMS { app, _ in
            let billing = try await FakeBilling()
            do {
                let crm = try await DemoCRM(app)
                var b = Browser(app)
                try await b.login("owner@demo.tvms", "demo1234")
                let bad = try await b.post("/crm/provisions", [("name", "X"), ("contentType", "movies"), ("url", "ftp://nope"), ("method", "POST"),
                                                               ("keyMapping", "shoe_size=x"), ("timeoutMS", "5000"), ("maxAttempts", "3")])
                #expect(bad.status == .unprocessableEntity && bad.body.string.contains("must be an http(s) URL") && bad.body.string.contains("shoe_size is not a TVMS value"))
                #expect(try await b.post("/crm/provisions", [("name", "Rentals"), ("contentType", "movies"), ("url", billing.url("ok")), ("method", "POST"),
                                                             ("keyMapping", "userid=customer\ncontent_id=movie"), ("successRule", "status=ok"),
                                                             ("timeoutMS", "5000"), ("maxAttempts", "3")]).status == .seeOther)
                let p = try #require(try await APIProvisionModel.query(on: app.db).first())
                try await b.post("/crm/provisions/\(p.id!)/purchase", [("customer", "1"), ("content", "movie-1"), ("title", "Test"), ("price", "3.99"),
                                                                        ("currency", "EUR"), ("hours", "48")])
                let page = try await b.get("/crm/provisions/\(p.id!)")
                #expect(page.body.string.contains("Paid: customer 1 may watch movie-1") && page.body.string.contains("success"))
                #expect(try await AuditRecordModel.query(on: app.db).filter(\.$action == "ppv_purchase").count() == 1)
                _ = crm
            } catch {
                try await billing.stop()
                throw error
            }
            try await billing.stop()
        }
    }
}
