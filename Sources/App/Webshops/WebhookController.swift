import Domain
import Foundation
import Services
import Vapor

/// `POST /webhooks/{platform}/{webshopId}`: order webhooks from WooCommerce, Shopify and other
/// shops. The raw body is read as it arrived (the signature covers its exact bytes).
enum WebhookController {
    static func register(_ app: Application) {
        for platform in WebshopService.platforms {
            app.on(.POST, "webhooks", PathComponent(stringLiteral: platform), ":webshopID", body: .collect(maxSize: "1mb")) { req in
                try await receive(req, platform: platform)
            }
        }
    }

    static func receive(_ req: Request, platform: String) async throws -> Response {
        guard let id = req.parameters.get("webshopID", as: Int.self) else { throw Abort(.notFound) }
        let h = req.headers
        let delivery: WebshopService.Delivery
        let body = req.body.data.map { Array(buffer: $0) } ?? []
        switch platform {
        case "woocommerce":
            delivery = .init(signature: h.first(name: "X-WC-Webhook-Signature") ?? "", topic: h.first(name: "X-WC-Webhook-Topic") ?? "",
                             deliveryID: h.first(name: "X-WC-Webhook-Delivery-ID") ?? "", body: body)
        case "shopify":
            delivery = .init(signature: h.first(name: "X-Shopify-Hmac-Sha256") ?? "", topic: h.first(name: "X-Shopify-Topic") ?? "",
                             deliveryID: h.first(name: "X-Shopify-Webhook-Id") ?? "", body: body)
        default:
            delivery = .init(signature: h.first(name: "X-TVMS-Signature") ?? "", topic: h.first(name: "X-TVMS-Event") ?? "order",
                             deliveryID: h.first(name: "X-TVMS-Delivery") ?? "", body: body)
        }
        let outcome = try await WebshopService.receive(req.serviceEnvironment, platform: platform, webshopID: id, delivery: delivery)
        let response = Response(status: HTTPResponseStatus(statusCode: outcome.status))
        try response.content.encode(["outcome": outcome.outcome, "message": outcome.message], as: .json)
        return response
    }
}
