import App
import Domain
import Fluent
import Foundation
import NIOCore
import Services
import SQLKit
import Storage
import Vapor

// Reseller sales per second through the business API (issue: resellers). Starts the real HTTP
// server in-process on loopback, gives a postpaid reseller enough credits, and fires AddCustomer
// calls with reseller_id from concurrent clients: each sale hashes the new customer's password,
// creates the customer, moves the credits under the guarded UPDATE and writes the ledger entry
// and the audit record in one transaction. The floor is the raw rate of single-row write
// transactions on the same database, through the same write path and concurrency.
//
//   tvms-bench sales [--sales 2000] [--concurrency 8] [--postgres postgres://…] [--bcrypt 12,4]
//
// Prints a Markdown table; scripts/bench/sales.sh runs it on SQLite and PostgreSQL.

struct SalesOptions {
    var sales = 2000
    var concurrency = 8
    var postgres: String?
    var bcryptCosts = [12, 4]
}

func parseSales(_ arguments: [String]) -> SalesOptions {
    var o = SalesOptions()
    var args = arguments
    while !args.isEmpty {
        let a = args.removeFirst()
        let v = args.isEmpty ? "" : args.removeFirst()
        switch a {
        case "--sales": o.sales = Int(v) ?? o.sales
        case "--concurrency": o.concurrency = Int(v) ?? o.concurrency
        case "--postgres": o.postgres = v
        case "--bcrypt": o.bcryptCosts = v.split(separator: ",").compactMap { Int($0) }
        default: print("unknown option \(a)"); exit(2)
        }
    }
    return o
}

/// Runs `total` operations from `concurrency` workers; returns operations per second.
func rate(total: Int, concurrency: Int, _ op: @escaping @Sendable (Int) async throws -> Void) async throws -> Double {
    let started = DispatchTime.now().uptimeNanoseconds
    try await withThrowingTaskGroup(of: Void.self) { group in
        for w in 0..<concurrency {
            group.addTask {
                var i = w
                while i < total {
                    try await op(i)
                    i += concurrency
                }
            }
        }
        try await group.waitForAll()
    }
    return Double(total) / (Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
}

struct SalesResult { var salesPerSecond: Double; var floorPerSecond: Double }

func salesRun(database: AppConfig.DatabaseTarget, bcryptCost: Int, sales: Int, concurrency: Int) async throws -> SalesResult {
    var env = Environment.production
    env.arguments = ["tvms-bench"]
    let app = try await Application.make(env)
    app.logger.logLevel = .error
    do {
        try await configure(app, config: AppConfig(database: database, inProcessWorkers: 0, schedulerEnabled: false, bcryptCost: bcryptCost, nodeName: "bench"))
        try await app.autoMigrate()
        _ = try await DemoData.load(app.serviceEnvironment)
        let svc = app.serviceEnvironment
        let actor = Principal.system("bench")
        let d = try await DeploymentModel.query(on: app.db).filter(\.$cmsService == DemoData.cmsService).first()!
        let product = try await ProductModel.query(on: app.db).filter(\.$name == "Basic Monthly").first()!
        let plan = try await PaymentPlanModel.query(on: app.db).filter(\.$productID == product.id!).filter(\.$name == "1 month").first()!
        let r = try await ResellerService.create(svc, actor: actor, deploymentID: d.id!, input: .init(name: "Bench Reseller", type: .postpaid))
        try await ResellerService.assign(svc, actor: actor, deploymentID: d.id!, resellerID: r.id!, productID: product.id!, planID: plan.id!, discountPercent: "10")
        _ = try await ResellerLedger.adjustCredits(svc, actor: actor, deploymentID: d.id!, resellerID: r.id!, amount: Int64(sales) * 100, reason: "bench")

        // The floor: one-row write transactions through the same write path.
        try await app.db.sql.raw("CREATE TABLE bench_floor (id INTEGER PRIMARY KEY, v VARCHAR(64) NOT NULL)").run()
        let floor = try await rate(total: sales, concurrency: concurrency) { i in
            try await svc.write { db in try await db.sql.raw("INSERT INTO bench_floor (id, v) VALUES (\(bind: i), \(bind: "row \(i)"))").run() }
        }

        app.http.server.configuration.hostname = "127.0.0.1"
        app.http.server.configuration.port = 0
        try await app.server.start(address: .hostname("127.0.0.1", port: 0))
        guard let port = app.http.server.shared.localAddress?.port else { throw Abort(.internalServerError, reason: "no port") }
        let base = "http://127.0.0.1:\(port)/api/AddCustomer/addCustomer?crmService=\(DemoData.crmService)&authToken=\(DemoData.authToken)"
            + "&productid=\(product.id!)&subscriptionlengthinmonths=1&reseller_id=\(r.id!)"
        let client = app.client
        let ok = ManagedAtomicCounter()
        let salesRate = try await rate(total: sales, concurrency: concurrency) { i in
            let res = try await client.post(URI(string: base + "&lastname=Bench%20\(i)&customermappingid=bench-\(i)"), headers: ["Accept": "application/json"])
            guard res.status == .ok else { throw Abort(res.status, reason: res.body.map { String(buffer: $0) } ?? "") }
            ok.increment()
        }
        await app.server.shutdown()
        // The run must also be exact: every sale charged once, the ledger consistent.
        let balance = try await ResellerModel.find(r.id, on: app.db)!.balance
        let charged = Int64(sales) * 100 - balance
        guard ok.value == sales, charged == Int64(sales) * 9, try await ResellerLedger.verify(on: app.db).isEmpty else {
            throw Abort(.internalServerError, reason: "inexact run: \(ok.value) sales, \(charged) credits charged")
        }
        try await app.asyncShutdown()
        return SalesResult(salesPerSecond: salesRate, floorPerSecond: floor)
    } catch {
        try? await app.asyncShutdown()
        throw error
    }
}

/// A counter the sale tasks share.
final class ManagedAtomicCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func increment() { lock.lock(); n += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return n }
}

func salesBench(_ arguments: [String]) async throws {
    let o = parseSales(arguments)
    var databases: [(String, AppConfig.DatabaseTarget)] = []
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tvms-bench-\(UUID().uuidString)")
    databases.append(("SQLite", .sqlite(path: dir.appendingPathComponent("tvms.sqlite").path)))
    if let pg = o.postgres, !pg.isEmpty { databases.append(("PostgreSQL", .postgres(url: pg))) }
    print("| database | subscriber bcrypt cost | sales | concurrency | sales/s (business API) | floor: 1-row write tx/s | sales ÷ floor |")
    print("|---|---|---|---|---|---|---|")
    for (label, target) in databases {
        for cost in o.bcryptCosts {
            var t = target
            if case .sqlite = target {
                try? FileManager.default.removeItem(at: dir)
                t = .sqlite(path: dir.appendingPathComponent("tvms-\(cost).sqlite").path)
            }
            if case .postgres(let url) = target { t = .postgres(url: url.replacingOccurrences(of: "{cost}", with: String(cost))) }
            let r = try await salesRun(database: t, bcryptCost: cost, sales: o.sales, concurrency: o.concurrency)
            print(String(format: "| %@ | %d | %d | %d | %.0f | %.0f | %.3f |", label, min(cost, 10), o.sales, o.concurrency, r.salesPerSecond, r.floorPerSecond,
                         r.salesPerSecond / r.floorPerSecond))
        }
    }
    try? FileManager.default.removeItem(at: dir)
}
