import Domain
import Foundation
import Services
import Vapor

/// Pay-per-view from the apps (wallet payment), "My Content" and the wallet history.
enum ClientCommerceController {
    static func register(_ api: ClientAPIRoutes) {
        let tag = "Pay-per-view"
        api.add(.GET, ["ppv", ":type", ":itemId"], "The pay-per-view offer for an item: price in the customer's currency, window, owned", tag,
                response: "PPVOffer", use: offer)
        api.add(.POST, ["ppv", ":type", ":itemId", "rent"], "Rent an item with wallet credit, or through the operator's billing with {\"provisionId\"} (send an Idempotency-Key: a retry never charges twice)", tag,
                body: "PPVRentRequest", status: 201, response: "PPVRented", use: rent)
        api.add(.GET, ["me", "rentals"], "My Content: the customer's rentals, newest first", tag, response: "RentalList", use: rentals)
        api.add(.GET, ["me", "transactions"], "The wallet's balance and movements, newest first", tag,
                query: [("limit", "1–100, default 50"), ("cursor", "nextCursor of the previous page")], response: "WalletHistory", use: transactions)
    }

    static func item(_ req: Request) throws -> (type: String, id: Int) {
        guard let type = req.parameters.get("type"), let id = req.parameters.get("itemId", as: Int.self) else { throw DomainError.notFound("The item") }
        return (type, id)
    }

    static func offer(_ req: Request) async throws -> Response {
        let i = try item(req)
        return try ClientJSON.response(try await SubscriberCommerceService.offer(req.serviceEnvironment, context: req.device, type: i.type, id: i.id))
    }

    struct Rented: Codable { var rental: SubscriberCommerceService.Rental; var walletBalance: SubscriberCommerceService.Price }

    struct RentBody: Decodable { var provisionId: Int? }

    static func rent(_ req: Request) async throws -> Response {
        let i = try item(req)
        let provision = try ClientAPI.optionalBody(RentBody.self, from: req)?.provisionId.map { (id: $0, http: req.outboundHTTP) }
        let (rental, balance) = try await SubscriberCommerceService.rent(req.serviceEnvironment, context: req.device, type: i.type, id: i.id, ip: req.clientIP,
                                                                         provision: provision)
        return try ClientJSON.response(Rented(rental: rental, walletBalance: balance), status: .created)
    }

    static func rentals(_ req: Request) async throws -> Response {
        try ClientJSON.response(["rentals": try await SubscriberCommerceService.rentals(req.serviceEnvironment, context: req.device)])
    }

    struct History: Codable {
        var balance: SubscriberCommerceService.Price
        var transactions: [SubscriberCommerceService.Transaction]
        var nextCursor: String?
        func encode(to encoder: any Encoder) throws {
            // nextCursor is always present (null on the last page), as in REST v1.
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(balance, forKey: .balance)
            try c.encode(transactions, forKey: .transactions)
            try c.encode(nextCursor, forKey: .nextCursor)
        }
    }

    static func transactions(_ req: Request) async throws -> Response {
        let cursor = try req.query.get(String?.self, at: "cursor")
        var before: Int? = nil
        if let cursor {
            guard let id = Int(cursor), id > 0 else { throw DomainError.validation(["cursor": "is not a cursor this API gave"]) }
            before = id
        }
        let page = try await SubscriberCommerceService.transactions(req.serviceEnvironment, context: req.device, before: before,
                                                                   limit: req.query[Int.self, at: "limit"] ?? 50)
        return try ClientJSON.response(History(balance: page.balance, transactions: page.items, nextCursor: page.next.map(String.init)))
    }
}
