import Foundation
import Vapor

/// Builds the OpenAPI 3.1 document of REST v1 from the catalogue and the schema table below.
enum OpenAPIDocument {
    static func build(_ endpoints: [APIEndpoint], serverURL: String) -> [String: Any] {
        var paths: [String: [String: Any]] = [:]
        for e in endpoints {
            var op: [String: Any] = ["summary": e.summary, "tags": [e.tag],
                                     "operationId": e.method.rawValue.lowercased() + e.components.map { $0.replacingOccurrences(of: ":", with: "By_").replacingOccurrences(of: "-", with: "_") }.joined(separator: "_")]
            var parameters: [[String: Any]] = e.components.filter { $0.hasPrefix(":") }.map {
                ["name": String($0.dropFirst()), "in": "path", "required": true, "schema": ["type": "string"]]
            }
            parameters += e.query.map { ["name": $0.name, "in": "query", "required": false, "description": $0.description, "schema": ["type": "string"]] }
            if !parameters.isEmpty { op["parameters"] = parameters }
            if let r = e.requestSchema {
                op["requestBody"] = ["required": true, "content": ["application/json": ["schema": ["$ref": "#/components/schemas/\(r)"]]]]
            }
            var responses: [String: Any] = [:]
            if let s = e.responseSchema {
                responses[String(e.responseStatus)] = ["description": "Success", "content": ["application/json": ["schema": ["$ref": "#/components/schemas/\(s)"]]]]
            } else {
                responses[String(e.responseStatus)] = ["description": "Success, no content"]
            }
            for (code, text) in [("400", "Malformed request"), ("401", "Missing, unknown, revoked or expired token"), ("403", "Role does not allow this"),
                                 ("404", "Not found or not in your deployments"), ("409", "Conflicts with current state"), ("422", "Validation failed; see error.fields")] {
                if code == "401" && !e.authenticated { continue }
                responses[code] = ["description": text, "content": ["application/json": ["schema": ["$ref": "#/components/schemas/Error"]]]]
            }
            op["responses"] = responses
            if !e.authenticated { op["security"] = [[String: Any]]() }
            paths[e.openAPIPath, default: [:]][e.method.rawValue.lowercased()] = op
        }
        return [
            "openapi": "3.1.0",
            "info": ["title": "TVMS REST API", "version": "1",
                     "description": "Operator API of TVMS. Authenticate with `Authorization: Bearer <token>`; create tokens on the console's My account page or with POST /api/v1/auth/login. Lists use cursor pagination: pass `nextCursor` back as `cursor`."],
            "servers": [["url": serverURL]],
            "security": [["bearer": [String]()]],
            "paths": paths,
            "components": ["securitySchemes": ["bearer": ["type": "http", "scheme": "bearer"]], "schemas": schemas],
        ]
    }

    static func string(_ s: String? = nil, format: String? = nil, nullable: Bool = false) -> [String: Any] {
        var o: [String: Any] = ["type": nullable ? ["string", "null"] as Any : "string"]
        if let s { o["description"] = s }
        if let format { o["format"] = format }
        return o
    }

    static func object(_ props: [String: [String: Any]], required: [String] = []) -> [String: Any] {
        ["type": "object", "properties": props, "required": required]
    }

    static func list(of item: String) -> [String: Any] {
        object(["data": ["type": "array", "items": ["$ref": "#/components/schemas/\(item)"]],
                "nextCursor": string("Pass as `cursor` for the next page; null on the last page.", nullable: true)], required: ["data", "nextCursor"])
    }

