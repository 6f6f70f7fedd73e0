import Fluent
import Foundation
import Testing
import VaporTesting
@testable import App
@testable import Domain
@testable import Services
import Storage

/// Inputs found by schemathesis and by hand that once crashed the server or answered 500 on
/// PostgreSQL only: each now gets the same clear refusal on both databases.
@Suite(.serialized) struct RobustnessTests {
    @Test func nulCharactersAndOverflowingNumbersAreRefused() async throws {
        try await withTVMS { app, _ in
            let crm = try await DemoCRM(app)
            let token = try await ownerToken(app)
            let base = "/api/v1/deployments/\(crm.deploymentID)"
            #expect(try await api(app, .GET, "\(base)/customers?q=%00", token: token).status == .unprocessableEntity)
            #expect(try await api(app, .GET, "/api/v1/jobs?kind=a%00b", token: token).status == .unprocessableEntity)
            let nul = try await api(app, .PATCH, "\(base)/customers/1", token: token, json: #"{"firstName":"a\u0000b"}"#)
            #expect(nul.status == .unprocessableEntity && nul.body.string.contains("NUL"))
            #expect(try await CustomerModel.find(1, on: app.db)?.firstName == "Anna")
            let billing = try await billing(app, .GET, "/api/GetCustomer/getCustomer", [("userid", "demo\u{0}viewer")])
            #expect(billing.status == .badRequest && billing.json["Message"] != nil)

            let r = try await ResellerService.create(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, input: .init(name: "Edge", type: .postpaid))
            for amount in ["-9223372036854775808", "9223372036854775807"] {
                let res = try await api(app, .POST, "\(base)/resellers/\(r.id!)/credits", token: token, json: #"{"amount":\#(amount),"reason":"x"}"#)
                #expect(res.status == .unprocessableEntity, "\(amount)")
            }
            let wallet = try await api(app, .POST, "\(base)/customers/1/wallet", token: token, json: #"{"amount":"92233720368547758.07","reason":"x"}"#)
            #expect(wallet.status == .unprocessableEntity)
            let range = try await api(app, .POST, "\(base)/customers/range", token: token,
                                      json: #"{"baseName":"x","count":2,"startNumber":9223372036854775807,"productId":\#(crm.basic.id!),"planId":\#(crm.month.id!)}"#)
            #expect(range.status == .unprocessableEntity)
            let far = try await api(app, .POST, "\(base)/customers/2/extend", token: token, json: #"{"expiresAt":"9999-12-31T23:59:59Z"}"#)
            #expect(far.status == .unprocessableEntity)
            let near = try await api(app, .POST, "\(base)/customers/2/extend", token: token, json: #"{"expiresAt":"2199-12-20T00:00:00Z"}"#)
            #expect(near.status == .ok)
            let beyond = try await api(app, .POST, "\(base)/customers/2/renew", token: token, json: #"{"planId":\#(crm.year.id!)}"#)
            #expect(beyond.status == .unprocessableEntity && beyond.body.string.contains("2200"))
            #expect(try await ResellerLedger.verify(on: app.db).isEmpty)
        }
    }
}
