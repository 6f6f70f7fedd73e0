import Foundation
import Vapor

/// Builds the OpenAPI 3.1 document of REST v1 from the catalogue and the schema table below.
enum OpenAPIDocument {
    /// `info`, `schemas` and `moreErrors` let another API (the subscriber API) use the same builder.
    static func build(_ endpoints: [APIEndpoint], serverURL: String, info: [String: Any]? = nil, schemas: [String: Any]? = nil,
                      moreErrors: [(String, String)] = []) -> [String: Any] {
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
                                 ("404", "Not found or not in your deployments"), ("409", "Conflicts with current state"), ("422", "Validation failed; see error.fields")] + moreErrors {
                if code == "401" && !e.authenticated { continue }
                responses[code] = ["description": text, "content": ["application/json": ["schema": ["$ref": "#/components/schemas/Error"]]]]
            }
            op["responses"] = responses
            if !e.authenticated { op["security"] = [[String: Any]]() }
            paths[e.openAPIPath, default: [:]][e.method.rawValue.lowercased()] = op
        }
        return [
            "openapi": "3.1.0",
            "info": info ?? ["title": "TVMS REST API", "version": "1",
                     "description": "Operator API of TVMS. Authenticate with `Authorization: Bearer <token>`; create tokens on the console's My account page or with POST /api/v1/auth/login. Lists use cursor pagination: pass `nextCursor` back as `cursor`."],
            "servers": [["url": serverURL]],
            "security": [["bearer": [String]()]],
            "paths": paths,
            "components": ["securitySchemes": ["bearer": ["type": "http", "scheme": "bearer"]], "schemas": schemas ?? Self.schemas],
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

    static func dataList(of item: String) -> [String: Any] {
        object(["data": ["type": "array", "items": ["$ref": "#/components/schemas/\(item)"]]], required: ["data"])
    }

    static func ref(_ name: String) -> [String: Any] { ["$ref": "#/components/schemas/\(name)"] }
    static var integer: [String: Any] { ["type": "integer"] }
    static var boolean: [String: Any] { ["type": "boolean"] }
    static func nullableInt() -> [String: Any] { ["type": ["integer", "null"]] }
    static func strings() -> [String: Any] { ["type": "array", "items": ["type": "string"]] }

    static var schemas: [String: Any] {
        platformSchemas.merging(crmSchemas) { a, _ in a }.merging(resellerSchemas) { a, _ in a }.merging(contentSchemas) { a, _ in a }
    }

    /// CMS: channels, on-demand items, packages, PPV rules, publishing, entitlements.
    static var contentSchemas: [String: Any] {
        let prices: [String: Any] = ["type": "object", "additionalProperties": ["type": "string"], "description": "PPV price per currency as decimal text, e.g. {\"EUR\": \"3.99\"}"]
        let contentKind: [String: Any] = ["type": "string", "enum": ["channel", "movie", "series", "music", "app", "course"]]
        let vodKind: [String: Any] = ["type": "string", "enum": ["movie", "series", "season", "episode", "album", "song", "course", "lesson", "app"]]
        let launch: [String: Any] = ["type": "object", "additionalProperties": ["type": "string"], "description": "android, apple, smarttv, web → package id, URL or app scheme"]
        let channelProps: [String: [String: Any]] = [
            "number": integer, "name": string(), "hlsUrl": string("HLS (.m3u8) for Apple and KaiOS"), "dashUrl": string("DASH (.mpd)"), "fallbackUrl": string(),
            "tokenType": string("none, akamai, flussonic, wowza, nimble, nginx_secure_link, callback, nimble_ppv"), "drm": string("none, buydrm, irdeto"),
            "ageRating": integer, "parental": boolean, "tags": strings(), "genres": strings(), "catchupDays": integer, "recordingAllowed": boolean,
            "vastUrl": string(), "preroll": boolean, "overlay": boolean, "ticker": boolean, "pinned": boolean, "enabled": boolean, "provider": string(),
            "notes": string(), "ppvRuleId": nullableInt(), "prices": prices]
        var channel = channelProps
        channel["id"] = integer
        channel["logo"] = string(nullable: true)
        var channelWrite = channelProps
        channelWrite["logoUrl"] = string("A square PNG/JPEG/WebP to fetch")
        let vodProps: [String: [String: Any]] = [
            "kind": vodKind, "parentId": nullableInt(), "number": integer, "title": string(), "description": string(), "year": nullableInt(), "durationSeconds": integer,
            "genres": strings(), "tags": strings(), "actors": string(), "director": string(), "producer": string(), "credits": string(), "guestCast": string(),
            "language": string(), "rating": string(), "ageRating": integer, "parental": boolean, "imdbId": string(), "externalId": string(), "provider": string(),
            "streamUrl": string(), "trailerUrl": string(), "subtitlesUrl": string(), "tokenType": string(), "drm": string(), "offlineViewing": boolean,
            "offlineDays": integer, "ppvRuleId": nullableInt(), "prices": prices, "vastUrl": string(), "preroll": boolean, "overlay": boolean, "ticker": boolean,
            "pinned": boolean, "levelId": nullableInt(), "launch": launch, "enabled": boolean]
        var vod = vodProps
        vod["id"] = integer
        vod["tmdbId"] = nullableInt()
        vod["cover"] = string(nullable: true)
        vod["image"] = string(nullable: true)
        vod["children"] = ["type": "array", "items": object(["id": integer, "kind": string(), "number": integer, "title": string(), "enabled": boolean],
                                                            required: ["id", "kind", "number", "title", "enabled"])]
        var vodWrite = vodProps
        vodWrite["addToTop"] = boolean
        vodWrite["coverUrl"] = string("A 2:3 (albums 1:1) picture to fetch")
        vodWrite["imageUrl"] = string("A 16:9 picture to fetch")
        return [
            "Channel": object(channel, required: ["id", "number", "name", "tokenType", "enabled", "prices"]),
            "ChannelList": list(of: "Channel"),
            "ChannelWrite": object(channelWrite),
            "VoDItem": object(vod, required: ["id", "kind", "title", "enabled", "children", "prices"]),
            "VoDList": list(of: "VoDItem"),
            "VoDWrite": object(vodWrite),
            "Package": object(["id": integer, "kind": contentKind, "name": string(), "description": string(), "items": ["type": "array", "items": integer],
                               "grantedBy": ["type": "integer", "description": "How many products and extra packages hold it"]],
                              required: ["id", "kind", "name", "items", "grantedBy"]),
            "PackageList": dataList(of: "Package"),
            "PackageWrite": object(["kind": contentKind, "name": string(), "description": string()], required: ["kind", "name"]),
            "PackageItems": object(["items": ["type": "array", "items": integer]], required: ["items"]),
            "PPVRule": object(["id": integer, "section": contentKind, "name": string(), "unit": ["type": "string", "enum": ["hours", "days", "months", "years"]], "count": integer],
                              required: ["id", "section", "name", "unit", "count"]),
            "PPVRuleList": dataList(of: "PPVRule"),
            "PPVRuleWrite": object(["section": contentKind, "name": string(), "unit": ["type": "string", "enum": ["hours", "days", "months", "years"]], "count": integer],
                                   required: ["name", "unit", "count"]),
            "PublishResultList": dataList(of: "PublishResult"),
            "PublishResult": object(["productId": integer, "kind": string(), "version": integer, "changed": boolean, "items": integer, "bytes": integer, "gzipBytes": integer],
                                    required: ["productId", "kind", "version", "changed"]),
            "Publication": object(["id": integer, "productId": integer, "kind": string(), "version": integer, "sha256": string(), "items": integer, "bytes": integer,
                                   "gzipBytes": integer, "publishedAt": string(format: "date-time"), "publishedBy": string()], required: ["id", "productId", "kind", "version"]),
            "PublicationList": dataList(of: "Publication"),
            "Entitlement": object(["ref": string(), "allowed": boolean,
                                   "reason": string("allowed, not_in_packages, item_disabled, or customer_{status} (pending, expired, disabled)")], required: ["ref", "allowed", "reason"]),
            "PPVPurchase": object(["id": integer, "content": string(), "title": string(), "price": ["type": "integer", "description": "Minor units"], "currency": string(),
                                   "purchasedAt": string(format: "date-time"), "accessUntil": string(format: "date-time")], required: ["id", "content", "price", "currency", "accessUntil"]),
            "PPVPurchaseList": dataList(of: "PPVPurchase"),
            "PPVBuy": object(["ref": string("channel:{id} or {kind}:{id}"), "provisionId": ["type": "integer", "description": "Buy through this API provision instead of the wallet"]],
                             required: ["ref"]),
        ]
    }

    static var resellerSchemas: [String: Any] {
        [
            "Reseller": object(["id": integer, "name": string(), "type": ["type": "string", "enum": ["prepaid", "postpaid"]], "currency": string(), "enabled": boolean,
                                "balance": ["type": "integer", "description": "Credits (postpaid)"], "creditLimit": integer, "mobile": string(), "email": string(),
                                "allowCustomLogin": boolean, "allowAds": boolean,
                                "plans": ["type": "array", "items": object(["productId": integer, "planId": integer, "discountPercent": string()])],
                                "orders": ["type": "array", "items": object(["id": integer, "planId": integer, "quantity": integer, "used": integer, "refunded": integer,
                                                                              "remaining": integer, "unitPrice": integer, "currency": string(), "paid": boolean, "status": string()])]],
                               required: ["id", "name", "type", "enabled", "balance", "plans", "orders"]),
            "ResellerList": dataList(of: "Reseller"),
            "ResellerCreate": object(["name": string(), "type": ["type": "string", "enum": ["prepaid", "postpaid"]], "currency": string("CREDITS for postpaid"),
                                      "mobile": string(), "email": string(), "company": string(), "address": string(), "allowAds": boolean,
                                      "allowCustomLogin": boolean, "creditLimit": integer], required: ["name", "type"]),
            "ResellerPlan": object(["productId": integer, "planId": integer, "discountPercent": string("e.g. \"10\" or \"12.5\"")], required: ["productId", "planId"]),
            "ResellerCredits": object(["amount": ["type": "integer", "description": "Credits; negative deducts"], "reason": string(),
                                       "idempotencyKey": string("Or an Idempotency-Key header")], required: ["amount", "reason"]),
            "ResellerOrderCreate": object(["planId": integer, "quantity": integer, "unitPrice": string("Decimal amount"), "currency": string(), "paid": boolean],
                                          required: ["planId", "quantity", "unitPrice", "currency"]),
            "ResellerSale": object(["productId": integer, "planId": integer, "orderId": ["type": "integer", "description": "Prepaid: the order to take the unit from"],
                                    "currency": string(), "login": string(), "password": string(), "contact": ref("Contact")], required: ["productId", "planId"]),
            "LedgerEntry": object(["id": integer, "at": string(format: "date-time"), "from": string(), "to": string(), "amount": integer,
                                   "unit": ["type": "string", "enum": ["CREDITS", "UNITS"]], "reason": string(), "actor": string(),
                                   "customerId": nullableInt(), "orderId": nullableInt(), "planId": nullableInt()], required: ["id", "from", "to", "amount", "unit"]),
            "LedgerEntryList": list(of: "LedgerEntry"),
        ]
    }

    /// CRM: currencies, products, customers, bulk work.
    static var crmSchemas: [String: Any] {
        let contactProps: [String: [String: Any]] = [
            "title": string(), "firstName": string(), "lastName": string(), "street": string(), "zip": string(), "city": string(),
            "state": string(), "country": string("ISO 3166-1 alpha-2"), "phone": string(), "mobile": string("International form, +31612345678"),
            "email": string(), "facility": string(), "comment": string(), "mappingId": string("Id in your billing system"),
            "resellerId": nullableInt(), "dealerId": nullableInt()]
        let plan = object(["id": integer, "name": string(), "length": integer, "unit": ["type": "string", "enum": ["days", "weeks", "months", "years"]],
                           "prices": ["type": "object", "additionalProperties": ["type": "integer"], "description": "Currency code → amount in minor units"],
                           "creditsPrice": nullableInt()], required: ["id", "name", "length", "unit", "prices"])
        return [
            "Currency": object(["code": string(), "name": string(), "symbol": string(), "isDefault": boolean, "minorDigits": integer], required: ["code", "name", "isDefault"]),
            "CurrencyList": dataList(of: "Currency"),
            "CurrencyWrite": object(["code": string("ISO 4217 or CREDITS"), "name": string(), "symbol": string()], required: ["code"]),
            "Plan": plan,
            "PlanWrite": object(["name": string(), "length": integer, "unit": ["type": "string", "enum": ["days", "weeks", "months", "years"]],
                                 "prices": ["type": "object", "additionalProperties": ["type": "string"], "description": "Currency code → decimal amount as text, e.g. {\"EUR\": \"9.99\"}"],
                                 "creditsPrice": string("Whole credits as text")], required: ["name", "length", "unit"]),
            "Product": object(["id": integer, "name": string(), "mappingId": string(nullable: true), "subscriptionType": ["type": "string", "enum": ["trial", "regular"]],
                               "paymentType": ["type": "string", "enum": ["subscription", "wallet", "api"]], "startFromFirstLogin": boolean,
                               "allowedCountries": strings(), "isRTL": boolean, "maxDevices": integer, "pvrQuotaHours": integer, "userInterfaceId": string(nullable: true),
                               "defaultCurrency": string(), "disclaimer": string(), "supportText": string(), "ipAllowed": strings(), "ipBlocked": strings(),
                               "ipLockFirst": boolean, "sellable": boolean, "customers": integer, "plans": ["type": "array", "items": ref("Plan")],
                               "extraPackages": ["type": "array", "items": object(["id": integer, "name": string(), "mappingId": string(nullable: true),
                                                                                   "plans": ["type": "array", "items": ref("Plan")]])],
                               "options": ["type": "array", "items": object(["id": integer, "kind": ["type": "string", "enum": ["dvr", "catchup", "ota"]], "name": string(),
                                                                             "amount": integer, "platform": string(), "version": string(), "url": string()])]],
                              required: ["id", "name", "subscriptionType", "paymentType", "maxDevices", "defaultCurrency", "plans", "sellable"]),
            "ProductList": dataList(of: "Product"),
            "ProductWrite": object(["name": string(), "mappingId": string(), "subscriptionType": ["type": "string", "enum": ["trial", "regular"]],
                                    "paymentType": ["type": "string", "enum": ["subscription", "wallet", "api"]], "startFromFirstLogin": boolean,
                                    "allowedCountries": strings(), "isRTL": boolean, "maxDevices": integer, "pvrQuotaHours": integer, "userInterfaceId": string(),
                                    "defaultCurrency": string(), "disclaimer": string(), "supportText": string()]),
            "ExtraPackageWrite": object(["name": string(), "mappingId": string()], required: ["name"]),
            "OptionWrite": object(["kind": ["type": "string", "enum": ["dvr", "catchup", "ota"]], "name": string(), "amount": ["type": "integer", "description": "dvr: hours, catchup: days"],
                                   "platform": string(), "version": string(), "url": string(), "mandatory": boolean], required: ["kind"]),
            "IPAccess": object(["allowed": strings(), "blocked": strings(), "lockToFirstIP": boolean]),
            "Contact": object(contactProps),
            "Customer": object(contactProps.merging(["id": integer, "login": string(), "status": ["type": "string", "enum": ["pending", "trial", "active", "expired", "disabled"]],
                                                     "productId": integer, "planId": nullableInt(), "currency": string(),
                                                     "startsAt": string(format: "date-time", nullable: true), "expiresAt": string(format: "date-time", nullable: true),
                                                     "startFromFirstLogin": boolean, "renewalInterval": integer, "walletBalance": integer,
                                                     "createdAt": string(format: "date-time", nullable: true), "deletedAt": string(format: "date-time", nullable: true)]) { a, _ in a },
                               required: ["id", "login", "status", "productId", "currency"]),
            "CustomerList": list(of: "Customer"),
            "CustomerCreate": object(["productId": integer, "planId": integer, "currency": string(), "login": string("Custom username; generated when absent"),
                                      "password": string("Custom password; generated when absent"), "startFromFirstLogin": boolean,
                                      "renewalInterval": integer, "contact": ref("Contact")], required: ["productId", "planId"]),
            "CustomerCreated": object(["customer": ref("Customer"), "password": string("Returned only here")], required: ["customer", "password"]),
            "CustomerCreatedList": object(["created": ["type": "array", "items": ref("CustomerCreated")]], required: ["created"]),
            "CustomerCounts": object(["byStatus": ["type": "object", "additionalProperties": integer], "byProduct": ["type": "object", "additionalProperties": integer],
                                      "byReseller": ["type": "object", "additionalProperties": integer], "total": integer], required: ["byStatus", "total"]),
            "CustomerRange": object(["baseName": string(), "count": integer, "startNumber": integer, "productId": integer, "planId": integer, "currency": string(),
                                     "startFromFirstLogin": boolean, "contact": ref("Contact")], required: ["baseName", "count", "productId", "planId"]),
            "BulkSelection": object(["ids": ["type": "array", "items": integer],
                                     "filter": object(["q": string(), "status": string(), "productId": integer, "resellerId": integer])]),
            "BulkEdit": object(["ids": ["type": "array", "items": integer], "filter": object(["q": string(), "status": string(), "productId": integer, "resellerId": integer]),
                                "productId": integer, "planId": integer, "expiresAt": string(format: "date-time"), "resellerId": integer, "clearReseller": boolean,
                                "dealerId": integer, "clearDealer": boolean, "disabled": boolean]),
            "BulkResult": object(["changed": integer], required: ["changed"]),
            "Renew": object(["planId": integer, "fromExpiry": boolean]),
            "Extend": object(["expiresAt": string(format: "date-time")], required: ["expiresAt"]),
            "ChangeProduct": object(["productId": integer, "planId": integer, "fromExpiry": boolean], required: ["productId", "planId"]),
            "PasswordReset": object(["password": string("Omit to generate one")]),
            "CredentialsChange": object(["login": string(), "password": string()], required: ["login", "password"]),
            "Country": object(["code": string("ISO 3166 alpha-2"), "name": string()], required: ["code", "name"]),
            "CountryList": dataList(of: "Country"),
            "PasswordResult": object(["login": string(), "password": string("Returned only here")], required: ["login", "password"]),
            "Device": object(["id": integer, "linked": boolean, "connected": boolean, "mac": string(), "serial": string(), "uuid": string(), "model": string(),
                              "type": string(), "ip": string(), "appVersion": string(), "lastSeenAt": string(format: "date-time", nullable: true)], required: ["id", "linked", "connected"]),
            "DeviceList": dataList(of: "Device"),
            "DeviceLink": object(["mac": string(), "serial": string(), "model": string()]),
            "WalletTransaction": object(["id": integer, "at": string(format: "date-time"), "amount": integer, "balanceAfter": integer, "currency": string(),
                                         "reason": string(), "actor": string(), "idempotencyKey": string(nullable: true)], required: ["id", "amount", "balanceAfter"]),
            "Wallet": object(["balance": integer, "currency": string(), "transactions": ["type": "array", "items": ref("WalletTransaction")]], required: ["balance", "currency", "transactions"]),
            "WalletMove": object(["amount": string("Decimal amount in the customer's currency; negative takes money out"), "reason": string(),
                                  "idempotencyKey": string("Or send an Idempotency-Key header")], required: ["amount", "reason"]),
            "CustomerExtraPackage": object(["id": integer, "extraPackageId": integer, "planId": integer, "synced": boolean, "startsAt": string(format: "date-time"),
                                            "expiresAt": string(format: "date-time"), "active": boolean], required: ["id", "extraPackageId", "planId", "expiresAt"]),
            "CustomerExtraPackageList": dataList(of: "CustomerExtraPackage"),
            "ExtraPackageSale": object(["planId": integer, "syncWithSubscription": boolean], required: ["planId"]),
            "Message": object(["id": integer, "at": string(format: "date-time"), "subject": string(), "body": string(), "readAt": string(format: "date-time", nullable: true)],
                              required: ["id", "subject", "body"]),
            "MessageList": dataList(of: "Message"),
            "MessageWrite": object(["subject": string(), "body": string()], required: ["subject", "body"]),
        ]
    }

    static var platformSchemas: [String: Any] { [
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
