import Domain
import FluentKit
import Foundation
import Storage

/// What the operator sees of a customer's own data in the CRM (customer › Profiles & reports):
/// its profiles with the size of their lists, and its problem reports.
public enum SubscriberCRMService {
    public struct ProfileSummary: Sendable {
        public var profile: CustomerProfileModel
        public var favorites: Int
        public var watchlist: Int
        public var inProgress: Int
    }

    public struct Overview: Sendable {
        public var profiles: [ProfileSummary]
        public var reports: [ProblemReportModel]
    }

    public static func overview(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, customerID: Int) async throws -> Overview {
        let reports = try await ClientEventService.problemReports(env, actor: actor, deploymentID: deploymentID, customerID: customerID)
        let profiles = try await CustomerProfileModel.query(on: env.db).filter(\.$deploymentID == deploymentID).filter(\.$customerID == customerID)
            .sort(\.$position).sort(\.$id).all()
        var out: [ProfileSummary] = []
        for p in profiles {
            let items = try await ProfileItemModel.query(on: env.db).filter(\.$profileID == p.id!).all()
            let started = try await ProfileProgressModel.query(on: env.db).filter(\.$profileID == p.id!).filter(\.$finished == false).count()
            out.append(ProfileSummary(profile: p, favorites: items.filter { $0.list == "favorites" }.count, watchlist: items.filter { $0.list == "watchlist" }.count,
                                      inProgress: started))
        }
        return Overview(profiles: out, reports: reports)
    }
}