    static var schemas: [String: Any] { [
        "Error": object(["error": object(["code": string("Stable machine-readable code"), "message": string("What went wrong and what to do"),
                                          "fields": ["type": "object", "additionalProperties": ["type": "string"]]], required: ["code", "message"])],
                        required: ["error"]),
        "Health": object(["status": string(), "database": string(), "pendingMigrations": ["type": "array", "items": ["type": "string"]]], required: ["status"]),
        "LoginRequest": object(["email": string(format: "email"), "password": string(format: "password"),
                                "tokenName": string("Name of the token to create"), "expiresInDays": ["type": "integer", "minimum": 1, "maximum": 3650]],
                               required: ["email", "password"]),
        "IssuedToken": object(["id": string(format: "uuid"), "name": string(), "token": string("The secret; returned only here"),
                               "expiresAt": string(format: "date-time", nullable: true)], required: ["id", "name", "token"]),
        "TokenRequest": object(["name": string(), "expiresInDays": ["type": ["integer", "null"]]], required: ["name"]),
        "Token": object(["id": string(format: "uuid"), "name": string(), "hint": string("Last characters of the token"),
                         "createdAt": string(format: "date-time", nullable: true), "expiresAt": string(format: "date-time", nullable: true),
                         "revokedAt": string(format: "date-time", nullable: true), "lastUsedAt": string(format: "date-time", nullable: true)],
                        required: ["id", "name", "hint"]),
        "TokenList": list(of: "Token"),
        "Me": object(["id": string(format: "uuid"), "email": string(), "name": string(), "role": string(),
                      "deploymentIds": ["type": "array", "items": string(format: "uuid")], "permissions": ["type": "array", "items": string()]],
                     required: ["id", "email", "role"]),
        "Deployment": object(["id": string(format: "uuid"), "name": string(), "cmsService": string(), "crmService": string(),
                              "timeZone": string(), "defaultCurrency": string(), "companyName": string(), "companyAddress": string(),
                              "companyEmail": string(), "companyPhone": string(), "companyWebsite": string(),
                              "authTokenHint": string("Last characters of the business-API token"),
                              "authTokenRotatedAt": string(format: "date-time", nullable: true)],
                             required: ["id", "name", "cmsService", "crmService", "timeZone", "defaultCurrency"]),
        "DeploymentList": list(of: "Deployment"),
        "DeploymentCreate": object(["name": string(), "cmsService": string(), "crmService": string(), "timeZone": string("IANA zone"),
                                    "defaultCurrency": string("ISO 4217")], required: ["name", "cmsService", "crmService", "timeZone", "defaultCurrency"]),
        "DeploymentCreated": object(["deployment": ["$ref": "#/components/schemas/Deployment"], "authToken": string("Returned only here")],
                                    required: ["deployment", "authToken"]),
        "DeploymentUpdate": object(["name": string(), "timeZone": string(), "defaultCurrency": string(), "companyName": string(),
                                    "companyAddress": string(), "companyEmail": string(), "companyPhone": string(), "companyWebsite": string()]),
        "AuthToken": object(["authToken": string("The new business-API token; returned only here")], required: ["authToken"]),
        "SystemUser": object(["id": string(format: "uuid"), "email": string(), "name": string(), "role": string(), "active": ["type": "boolean"],
                              "deploymentIds": ["type": "array", "items": string(format: "uuid")],
                              "lockedUntil": string(format: "date-time", nullable: true), "lastLoginAt": string(format: "date-time", nullable: true)],
                             required: ["id", "email", "name", "role", "active", "deploymentIds"]),
        "SystemUserList": list(of: "SystemUser"),
        "SystemUserWrite": object(["email": string(), "name": string(), "password": string(format: "password"),
                                   "role": ["type": "string", "enum": ["owner", "admin", "editor", "support"]],
                                   "deploymentIds": ["type": "array", "items": string(format: "uuid")], "active": ["type": "boolean"]]),
        "AuditRecord": object(["id": ["type": "integer"], "at": string(format: "date-time"), "actorKind": string(), "actorId": string(nullable: true),
                               "actorLabel": string(), "ip": string(nullable: true), "deploymentId": string(format: "uuid", nullable: true),
                               "entityType": string(), "entityId": string(), "action": string(),
                               "before": ["type": ["object", "null"]], "after": ["type": ["object", "null"]]],
                              required: ["id", "at", "actorKind", "actorLabel", "entityType", "entityId", "action"]),
        "AuditRecordList": list(of: "AuditRecord"),
        "Job": object(["id": ["type": "integer"], "kind": string(), "status": ["type": "string", "enum": ["queued", "running", "succeeded", "failed"]],
                       "attempts": ["type": "integer"], "maxAttempts": ["type": "integer"], "runAt": string(format: "date-time"),
                       "startedAt": string(format: "date-time", nullable: true), "finishedAt": string(format: "date-time", nullable: true),
                       "lastError": string(nullable: true), "result": string(nullable: true), "lockedBy": string(nullable: true),
                       "scheduleName": string(nullable: true)],
                      required: ["id", "kind", "status", "attempts", "maxAttempts", "runAt"]),
        "JobList": list(of: "Job"),
    ] }
}
