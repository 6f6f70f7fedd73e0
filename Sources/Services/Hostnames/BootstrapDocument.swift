import Domain
import FluentKit
import Foundation
import Storage

/// The subscriber API's bootstrap answer: everything an app needs to draw its login screen and
/// menu for the operator (or reseller) behind a hostname, in the subscriber's language.
public enum BootstrapDocument {
    /// The user-interface half of the answer: the hostname's default UI (else the deployment's
    /// default UI) as its published document, and the languages the app offers on its language
    /// screen (UIT › Languages), starting in the UI's default language when the deployment offers it.
    public struct UIPart {
        public var ui: [String: Any]?
        public var languages: [UILanguage]
        public var defaultLanguage: String
    }

    public static func uiPart(_ env: ServiceEnvironment, deploymentID: UUID, defaultUIID: UUID?) async throws -> UIPart {
        let list = try await TranslationService.languageList(env, deploymentID: deploymentID)
        var id = defaultUIID
        if id == nil { id = try await UserInterfaceService.defaultUI(env.db, deploymentID: deploymentID)?.id }
        guard let id else { return UIPart(ui: nil, languages: list.languages, defaultLanguage: list.defaultLanguage) }
        let document = try await UserInterfaceService.document(env, deploymentID: deploymentID, id: id)
        let object = try JSONSerialization.jsonObject(with: try UserInterfaceService.encoder.encode(document)) as? [String: Any]
        let start = list.languages.contains { $0.code == document.defaultLanguage } ? document.defaultLanguage : list.defaultLanguage
        return UIPart(ui: object, languages: list.languages, defaultLanguage: start)
    }

    /// The answer for a resolved hostname or service; `baseURL` is where this server is reached
    /// (for the activation page address).
    public static func make(_ env: ServiceEnvironment, deployment d: DeploymentModel, hostname h: HostnameModel?, language: String?,
                            baseURL: String, activationLifetime: Int) async throws -> [String: Any] {
        let part = try await uiPart(env, deploymentID: d.id!, defaultUIID: h?.defaultUIID)
        let lang = language.flatMap(HostnameRules.languageCode)
        var branding: [String: Any] = ["name": d.companyName.isEmpty ? d.name : d.companyName, "logo": NSNull(), "background": NSNull()]
        var support: [String: Any] = ["email": d.companyEmail, "phone": d.companyPhone, "website": d.companyWebsite, "text": ""]
        if let rid = h?.resellerID, let r = try await ResellerModel.find(rid, on: env.db) {
            branding["resellerId"] = rid
            branding["name"] = r.company.isEmpty ? r.name : r.company
            if let b = try await ResellerBrandingModel.find(rid, on: env.db) {
                branding["logo"] = b.logoID.map { mediaPath($0) as Any } ?? NSNull()
                branding["background"] = b.backgroundID.map { mediaPath($0) as Any } ?? NSNull()
                if !b.selectionColour.isEmpty { branding["selectionColour"] = b.selectionColour }
                if !b.supportText.isEmpty { support["text"] = b.supportText }
            }
        }
        var texts: [String: Any] = ["loginSide": "", "disclaimer": ""]
        var authMethods = AuthMethod.allCases, platforms = DevicePlatform.allCases
        var stores: [String: Any] = ["android": NSNull(), "ios": NSNull()]
        if let h {
            texts = ["loginSide": HostnameRules.text(h.loginTextsByLanguage, language: lang, defaultLanguage: part.defaultLanguage),
                     "disclaimer": HostnameRules.text(h.disclaimersByLanguage, language: lang, defaultLanguage: part.defaultLanguage)]
            // The hostname's own contacts win; empty ones keep the operator's.
            for (key, value) in [("email", h.supportEmail), ("phone", h.supportPhone), ("website", h.supportWebsite), ("text", h.supportText)] where !value.isEmpty {
                support[key] = value
            }
            authMethods = HostnameRules.list(h.authMethods, of: AuthMethod.self)
            platforms = HostnameRules.list(h.platforms, of: DevicePlatform.self)
            stores = ["android": orNull(h.androidStoreURL), "ios": orNull(h.iosStoreURL)]
        }
        return [
            "service": d.crmService, "timeZone": d.timeZone, "api": "/api/client/v1",
            "hostname": orNull(h?.hostname ?? ""),
            "languages": part.languages.map { ["code": $0.code, "name": $0.name, "rtl": $0.rtl] as [String: Any] },
            "defaultLanguage": part.defaultLanguage,
            "ui": part.ui.map { $0 as Any } ?? NSNull(),
            "texts": texts, "branding": branding, "support": support,
            "authMethods": authMethods.map(\.rawValue), "platforms": platforms.map(\.rawValue), "stores": stores,
            "activation": ["url": baseURL + "/activate?service=" + d.crmService, "codeLifetimeSeconds": activationLifetime],
        ]
    }

    static func mediaPath(_ id: UUID) -> String { "/media/\(id.uuidString.lowercased())" }

    /// JSON null for an empty text (no store link, no hostname).
    static func orNull(_ text: String) -> Any { text.isEmpty ? NSNull() : text }
}
