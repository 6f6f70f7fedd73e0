import Domain
import Foundation
import Services

/// JSON schemas of the subscriber API's OpenAPI document (`/api/client/v1/openapi.json`).
/// Built with the REST document's helpers; `all` holds every schema an endpoint names.
enum ClientAPISchemas {
    typealias O = OpenAPIDocument

    static var all: [String: Any] {
        personal.merging(access) { a, _ in a }.merging(uiToolkit) { a, _ in a }.merging(["Error": O.platformSchemas["Error"]!]) { a, _ in a }
    }

    /// Sign-in, account, devices, playback, recordings and the catalogue. Catalogue answers are
    /// documented by their top-level fields; the items are described in docs/CLIENT-API.md.
    static var access: [String: Any] {
        let device = O.object(["uid": O.string("The device's stable id"), "type": O.string("Platform, e.g. android, ios, tizen, webos, mag, chrome"),
                               "model": O.string(), "appVersion": O.string()], required: ["uid", "type"])
        func listOf(_ key: String, _ what: String, more: [String: [String: Any]] = [:]) -> [String: Any] {
            O.object([key: ["type": "array", "description": what, "items": anyObject]].merging(more) { a, _ in a }, required: [key])
        }
        return [
            "DeviceInfo": device,
            "PPVRentRequest": O.object(["provisionId": O.integer], required: []),
            "LoginRequest": O.object(["service": O.string("The Service ID"), "login": O.string(), "password": O.string(), "device": O.ref("DeviceInfo")],
                                     required: ["service", "login", "password", "device"]),
            "MACLogin": O.object(["service": O.string(), "mac": O.string("00:1A:79:12:34:56"), "device": O.ref("DeviceInfo")], required: ["service", "mac", "device"]),
            "Session": O.object(["token": O.string("Send as Authorization: Bearer"), "expiresAt": date(), "customerId": O.integer, "deviceId": O.integer],
                                required: ["token", "expiresAt", "customerId", "deviceId"]),
            "ActivationStart": O.object(["service": O.string(), "device": O.ref("DeviceInfo")], required: ["service", "device"]),
            "ActivationStarted": O.object(["code": O.string("ABCD-EFGH, shown on the TV"), "pollToken": O.string("Secret to the TV"),
                                           "verifyURL": O.string("Where to confirm in a browser"), "expiresAt": date(), "interval": O.integer],
                                          required: ["code", "pollToken", "verifyURL", "expiresAt", "interval"]),
            "ActivationPoll": O.object(["pollToken": O.string()], required: ["pollToken"]),
            "ActivationConfirm": O.object(["code": O.string()], required: ["code"]),
            "Bootstrap": O.object(["service": O.string(), "timeZone": O.string(), "languages": ["type": "array", "items": O.string()],
                                   "branding": anyObject, "support": anyObject, "authMethods": ["type": "array", "items": O.string()],
                                   "activation": anyObject, "api": O.string()], required: ["service", "authMethods"]),
            "Me": O.object(["id": O.integer, "login": O.string(), "firstName": O.string(), "lastName": O.string(), "status": O.string(),
                            "startsAt": date(nullable: true), "expiresAt": date(nullable: true), "wallet": O.string(), "currency": O.string(),
                            "parentalPINSet": O.boolean, "product": anyObject, "extraPackages": ["type": "array", "items": O.integer]],
                           required: ["id", "login", "status", "product"]),
            "Device": O.object(["id": O.integer, "type": O.string(), "model": O.string(), "appVersion": O.string(), "lastSeenAt": date(nullable: true),
                                "holdsPlaceUntil": date(nullable: true), "linked": O.boolean, "current": O.boolean], required: ["id", "type", "linked", "current"]),
            "DeviceList": O.object(["devices": array(of: "Device")], required: ["devices"]),
            "DeviceHeartbeat": O.object(["holdsPlaceUntil": date()], required: ["holdsPlaceUntil"]),
            "PlayRequest": O.object(["kind": ["type": "string", "enum": PlaybackService.Kind.allCases.map(\.rawValue)],
                                     "item": O.string("channel:3 for live and catch-up; movie:12, episode:40, song:7, lesson:5"),
                                     "recordingId": O.integer, "start": date(), "stop": date(), "pin": O.string("The parental PIN for restricted items"),
                                     "profileId": O.integer], required: ["kind"]),
            "Grant": O.object(["playbackID": O.integer, "kind": O.string(), "item": O.string(), "format": O.string("hls, dash or mp4"),
                               "url": O.string("Signed for this viewer"), "backups": ["type": "array", "items": O.string()], "expiresAt": date(nullable: true),
                               "drm": anyObject, "ads": anyObject], required: ["playbackID", "url", "backups", "format"]),
            "RecordingRequest": O.object(["channelId": O.integer, "start": date(), "stop": date(), "title": O.string()], required: ["channelId", "start", "stop"]),
            "Recording": O.object(["id": O.integer, "channelId": O.integer, "title": O.string(), "start": date(), "stop": date(),
                                   "state": ["type": "string", "enum": ["scheduled", "recording", "done", "failed"]], "failure": O.string(nullable: true)],
                                  required: ["id", "channelId", "start", "stop", "state"]),
            "RecordingList": O.object(["recordings": array(of: "Recording"), "quota": anyObject], required: ["recordings", "quota"]),
            "ChannelList": listOf("channels", "Channels by number", more: ["groups": ["type": "array", "items": anyObject]]),
            "Guide": listOf("channels", "Per channel: id, number, programmes", more: ["from": date(), "to": date()]),
            "NowNext": listOf("channels", "Per channel: id, number, now, next", more: ["at": date()]),
            "VoDPage": listOf("items", "Items of the section", more: ["section": O.string(), "next": nullableInt("Pass as after for the next page")]),
            "VoDItem": O.object(["id": O.integer, "kind": O.string(), "title": O.string(), "access": O.string("open, ppv or locked"),
                                 "children": ["type": "array", "items": anyObject], "ppv": anyObject], required: ["id", "kind", "title", "access"]),
            "SearchResult": listOf("items", "On-demand items", more: ["channels": ["type": "array", "items": anyObject], "query": O.string()]),
            "Home": listOf("rails", "Rails: id, title, kind, items"),
        ]
    }

