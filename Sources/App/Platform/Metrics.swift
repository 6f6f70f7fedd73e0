import Foundation
import NIOConcurrencyHelpers
import Prometheus
import Services
import Vapor

/// Prometheus metrics of one process: HTTP requests, jobs and database health.
public final class Metrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    static let latencyBuckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    public init() {}

    /// The request metrics of one method, route and status. Looked up in the registry once and then
    /// kept here: the registry validates names and builds label keys on every call, which showed up
    /// in the profile of the hot endpoints.
    private struct RequestSeries: Hashable { var method: String; var route: String; var status: UInt }
    private let series = NIOLockedValueBox<[RequestSeries: (Counter, ValueHistogram)]>([:])

    /// A route's pattern, built once per route (routes live as long as the application, and so
    /// does this cache, so an identifier is never reused while it is here).
    private let patterns = NIOLockedValueBox<[ObjectIdentifier: String]>([:])

    func pattern(_ route: Route) -> String {
        patterns.withLockedValue { known in
            if let p = known[ObjectIdentifier(route)] { return p }
            let p = "/" + route.path.map(\.description).joined(separator: "/")
            known[ObjectIdentifier(route)] = p
            return p
        }
    }

    func recordRequest(method: String, route: String, status: UInt, seconds: Double) {
        let key = RequestSeries(method: method, route: route, status: status)
        let (counter, histogram) = series.withLockedValue { known in
            if let found = known[key] { return found }
            let made = (registry.makeCounter(descriptor: .init(metricName: "http_requests", unitName: "total", helpText: "HTTP requests by route and status"),
                                             labels: [("method", method), ("route", route), ("status", String(status))]),
                        registry.makeValueHistogram(descriptor: .init(metricName: "http_request_duration", unitName: "seconds", helpText: "HTTP request latency"),
                                                    labels: [("method", method), ("route", route)], buckets: Self.latencyBuckets))
            known[key] = made
            return made
        }
        counter.increment()
        histogram.record(seconds)
    }

    var jobObserver: JobObserver {
        JobObserver { [self] kind, status, seconds in
            registry.makeCounter(descriptor: .init(metricName: "tvms_jobs", unitName: "total", helpText: "Finished job runs by kind and outcome"),
                                 labels: [("kind", kind), ("status", status.rawValue)]).increment()
            registry.makeValueHistogram(descriptor: .init(metricName: "tvms_job_duration", unitName: "seconds", helpText: "Job run time"),
                                        labels: [("kind", kind)], buckets: Self.latencyBuckets).record(seconds)
        }
    }

    /// Values read at scrape time: queue depth by status, database round trip and pool size.
    func refreshGauges(jobCounts: [String: Int], dbPingSeconds: Double?, poolSize: Int, database: String) {
        for status in ["queued", "running", "succeeded", "failed"] {
            registry.makeGauge(descriptor: .init(metricName: "tvms_jobs_in_table", unitName: "count", helpText: "Jobs in the jobs table by status"),
                               labels: [("status", status)]).set(Double(jobCounts[status] ?? 0))
        }
        registry.makeGauge(descriptor: .init(metricName: "tvms_db_up", unitName: "bool", helpText: "1 when the database answered the scrape's ping"),
                           labels: [("database", database)]).set(Double(dbPingSeconds == nil ? 0 : 1))
        if let s = dbPingSeconds {
            registry.makeGauge(descriptor: .init(metricName: "tvms_db_ping", unitName: "seconds", helpText: "Round trip of SELECT 1 at scrape time"),
                               labels: [("database", database)]).set(s)
        }
        registry.makeGauge(descriptor: .init(metricName: "tvms_db_pool_connections", unitName: "max", helpText: "Configured database connections of this process"),
                           labels: [("database", database)]).set(Double(poolSize))
    }
}

/// Counts and times every request under its route pattern (`/system-users/:id`), not its raw
/// path, so metrics do not explode with ids.
struct MetricsMiddleware: Middleware {
    let metrics: Metrics

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        let start = DispatchTime.now().uptimeNanoseconds
        return next.respond(to: request).map { response in
            record(request, status: response.status.code, start: start)
            return response
        }.flatMapErrorThrowing { error in
            record(request, status: (error as? any AbortError)?.status.code ?? 500, start: start)
            throw error
        }
    }

    func record(_ request: Request, status: UInt, start: UInt64) {
        let route = request.route.map(metrics.pattern) ?? "unmatched"
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        metrics.recordRequest(method: request.method.rawValue, route: route, status: status, seconds: seconds)
    }
}
