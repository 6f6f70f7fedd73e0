import Domain
import Foundation
import Services
import Vapor

/// `Idempotency-Key` on REST v1 writes under `/deployments/{id}/…`: the first call with a key
/// claims it and its answer is kept for 24 hours; a retry (even a concurrent one) gets that answer
/// again instead of acting twice. Keys belong to the calling account and to one method and path.
struct IdempotencyMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard request.method != .GET, request.method != .HEAD, let given = request.headers.first(name: "Idempotency-Key"),
              let deploymentID = request.parameters.get("deploymentId", as: UUID.self),
              let user = request.consoleUser, user.actor.canAccess(deployment: deploymentID) else {
            return try await next.respond(to: request)
        }
        return try await IdempotentResponse.respond(request, key: "v1:\(user.user.id!.uuidString):\(given)", given: given,
                                                    deploymentID: deploymentID, next: next)
    }
}

/// The claim, replay and completion around one idempotent write, shared by REST v1 and the
/// subscriber API (their keys differ: per console account, per customer). A refusal
/// (`DomainError`) is an answer too and is kept for the retry; a server error or a thrown
/// failure releases the key so a retry acts.
enum IdempotentResponse {
    static func respond(_ request: Request, key: String, given: String, deploymentID: UUID, next: any AsyncResponder) async throws -> Response {
        try IdempotencyStore.validate(given: given)
        let env = request.serviceEnvironment
        let endpoint = "\(request.method.rawValue) \(request.url.path)"
        switch try await IdempotencyStore.claim(env, deploymentID: deploymentID, key: key, endpoint: endpoint) {
        case .replay(let status, let body):
            var headers = HTTPHeaders()
            if !body.isEmpty { headers.add(name: .contentType, value: "application/json; charset=utf-8") }
            headers.add(name: .cacheControl, value: "no-store")
            headers.add(name: "Idempotent-Replayed", value: "true")
            return Response(status: HTTPResponseStatus(statusCode: status), headers: headers, body: .init(string: body))
        case .inProgress:
            throw DomainError(.conflict, code: "request_in_progress", "A request with this idempotency key is still being processed; retry in a moment.")
        case .mismatch(let other):
            throw DomainError(.conflict, code: "idempotency_key_reused", "This idempotency key was used for \(other); use a new key for a different call.")
        case .claimed(let id):
            let response: Response
            do {
                response = try await next.respond(to: request)
            } catch let e as DomainError {
                let (status, code, message, fields) = AppErrorMiddleware.describe(e)
                response = try ClientJSON.response(APIErrorBody(error: .init(code: code, message: message, fields: fields.isEmpty ? nil : fields)), status: status)
            } catch {
                try? await IdempotencyStore.release(env, id: id)
                throw error
            }
            if response.status.code >= 500 {
                try? await IdempotencyStore.release(env, id: id)
            } else {
                try await IdempotencyStore.complete(env, id: id, status: Int(response.status.code), body: response.body.string ?? "")
            }
            return response
        }
    }
}