    /// UIT: a UI document and a language's texts (docs/UIT.md).
    static var uiToolkit: [String: Any] {
        let labels: [String: Any] = ["type": "object", "description": "Language code → label", "additionalProperties": O.string()]
        let colour = O.string("#RRGGBB")
        return [
            "UIMenuItem": O.object(["key": O.string("A section (home, tv, guide, recordings, catchup, movies, series, music, education, apps, search, messages, settings) or app:<slug>"),
                                    "type": ["type": "string", "enum": ["section", "app"]], "label": labels,
                                    "packageName": O.string("Native apps: the package to open"), "url": O.string("Native apps: the address to open")],
                                   required: ["key", "type", "label"]),
            "UIRail": O.object(["key": O.string("continue_watching, favourites, new_movies, new_series, channels_now"), "label": labels], required: ["key", "label"]),
            "UIDocument": O.object([
                "id": O.string(), "name": O.string(), "version": O.integer, "template": ["type": "string", "enum": UITemplate.all.map(\.id)],
                "rtl": O.boolean, "defaultLanguage": O.string(), "languages": ["type": "array", "items": O.string()],
                "colours": O.object(["primary": colour, "secondary": colour, "background": colour, "surface": colour, "text": colour],
                                    required: ["primary", "secondary", "background", "surface", "text"]),
                "logo": O.string("/media/<id>", nullable: true), "background": O.string("/media/<id>", nullable: true),
                "menu": array(of: "UIMenuItem"), "rails": array(of: "UIRail"),
                "behaviour": O.object(["startChannel": nullableInt("Channel number the player opens on; null = the last watched"),
                                       "zapBannerSeconds": O.integer, "clockFormat": ["type": "string", "enum": ["24h", "12h"]], "startDirectToTV": O.boolean,
                                       "parental": O.object(["maxRating": nullableInt("Default age limit; null = none"), "pinForLocked": O.boolean],
                                                            required: ["maxRating", "pinForLocked"]),
                                       "sleepMinutes": O.integer],
                                      required: ["startChannel", "zapBannerSeconds", "clockFormat", "startDirectToTV", "parental", "sleepMinutes"]),
            ], required: ["id", "name", "version", "template", "rtl", "defaultLanguage", "languages", "colours", "logo", "background", "menu", "rails", "behaviour"]),
            "Translations": O.object(["language": O.string(), "rtl": O.boolean,
                                      "strings": ["type": "object", "description": "Dotted key (menu.home, login.submit, error.<code>) → text", "additionalProperties": O.string()]],
                                     required: ["language", "rtl", "strings"]),
        ]
    }

