import Domain
import FluentKit
import Foundation
import Storage

/// How a device finds its operator before anyone signs in: by the hostname it was configured
/// with, by a super hostname plus the service id the subscriber typed, or (older apps, and any
/// address no operator mapped) by the deployment's CRM service name.
public enum HostnameResolver {
    public enum Resolution: Sendable {
        /// A hostname (possibly reached through a super hostname).
        case hostname(HostnameModel, DeploymentModel)
        /// A super hostname asked for without a service id: the app shows its Service ID screen.
        case serviceRequired(superHostname: String)
        /// `?service=<crmService>` alone, as before hostnames existed.
        case service(DeploymentModel)
    }

    public static func resolve(on db: any Database, host: String?, service: String?) async throws -> Resolution {
        let service = service?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        let rawHost = host?.trimmingCharacters(in: .whitespaces) ?? ""
        if rawHost.isEmpty {
            guard !service.isEmpty else { throw DomainError.validation(["host": "give the app's hostname or a service id"]) }
            return try await byCRMService(service, on: db)
        }
        // A port or a trailing dot is not part of the name the operator entered.
        let name = BrandingRules.hostname(String(rawHost.split(separator: ":").first ?? ""))
        if let name, let h = try await HostnameModel.query(on: db).filter(\.$hostname == name).first() {
            return .hostname(h, try await deployment(of: h, on: db))
        }
        guard let name, let s = try await SuperHostnameModel.query(on: db).filter(\.$hostname == name).first() else {
            // An address no operator mapped (an IP, a test host, WebTV opened by its server's own
            // name) still finds its operator by the CRM service name given with it.
            if !service.isEmpty { return try await byCRMService(service, on: db) }
            throw unknownHostname(name ?? rawHost)
        }
        guard !service.isEmpty else { return .serviceRequired(superHostname: s.hostname) }
        guard let sid = HostnameRules.serviceID(service),
              let m = try await SuperHostnameServiceModel.query(on: db).filter(\.$superHostnameID == s.id!).filter(\.$serviceID == sid).first(),
              let h = try await HostnameModel.find(m.hostnameID, on: db) else {
            throw unknownService(service)
        }
        return .hostname(h, try await deployment(of: h, on: db))
    }

    static func byCRMService(_ service: String, on db: any Database) async throws -> Resolution {
        guard let d = try await DeploymentModel.query(on: db).filter(\.$crmService == service).first() else { throw unknownService(service) }
        return .service(d)
    }

    static func deployment(of h: HostnameModel, on db: any Database) async throws -> DeploymentModel {
        guard let d = try await DeploymentModel.find(h.deploymentID, on: db) else { throw unknownHostname(h.hostname) }
        return d
    }

    static func unknownHostname(_ host: String) -> DomainError {
        DomainError(.notFound, code: "unknown_hostname", "No operator serves apps at \(host).")
    }

    static func unknownService(_ service: String) -> DomainError {
        DomainError(.notFound, code: "unknown_service", "No operator has the service id \(service).")
    }
}
