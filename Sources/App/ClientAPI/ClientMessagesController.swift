import Domain
import Foundation
import Services
import Vapor

/// The Messages screen: messages the operator sent from the CRM, with an unread count.
enum ClientMessagesController {
    static func register(_ api: ClientAPIRoutes) {
        let tag = "Messages"
        api.add(.GET, ["messages"], "The customer's messages, newest first, with the unread count", tag, response: "MessageList", use: list)
        api.add(.POST, ["messages", ":messageId", "read"], "Mark a message read", tag, status: 204, use: read)
        api.add(.DELETE, ["messages", ":messageId"], "Delete a message from the apps (the CRM keeps it)", tag, status: 204, use: hide)
    }

    struct ListOut: Codable { var messages: [SubscriberMessageService.Message]; var unread: Int }

    static func list(_ req: Request) async throws -> Response {
        let (messages, unread) = try await SubscriberMessageService.list(req.serviceEnvironment, context: req.device)
        return try ClientJSON.response(ListOut(messages: messages, unread: unread))
    }

    static func read(_ req: Request) async throws -> Response {
        try await SubscriberMessageService.markRead(req.serviceEnvironment, context: req.device, id: try ClientAPI.id(req, "messageId", "The message"))
        return ClientAPI.noContent()
    }

    static func hide(_ req: Request) async throws -> Response {
        try await SubscriberMessageService.hide(req.serviceEnvironment, context: req.device, id: try ClientAPI.id(req, "messageId", "The message"))
        return ClientAPI.noContent()
    }
}