    static func array(of item: String) -> [String: Any] { ["type": "array", "items": O.ref(item)] }
    static func date(nullable: Bool = false) -> [String: Any] { O.string(format: "date-time", nullable: nullable) }
    static var number: [String: Any] { ["type": "number"] }
    static func nullableInt(_ d: String) -> [String: Any] { ["type": ["integer", "null"], "description": d] }
    static var anyObject: [String: Any] { ["type": "object", "additionalProperties": true] }

    static var personal: [String: Any] {
        let itemRef = O.string("channel:{id} or {kind}:{id}, e.g. channel:3, movie:12, episode:40")
        let listTypes = ["type": "string", "enum": PersonalDataService.listTypes] as [String: Any]
        let eventTypes = ["type": "string", "enum": ClientEventCatalogue.allTypes, "description": "Matched without regard to case"] as [String: Any]
        return [
            // Profiles
            "Avatar": O.object(["id": O.string(), "name": O.string(), "image": O.string("SVG picture URL")], required: ["id", "name", "image"]),
            "AvatarList": O.object(["avatars": array(of: "Avatar")], required: ["avatars"]),
            "Profile": O.object(["id": O.integer, "name": O.string(), "avatar": O.string("An avatar id"), "avatarImage": O.string(), "kids": O.boolean,
                                 "maxRating": nullableInt("The profile's own age limit; null = none"),
                                 "ratingLimit": nullableInt("What the catalogue and playback apply: maxRating, or 12 for kids; null = no limit"),
                                 "pinSet": O.boolean, "isDefault": O.boolean, "position": O.integer],
                                required: ["id", "name", "avatar", "kids", "pinSet", "isDefault"]),
            "ProfileList": O.object(["profiles": array(of: "Profile"), "maxProfiles": O.integer], required: ["profiles", "maxProfiles"]),
            "ProfileCreate": O.object(["name": O.string("1–30 characters, unique in the account"), "avatar": O.string(), "kids": O.boolean,
                                       "maxRating": ["type": ["integer", "null"], "minimum": 0, "maximum": 18], "pin": O.string("4–8 digits; locks the profile")],
                                      required: ["name"]),
            "ProfileChange": O.object(["name": O.string(), "avatar": O.string(), "kids": O.boolean,
                                       "maxRating": ["type": ["integer", "null"], "description": "null removes the profile's own limit"],
                                       "pin": O.string("4–8 digits; null removes the PIN", nullable: true),
                                       "parentalPin": O.string("The account's parental PIN: needed to lift restrictions or change an existing PIN")]),
            "PINCheck": O.object(["pin": O.string()], required: ["pin"]),
            "PINVerified": O.object(["verified": O.boolean], required: ["verified"]),
            "Parental": O.object(["pinSet": O.boolean, "maxRating": ["type": "integer", "description": "Items rated above this ask for the PIN; 18 = only 18+ and items marked parental"]],
                                 required: ["pinSet", "maxRating"]),
            "ParentalWrite": O.object(["pin": O.string("New PIN, 4–8 digits"), "currentPin": O.string("Required once a PIN has been set"),
                                       "maxRating": ["type": "integer", "minimum": 0, "maximum": 18]]),
            // Personal data
            "ListEntry": O.object(["item": itemRef, "type": listTypes, "id": O.integer, "title": O.string(), "addedAt": date()],
                                  required: ["item", "type", "id", "title", "addedAt"]),
            "ListEntries": O.object(["items": array(of: "ListEntry")], required: ["items"]),
            "ProgressWrite": O.object(["item": O.string("movie:{id}, episode:{id}, song:{id} or lesson:{id}"), "position": ["type": "integer", "description": "Seconds"],
                                       "duration": ["type": "integer", "description": "Seconds"]], required: ["item", "position", "duration"]),
            "Progress": O.object(["item": itemRef, "type": O.string(), "id": O.integer, "title": O.string(), "position": O.integer, "duration": O.integer,
                                  "finished": O.boolean, "progress": ["type": "number", "description": "position ÷ duration"], "updatedAt": date(),
                                  "parentId": nullableInt("Season, album or course")],
                                 required: ["item", "type", "id", "position", "duration", "finished", "updatedAt"]),
            "ProgressList": O.object(["items": array(of: "Progress")], required: ["items"]),
            // Messages
            "ClientMessage": O.object(["id": O.integer, "at": date(), "subject": O.string(), "body": O.string(), "read": O.boolean, "readAt": date(nullable: true)],
                                      required: ["id", "at", "subject", "body", "read"]),
            "MessageList": O.object(["messages": array(of: "ClientMessage"), "unread": O.integer], required: ["messages", "unread"]),
            // Pay-per-view and wallet
            "Price": O.object(["amount": ["type": "integer", "description": "Minor units"], "currency": O.string(), "formatted": O.string("e.g. 3.99 EUR")],
                              required: ["amount", "currency", "formatted"]),
            "PPVOffer": O.object(["item": itemRef, "sold": O.string("What is sold: the item, or the season of an episode"), "title": O.string(),
                                  "rule": O.string("The PPV rule's commercial name"), "window": O.string("How long a rental lasts, e.g. 48 hours"),
                                  "price": O.ref("Price"), "owned": O.boolean, "accessUntil": date(nullable: true), "walletBalance": O.ref("Price"),
                                  "affordable": O.boolean], required: ["item", "sold", "title", "rule", "window", "price", "owned", "walletBalance", "affordable"]),
            "Rental": O.object(["id": O.integer, "item": itemRef, "title": O.string(), "price": O.ref("Price"), "purchasedAt": date(), "accessUntil": date(),
                                "active": O.boolean], required: ["id", "item", "title", "price", "purchasedAt", "accessUntil", "active"]),
            "PPVRented": O.object(["rental": O.ref("Rental"), "walletBalance": O.ref("Price")], required: ["rental", "walletBalance"]),
            "RentalList": O.object(["rentals": array(of: "Rental")], required: ["rentals"]),
            "WalletMovement": O.object(["id": O.integer, "at": date(), "amount": O.ref("Price"), "balanceAfter": O.ref("Price"), "reason": O.string()],
                                       required: ["id", "at", "amount", "balanceAfter", "reason"]),
            "WalletHistory": O.object(["balance": O.ref("Price"), "transactions": array(of: "WalletMovement"),
                                       "nextCursor": O.string("Pass as `cursor` for the next page; null on the last page", nullable: true)],
                                      required: ["balance", "transactions", "nextCursor"]),
            // Events
            "ClientEvent": O.object(["type": eventTypes, "at": date(), "item": itemRef, "position": ["type": "integer", "description": "Seconds"],
                                     "duration": ["type": "integer", "description": "Seconds watched; or send end"], "end": date(),
                                     "page": O.string("Pages events"), "action": O.string("Actions events"), "query": O.string("Search events"),
                                     "name": O.string("Error events")], required: ["type", "at"]),
            "EventBatch": O.object(["batchId": O.string("Unique per batch; the same on every retry"), "profileId": O.integer,
                                    "context": ["type": "object", "description": "device, network, app, location (spec 4.1); never credentials"],
                                    "events": ["type": "array", "maxItems": ClientEventCatalogue.maxPerBatch, "items": O.ref("ClientEvent")]],
                                   required: ["batchId", "events"]),
            "EventRefusal": O.object(["index": O.integer, "code": O.string("unknown_type, invalid_at, too_old, missing_item, invalid_item, invalid_number, invalid_end, missing_field, too_large, not_an_object, missing_type"),
                                      "message": O.string()], required: ["index", "code", "message"]),
            "EventReport": O.object(["batchId": O.string(), "accepted": O.integer, "rejected": array(of: "EventRefusal"),
                                     "duplicate": ["type": "boolean", "description": "The batch had been received before; nothing was stored now"]],
                                    required: ["batchId", "accepted", "rejected", "duplicate"]),
            "ProblemReportWrite": O.object(["item": itemRef, "description": O.string("Up to 2000 characters"), "profileId": O.integer,
                                            "diagnostics": anyObject], required: ["description"]),
            "ProblemReport": O.object(["id": O.integer, "item": O.string(nullable: true), "createdAt": date()], required: ["id", "createdAt"]),
        ]
    }
}
